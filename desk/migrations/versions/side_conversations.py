"""side conversations (desk.side_conversations, task sideconv34): side_conversations, side_conversation_messages and
mail_outbox.side_message_id (the side conversation's message a mail carries, never on the ticket's thread)

Revision ID: side_conversations
Revises: webhook_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "side_conversations"
down_revision = "webhook_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "side_conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("token", sa.String(40), nullable=False, unique=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unread", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_side_conversations_ticket_id", "side_conversations", ["ticket_id"])
    op.create_table(
        "side_conversation_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("side_conversation_id", sa.Integer(), sa.ForeignKey("side_conversations.id"), nullable=False),
        sa.Column("author", sa.String(20), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("from_address", sa.String(320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("mail_message_id", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_side_conversation_messages_side_conversation_id", "side_conversation_messages",
                    ["side_conversation_id"])
    op.create_index("ix_side_conversation_messages_mail_message_id", "side_conversation_messages",
                    ["mail_message_id"])
    # Not batch (a copy of mail_outbox): SQLite adds a column in place, without a foreign key.
    op.add_column("mail_outbox", sa.Column("side_message_id", sa.Integer(), nullable=True))
    op.create_index("ix_mail_outbox_side_message_id", "mail_outbox", ["side_message_id"])


def downgrade() -> None:
    op.drop_index("ix_mail_outbox_side_message_id", "mail_outbox")
    op.drop_column("mail_outbox", "side_message_id")
    op.drop_index("ix_side_conversation_messages_mail_message_id", "side_conversation_messages")
    op.drop_index("ix_side_conversation_messages_side_conversation_id", "side_conversation_messages")
    op.drop_table("side_conversation_messages")
    op.drop_index("ix_side_conversations_ticket_id", "side_conversations")
    op.drop_table("side_conversations")
