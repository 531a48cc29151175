"""customer fields' values (kb.customer_fields, desk.customer_fields; task custfields36): customer_field_values, one
row per customer and field key, the value as text normalised per type (as ticket_field_values); an index on
(key, value) for the inbox's filter

Revision ID: customer_fields
Revises: agent_signatures
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "customer_fields"
down_revision = "agent_signatures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_field_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.UniqueConstraint("customer_id", "key", name="uq_customer_field_values_customer_key"),
    )
    op.create_index("ix_customer_field_values_customer_id", "customer_field_values", ["customer_id"])
    op.create_index("ix_customer_field_values_key_value", "customer_field_values", ["key", "value"])


def downgrade() -> None:
    op.drop_index("ix_customer_field_values_key_value", table_name="customer_field_values")
    op.drop_index("ix_customer_field_values_customer_id", table_name="customer_field_values")
    op.drop_table("customer_field_values")
