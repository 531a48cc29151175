"""agents belong to teams (agent_teams), agents move tickets between teams (ticket_team_changes, the ticket's
history), and the inbox counts and filters unsolved tickets by team (ix_tickets_status_team)

Revision ID: agent_teams
Revises: held_mail_removal_failed
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_teams"
down_revision = "held_mail_removal_failed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Team keys, not a table of teams: content/_business_hours.yml is the one place teams are defined.
    op.create_table(
        "agent_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "team", name="uq_agent_teams_agent_team"),
    )
    op.create_index("ix_agent_teams_agent_id", "agent_teams", ["agent_id"])
    op.create_index("ix_agent_teams_team", "agent_teams", ["team"])
    op.create_table(
        "ticket_team_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("old_team", sa.String(length=40), nullable=True),
        sa.Column("new_team", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_team_changes_ticket_id", "ticket_team_changes", ["ticket_id"])
    op.create_index("ix_ticket_team_changes_created_at", "ticket_team_changes", ["created_at"])
    # Tickets so far keep their team (NULL: the default team's, as before).
    op.create_index("ix_tickets_status_team", "tickets", ["status", "team"])


def downgrade() -> None:
    op.drop_index("ix_tickets_status_team", table_name="tickets")
    op.drop_index("ix_ticket_team_changes_created_at", table_name="ticket_team_changes")
    op.drop_index("ix_ticket_team_changes_ticket_id", table_name="ticket_team_changes")
    op.drop_table("ticket_team_changes")
    op.drop_index("ix_agent_teams_team", table_name="agent_teams")
    op.drop_index("ix_agent_teams_agent_id", table_name="agent_teams")
    op.drop_table("agent_teams")
