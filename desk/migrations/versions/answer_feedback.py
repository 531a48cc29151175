"""answer cards: the customers' "Did this answer your question?" votes

Revision ID: answer_feedback
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "answer_feedback"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_key", sa.String(length=300), nullable=False),
        sa.Column("anchor", sa.String(length=300), nullable=False),
        sa.Column("query", sa.String(length=600), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("generated_by", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("visit_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_answer_feedback_article_key", "answer_feedback", ["article_key"])
    op.create_index("ix_answer_feedback_created_at", "answer_feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_answer_feedback_created_at", table_name="answer_feedback")
    op.drop_index("ix_answer_feedback_article_key", table_name="answer_feedback")
    op.drop_table("answer_feedback")
