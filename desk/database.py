"""The support desk's database: SQLite under the data directory, or PostgreSQL from DATABASE_URL.

Every process (server, CLI) calls `Database.upgrade()` before use, so the schema is whatever the
alembic migrations say, on both engines, and a fresh clone needs no separate migration step.

Writes and a busy or full database: SQLite runs in WAL mode (readers never wait for the writer)
with a short busy timeout per attempt. `Database.write` retries a unit of work that met a lock
until `write_deadline` seconds have passed, so a `kb tickets import` or a backup holding the lock
for a few seconds delays a customer's ticket instead of losing it. What still cannot be written
(the lock outlived the deadline, the disk is full) surfaces as one `StorageUnavailableError`, which
the web layer turns into a clear "try again" page that keeps the customer's text, or a JSON 503
with Retry-After. The transaction is rolled back either way: nothing is half-written.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kb.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")
log = logging.getLogger(__name__)

# SQLite's messages for a lock held elsewhere, and PostgreSQL's SQLSTATEs for the same situation
# (lock_not_available, serialization_failure, deadlock_detected): worth another try.
_BUSY_MESSAGES = ("database is locked", "database is busy", "database table is locked")
_BUSY_SQLSTATES = ("55P03", "40001", "40P01")
# Out of space (SQLite's SQLITE_FULL, PostgreSQL's disk_full class) or an I/O error: no retry helps soon.
_FULL_MESSAGES = ("database or disk is full", "disk i/o error")
_FULL_SQLSTATES = ("53100", "53200")

Reason = Literal["busy", "full"]
# The PostgreSQL advisory lock `Database.upgrade` holds while it migrates (any constant the app uses for nothing else).
MIGRATION_LOCK = 7_262_027


Store = Literal["database", "files"]


class StorageUnavailableError(RuntimeError):
    """The database could not take a write now (`reason` busy or full), or a file beside it could not be written for
    want of space (`store` "files": the attachment storage under the data directory); nothing of it was kept. The
    message names the store that failed: a full disk met while writing an attachment is not the database's."""

    def __init__(self, reason: Reason, detail: str, retry_after: int = 30, store: Store = "database") -> None:
        what = "the attachment storage is" if store == "files" else "the database is"
        super().__init__(f"{what} {'busy' if reason == 'busy' else 'out of space'}: {detail}")
        self.reason: Reason = reason
        self.store: Store = store
        self.retry_after = retry_after


def unavailable_reason(error: BaseException) -> Reason | None:
    """"busy", "full", or None when `error` is not about the database being unable to write now."""
    if not isinstance(error, OperationalError):
        return None
    sqlstate = getattr(error.orig, "sqlstate", None)
    message = str(error.orig).lower()
    if sqlstate in _BUSY_SQLSTATES or any(m in message for m in _BUSY_MESSAGES):
        return "busy"
    if (sqlstate or "")[:3] in ("53", "58") or sqlstate in _FULL_SQLSTATES or any(m in message for m in _FULL_MESSAGES):
        return "full"
    return None


def database_url(settings: Settings) -> str:
    if settings.database_url:
        url = settings.database_url
        # Heroku-style URLs name the scheme "postgres"; SQLAlchemy wants psycopg 3 spelled out.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return f"sqlite:///{(settings.data_dir / 'helpdesk.sqlite').as_posix()}"


def insert_if_absent(session: Session, model: type[Any], values: dict[str, Any], unique: list[str]) -> None:
    """Insert a row unless one with the same `unique` columns exists; the caller then reads whichever is there.

    Race-free: INSERT ... ON CONFLICT DO NOTHING waits for a concurrent inserter (PostgreSQL's row lock, SQLite's
    write lock) and then does nothing, where a SELECT first and INSERT after lets both see "none" and the second fail
    on the unique index. Another engine gets a savepoint, so a lost race does not fail the caller's transaction."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        session.execute(upsert(model).values(**values).on_conflict_do_nothing(index_elements=unique))
        return
    try:
        with session.begin_nested():
            session.execute(insert(model).values(**values))
    except IntegrityError:
        pass


# Ids past this are no row on any engine: every id column is an INTEGER, 32 bits on PostgreSQL (64 on SQLite).
# Checking here keeps a URL like /tickets/2147483648 a 404 instead of an overflow (it was 2**63 - 1, SQLite's
# bound, and every id from 2**31 up was a 500 on PostgreSQL: "integer out of range").
MAX_ROW_ID = 2**31 - 1


def lock_row(session: Session, model: type[Any], row_id: int) -> bool:
    """Hold the row of `model` with this id until the transaction ends, before a read that decides a write (are
    there follow-ups yet, is the name free, how many views): the same request twice at once (two tabs, a double
    click) otherwise both read before either wrote and both wrote. A no-op UPDATE (a column set to itself; one with
    an `onupdate`, a ticket's updated_at, kept as it is) is PostgreSQL's row lock and, on SQLite, the database's
    write lock, which SQLite's driver takes only at a transaction's first write: a SELECT ... FOR UPDATE there
    locks nothing. Whether the row exists."""
    if not 0 < row_id <= MAX_ROW_ID:
        return False
    table = model.__table__
    same = {column.name: column for column in table.columns if column.primary_key or column.onupdate is not None}
    return bool(session.execute(update(table).where(table.c.id == row_id).values(same)).rowcount)  # type: ignore[attr-defined]


def lock_rows(session: Session, model: type[Any], where: Any) -> None:
    """Hold every row of `model` matching `where` until the transaction ends (`lock_row` for a set: a tag's tickets,
    an erased customer's). PostgreSQL: SELECT ... FOR UPDATE in id order, so two such locks over overlapping rows
    take them in one order and one waits rather than deadlocks. SQLite: one row's no-op UPDATE (`lock_row`) takes
    the database's write lock, which holds them all."""
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(table.c.id).where(where).order_by(table.c.id).with_for_update())
        return
    first = session.scalar(select(func.min(table.c.id)).where(where))
    if first is not None:
        lock_row(session, model, first)


class Database:
    def __init__(self, url: str, busy_timeout: float = 2.0, write_deadline: float = 10.0) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self.write_deadline = write_deadline
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", self._sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _sqlite_pragmas(self, dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # WAL lets pages read while a writer holds the lock; foreign keys are off by default.
        cursor = dbapi_connection.cursor()
        # The busy timeout first: turning a fresh file to WAL waits for another process's connection meanwhile.
        cursor.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(database_url(settings), busy_timeout=settings.db_busy_timeout,
                   write_deadline=settings.db_write_deadline)

    def upgrade(self) -> None:
        """Migrate to head, one process at a time: every process (web workers, the worker, a CLI command) upgrades
        at start, and each migration commits on its own (env.py), so two at once would meet each other's half-built
        schema ("table already exists"). The lock: PostgreSQL's session advisory lock, else a file lock beside the
        SQLite file; the one that waited then finds the schema at head and does nothing."""
        config = Config()
        config.set_main_option("script_location", MIGRATIONS.as_posix())
        with self._migrating() as connection:  # outside a transaction: each migration commits its own (env.py)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _migrating(self) -> Iterator[Connection]:
        """A connection holding the migration lock: a file lock beside a SQLite file (taken before connecting:
        turning a fresh file to WAL wants the file alone), PostgreSQL's session advisory lock."""
        with contextlib.ExitStack() as stack:
            database = self.engine.url.database
            if self.engine.dialect.name == "sqlite" and database and database != ":memory:":
                lock = stack.enter_context(open(f"{database}.migrate-lock", "a"))
                fcntl.flock(lock, fcntl.LOCK_EX)
                stack.callback(fcntl.flock, lock, fcntl.LOCK_UN)
            connection = stack.enter_context(self.engine.connect())
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
                connection.commit()  # a session lock outlives the transaction that took it

                def unlock() -> None:
                    connection.rollback()  # a migration that failed left its transaction open
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                    connection.commit()

                stack.callback(unlock)
            yield connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error (no half-written state).

        A busy or full database raises `StorageUnavailableError` (not a bare driver error), so
        every caller can tell "try again later" from a bug."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException as error:
            session.rollback()
            reason = unavailable_reason(error)
            if reason is not None:
                raise StorageUnavailableError(reason, str(getattr(error, "orig", error))) from error
            raise
        finally:
            session.close()

    def write(self, work: Callable[[Session], T], deadline: float | None = None) -> T:
        """Run `work` in one transaction, again while the database is busy, for `deadline` seconds
        at most (`write_deadline` unless given).

        `work` must be safe to run again (each try starts from a rolled-back, empty session)."""
        deadline = time.monotonic() + (self.write_deadline if deadline is None else deadline)
        pause = 0.05
        while True:
            try:
                with self.session() as session:
                    return work(session)
            except StorageUnavailableError as error:
                if error.reason != "busy" or time.monotonic() + pause > deadline:
                    raise
                log.warning("database busy, trying again in %.2f s", pause)
                time.sleep(pause)
                pause = min(pause * 2, 1.0)

    def close(self) -> None:
        self.engine.dispose()
