"""The inbox's full-text search: each ticket's subject, messages and customer folded into one text.

Folding is the help center search's own (kb.arabic.normalize_arabic: hamza, alef maqsura, ta marbuta,
diacritics, tatweel, Arabic-Indic digits) plus case folding, applied once when a ticket is written
and to each search term, so "الإسترجاع" finds "الاسترجاع" and "REFUND" finds "refund". A search is one
`LIKE '%term%'` per term (all must match) over the `ticket_search` table: plain SQL that runs the same
on SQLite and PostgreSQL and needs no FTS extension. Over 50,000 tickets on SQLite it took a median
95 ms, p95 222 ms per search (`bench/workspace_bench.py`, bench/RESULTS.md): a full scan of the
folded text, acceptable at this size; FTS5 / tsvector is the next step past a few hundred thousand.
Substring matching also finds Arabic words under their clitics (حساب in وبحسابي), which a token
index would miss without a stemmer.

Stored text keeps the rule it was written with: a change to what these functions produce needs a migration rewriting
what is stored (`search_text_refold` brought rows to session 31's rules). That migration calls `thread_text`,
`merged_text` and `customer_search_text` with plain values it read by SQL, never the ORM (a later model has columns
an older schema lacks): keep them taking plain values.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from desk.models import Customer, Ticket, TicketSearchText
from kb.arabic import normalize_arabic
from kb.bidi_text import without_invisible

MAX_TERMS = 8
MAX_SEARCH_CHARS = 200_000  # a pasted log does not make every search slower


def fold_for_search(text: str) -> str:
    """`text` as searches compare it: Arabic folded, case folded, invisible characters (a bidi mark, a zero-width
    space pasted with a name) dropped, whitespace runs one space."""
    return " ".join(normalize_arabic(without_invisible(text)).casefold().split())


def customer_search_text(name: str | None, email: str) -> str:
    """A customer's name and email folded as a ticket's text is (the customer list's search, desk.customers), within
    the column's 600 characters."""
    return fold_for_search(f"{name or ''} {email}")[:600]


def search_terms(query: str) -> list[str]:
    """The folded words of an agent's query (at most MAX_TERMS; single letters dropped)."""
    return [t for t in fold_for_search(query).split() if len(t) > 1][:MAX_TERMS]


def merged_text(duplicates: Iterable[tuple[str | None, str]]) -> str:
    """The folded names and addresses of a customer's merged duplicates (name, email; in id order), as
    `merged_search_text` reads them."""
    return " ".join(customer_search_text(name, email) for name, email in duplicates)


def merged_search_text(session: Session, customer_id: int) -> str:
    """The names and addresses of the customers merged into `customer_id` (desk.customers.merge), folded: their
    tickets' text and the customer list carry them, so an agent still finds the kept customer by the address they
    wrote from before the merge. Empty for a customer nobody was merged into."""
    return merged_text(session.execute(  # type: ignore[arg-type]
        select(Customer.name, Customer.email).where(Customer.merged_into_id == customer_id).order_by(Customer.id)))


def thread_text(subject: str, name: str | None, email: str, merged: str, bodies: Iterable[str]) -> str:
    """A ticket's folded search text from plain values: its subject, its customer's name and email, `merged` (the
    customer's `merged_text`) and its messages' bodies in id order (the migration search_text_refold calls it with
    rows it read, no ORM: keep it taking plain values)."""
    return fold_for_search("\n".join([subject, name or "", email, merged, *bodies]))[:MAX_SEARCH_CHARS]


def ticket_text(ticket: Ticket, merged: str = "") -> str:
    """The ticket's folded search text; `merged`: its customer's `merged_search_text`."""
    customer = ticket.customer
    return thread_text(ticket.subject, customer.name, customer.email, merged, (m.body for m in ticket.messages))


def index_ticket(session: Session, ticket: Ticket) -> None:
    """Refresh the ticket's search text inside the caller's transaction (so it never lags the thread)."""
    session.flush()
    row = session.get(TicketSearchText, ticket.id)
    text = ticket_text(ticket, merged_search_text(session, ticket.customer_id))
    if row is None:
        session.add(TicketSearchText(ticket_id=ticket.id, text=text))
    else:
        row.text = text


def matches(query: str) -> ColumnElement[bool] | None:
    """A WHERE clause for tickets whose text holds every term of `query`; None when it has no terms."""
    terms = search_terms(query)
    if not terms:
        return None
    text = select(TicketSearchText.ticket_id).where(
        and_(*(TicketSearchText.text.contains(t, autoescape=True) for t in terms))
    )
    return Ticket.id.in_(text)
