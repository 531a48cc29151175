"""the customer list's columns (desk.customers, task customers29): each customer's name and email folded for its search
(customers.search_text; the customers already stored are folded here, in batches) and their newest message
(customers.last_contact_at, indexed, the list's default order; kept by desk.models._stamp_last_contact, filled here)

Revision ID: customer_search
Revises: customer_notes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desk.ticket_search import customer_search_text

revision = "customer_search"
down_revision = "customer_notes"
branch_labels = None
depends_on = None

BATCH = 2_000


def upgrade() -> None:
    op.add_column("customers", sa.Column("search_text", sa.String(length=600), nullable=True))
    op.add_column("customers", sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE customers SET last_contact_at = (SELECT max(messages.created_at) FROM messages JOIN tickets ON "
               "tickets.id = messages.ticket_id WHERE tickets.customer_id = customers.id AND "
               "messages.author = 'customer')")
    op.create_index("ix_customers_last_contact_at", "customers", ["last_contact_at"])
    # Folded by the one function the desk writes with, by id ranges (a large table is not one list in memory).
    customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("name", sa.String),
                         sa.column("email", sa.String), sa.column("search_text", sa.String))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(customers.c.id, customers.c.name, customers.c.email)
                            .where(customers.c.id > last).order_by(customers.c.id).limit(BATCH)).all()
        if rows:  # one statement a batch, its rows as parameter sets
            bind.execute(customers.update().where(customers.c.id == sa.bindparam("row_id"))
                         .values(search_text=sa.bindparam("folded")),
                         [{"row_id": row.id, "folded": customer_search_text(row.name, row.email)} for row in rows])
        if len(rows) < BATCH:
            return
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_customers_last_contact_at", table_name="customers")
    op.drop_column("customers", "last_contact_at")
    op.drop_column("customers", "search_text")
