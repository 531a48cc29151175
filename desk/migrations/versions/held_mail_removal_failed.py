"""a deleted or purged held mail whose original could not be removed keeps when that last failed, so each purge pass
tries the leftovers tried longest ago first and files that keep failing cannot fill every pass

Revision ID: held_mail_removal_failed
Revises: search_typed_query
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "held_mail_removal_failed"
down_revision = "search_typed_query"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before this keep NULL: a leftover never stamped is tried first, as one never tried.
    op.add_column("mail_inbound", sa.Column("removal_failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mail_inbound") as batch:
        batch.drop_column("removal_failed_at")
