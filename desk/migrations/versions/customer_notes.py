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
    # Dropped in place (SQLite has ALTER TABLE ... DROP COLUMN since 3.35), not by batch mode's copy of the table:
    # dropping the old `customers` table after the copy fails SQLite's foreign key check while tickets refer to it.
    op.drop_column("customers", "notes")
