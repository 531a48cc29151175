"""the sign-in's second step locked per agent after too many wrong codes (desk.two_factor, task tfalock32):
agents.two_factor_failures (wrong codes in a row, counted on the server) and agents.two_factor_locked_until

Revision ID: two_factor_lock
Revises: auto_assign
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "two_factor_lock"
down_revision = "auto_assign"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch: that copies `agents`, which tickets and others reference (SQLite adds and drops a column in place).
    op.add_column("agents", sa.Column("two_factor_failures", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("agents", sa.Column("two_factor_locked_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("agents", "two_factor_locked_until")
    op.drop_column("agents", "two_factor_failures")
