"""agent workspace: tags, @mentions, precomputed ticket advice, inbox search text, presence, merges

Revision ID: workspace_desk
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "workspace_desk"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_tickets_merged_into_id", "tickets", ["merged_into_id"], ["id"])
    op.create_table(
        "ticket_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "tag", name="uq_ticket_tags_ticket_tag"),
    )
    op.create_index("ix_ticket_tags_ticket_id", "ticket_tags", ["ticket_id"])
    op.create_index("ix_ticket_tags_tag", "ticket_tags", ["tag"])
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mentions_message_id", "mentions", ["message_id"])
    op.create_index("ix_mentions_ticket_id", "mentions", ["ticket_id"])
    op.create_index("ix_mentions_agent_id", "mentions", ["agent_id"])
    op.create_table(
        "ticket_advice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("thread_version", sa.Integer(), nullable=False),
        sa.Column("index_version", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    op.create_table(
        "ticket_search",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_table(
        "ticket_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("replying", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "agent_id", name="uq_ticket_presence_ticket_agent"),
    )
    op.create_index("ix_ticket_presence_ticket_id", "ticket_presence", ["ticket_id"])
    op.create_index("ix_ticket_presence_seen_at", "ticket_presence", ["seen_at"])


def downgrade() -> None:
    op.drop_table("ticket_presence")
    op.drop_table("ticket_search")
    op.drop_table("ticket_advice")
    op.drop_table("mentions")
    op.drop_table("ticket_tags")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint("fk_tickets_merged_into_id", type_="foreignkey")
        batch.drop_column("merged_into_id")
