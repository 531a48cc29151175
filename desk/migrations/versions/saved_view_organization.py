"""saved views keep the organization filter (desk.saved_views; task orgviews33): saved_views.organization, an
organization's id (None: no organization filter, as every view saved before; minus the id once the organization is
deleted)

Revision ID: saved_view_organization
Revises: organizations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "saved_view_organization"
down_revision = "organizations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no foreign key: the view outlives its organization): SQLite adds it in place.
    op.add_column("saved_views", sa.Column("organization", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saved_views") as batch:
        batch.drop_column("organization")
