"""Faults injected in the middle of a desk write, into the real database and the real data directory.

A write path (a ticket, a reply with files, a merge, a mail received) is run again and again with one fault armed:
the Nth statement it sends fails (`failing_statement`, an SQLAlchemy `before_cursor_execute` hook raising the
driver's own disk-full or lock error, so the error travels the path a real one does), the COMMIT fails
(`failing_commit`, the Nth), or the Nth file written under the data directory fails half-way (`failing_file`, ENOSPC
after half the bytes). `every_fault` runs N = 1, 2, ... until a run meets no fault (the path sent fewer than N
statements): that last run is the retry, which must succeed once. After each failed run the database (every table,
the outbox included) and the files must be exactly as before. Only the calling thread's statements count (the
analytics writer's thread writes on its own schedule).
"""

from __future__ import annotations

import errno
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg.errors
import pytest
from sqlalchemy import event, select

from desk.database import Database
from desk.models import Base

# The files of the data directory a write may leave: the database's own (SQLite's file, its WAL) and the app's
# secret are not a write's.
NOT_WRITTEN = ("helpdesk.sqlite", "secret_key", "embeddings.sqlite")
# No write path sends more statements than this; a run that goes past it is a loop, not a path.
MAX_STATEMENTS = 200


def driver_error(db: Database, reason: str = "full") -> Exception:
    """The error the database driver itself raises when the disk is full (`reason` "full") or the lock is held
    elsewhere ("busy"): SQLAlchemy wraps it as it wraps a real one, and the desk classifies it by its message or
    SQLSTATE (`desk.database.unavailable_reason`)."""
    if db.engine.dialect.name == "postgresql":
        if reason == "busy":
            return psycopg.errors.LockNotAvailable("could not obtain lock on row in relation")
        return psycopg.errors.DiskFull("could not extend file: No space left on device")
    return sqlite3.OperationalError("database is locked" if reason == "busy" else "database or disk is full")


@dataclass
class Armed:
    """One armed fault: `at` counts from 1; `sent` is how many statements (or files) the run got to; `fired` whether
    the fault was met."""

    at: int
    sent: int = 0
    fired: bool = False
    statements: list[str] = field(default_factory=list)


@contextmanager
def failing_statement(db: Database, at: int, reason: str = "full", spare: tuple[str, ...] = ()) -> Iterator[Armed]:
    """The `at`-th statement this thread sends to `db` inside the block fails with the driver's error (once: a retry
    passes). Statements starting with one of `spare` are not counted: best-effort writes whose failure the path
    ignores on purpose (an API token's "last used" stamp)."""
    armed = Armed(at)
    thread = threading.get_ident()

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if threading.get_ident() != thread:  # another thread's (the analytics writer's): not this path's
            return
        if statement.lstrip().startswith(spare):
            return
        armed.sent += 1
        armed.statements.append(statement.split(None, 3)[:3].__str__())
        if armed.sent == armed.at and not armed.fired:
            armed.fired = True
            raise driver_error(db, reason)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield armed
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@contextmanager
def failing_commit(db: Database, at: int, monkeypatch: pytest.MonkeyPatch, reason: str = "full") -> Iterator[Armed]:
    """The `at`-th COMMIT sent to `db` inside the block fails with the driver's error (the transaction is still open
    and is rolled back, as after a real failed COMMIT)."""
    armed = Armed(at)
    dialect = db.engine.dialect
    commit = dialect.do_commit
    thread = threading.get_ident()

    def do_commit(dbapi_connection: Any) -> None:
        if threading.get_ident() != thread:
            return commit(dbapi_connection)
        armed.sent += 1
        if armed.sent == armed.at and not armed.fired:
            armed.fired = True
            raise driver_error(db, reason)
        commit(dbapi_connection)

    with monkeypatch.context() as patch:
        patch.setattr(dialect, "do_commit", do_commit)
        yield armed


@contextmanager
def failing_file(data_dir: Path, at: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Armed]:
    """The `at`-th file written under `data_dir` inside the block stops half-way with ENOSPC (its first half is on
    disk, as when a disk fills during the write)."""
    armed = Armed(at)
    write_bytes = Path.write_bytes

    def write(path: Path, data: Any) -> int:
        if not path.is_relative_to(data_dir):
            return write_bytes(path, data)
        armed.sent += 1
        if armed.sent == armed.at and not armed.fired:
            armed.fired = True
            write_bytes(path, bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write_bytes(path, data)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_bytes", write)
        yield armed


def rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, by primary key: what a failed write must leave exactly as it was."""
    found = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            found[table.name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
    return found


def files(data_dir: Path) -> set[str]:
    """Every file under the data directory but the database's own, relative."""
    return {path.relative_to(data_dir).as_posix() for path in data_dir.rglob("*")
            if path.is_file() and not path.name.startswith(NOT_WRITTEN)}


@dataclass
class State:
    rows: dict[str, list[tuple[Any, ...]]]
    files: set[str]

    @classmethod
    def of(cls, db: Database, data_dir: Path) -> State:
        return cls(rows(db), files(data_dir))

    def counts(self) -> dict[str, int]:
        return {table: len(found) for table, found in self.rows.items()}


def changed(before: State, after: State) -> list[str]:
    """What differs, table by table and file by file (empty when nothing does): the assertion's message."""
    return ([f"table {t}: {len(before.rows[t])} -> {len(after.rows[t])} rows"
             for t in before.rows if before.rows[t] != after.rows[t]]
            + [f"file {f} left" for f in sorted(after.files - before.files)]
            + [f"file {f} gone" for f in sorted(before.files - after.files)])


@dataclass
class Covered:
    """What `every_fault` ran: how many statements, commits and files the path has (each failed once), and what the
    last unfaulted run returned."""

    statements: int = 0
    commits: int = 0
    files: int = 0
    result: Any = None


def _each(db: Database, data_dir: Path, fresh: Callable[[], Callable[[], Any]], arm: Callable[[int], Any],
          errors: type[BaseException] | tuple[type[BaseException], ...],
          kept: Callable[[State, State], list[str]], what: str) -> tuple[int, Any]:
    """Fail the 1st, 2nd, ... point (`arm(n)`) of one call from `fresh()` until a run passes them all: that run is
    the retry, whose result is returned with how many points there were."""
    act = fresh()
    before = State.of(db, data_dir)
    for at in range(1, MAX_STATEMENTS):
        with arm(at) as armed:
            try:
                result = act()
            except errors:
                assert armed.fired, f"{what} {at}: failed without the fault"
            else:
                assert not armed.fired, f"{what} {at} failed and the path went on as if written: {armed.statements}"
                return at - 1, result
        problems = kept(before, State.of(db, data_dir))
        assert not problems, (f"{what} {at} failed", armed.statements, problems)
    raise AssertionError(f"more than {MAX_STATEMENTS} {what}s")


def every_fault(
    db: Database, data_dir: Path, fresh: Callable[[], Callable[[], Any]],
    errors: type[BaseException] | tuple[type[BaseException], ...], monkeypatch: pytest.MonkeyPatch,
    kept: Callable[[State, State], list[str]] = changed, with_files: bool = False, spare: tuple[str, ...] = (),
    commits: int | None = None,
) -> Covered:
    """Fail a call at each of its statements, at each COMMIT and (`with_files`) at each file it writes, expecting
    `errors` each time and nothing of it kept (`kept(before, after)` lists what is wrong), the same call sent again
    after the last fault succeeding. `fresh()` sets up one call and returns it: once for the statements, once for
    the commits, once for the files (each series ends with a call that wrote). `spare`: see `failing_statement`;
    `commits`: how many of the path's COMMITs are its write's (failed in turn), when later ones are best effort."""
    covered = Covered()
    covered.statements, covered.result = _each(db, data_dir, fresh,
                                               lambda at: failing_statement(db, at, spare=spare), errors, kept,
                                               "statement")
    covered.commits, _ = _each(
        db, data_dir, fresh,
        lambda at: failing_commit(db, at, monkeypatch) if commits is None or at <= commits else nullcontext(Armed(at)),
        errors, kept, "commit")
    assert covered.commits, "the path never committed"
    if with_files:
        covered.files, _ = _each(db, data_dir, fresh, lambda at: failing_file(data_dir, at, monkeypatch), errors,
                                 kept, "file")
        assert covered.files, "the path wrote no file"
    return covered
