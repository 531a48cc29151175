"""the due policy the open tickets' due times were last counted under, and the recount's progress, in the database:
a worker started after the business hours changed recounts once, and two workers share one recount

Revision ID: due_policy_state
Revises: due_change_reason
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "due_policy_state"
down_revision = "due_change_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No row: the worker's first pass adds it, recording the policy in force (the due times were counted under it as
    # the desk ran, as far as anyone knows) without recounting.
    op.create_table(
        "due_policy_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("recount_after", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("due_policy_state")
