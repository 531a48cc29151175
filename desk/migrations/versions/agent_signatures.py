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
    # batch: SQLite drops a column by copying the table
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("signature")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("signatures")
