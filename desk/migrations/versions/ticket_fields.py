"""custom ticket fields' values (kb.ticket_fields, desk.ticket_fields; task fields33): ticket_field_values, one row
per ticket and field key, the value as text normalised per type; an index on (key, value) for the filters

Revision ID: ticket_fields
Revises: api_token_scopes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ticket_fields"
down_revision = "api_token_scopes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_field_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.UniqueConstraint("ticket_id", "key", name="uq_ticket_field_values_ticket_key"),
    )
    op.create_index("ix_ticket_field_values_ticket_id", "ticket_field_values", ["ticket_id"])
    op.create_index("ix_ticket_field_values_key_value", "ticket_field_values", ["key", "value"])


def downgrade() -> None:
    op.drop_index("ix_ticket_field_values_key_value", table_name="ticket_field_values")
    op.drop_index("ix_ticket_field_values_ticket_id", table_name="ticket_field_values")
    op.drop_table("ticket_field_values")
