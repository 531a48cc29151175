"""each settled search keeps its abstention signals and the first result as ranked before abstention (issue #18)

Revision ID: search_shadow_log
Revises: agent_time_zone
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "search_shadow_log"
down_revision = "agent_time_zone"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Searches recorded before this keep NULL: their signals were never kept and cannot be recomputed as they were.
    op.add_column("search_events", sa.Column("signals", sa.JSON(), nullable=True))
    op.add_column("search_events", sa.Column("first_article", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_events") as batch:
        batch.drop_column("first_article")
        batch.drop_column("signals")
