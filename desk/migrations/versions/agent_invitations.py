"""agents invited by email (desk.accounts.invite_agent; task invite41): agents.invited_at, when the last invitation
was sent (None: not invited, or the invitation accepted or revoked; every agent before)

Revision ID: agent_invitations
Revises: saved_view_skill
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_invitations"
down_revision = "agent_notify_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, nullable: SQLite adds it in place.
    op.add_column("agents", sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+ drops a plain column itself), as agent_digest: a batch copy of `agents` is refused by the
    # foreign keys pointing at it once other tables hold rows (the older migration tests' downgrades through it).
    op.drop_column("agents", "invited_at")
