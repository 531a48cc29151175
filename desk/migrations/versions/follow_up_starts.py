"""a follow-up's history says what it started with from the closed ticket it continues (desk.tickets.follow_up_in;
task api41): ticket_follow_up_starts, the required skills and tags it carried by name (the ticket page's "Started
with skills Billing, VIP from #12")

Revision ID: follow_up_starts
Revises: saved_view_skill
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "follow_up_starts"
down_revision = "saved_view_skill"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A follow-up started before keeps no row: what it carried then is not known now (the closed ticket may have
    # changed since), and its page says nothing rather than a guess.
    op.create_table(
        "ticket_follow_up_starts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("from_ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("skills", sa.String(length=1000), nullable=True),
        sa.Column("tags", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_follow_up_starts_ticket_id", "ticket_follow_up_starts", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("ticket_follow_up_starts")
