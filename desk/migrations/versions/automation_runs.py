"""automations (content/_triggers.yml's `on: schedule` rules, desk.automations; task automations33): automation_runs,
one row per (ticket, rule, start of the state's spell) it fired for, unique so a spell fires once

Revision ID: automation_runs
Revises: ticket_fields
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "automation_runs"
down_revision = "ticket_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "automation_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("rule_name", sa.String(100), nullable=False),
        sa.Column("spell_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("ticket_id", "rule_name", "spell_start", name="uq_automation_runs_spell"),
    )
    op.create_index("ix_automation_runs_ticket_id", "automation_runs", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_automation_runs_ticket_id", table_name="automation_runs")
    op.drop_table("automation_runs")
