"""time tracking on tickets (task timetrack35, desk.time_tracking): time_entries (an agent's time on a ticket, with
a reply, a note, an update or by hand) and time_entry_changes (their edits and deletions, for the ticket's history)

Revision ID: time_entries
Revises: problem_tickets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "time_entries"
down_revision = "problem_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("form_key", sa.String(64), nullable=True),
        sa.UniqueConstraint("agent_id", "form_key", name="uq_time_entries_agent_form_key"),
    )
    op.create_index("ix_time_entries_ticket_seconds", "time_entries", ["ticket_id", "seconds"])
    op.create_index("ix_time_entries_created_agent", "time_entries", ["created_at", "agent_id", "ticket_id", "seconds"])
    op.create_table(
        "time_entry_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("entry_agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("actor", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("old_seconds", sa.Integer(), nullable=False),
        sa.Column("new_seconds", sa.Integer(), nullable=True),
        sa.Column("note_changed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_time_entry_changes_ticket_id", "time_entry_changes", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_time_entry_changes_ticket_id", "time_entry_changes")
    op.drop_table("time_entry_changes")
    op.drop_index("ix_time_entries_created_agent", "time_entries")
    op.drop_index("ix_time_entries_ticket_seconds", "time_entries")
    op.drop_table("time_entries")
