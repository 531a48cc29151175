"""a received mail keeps its SMTP envelope recipients and why it was held as a code and values (translatable); the
kept originals are indexed by path, so deleting a held mail can ask whether another row still keeps the same bytes

Revision ID: held_mail_upkeep
Revises: held_mail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "held_mail_upkeep"
down_revision = "held_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows received before this keep NULL in all three: their envelope was never kept, and their English `reason`
    # is shown as it is (desk.mail.reasons.MailReason.stored); the retention rule purges them within its days.
    op.add_column("mail_inbound", sa.Column("reason_code", sa.String(length=40), nullable=True))
    op.add_column("mail_inbound", sa.Column("reason_params", sa.JSON(), nullable=True))
    op.add_column("mail_inbound", sa.Column("envelope_recipients", sa.JSON(), nullable=True))
    op.create_index("ix_mail_inbound_raw_path", "mail_inbound", ["raw_path"])


def downgrade() -> None:
    op.drop_index("ix_mail_inbound_raw_path", table_name="mail_inbound")
    with op.batch_alter_table("mail_inbound") as batch:
        batch.drop_column("envelope_recipients")
        batch.drop_column("reason_params")
        batch.drop_column("reason_code")
