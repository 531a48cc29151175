"""two-factor sign-in for agents (desk.two_factor): the TOTP secret, when it was confirmed and the last time step a
code was accepted for, on the agents table; recovery codes in a table of their own (a row each, SHA-256 hashed, as API
tokens are), so using one is a conditional UPDATE of its row that two sign-ins at once cannot both pass, where a JSON
column of hashes would be read, changed and written back under a lock.

Revision ID: two_factor
Revises: search_text_refold
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "two_factor"
down_revision = "search_text_refold"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch: that copies `agents`, which tickets and others reference, and on SQLite the copy's DROP TABLE fails
    # their foreign keys once rows point at an agent (SQLite adds and drops a column in place).
    op.add_column("agents", sa.Column("two_factor_secret", sa.String(64), nullable=True))
    op.add_column("agents", sa.Column("two_factor_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("agents", sa.Column("two_factor_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_recovery_codes_agent_id", "recovery_codes", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_recovery_codes_agent_id", "recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_column("agents", "two_factor_last_step")
    op.drop_column("agents", "two_factor_enabled_at")
    op.drop_column("agents", "two_factor_secret")
