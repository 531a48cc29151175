"""webhooks a team can run with more than one worker, edit, and replay (desk.webhooks, task webhookclaim34):
webhook_deliveries.claimed_until (a worker's lease on a delivery it is sending) and webhook_endpoints.description

Revision ID: webhook_claims
Revises: passkeys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "webhook_claims"
down_revision = "passkeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain nullable ADD COLUMNs: SQLite adds them in place.
    op.add_column("webhook_deliveries", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("webhook_endpoints", sa.Column("description", sa.String(length=500), nullable=True))


def downgrade() -> None:
    # In place (SQLite drops a column so): a batch copy of webhook_endpoints would fail its deliveries' foreign keys.
    op.drop_column("webhook_deliveries", "claimed_until")
    op.drop_column("webhook_endpoints", "description")
