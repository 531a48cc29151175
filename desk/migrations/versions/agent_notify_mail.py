"""agents are mailed when someone else assigns them a ticket or a note @mentions them (desk.agent_notices; task
agentmail41): agents.notify_assigned and agents.notify_mentioned, on for every agent (Chatwoot's default)

Revision ID: agent_notify_mail
Revises: saved_view_skill
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_notify_mail"
down_revision = "follow_up_starts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs with a constant default: every agent there is gets them on, in place on both engines.
    op.add_column("agents", sa.Column("notify_assigned", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("agents", sa.Column("notify_mentioned", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    # In place (SQLite 3.35+ drops a plain column itself), as agent_digest: a batch copy of `agents` is refused by the
    # foreign keys pointing at it once other tables hold rows (the older migration tests' downgrades through it).
    op.drop_column("agents", "notify_mentioned")
    op.drop_column("agents", "notify_assigned")
