"""What the migration `gap_query_keys` costs on a stored log: adding `normalised_query` to search_events and
content_gaps, folding every row already there (desk.query_keys.fold_all: 2,000 rows a transaction, each committed
before the next) and building the indexes, as the first start of the new release runs it (Database.upgrade).

    PYTHONPATH=. .venv/bin/python bench/query_keys_bench.py [--rows 100000] [--postgresql]

A database migrated to `search_typed_query` (the revision before), `--rows` searches bulk-inserted as that release
wrote them (queries of 2-6 words in three spellings, English and Arabic, a fifth of them gaps) and a gap ticket per
twenty; then `upgrade` to `gap_query_keys`, timed (wall clock, this process's CPU: on PostgreSQL the server's share is
left out), with the batches counted and every row's fold checked. SQLite in a temporary folder, or a throwaway
PostgreSQL cluster as `pytest --postgresql` starts (tests/postgres.py).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Boolean, DateTime, Integer, String, column, insert, table, text

from desk import query_keys
from desk.database import MIGRATIONS, Database, database_url
from desk.query_text import normalise_query
from kb.settings import Settings
from tests.postgres import ThrowawayPostgres

WORDS = ["refund", "order", "late", "card", "password", "delivery", "الباسورد", "التوصيل", "طلب", "استرداد", "Straße"]


def migrate(db: Database, revision: str) -> None:
    """`revision` as Database.upgrade migrates to head: a connection outside any transaction."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS.as_posix())
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def fill(db: Database, rows: int, rng: random.Random) -> int:
    """The log as the release before wrote it (no `normalised_query`); returns the gap tickets."""
    searches = table("search_events", column("token", String), column("visit_id", String), column("query", String),
                     column("lang", String), column("result_count", Integer), column("abstained", Boolean),
                     column("fallback", Boolean), column("source", String), column("created_at", DateTime))
    gaps = table("content_gaps", column("query", String), column("lang", String), column("created_at", DateTime))
    start = datetime.now(UTC) - timedelta(days=30)
    batch: list[dict[str, Any]] = []
    tickets: list[dict[str, Any]] = []
    with db.engine.begin() as connection:
        for i in range(rows):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
            query = rng.choice([words, words.upper(), "  " + words.replace(" ", "  ") + " "])
            at = start + timedelta(seconds=i * 30 * 86400 / rows)
            batch.append({"token": f"t{i}", "visit_id": f"v{i // 2}", "query": query, "lang": rng.choice(["en", "ar"]),
                          "result_count": 0 if rng.random() < 0.2 else 5, "abstained": False, "fallback": False,
                          "source": "page", "created_at": at})
            if i % 20 == 0:
                tickets.append({"query": query, "lang": "en", "created_at": at})
            if len(batch) == 10_000:
                connection.execute(insert(searches), batch)
                batch = []
        if batch:
            connection.execute(insert(searches), batch)
        connection.execute(insert(gaps), tickets)
    return len(tickets)


def run(rows: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(database_url(Settings(data_dir=Path(folder), database_url=url)))
        migrate(db, "search_typed_query")
        tickets = fill(db, rows, random.Random(27))
        batches: list[int] = []
        fold_batch = query_keys.fold_batch

        def counted(connection: Any, name: str, after_id: int = 0, limit: int = query_keys.BATCH) -> tuple[int, int]:
            done = fold_batch(connection, name, after_id, limit)
            batches.append(done[0])
            return done

        query_keys.fold_batch = counted  # type: ignore[assignment]
        started, started_cpu = time.perf_counter(), time.process_time()
        migrate(db, "gap_query_keys")
        took, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        query_keys.fold_batch = fold_batch  # type: ignore[assignment]
        with db.engine.connect() as connection:
            stored = connection.execute(text("SELECT query, normalised_query FROM search_events")).all()
        assert len(stored) == rows and all(key == normalise_query(query) for query, key in stored)
        print(f"{db.engine.dialect.name}: {rows:,} searches and {tickets:,} gap tickets folded in {len(batches)} "
              f"batches of at most {query_keys.BATCH:,} rows (each its own transaction), migration "
              f"{took:.2f} s wall clock, {cpu:.2f} s CPU (this process)")
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true", help="a throwaway PostgreSQL cluster, as the tests'")
    args = parser.parse_args()
    cluster = ThrowawayPostgres().start() if args.postgresql else None
    try:
        run(args.rows, cluster.url if cluster is not None else None)
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
