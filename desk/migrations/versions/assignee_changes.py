"""every change of a ticket's assignee is a row of its history (ticket_assignee_changes): by hand, in bulk, by a
reply taking an unassigned ticket, by a move to a team the assignee is not in (task teams28)

Revision ID: assignee_changes
Revises: idempotency_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "assignee_changes"
down_revision = "idempotency_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tickets so far keep their assignee with no history row: when they were assigned was never recorded.
    op.create_table(
        "ticket_assignee_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("old_assignee_id", sa.Integer(), nullable=True),
        sa.Column("new_assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["old_assignee_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["new_assignee_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_assignee_changes_ticket_id", "ticket_assignee_changes", ["ticket_id"])
    op.create_index("ix_ticket_assignee_changes_created_at", "ticket_assignee_changes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_assignee_changes_created_at", table_name="ticket_assignee_changes")
    op.drop_index("ix_ticket_assignee_changes_ticket_id", table_name="ticket_assignee_changes")
    op.drop_table("ticket_assignee_changes")
