"""agents' own inbox views, and the ones a lead shares with everyone (desk.saved_views; task views28)

Revision ID: saved_views
Revises: idempotency_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "saved_views"
down_revision = "audit_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("view", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("team", sa.String(length=40), nullable=True),
        sa.Column("tag", sa.String(length=60), nullable=True),
        sa.Column("q", sa.String(length=200), nullable=False),
        sa.Column("sort", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "name", name="uq_saved_views_agent_name"),
    )
    op.create_index("ix_saved_views_agent_id", "saved_views", ["agent_id"])
    op.create_index("ix_saved_views_shared", "saved_views", ["shared"])


def downgrade() -> None:
    op.drop_index("ix_saved_views_shared", table_name="saved_views")
    op.drop_index("ix_saved_views_agent_id", table_name="saved_views")
    op.drop_table("saved_views")
