"""tickets.problem_id gets its foreign key to tickets.id (ON DELETE SET NULL): an incident's problem is a ticket that
exists, and a problem removed for good (a purge) leaves its incidents unlinked rather than pointing at nothing. A
reference to no ticket is set NULL first (the only rows the key would refuse).

Revision ID: problem_foreign_key
Revises: agent_languages
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "problem_foreign_key"
down_revision = "agent_languages"
branch_labels = None
depends_on = None

NAME = "fk_tickets_problem_id"


@contextmanager
def _tickets_rebuilt() -> Iterator[None]:
    """SQLite adds or drops a foreign key only by copying the table (alembic's batch mode: a new `tickets`, the rows
    copied, the old one dropped, the new one renamed). With foreign keys on, dropping `tickets` deletes its rows first
    and every table that references them (messages, ...) refuses: SQLite's own procedure for such a change turns
    foreign keys off meanwhile (a PRAGMA that only takes effect outside a transaction), checks them all after
    (`foreign_key_check`), and turns them on again. A failure leaves the connection discarded, never back in the
    pool with foreign keys off. PostgreSQL alters the table in place."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"foreign keys broken by the copy of tickets: {broken[:5]}")
    except BaseException:
        bind.invalidate()  # its foreign keys are off: a new connection turns them on (Database._sqlite_pragmas)
        raise
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    tickets = sa.table("tickets", sa.column("id", sa.Integer()), sa.column("problem_id", sa.Integer()))
    problems = tickets.alias("problems")
    op.execute(tickets.update().where(
        tickets.c.problem_id.is_not(None),
        ~sa.exists().where(problems.c.id == tickets.c.problem_id),
    ).values(problem_id=None))
    with _tickets_rebuilt(), op.batch_alter_table("tickets") as batch:
        batch.create_foreign_key(NAME, "tickets", ["problem_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with _tickets_rebuilt(), op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(NAME, type_="foreignkey")
