"""deleted tickets and blocked senders (task trash36): a ticket's deletion (tickets.deleted_at, deleted_by_id,
deleted_reason), its history (ticket_deletion_changes), the addresses and domains whose mail is held and whose form
tickets are stored as deleted spam (blocked_senders); the inbox's two covering indexes end with deleted_at, so "not
deleted" is still read from the index alone

Revision ID: ticket_trash
Revises: customer_fields
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ticket_trash"
down_revision = "customer_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch: SQLite adds and drops a column in place, where a batch copy of `tickets` would fail the foreign keys
    # that reference it (problem_tickets'). deleted_by_id a plain id, as merged_into_id (no foreign key in place).
    op.add_column("tickets", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("deleted_by_id", sa.Integer(), nullable=True))
    op.add_column("tickets", sa.Column("deleted_reason", sa.String(length=20), nullable=True))
    op.create_index("ix_tickets_deleted_at", "tickets", ["deleted_at"])
    op.drop_index("ix_tickets_status_team_snooze", table_name="tickets")
    op.create_index("ix_tickets_status_team_snooze", "tickets", ["status", "team", "snoozed_until", "deleted_at"])
    op.drop_index("ix_tickets_assignee_status", table_name="tickets")
    op.create_index("ix_tickets_assignee_status", "tickets", ["assignee_id", "status", "deleted_at"])
    op.create_table(
        "ticket_deletion_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_deletion_changes_ticket_id", "ticket_deletion_changes", ["ticket_id"])
    op.create_table(
        "blocked_senders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
    )


def downgrade() -> None:
    op.drop_table("blocked_senders")
    op.drop_index("ix_ticket_deletion_changes_ticket_id", table_name="ticket_deletion_changes")
    op.drop_table("ticket_deletion_changes")
    op.drop_index("ix_tickets_assignee_status", table_name="tickets")
    op.create_index("ix_tickets_assignee_status", "tickets", ["assignee_id", "status"])
    op.drop_index("ix_tickets_status_team_snooze", table_name="tickets")
    op.create_index("ix_tickets_status_team_snooze", "tickets", ["status", "team", "snoozed_until"])
    op.drop_index("ix_tickets_deleted_at", table_name="tickets")
    op.drop_column("tickets", "deleted_reason")
    op.drop_column("tickets", "deleted_by_id")
    op.drop_column("tickets", "deleted_at")
