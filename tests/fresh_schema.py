"""A test's fresh desk database at head in milliseconds instead of seconds.

Nearly every desk, site and browser test opens a new desk on an empty database, and `Database.upgrade` ran the whole
migration chain each time (44 migrations: 1.5-2.5 s on SQLite, more on PostgreSQL), a large share of the suite's
time. The chain still runs, for real, at least once per test session on each engine; what a test's empty database
gets after that is the schema the chain made:

- SQLite (`upgrade_from_template`, installed over `Database.upgrade` by tests/conftest.py): an empty file (absent,
  or without a table) is filled by SQLite's online backup of a template file the real upgrade made once in this
  process. It happens under the lock file `Database.upgrade` itself takes, so two threads opening one fresh file
  still meet one schema; a file that has tables (a migration test's older revision) is upgraded by the real code.
- PostgreSQL (`reset_postgres`): the test database outlives a test. When the previous test left it at head it is
  emptied with one TRUNCATE of every table (RESTART IDENTITY: ids start at 1, as on a new database); when a test
  left it at another revision, or the caller wants it empty (`database_at`, which migrates up from nothing), every
  table is dropped and the next desk runs the chain.

A truncation keeps nothing a migration wrote besides the schema, so the template is checked to hold no rows.
"""

from __future__ import annotations

import atexit
import fcntl
import shutil
import sqlite3
import tempfile
from contextlib import closing
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from desk.database import MIGRATIONS, Database
from desk.models import Base

real_upgrade = Database.upgrade


@cache
def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS.as_posix())
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


@cache
def sqlite_template() -> Path:
    """A SQLite file the real migration chain brought to head, once per test process (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="kb-test-schema-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "desk.sqlite"
    db = Database(f"sqlite:///{path}")
    try:
        real_upgrade(db)
    finally:
        db.close()
    with closing(sqlite3.connect(path)) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        written = [name for name in tables if name != "alembic_version"
                   and connection.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone()]
    assert not written, f"the migrations wrote rows a test's fresh database would lack: {written}"
    return path


def sqlite_file(db: Database) -> Path | None:
    database = db.engine.url.database
    if db.engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def fill_if_empty(db: Database, path: Path) -> bool:
    """Copy the template into `path` when it holds no table yet; False when it does (left to the real upgrade)."""
    template = sqlite_template()
    db.engine.dispose()  # a pooled connection to the empty file would not matter, but none is needed
    with open(f"{path}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with closing(sqlite3.connect(path)) as target:
            if target.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]:
                return False
            with closing(sqlite3.connect(template)) as source:
                source.backup(target)
    return True


def upgrade_from_template(self: Database) -> None:
    path = sqlite_file(self)
    if path is None or not fill_if_empty(self, path):
        real_upgrade(self)


def reset_postgres(url: str, empty: bool) -> None:
    """Empty the test database `url` for the next test: truncated when at head, else (or when `empty`) dropped."""
    db = Database(url)
    try:
        with db.engine.begin() as connection:
            tables = list(connection.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")))
            at_head = "alembic_version" in tables and connection.scalar(
                text("SELECT version_num FROM alembic_version")) == head_revision()
            if at_head and not empty:
                names = ", ".join(f'"{name}"' for name in tables if name != "alembic_version")
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                return
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        db.close()
