"""each search and gap ticket keeps its query folded (normalised_query, desk.query_text.normalise_query), indexed so
the content gaps report groups, ranks and pages in SQL; the log already stored is folded here, in batches

Revision ID: gap_query_keys
Revises: agent_teams
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desk.query_keys import TABLES, fold_all

revision = "gap_query_keys"
down_revision = "agent_teams"
branch_labels = None
depends_on = None

# desk.models.GAP_SEARCH as each engine spells it (the index's WHERE must read as the report's query does).
SQLITE_GAP = sa.text("result_count = 0 OR abstained IS 1")
POSTGRESQL_GAP = sa.text("result_count = 0 OR abstained IS true")


def upgrade() -> None:
    # The columns first, committed on their own, so the batches below can commit theirs; a run stopped part way is
    # run again from the start (the columns are there: not added twice; the rows folded: not read again).
    inspector = sa.inspect(op.get_bind())
    for name in TABLES:
        if "normalised_query" not in {c["name"] for c in inspector.get_columns(name)}:
            op.add_column(name, sa.Column("normalised_query", sa.String(length=600), nullable=True))
    # Every stored row folded by the one function the inserts call, 2,000 rows a transaction on a connection of its
    # own (desk.query_keys.fold_all): a million-row log is 500 commits, not one transaction holding it all. A row an
    # older release writes meanwhile is folded by a later batch, by `kb worker`, or by the report itself.
    with op.get_context().autocommit_block():
        engine = op.get_bind().engine
        for name in TABLES:
            fold_all(engine, name)
    # The indexes after the rows are filled: built once rather than updated row by row.
    op.create_index("ix_search_events_gap_key", "search_events",
                    ["lang", "normalised_query", "created_at", "result_count", "abstained"],
                    sqlite_where=SQLITE_GAP, postgresql_where=POSTGRESQL_GAP)
    op.create_index("ix_search_events_unfolded", "search_events", ["id"],
                    sqlite_where=sa.text("normalised_query IS NULL"),
                    postgresql_where=sa.text("normalised_query IS NULL"))
    op.create_index("ix_content_gaps_key", "content_gaps", ["normalised_query", "lang", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_content_gaps_key", table_name="content_gaps")
    op.drop_index("ix_search_events_unfolded", table_name="search_events")
    op.drop_index("ix_search_events_gap_key", table_name="search_events")
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("normalised_query")
