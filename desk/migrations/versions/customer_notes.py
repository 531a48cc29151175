"""the agents' notes about a customer (customers.notes; desk.customers, task customer28)

Revision ID: customer_notes
Revises: ticket_snooze
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "customer_notes"
down_revision = "ticket_snooze"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("notes")
