"""The models and the alembic migrations describe the same schema (on SQLite and, with
KB_TEST_DATABASE_URL, PostgreSQL): a model change without its migration fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desk.database import Database
from desk.models import Base
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate


def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = Database.from_settings(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))
    db.upgrade()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.close()


def test_the_shadow_log_migration_keeps_earlier_searches_with_nothing_logged(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from desk.desk import Desk

    db, url = database_at(tmp_path, "agent_time_zone")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO search_events (token, visit_id, query, lang, result_count, abstained, fallback, source, "
            "created_at) VALUES ('t1', 'v1', 'refund late', 'en', 0, true, false, 'page', '2026-01-01')")
    migrate(db, command.upgrade, "search_shadow_log")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT query, abstained, signals, first_article FROM search_events")).one() == (
            "refund late", True, None, None)
    migrate(db, command.downgrade, "agent_time_zone")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT query FROM search_events")).scalar() == "refund late"
    migrate(db, command.upgrade, "head")
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    desk.events.search("refund when", "en", 0, True, signals={"lexical_top": 7.25}, first_article="en/refund-timing",
                       floors="bb6ad4b84f40")
    desk.events.search("refund why", "en", 0, True, source="contact")  # no shadow log: SQL NULL, as the old rows
    [old, new] = desk.events.shadow_log()
    assert (old.query, old.signals, old.first_article) == ("refund late", None, None)
    assert (new.signals, new.first_article, new.floors) == ({"lexical_top": 7.25}, "en/refund-timing", "bb6ad4b84f40")
    assert old.floors is None  # which floors decided it is unknown (migration search_floors)
    with desk.db.engine.connect() as connection:
        assert connection.execute(text("SELECT query FROM search_events WHERE signals IS NULL ORDER BY id")).scalars(
            ).all() == ["refund late", "refund why"]
    desk.close()


@pytest.mark.parametrize("resumed", [False, True])
def test_the_query_keys_migration_folds_the_stored_log_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   resumed: bool) -> None:
    """gap_query_keys folds every search and gap ticket already stored with the function new rows are folded by,
    a batch per transaction (3 rows here, 2,000 in use), each committed before the next; `resumed`: a run stopped
    after adding the columns (a crash, a deploy killed) is run again from the start."""
    from alembic import command
    from sqlalchemy import event, text

    from desk import query_keys
    from desk.query_text import normalise_query

    db, _url = database_at(tmp_path, "agent_teams")
    typed = ["Refund  STATUS", "  strasse ß", "   ", "ΐ refund", "سؤال  التوصيل", "Card declined", "q1"]
    with db.engine.begin() as connection:
        for n, query in enumerate(typed):
            connection.execute(text(
                "INSERT INTO search_events (token, visit_id, query, lang, result_count, abstained, fallback, source, "
                "created_at) VALUES (:token, 'v', :query, 'en', 0, false, false, 'page', '2026-01-01')"),
                {"token": f"t{n}", "query": query})
            if n % 3 == 0:
                connection.execute(text("INSERT INTO content_gaps (query, lang, created_at) "
                                        "VALUES (:query, 'en', '2026-01-01')"), {"query": query})
        if resumed:
            for name in query_keys.TABLES:
                connection.execute(text(f"ALTER TABLE {name} ADD COLUMN normalised_query VARCHAR(600)"))
    batches: list[tuple[str, int]] = []
    fold_batch = query_keys.fold_batch

    def counted(connection: Any, name: str, after_id: int = 0, limit: int = 0) -> tuple[int, int]:
        batches.append((name, after_id))
        assert connection.in_transaction()
        return fold_batch(connection, name, after_id, limit)

    commits: list[None] = []
    event.listen(db.engine, "commit", lambda _connection: commits.append(None))
    monkeypatch.setattr(query_keys, "BATCH", 3)
    monkeypatch.setattr(query_keys, "fold_batch", counted)
    migrate(db, command.upgrade, "gap_query_keys")
    with db.engine.connect() as connection:
        for name in query_keys.TABLES:
            stored = connection.execute(text(f"SELECT query, normalised_query FROM {name} ORDER BY id")).all()
            assert [key for _query, key in stored] == [normalise_query(query) for query, _key in stored]
    assert normalise_query("  strasse ß") == "strasse ss"
    ids = sorted({after for name, after in batches if name == "search_events"})
    assert [name for name, _after in batches] == ["search_events"] * 3 + ["content_gaps"] * 2  # 7 and 3 rows
    assert len(ids) == 3 and ids[0] == 0  # keyset: each batch starts past the last one's id
    assert len(commits) >= len(batches) + 1  # each batch committed on its own, then the indexes and the version
    migrate(db, command.downgrade, "agent_teams")
    migrate(db, command.upgrade, "head")
    db.close()



def test_processes_starting_together_upgrade_a_fresh_database_once(tmp_path: Path) -> None:
    """Every process calls `Database.upgrade()` at start (web workers, the worker, a CLI command), so on a fresh or
    older database several run the migrations at once; each migration commits on its own (env.py), so without one
    lock between them the second meets the first's half-built schema ("table already exists", a duplicate
    alembic_version row). Three real processes, started together: all of them start, the schema is built once."""
    import os
    import subprocess
    import sys

    from sqlalchemy import text

    url = database_url_for_tests()
    settings = Settings(data_dir=tmp_path, database_url=url)
    script = ("import sys, time\n"
              "from desk.database import Database\n"
              "from kb.settings import Settings\n"
              "from pathlib import Path\n"
              "db = Database.from_settings(Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2] or None))\n"
              "time.sleep(max(0.0, float(sys.argv[3]) - time.time()))\n"
              "db.upgrade()\n")
    import time

    at = time.time() + 4.0  # every process has imported the desk by then: the upgrades start together
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    processes = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), url or "", str(at)], env=env,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
    failures = [p.stderr.read() if p.stderr else "" for p in processes if p.wait(timeout=300) != 0]
    assert failures == []
    db = Database.from_settings(settings)
    with db.engine.connect() as connection:
        assert len(connection.execute(text("SELECT version_num FROM alembic_version")).all()) == 1
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.close()
