"""a customer's "no" on an article or an answer card takes a reason (and, on a card, a comment)

Revision ID: vote_reasons
Revises: due_by_hand
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vote_reasons"
down_revision = "due_by_hand"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("article_feedback", sa.Column("reason", sa.String(length=20), nullable=True))
    op.add_column("answer_feedback", sa.Column("reason", sa.String(length=20), nullable=True))
    op.add_column("answer_feedback", sa.Column("comment", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer_feedback") as batch:
        batch.drop_column("comment")
        batch.drop_column("reason")
    with op.batch_alter_table("article_feedback") as batch:
        batch.drop_column("reason")
