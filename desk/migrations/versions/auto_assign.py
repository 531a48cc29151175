"""agents' availability and teams' automatic assignment (desk.auto_assign, task autoassign32): agents.available (+ when
it changed), agent_teams.last_auto_assigned_at (round robin), the rule an assignment history row names, and an index
on (assignee_id, status) the balanced count reads instead of the tickets

Revision ID: auto_assign
Revises: search_text_refold
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "auto_assign"
down_revision = "two_factor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every agent starts away (false): nothing lands on someone until they say they are available.
    # Not batch: that copies `agents`, which tickets and others reference (SQLite adds and drops a column in place).
    op.add_column("agents", sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("agents", sa.Column("available_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("agent_teams", sa.Column("last_auto_assigned_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("ticket_assignee_changes", sa.Column("auto_rule", sa.String(length=20), nullable=True))
    op.add_column("ticket_assignee_changes", sa.Column("auto_team", sa.String(length=40), nullable=True))
    op.create_index("ix_tickets_assignee_status", "tickets", ["assignee_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_tickets_assignee_status", table_name="tickets")
    op.drop_column("ticket_assignee_changes", "auto_team")
    op.drop_column("ticket_assignee_changes", "auto_rule")
    op.drop_column("agent_teams", "last_auto_assigned_at")
    op.drop_column("agents", "available_changed_at")
    op.drop_column("agents", "available")
