"""triggers (content/_triggers.yml, desk.triggers, task triggers33): the history rows name the trigger that made a
change (`trigger_name` on the status, team and assignee changes) and ticket_trigger_changes holds the rest (tags,
priority, notes, replies, a skipped assignee)

Revision ID: ticket_triggers
Revises: two_factor_lock
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ticket_triggers"
down_revision = "two_factor_lock"
branch_labels = None
depends_on = None

TABLES = ("ticket_status_changes", "ticket_team_changes", "ticket_assignee_changes")


def upgrade() -> None:
    for table in TABLES:  # nullable, no default: SQLite adds it in place, no table copy
        op.add_column(table, sa.Column("trigger_name", sa.String(100), nullable=True))
    op.create_table(
        "ticket_trigger_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("trigger_name", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("old_value", sa.String(400), nullable=True),
        sa.Column("new_value", sa.String(400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_trigger_changes_ticket_id", "ticket_trigger_changes", ["ticket_id"])
    op.create_index("ix_ticket_trigger_changes_created_at", "ticket_trigger_changes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_trigger_changes_created_at", "ticket_trigger_changes")
    op.drop_index("ix_ticket_trigger_changes_ticket_id", "ticket_trigger_changes")
    op.drop_table("ticket_trigger_changes")
    for table in TABLES:
        op.drop_column(table, "trigger_name")
