"""each saved view keeps its name folded (saved_views.name_key, desk.name_keys.name_key), unique per owner in place of
the name itself: "ÉCOLE" and "école" are one name on both engines (SQLite's lower() folded ASCII only; task fold30).
Two views of one owner whose names now fold alike are both kept: the later one (by id) is renamed "<name> (2)"
(then 3, ...), and the log says which.

Revision ID: saved_view_keys
Revises: customer_merge
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from desk.name_keys import MAX_EXPANSION, free_name, name_key

revision = "saved_view_keys"
down_revision = "customer_merge"
branch_labels = None
depends_on = None

NAME = 60  # saved_views.name's length, as the migration saved_views made it
log = logging.getLogger("alembic.runtime.migration")  # beside alembic's own "Running upgrade ..." lines


def upgrade() -> None:
    op.add_column("saved_views", sa.Column("name_key", sa.String(length=NAME * MAX_EXPANSION), nullable=True))
    views = sa.table("saved_views", sa.column("id", sa.Integer), sa.column("agent_id", sa.Integer),
                     sa.column("name", sa.String), sa.column("name_key", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(views.c.id, views.c.agent_id, views.c.name)
                        .order_by(views.c.agent_id, views.c.id)).all()  # at most KB_SAVED_VIEWS_PER_AGENT an agent
    keys: dict[int, set[str]] = {}
    for row in rows:  # all of an owner's keys first: a rename must not take the key of a view later in the list
        keys.setdefault(row.agent_id, set()).add(name_key(row.name))
    seen: dict[int, set[str]] = {}
    changes = []
    for row in rows:
        name, key = row.name, name_key(row.name)
        mine = seen.setdefault(row.agent_id, set())
        if key in mine:
            name = free_name(row.name, keys[row.agent_id], NAME)
            key = name_key(name)
            keys[row.agent_id].add(key)
            log.warning("saved view %d of agent %d: %r is named like an earlier view of theirs once folded; renamed "
                        "%r", row.id, row.agent_id, row.name, name)
        mine.add(key)
        changes.append({"row_id": row.id, "new_name": name, "key": key})
    if changes:
        bind.execute(views.update().where(views.c.id == sa.bindparam("row_id"))
                     .values(name=sa.bindparam("new_name"), name_key=sa.bindparam("key")), changes)
    with op.batch_alter_table("saved_views") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=NAME * MAX_EXPANSION), nullable=False)
        batch.drop_constraint("uq_saved_views_agent_name", type_="unique")
        batch.create_unique_constraint("uq_saved_views_agent_name_key", ["agent_id", "name_key"])


def downgrade() -> None:
    with op.batch_alter_table("saved_views") as batch:  # the names stay as renamed: distinct, as the old rule wants
        batch.drop_constraint("uq_saved_views_agent_name_key", type_="unique")
        batch.create_unique_constraint("uq_saved_views_agent_name", ["agent_id", "name"])
        batch.drop_column("name_key")
