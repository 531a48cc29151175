"""mail the desk could not take (rejected, loops, auto-replies with no ticket) is listed to agents, who recover
or delete it: the inbound row says which, by whom and when

Revision ID: held_mail
Revises: search_floors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "held_mail"
down_revision = "search_floors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Mail received before this is held if its outcome says so: nobody had a way to deal with it.
    with op.batch_alter_table("mail_inbound") as batch:
        batch.add_column(sa.Column("settled", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("settled_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_mail_inbound_settled_by_id_agents", "agents", ["settled_by_id"], ["id"])
    # The inbox counts held mail on every view: the refused few among every mail ever received.
    op.create_index("ix_mail_inbound_outcome", "mail_inbound", ["outcome"])


def downgrade() -> None:
    op.drop_index("ix_mail_inbound_outcome", table_name="mail_inbound")
    with op.batch_alter_table("mail_inbound") as batch:
        batch.drop_constraint("fk_mail_inbound_settled_by_id_agents", type_="foreignkey")
        batch.drop_column("settled_at")
        batch.drop_column("settled_by_id")
        batch.drop_column("settled")
