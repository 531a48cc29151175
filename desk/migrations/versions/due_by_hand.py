"""agents set a ticket's due time by hand: the flag that keeps it, and each change in the ticket's history

Revision ID: due_by_hand
Revises: reply_submission
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "due_by_hand"
down_revision = "reply_submission"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every ticket so far had its due time computed: false for them all (a server default fills the rows).
    op.add_column("tickets", sa.Column("due_by_hand", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "ticket_due_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("old_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("by_hand", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_due_changes_ticket_id", "ticket_due_changes", ["ticket_id"])
    op.create_index("ix_ticket_due_changes_created_at", "ticket_due_changes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_due_changes_created_at", table_name="ticket_due_changes")
    op.drop_index("ix_ticket_due_changes_ticket_id", table_name="ticket_due_changes")
    op.drop_table("ticket_due_changes")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("due_by_hand")
