"""customers.erased_at: when an admin erased the customer's personal data (desk.erasure; the GDPR's right to erasure).
NULL: a customer whose data is there.

Revision ID: customer_erasure
Revises: tag_folds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "customer_erasure"
down_revision = "tag_folds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("customers", "erased_at")  # not batch: that copies `customers`, which tickets reference
