"""language routing (task skills37): the languages an agent answers customers in (agents.languages, JSON; NULL:
every language, as every agent before), and on an automatic assignment's history row the language it was made without
and how long the ticket had waited for an agent answering it (desk.auto_assign's fallback)

Revision ID: agent_languages
Revises: agent_digest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_languages"
down_revision = "agent_digest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("languages", sa.JSON(), nullable=True))
    op.add_column("ticket_assignee_changes", sa.Column("auto_without_lang", sa.String(length=8), nullable=True))
    op.add_column("ticket_assignee_changes", sa.Column("auto_waited_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("ticket_assignee_changes", "auto_waited_minutes")
    op.drop_column("ticket_assignee_changes", "auto_without_lang")
    op.drop_column("agents", "languages")
