"""a customer's reply carries its page's key: one page posted twice at once stores one message

Revision ID: reply_submission
Revises: answer_feedback
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "reply_submission"
down_revision = "answer_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("external_id", sa.String(length=200), nullable=True))
    op.create_index("ix_messages_external_id", "messages", ["external_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_messages_external_id", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("external_id")
