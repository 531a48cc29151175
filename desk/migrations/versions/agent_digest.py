"""the lead's KPI digest by email (task schedreport37, desk.digests): agents.digest ("daily", "weekly", NULL: off)
and agents.digest_sent_for (the first day of the last period claimed, so a period is mailed once)

Revision ID: agent_digest
Revises: mail_suggestions_covering
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_digest"
down_revision = "mail_suggestions_covering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("digest", sa.String(length=10), nullable=True))
    op.add_column("agents", sa.Column("digest_sent_for", sa.Date(), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+ drops a plain column itself), as agent_signatures: a batch copy of `agents` is refused
    # by the foreign keys pointing at it.
    op.drop_column("agents", "digest_sent_for")
    op.drop_column("agents", "digest")
