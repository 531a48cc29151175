"""the dashboard at volume (task dashfast35): a covering index for the agents' public replies in a period, so their
count is read from the index alone, not from every message's row (SQLite: 0.26 s to 0.02 s at 190,000 messages)

Revision ID: dashboard_indexes
Revises: time_entries
"""

from __future__ import annotations

from alembic import op

revision = "dashboard_indexes"
down_revision = "time_entries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_created_author", "messages", ["created_at", "author", "internal", "agent_id"])


def downgrade() -> None:
    op.drop_index("ix_messages_created_author", "messages")
