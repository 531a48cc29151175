"""The desk database a volume bench fills and reads: SQLite under the bench's `--data` folder, or a throwaway
PostgreSQL cluster (tests/postgres.py, as `pytest --postgresql` starts it) for `--postgresql`. One opener for the
dashboard, field-report and handle-time benches, which had each copied it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desk.database import Database
from kb.settings import Settings


@contextmanager
def bench_database(data: Path, postgresql: bool, keep: bool = True) -> Iterator[tuple[Database, bool]]:
    """The database at head, and whether it is fresh (empty: the bench fills it). A SQLite file is kept between runs
    (filling 100,000 tickets takes minutes) unless `keep` is false; a cluster is new each run and stopped after it."""
    cluster = None
    url = None
    if postgresql:
        from tests.postgres import ThrowawayPostgres

        cluster = ThrowawayPostgres().start()
        url = cluster.url
    data.mkdir(parents=True, exist_ok=True)
    if not keep:
        (data / "helpdesk.sqlite").unlink(missing_ok=True)
    fresh = url is not None or not (data / "helpdesk.sqlite").exists()
    try:
        db = Database.from_settings(Settings(data_dir=data, database_url=url))
        try:
            db.upgrade()
            yield db, fresh
        finally:
            db.close()
    finally:
        if cluster is not None:
            cluster.stop()
