"""CCs on tickets (desk.ccs, task ccs33): ticket_ccs (who is copied), ticket_cc_changes (the history of adding and
removing them) and messages.cc_customer_id (a CC's own mail on the thread)

Revision ID: ticket_ccs
Revises: ticket_triggers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ticket_ccs"
down_revision = "ticket_triggers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_ccs",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
    )
    op.create_index("ix_ticket_ccs_customer_id", "ticket_ccs", ["customer_id"])
    op.create_table(
        "ticket_cc_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_cc_changes_ticket_id", "ticket_cc_changes", ["ticket_id"])
    op.create_index("ix_ticket_cc_changes_customer_id", "ticket_cc_changes", ["customer_id"])
    op.create_index("ix_ticket_cc_changes_created_at", "ticket_cc_changes", ["created_at"])
    # Not batch: that copies `messages`, which attachments reference (SQLite adds a column in place, without a
    # foreign key, as customers.merged_into_id has none).
    op.add_column("messages", sa.Column("cc_customer_id", sa.Integer(), nullable=True))
    op.create_index("ix_messages_cc_customer_id", "messages", ["cc_customer_id"])


def downgrade() -> None:
    op.drop_index("ix_messages_cc_customer_id", "messages")
    op.drop_column("messages", "cc_customer_id")
    op.drop_index("ix_ticket_cc_changes_created_at", "ticket_cc_changes")
    op.drop_index("ix_ticket_cc_changes_customer_id", "ticket_cc_changes")
    op.drop_index("ix_ticket_cc_changes_ticket_id", "ticket_cc_changes")
    op.drop_table("ticket_cc_changes")
    op.drop_index("ix_ticket_ccs_customer_id", "ticket_ccs")
    op.drop_table("ticket_ccs")
