"""saved views keep custom ticket field filters (desk.saved_views; task fieldviews33): saved_views.fields, a JSON
mapping of field key -> value as stored (None: no field filter, as every view saved before); saved_views.columns, the
fields shown as columns (a JSON list of keys); saved_views.sort widened to 60 for "field.<key>" (a key is at most 40)

Revision ID: saved_view_fields
Revises: automation_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "saved_view_fields"
down_revision = "automation_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("saved_views") as batch:  # SQLite alters a column by copying the table
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("columns", sa.JSON(), nullable=True))
        batch.alter_column("sort", type_=sa.String(60), existing_type=sa.String(20), existing_nullable=False)


def downgrade() -> None:
    views = sa.table("saved_views", sa.column("sort", sa.String))
    op.execute(views.update().where(views.c.sort.like("field.%")).values(sort="updated"))  # fits String(20) again
    with op.batch_alter_table("saved_views") as batch:
        batch.alter_column("sort", type_=sa.String(20), existing_type=sa.String(60), existing_nullable=False)
        batch.drop_column("columns")
        batch.drop_column("fields")
