"""rows written before session 31's folding rules brought to them (task backfill31; no schema change):

- the inbox search text of every ticket whose customer has merged duplicates now carries their names and addresses
  (desk.ticket_search.merged_text, which index_ticket writes since hostile31): a ticket of a customer merged before
  it is found by the address they wrote from before the merge;
- a ticket's and a customer's search text fold invisible characters out (kb.bidi_text.without_invisible in
  desk.ticket_search.fold_for_search, session 30): a name stored with a U+200F is found by its letters. Customers are
  refolded where the text would change; tickets are re-indexed where their stored text holds an invisible character
  (or fills the column's 200,000 characters, where a dropped one lets the cut move);
- saved view names drop every invisible character (desk.name_keys.tidy_name, hostile31). A name that becomes empty is
  "View (2)", one that becomes another view's of the same owner (by folded key) is "<name> (2)" (then 3, ...), as
  `saved_view_keys` renamed; the log says every change.

The text is what the desk's own functions make of plain values read here by SQL (desk.ticket_search.thread_text,
merged_text, customer_search_text; desk.name_keys.tidy_name, free_name), never through the ORM, whose models a later
release changes; a change to those functions' results needs a migration of its own, as `saved_view_keys` and
`tag_folds` say of theirs. Batches by id (keyset), one statement of parameter sets each; a row changed by another
writer meanwhile (its text, name or email no longer what was read) is left as that writer made it. An erased
customer (desk.erasure) and their tickets are left as the erase emptied them.

Revision ID: search_text_refold
Revises: customer_erasure
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from desk.name_keys import free_name, name_key, tidy_name
from desk.ticket_search import MAX_SEARCH_CHARS, customer_search_text, merged_text, thread_text
from kb.bidi_text import INVISIBLE

revision = "search_text_refold"
down_revision = "customer_erasure"
branch_labels = None
depends_on = None

BATCH = 500  # tickets a batch (with their messages); customers and views: 4 times as many
NAME = 60  # saved_views.name's length
UNNAMED = "View"  # what a view whose name was only invisible characters is called, numbered: "View (2)"
log = logging.getLogger("alembic.runtime.migration")  # beside alembic's own "Running upgrade ..." lines

customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("email", sa.String), sa.column("search_text", sa.String),
                     sa.column("merged_into_id", sa.Integer), sa.column("erased_at", sa.DateTime))
tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("customer_id", sa.Integer),
                   sa.column("subject", sa.String))
messages = sa.table("messages", sa.column("id", sa.Integer), sa.column("ticket_id", sa.Integer),
                    sa.column("body", sa.Text))
search = sa.table("ticket_search", sa.column("ticket_id", sa.Integer), sa.column("text", sa.Text))
views = sa.table("saved_views", sa.column("id", sa.Integer), sa.column("agent_id", sa.Integer),
                 sa.column("name", sa.String), sa.column("name_key", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    log.info("customers' search text refolded: %d", refold_customers(bind))
    log.info("tickets' search text re-indexed: %d", reindex_tickets(bind))
    log.info("saved view names tidied: %d", tidy_view_names(bind))


def refold_customers(bind: sa.Connection) -> int:
    """Every customer's search text as `customer_search_text` makes it now, written where it differs."""
    changed, last = 0, 0
    while True:
        rows = bind.execute(sa.select(customers.c.id, customers.c.name, customers.c.email, customers.c.search_text)
                            .where(customers.c.id > last, customers.c.erased_at.is_(None))
                            .order_by(customers.c.id).limit(BATCH * 4)).all()
        updates = [{"row_id": row.id, "old_name": row.name, "old_email": row.email, "folded": folded}
                   for row in rows if (folded := customer_search_text(row.name, row.email)) != row.search_text]
        if updates:
            changed += bind.execute(customers.update().where(customers.c.id == sa.bindparam("row_id"),
                                                             customers.c.name == sa.bindparam("old_name"),
                                                             customers.c.email == sa.bindparam("old_email"))
                                    .values(search_text=sa.bindparam("folded")), updates).rowcount
        if len(rows) < BATCH * 4:
            return changed
        last = rows[-1].id


def reindex_tickets(bind: sa.Connection) -> int:
    """The tickets whose text the new rules change (their customer has merged duplicates, or their text holds an
    invisible character or fills the column), re-indexed as `index_ticket` does, written where it differs."""
    kept = sa.select(customers.c.merged_into_id).where(customers.c.merged_into_id.is_not(None))
    stale = sa.or_(tickets.c.customer_id.in_(kept), sa.func.length(search.c.text) >= MAX_SEARCH_CHARS,
                   *(search.c.text.contains(c) for c in sorted(INVISIBLE)))
    changed, last = 0, 0
    while True:  # ordered by id from the last one: each batch resumes the scan where the one before stopped
        rows = bind.execute(sa.select(tickets.c.id, tickets.c.subject, tickets.c.customer_id, customers.c.name,
                                      customers.c.email, search.c.text)
                            .join(customers, customers.c.id == tickets.c.customer_id)
                            .join(search, search.c.ticket_id == tickets.c.id)
                            .where(tickets.c.id > last, customers.c.erased_at.is_(None), stale)
                            .order_by(tickets.c.id).limit(BATCH)).all()
        if not rows:
            return changed
        bodies: dict[int, list[str]] = {}
        for ticket_id, body in bind.execute(sa.select(messages.c.ticket_id, messages.c.body)
                                            .where(messages.c.ticket_id.in_([r.id for r in rows]))
                                            .order_by(messages.c.id)):
            bodies.setdefault(ticket_id, []).append(body)
        duplicates: dict[int, list[tuple[str | None, str]]] = {}
        for kept_id, name, email in bind.execute(
                sa.select(customers.c.merged_into_id, customers.c.name, customers.c.email)
                .where(customers.c.merged_into_id.in_({r.customer_id for r in rows})).order_by(customers.c.id)):
            duplicates.setdefault(kept_id, []).append((name, email))
        merged = {customer_id: merged_text(pairs) for customer_id, pairs in duplicates.items()}
        updates = []
        for row in rows:
            text = thread_text(row.subject, row.name, row.email, merged.get(row.customer_id, ""),
                               bodies.get(row.id, []))
            if text != row.text:
                updates.append({"row_id": row.id, "old_text": row.text, "new_text": text})
        if updates:
            changed += bind.execute(search.update().where(search.c.ticket_id == sa.bindparam("row_id"),
                                                          search.c.text == sa.bindparam("old_text"))
                                    .values(text=sa.bindparam("new_text")), updates).rowcount
        last = rows[-1].id


def tidy_view_names(bind: sa.Connection) -> int:
    """Every saved view's name as `tidy_name` makes it now; a name that becomes empty or another view's of the same
    owner is numbered (`free_name`). The owner's other keys, old and new, are all kept free, so no update meets the
    unique (agent_id, name_key) rule whatever the order."""
    changed, last = 0, 0
    while True:
        rows = bind.execute(sa.select(views.c.id, views.c.agent_id, views.c.name).where(views.c.id > last)
                            .order_by(views.c.id).limit(BATCH * 4)).all()
        owners = sorted({row.agent_id for row in rows if tidy_name(row.name) != row.name})
        for agent_id in owners:  # at most KB_SAVED_VIEWS_PER_AGENT views each
            changed += tidy_owner(bind, agent_id)
        if len(rows) < BATCH * 4:
            return changed
        last = rows[-1].id


def tidy_owner(bind: sa.Connection, agent_id: int) -> int:
    """One owner's views tidied (each in id order, a renamed one logged); how many names changed."""
    mine = bind.execute(sa.select(views.c.id, views.c.name, views.c.name_key).where(views.c.agent_id == agent_id)
                        .order_by(views.c.id)).all()
    taken = {row.name_key for row in mine}
    changes = []
    for row in mine:
        name = tidy_name(row.name)
        if name == row.name:
            continue
        key = name_key(name)
        if not name or (key != row.name_key and key in taken):  # its own key (only spaces went) is its own
            name = free_name(name or UNNAMED, taken, NAME)
            key = name_key(name)
            log.warning("saved view %d of agent %d: %r is %s once invisible characters are dropped; renamed %r",
                        row.id, agent_id, row.name, "empty" if not tidy_name(row.name) else "named like another of "
                        "theirs", name)
        else:
            log.info("saved view %d of agent %d: %r is now %r", row.id, agent_id, row.name, name)
        taken.add(key)
        changes.append({"row_id": row.id, "new_name": name, "key": key})
    if changes:
        bind.execute(views.update().where(views.c.id == sa.bindparam("row_id"))
                     .values(name=sa.bindparam("new_name"), name_key=sa.bindparam("key")), changes)
    return len(changes)


def downgrade() -> None:
    pass  # nothing to undo: no schema changed, and the texts and names written are what the older rules accept too
