"""saved views keep a skill filter (desk.saved_views; task views40): saved_views.skill, a skill's id (None: no skill
filter, as every view saved before; minus the id once the skill is deleted)

Revision ID: saved_view_skill
Revises: skills
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "saved_view_skill"
down_revision = "skills"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no foreign key: the view outlives its skill): SQLite adds it in place.
    op.add_column("saved_views", sa.Column("skill", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saved_views") as batch:
        batch.drop_column("skill")
