"""organizations (desk.organizations; task orgs33): the companies customers belong to, their email domains (each
one organization's), and on customers the organization and whether an agent chose it by hand

Revision ID: organizations
Revises: saved_view_fields
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "organizations"
down_revision = "saved_view_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("tags", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name_key", name="uq_organizations_name_key"),
    )
    op.create_table(
        "organization_domains",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organization_id", sa.Integer(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.UniqueConstraint("domain", name="uq_organization_domains_domain"),
    )
    op.create_index("ix_organization_domains_organization_id", "organization_domains", ["organization_id"])
    # Plain ADD COLUMNs (no foreign key): SQLite adds them in place, without copying `customers`.
    op.add_column("customers", sa.Column("organization_id", sa.Integer(), nullable=True))
    op.add_column("customers", sa.Column("organization_manual", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.create_index("ix_customers_organization_id", "customers", ["organization_id"])


def downgrade() -> None:
    op.drop_index("ix_customers_organization_id", table_name="customers")
    # Not batch: that copies `customers`, which tickets and others reference, and on SQLite the copy's DROP TABLE
    # fails their foreign keys once a ticket names a customer (SQLite drops a column in place).
    op.drop_column("customers", "organization_manual")
    op.drop_column("customers", "organization_id")
    op.drop_index("ix_organization_domains_organization_id", table_name="organization_domains")
    op.drop_table("organization_domains")
    op.drop_table("organizations")
