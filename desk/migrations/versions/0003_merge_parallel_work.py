"""merge the revisions written in parallel on one base (each stands alone; their order does not matter)

Revision ID: 0003
Revises: the heads listed in down_revision
"""

from __future__ import annotations

revision = "0003"
down_revision = ("guard_session_tokens", "mail_outbox", "workspace_desk", "dash_metrics")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
