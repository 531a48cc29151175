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
    # No foreign key: adding one on SQLite means batch mode copying and dropping `tickets`, which the
    # messages of a live database reference (the DROP fails with foreign keys on). A plain ADD COLUMN.
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
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
    _backfill_search_text()
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


def _backfill_search_text() -> None:
    """Tickets written before this revision become searchable too (folded as desk.ticket_search does)."""
    from desk.ticket_search import MAX_SEARCH_CHARS, fold_for_search

    connection = op.get_bind()
    bodies: dict[int, list[str]] = {}
    for ticket_id, body in connection.execute(sa.text("SELECT ticket_id, body FROM messages ORDER BY id")):
        bodies.setdefault(ticket_id, []).append(body)
    rows = [
        {"ticket_id": ticket_id,
         "text": fold_for_search("\n".join([subject, name or "", email, *bodies.get(ticket_id, [])]))[
             :MAX_SEARCH_CHARS]}
        for ticket_id, subject, name, email in connection.execute(sa.text(
            "SELECT t.id, t.subject, c.name, c.email FROM tickets t JOIN customers c ON c.id = t.customer_id"))
    ]
    if rows:
        table = sa.table("ticket_search", sa.column("ticket_id", sa.Integer()), sa.column("text", sa.Text()))
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("ticket_presence")
    op.drop_table("ticket_search")
    op.drop_table("ticket_advice")
    op.drop_table("mentions")
    op.drop_table("ticket_tags")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("merged_into_id")
