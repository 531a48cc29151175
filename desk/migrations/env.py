"""Alembic environment: runs on the connection `desk.database` hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from desk.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
    # Each migration commits on its own, so one may commit in steps (gap_query_keys folds the log in batches, through
    # `autocommit_block`); the caller hands over a connection outside any transaction (Database.upgrade).
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
