"""A throwaway PostgreSQL cluster on 127.0.0.1 for `pytest --postgresql` (what `make test` runs).

pytest-postgresql's `PostgreSQLExecutor` does the work (initdb, start, wait, stop); this module
only finds Debian's server binaries and copes with CI running as root, which `pg_ctl` refuses:
as root, the cluster's folder belongs to an unprivileged user (`postgres`, created by Debian's
package, else `nobody`) and `pg_ctl` is run through `runuser` by a two-line wrapper script.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import tempfile
from pathlib import Path

from pytest_postgresql.executors import PostgreSQLExecutor

UNPRIVILEGED_USERS = ("postgres", "nobody")
# Durability is pointless for a cluster that lives for one test run; these make it start and write faster.
FAST_UNSAFE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"


def pg_ctl_path() -> str:
    """The newest Debian server's pg_ctl (/usr/lib/postgresql/<major>/bin), else the one on PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return str(candidates[-1])
    found = shutil.which("pg_ctl")
    if found is None:
        raise RuntimeError("PostgreSQL's server is not installed: run `make test` (it installs it) or "
                           "apt-get install postgresql")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayPostgres:
    """Start with `start()`, connect with `url`, end with `stop()` (removes every file it made)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kb-test-postgres-"))
        executable = pg_ctl_path()
        if os.geteuid() == 0:
            executable = self._as_unprivileged_user(executable)
        self.port = free_port()
        self.executor = PostgreSQLExecutor(
            executable=executable,
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password="",
            dbname="kb_test",
            options="",
            datadir=str(self.root / "data"),
            unixsocketdir=str(self.root),
            logfile=str(self.root / "postgresql.log"),
            startparams="-w",
            postgres_options=FAST_UNSAFE,
        )

    def _as_unprivileged_user(self, pg_ctl: str) -> str:
        user = next(name for name in UNPRIVILEGED_USERS if _user_exists(name))
        entry = pwd.getpwnam(user)
        os.chown(self.root, entry.pw_uid, entry.pw_gid)
        wrapper = self.root / "pg_ctl"
        wrapper.write_text(f'#!/bin/sh\nexec runuser -u {user} -- "{pg_ctl}" "$@"\n', "utf-8")
        wrapper.chmod(stat.S_IRWXU)
        return str(wrapper)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> ThrowawayPostgres:
        try:
            self.executor.start()
            self.executor.wait_for_postgres()
        except BaseException:
            log = self.root / "postgresql.log"
            detail = log.read_text("utf-8", "replace")[-2000:] if log.exists() else "(no log)"
            self.stop()
            raise RuntimeError(f"the test PostgreSQL cluster did not start; its log ends:\n{detail}") from None
        return self

    def stop(self) -> None:
        try:
            if self.executor.running():
                self.executor.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
