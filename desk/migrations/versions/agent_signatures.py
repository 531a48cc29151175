"""agents' signatures (task signature36, desk.signatures): agents.signatures (the agent's signature per site language,
JSON) and messages.signature (the signature a public reply was sent with, as it was then)

Revision ID: agent_signatures
Revises: dashboard_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_signatures"
down_revision = "dashboard_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("signatures", sa.JSON(), nullable=True))
    op.add_column("messages", sa.Column("signature", sa.Text(), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+ drops a plain column itself): a batch copy of `agents` or `messages` drops the table,
    # which SQLite's foreign keys refuse once other rows (saved views, attachments) point at it.
    op.drop_column("messages", "signature")
    op.drop_column("agents", "signatures")
