"""agents.session_token (server-side logout), search_events.token (clicks tied to searches written later)

Revision ID: guard_session_tokens
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "guard_session_tokens"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    with op.batch_alter_table("search_events") as batch:
        batch.add_column(sa.Column("token", sa.String(length=32), nullable=True))
        batch.create_unique_constraint("uq_search_events_token", ["token"])


def downgrade() -> None:
    with op.batch_alter_table("search_events") as batch:
        batch.drop_constraint("uq_search_events_token", type_="unique")
        batch.drop_column("token")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("session_token")
