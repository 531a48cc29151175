"""when each agent last signed in (desk.accounts.signed_in; task lastsignin42): agents.last_sign_in_at (None: never,
and every agent before: the desk recorded no successful sign-in)

Revision ID: agent_last_sign_in
Revises: agent_invitations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_last_sign_in"
down_revision = "agent_invitations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, nullable: SQLite adds it in place.
    op.add_column("agents", sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+ drops a plain column itself), as agent_invitations: a batch copy of `agents` is refused
    # by the foreign keys pointing at it.
    op.drop_column("agents", "last_sign_in_at")
