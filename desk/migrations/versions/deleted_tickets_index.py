"""the dashboard at volume after trash36 (task dash36): ix_tickets_deleted_at holds the deleted tickets alone (WHERE
deleted_at IS NOT NULL), so SQLite no longer answers every query's "not deleted" (deleted_at IS NULL) by walking that
index over every ticket instead of a period's by created_at; the Deleted tickets page and the purge still read it

Revision ID: deleted_tickets_index
Revises: mail_suggestions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "deleted_tickets_index"
down_revision = "mail_suggestions"
branch_labels = None
depends_on = None

DELETED = sa.text("deleted_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_tickets_deleted_at", table_name="tickets")
    op.create_index("ix_tickets_deleted_at", "tickets", ["deleted_at"], sqlite_where=DELETED, postgresql_where=DELETED)


def downgrade() -> None:
    op.drop_index("ix_tickets_deleted_at", table_name="tickets")
    op.create_index("ix_tickets_deleted_at", "tickets", ["deleted_at"])
