"""each settled search keeps the fingerprint of the floors that decided it, so `kb floors` judges the floors in use
only on their own searches (issue #18)

Revision ID: search_floors
Revises: search_shadow_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "search_floors"
down_revision = "search_shadow_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Searches recorded before this keep NULL: which floors decided them is unknown, so no floors are judged on them.
    op.add_column("search_events", sa.Column("floors", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_events") as batch:
        batch.drop_column("floors")
