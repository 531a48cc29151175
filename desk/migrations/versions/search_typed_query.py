"""each search keeps what the customer typed when search read it as typed with the wrong keyboard layout and searched
the other layout's reading (SearchEvent.typed_query; issue #18)

Revision ID: search_typed_query
Revises: held_mail_upkeep
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "search_typed_query"
down_revision = "held_mail_upkeep"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Searches recorded before this keep NULL: they were searched as typed.
    op.add_column("search_events", sa.Column("typed_query", sa.String(length=600), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_events") as batch:
        batch.drop_column("typed_query")
