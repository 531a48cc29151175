"""Folding the queries stored without their normalised spelling (SearchEvent.normalised_query, ContentGap's): the log
as it was before the migration `gap_query_keys`, which fills it in batches, and the few rows an older release writes
during a rolling deploy after it, which `kb worker` fills (`fill_query_keys`). The fold is
desk.query_text.normalise_query, the function the rows' inserts call: nothing here re-implements it in SQL.

Written against bare table names (sqlalchemy.table), not desk.models, so the migration keeps meaning what it meant
when the models move on.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, bindparam, column, select, table, update

from desk.query_text import normalise_query

TABLES = ("search_events", "content_gaps")
BATCH = 2000  # rows folded in one transaction


def fold_batch(connection: Connection, name: str, after_id: int = 0, limit: int = BATCH) -> tuple[int, int]:
    """Fold up to `limit` unfolded rows of table `name` whose id is over `after_id`, in `connection`'s transaction, in
    id order; returns how many, and the last id seen (where the next batch starts)."""
    rows_of = table(name, column("id"), column("query"), column("normalised_query"))
    rows = connection.execute(
        select(rows_of.c.id, rows_of.c.query)
        .where(rows_of.c.id > after_id, rows_of.c.normalised_query.is_(None))
        .order_by(rows_of.c.id).limit(limit)
    ).all()
    if rows:
        connection.execute(
            update(rows_of).where(rows_of.c.id == bindparam("row_id")).values(normalised_query=bindparam("key")),
            [{"row_id": row_id, "key": normalise_query(query)} for row_id, query in rows],
        )
    return len(rows), rows[-1][0] if rows else after_id


def fold_all(engine: Engine, name: str, batch: int | None = None) -> int:
    """Every unfolded row of table `name`, `batch` rows per transaction, each committed before the next starts (a
    million-row log is 500 short transactions, never one holding every row's new value); returns how many. Keyset
    on the id: each batch starts past the last, reading no row twice."""
    done, last, batch = 0, 0, batch or BATCH
    while True:
        with engine.begin() as connection:
            folded, last = fold_batch(connection, name, last, batch)
        done += folded
        if folded < batch:
            return done


def fill_query_keys(engine: Engine, limit: int | None = None) -> int:
    """One bounded pass of `kb worker`: fold up to `limit` rows of each table an older release wrote without their
    normalised query (found by ix_search_events_unfolded, empty otherwise); returns how many."""
    done = 0
    for name in TABLES:
        with engine.begin() as connection:
            done += fold_batch(connection, name, 0, limit or BATCH)[0]
    return done
