"""The models and the alembic migrations describe the same schema (on SQLite and, with
KB_TEST_DATABASE_URL, PostgreSQL): a model change without its migration fails here."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desk.database import Database
from desk.models import Base
from kb.settings import Settings
from tests.conftest import database_url_for_tests


def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = Database.from_settings(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))
    db.upgrade()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.close()
