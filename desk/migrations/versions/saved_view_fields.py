"""saved views keep custom ticket field filters (desk.saved_views; task fieldviews33): saved_views.fields, a JSON
mapping of field key -> value as stored (None: no field filter, as every view saved before)

Revision ID: saved_view_fields
Revises: ticket_fields
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "saved_view_fields"
down_revision = "ticket_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("saved_views", sa.Column("fields", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saved_views") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("fields")
