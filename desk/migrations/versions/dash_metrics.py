"""dashboard: notices, ticket category, and the indexes the metrics' date-range queries need

Revision ID: dash_metrics
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dash_metrics"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("category", sa.String(length=80), nullable=True))
        batch.create_index("ix_tickets_category", ["category"])
    # First reply per ticket: the agents' public messages of one ticket, found without a table scan.
    op.create_index("ix_messages_ticket_author", "messages", ["ticket_id", "author"])
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_index("ix_ticket_status_changes_ticket_status", "ticket_status_changes", ["ticket_id", "new_status"])
    op.create_index("ix_suggestion_events_created_at", "suggestion_events", ["created_at"])
    op.create_index("ix_search_events_lang_created", "search_events", ["lang", "created_at"])
    op.create_index("ix_article_feedback_created_at", "article_feedback", ["created_at"])
    op.create_index("ix_deflections_created_at", "deflections", ["created_at"])
    op.create_index("ix_csat_surveys_sent_at", "csat_surveys", ["sent_at"])
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("text_ar", sa.Text(), nullable=True),
        sa.Column("terms", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notices_ends_at", "notices", ["ends_at"])


def downgrade() -> None:
    op.drop_table("notices")
    for table, name in (("csat_surveys", "ix_csat_surveys_sent_at"), ("deflections", "ix_deflections_created_at"),
                        ("article_feedback", "ix_article_feedback_created_at"),
                        ("search_events", "ix_search_events_lang_created"),
                        ("suggestion_events", "ix_suggestion_events_created_at"),
                        ("ticket_status_changes", "ix_ticket_status_changes_ticket_status"),
                        ("messages", "ix_messages_created_at"), ("messages", "ix_messages_ticket_author")):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_category")
        batch.drop_column("category")
