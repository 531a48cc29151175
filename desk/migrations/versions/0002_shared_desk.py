"""statuses history, CSAT surveys, internal notes and message channels, agent locale, team and due time

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("team", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_tickets_due_at", ["due_at"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("internal", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
    op.create_table(
        "ticket_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("old_status", sa.String(length=20), nullable=True),
        sa.Column("new_status", sa.String(length=20), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_status_changes_ticket_id", "ticket_status_changes", ["ticket_id"])
    op.create_index("ix_ticket_status_changes_new_status", "ticket_status_changes", ["new_status"])
    op.create_index("ix_ticket_status_changes_created_at", "ticket_status_changes", ["created_at"])
    op.create_table(
        "csat_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_csat_surveys_ticket_id", "csat_surveys", ["ticket_id"])
    op.create_index("ix_csat_surveys_agent_id", "csat_surveys", ["agent_id"])
    op.create_index("ix_csat_surveys_created_at", "csat_surveys", ["created_at"])
    op.create_index("ix_csat_surveys_answered_at", "csat_surveys", ["answered_at"])


def downgrade() -> None:
    op.drop_table("csat_surveys")
    op.drop_table("ticket_status_changes")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("channel")
        batch.drop_column("internal")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_due_at")
        batch.drop_column("due_at")
        batch.drop_column("team")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("locale")
