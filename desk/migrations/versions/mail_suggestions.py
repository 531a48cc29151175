"""suggested articles in the acknowledgement mail (task autoanswer36, desk.mail_suggestions): mail_suggestions, one row
per article a new ticket's acknowledgement suggested, with its token and the customer's answer

Revision ID: mail_suggestions
Revises: ticket_trash
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mail_suggestions"
down_revision = "ticket_trash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("article_key", sa.String(300), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("anchor", sa.String(200), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(8), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_mail_suggestions_ticket_id", "mail_suggestions", ["ticket_id"])
    op.create_index("ix_mail_suggestions_outbox_id", "mail_suggestions", ["outbox_id"])
    op.create_index("ix_mail_suggestions_created_answer", "mail_suggestions", ["created_at", "answer"])


def downgrade() -> None:
    op.drop_table("mail_suggestions")
