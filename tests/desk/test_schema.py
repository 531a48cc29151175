"""The models and the alembic migrations describe the same schema (on SQLite and, with
KB_TEST_DATABASE_URL, PostgreSQL): a model change without its migration fails here."""

from __future__ import annotations

from pathlib import Path

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
