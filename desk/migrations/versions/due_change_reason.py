"""a due-time change in a ticket's history says why when no one made it: "policy" (the business hours or due hours
changed and the desk counted the open ticket's due time again)

Revision ID: due_change_reason
Revises: problem_foreign_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "due_change_reason"
down_revision = "problem_foreign_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ticket_due_changes", sa.Column("reason", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_due_changes") as batch:
        batch.drop_column("reason")
