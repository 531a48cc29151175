"""problem and incident tickets (task problems35): tickets.kind ("problem" or NULL) and tickets.problem_id (the
problem a ticket is an incident of, indexed), their history (ticket_problem_changes), and the inbox filters a saved
view keeps (saved_views.problems, saved_views.incidents_of)

Revision ID: problem_tickets
Revises: side_conversation_more
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "problem_tickets"
down_revision = "side_conversation_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch: SQLite adds a column in place. problem_id is a plain id as merged_into_id is (no foreign key: on
    # SQLite adding one copies and drops `tickets`, which other tables reference); desk.problems checks it.
    op.add_column("tickets", sa.Column("kind", sa.String(length=20), nullable=True))
    op.add_column("tickets", sa.Column("problem_id", sa.Integer(), nullable=True))
    op.create_index("ix_tickets_problem_id", "tickets", ["problem_id"])
    op.create_table(
        "ticket_problem_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_problem_changes_ticket_id", "ticket_problem_changes", ["ticket_id"])
    op.create_index("ix_ticket_problem_changes_created_at", "ticket_problem_changes", ["created_at"])
    op.add_column("saved_views", sa.Column("problems", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("saved_views", sa.Column("incidents_of", sa.Integer(), nullable=True))


def downgrade() -> None:
    # In place, as side_conversation_more's: a batch copy of `tickets` would fail the foreign keys that reference it.
    op.drop_column("saved_views", "incidents_of")
    op.drop_column("saved_views", "problems")
    op.drop_index("ix_ticket_problem_changes_created_at", table_name="ticket_problem_changes")
    op.drop_index("ix_ticket_problem_changes_ticket_id", table_name="ticket_problem_changes")
    op.drop_table("ticket_problem_changes")
    op.drop_index("ix_tickets_problem_id", table_name="tickets")
    op.drop_column("tickets", "problem_id")
    op.drop_column("tickets", "kind")
