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
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("invited_at")
