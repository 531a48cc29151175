"""a ticket's snooze (tickets.snoozed_until) and its history (ticket_snooze_changes; desk.snooze, task views28)

Revision ID: ticket_snooze
Revises: saved_views
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ticket_snooze"
down_revision = "saved_views"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_tickets_snoozed_until", "tickets", ["snoozed_until"])
    # Every view but "all" now asks "not snoozed": in the index the view counts read, or SQLite scans the tickets.
    op.drop_index("ix_tickets_status_team", table_name="tickets")
    op.create_index("ix_tickets_status_team_snooze", "tickets", ["status", "team", "snoozed_until"])
    op.create_table(
        "ticket_snooze_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_snooze_changes_ticket_id", "ticket_snooze_changes", ["ticket_id"])
    op.create_index("ix_ticket_snooze_changes_created_at", "ticket_snooze_changes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_snooze_changes_created_at", table_name="ticket_snooze_changes")
    op.drop_index("ix_ticket_snooze_changes_ticket_id", table_name="ticket_snooze_changes")
    op.drop_table("ticket_snooze_changes")
    op.drop_index("ix_tickets_status_team_snooze", table_name="tickets")
    op.create_index("ix_tickets_status_team", "tickets", ["status", "team"])
    op.drop_index("ix_tickets_snoozed_until", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("snoozed_until")
