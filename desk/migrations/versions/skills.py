"""skills-based routing (task skills39): the skills an admin defines (skills, name folded unique), the agents having
them (agent_skills), the tickets requiring them (ticket_skills) and those changes in a ticket's history
(ticket_skill_changes); on an automatic assignment's history row the required skills it was made without
(desk.auto_assign's fallback)

Revision ID: skills
Revises: due_policy_state
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "skills"
down_revision = "due_policy_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skills",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("name_key", sa.String(length=720), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "agent_skills",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("skill_id", sa.Integer(), sa.ForeignKey("skills.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("agent_id", "skill_id", name="uq_agent_skills_agent_skill"),
    )
    op.create_index("ix_agent_skills_skill_id", "agent_skills", ["skill_id"])
    op.create_table(
        "ticket_skills",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("skill_id", sa.Integer(), sa.ForeignKey("skills.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("ticket_id", "skill_id", name="uq_ticket_skills_ticket_skill"),
    )
    op.create_index("ix_ticket_skills_skill_id", "ticket_skills", ["skill_id"])
    op.create_table(
        "ticket_skill_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("trigger_name", sa.String(length=100), nullable=True),
        sa.Column("added", sa.String(length=1000), nullable=True),
        sa.Column("removed", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_skill_changes_ticket_id", "ticket_skill_changes", ["ticket_id"])
    op.create_index("ix_ticket_skill_changes_created_at", "ticket_skill_changes", ["created_at"])
    op.add_column("ticket_assignee_changes", sa.Column("auto_without_skills", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_assignee_changes") as batch:
        batch.drop_column("auto_without_skills")
    op.drop_table("ticket_skill_changes")
    op.drop_table("ticket_skills")
    op.drop_table("agent_skills")
    op.drop_table("skills")
