"""each agent's own time zone, the one the workspace shows and reads times in (empty: the team's zone)

Revision ID: agent_time_zone
Revises: vote_reasons
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_time_zone"
down_revision = "vote_reasons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every agent so far read times in the team's zone: NULL keeps it so.
    op.add_column("agents", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("time_zone")
