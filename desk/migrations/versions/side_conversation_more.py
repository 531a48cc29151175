"""side conversations a team runs its day on (task sidemore34): saved_views.side_replied (the inbox's "side
conversation replied" filter kept with a view) and side_conversations.participant_changes (participants added and
removed, for the ticket's history)

Revision ID: side_conversation_more
Revises: side_conversations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "side_conversation_more"
down_revision = "side_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch: SQLite adds a column in place (a copy of the table would be needed only to drop one).
    op.add_column("saved_views", sa.Column("side_replied", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("side_conversations", sa.Column("participant_changes", sa.JSON(), nullable=True))


def downgrade() -> None:
    # In place (SQLite drops a column so): a batch copy of side_conversations would fail its messages' foreign keys.
    op.drop_column("side_conversations", "participant_changes")
    op.drop_column("saved_views", "side_replied")
