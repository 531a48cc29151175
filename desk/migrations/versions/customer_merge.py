"""merging customers and the profile's version (desk.customers, task merge30): customers.merged_into_id (the customer a
duplicate was merged into; the row stays so its email maps there) and customers.version (counts saved changes, so a
profile save made from an older version is refused instead of overwriting)

Revision ID: customer_merge
Revises: customer_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "customer_merge"
down_revision = "customer_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no foreign key: batch mode would copy and drop `customers`, which tickets reference).
    op.add_column("customers", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.add_column("customers", sa.Column("version", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_customers_merged_into_id", "customers", ["merged_into_id"])


def downgrade() -> None:
    op.drop_index("ix_customers_merged_into_id", table_name="customers")
    op.drop_column("customers", "version")
    op.drop_column("customers", "merged_into_id")
