"""The customer as agents see them (Zendesk's user profile, Chatwoot's contact page): who they are, how often they
write, what they thought of the answers, every ticket of theirs, and the team's own notes about them.

The notes are internal: the agents' page, the ticket page's customer card and the API (an operator's token) show
them; no customer page and no mail does. Every method is one transaction; reads write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from desk.database import Database
from desk.models import CsatSurvey, Customer, Message, Ticket, as_utc
from desk.tickets import MAX_NAME, MAX_ROW_ID, InputError, clean_text, row_by_id
from desk.translatable import N_
from kb.message_text import CONTROL_CHARACTERS

# A few paragraphs (Zendesk's user notes): what an agent should know before answering, not a second thread.
MAX_NOTES = 5_000
# Tickets counted as solved on the profile: solved, and closed (final; a merged duplicate is closed too).
DONE = ("solved", "closed")


@dataclass(frozen=True)
class CustomerProfile:
    """One page of the customer's profile: the row, what their tickets add up to, and `tickets` (newest first)."""

    customer: Customer
    languages: list[str]  # their tickets' languages, most tickets first
    first_contact: datetime  # their first ticket (an import may be older than the row), else the row's creation
    last_contact: datetime  # their newest message, else first_contact
    open: int  # not solved yet (new, open, pending, on hold)
    solved: int  # solved or closed
    total: int
    csat_answers: int  # satisfaction surveys they answered, on any of their tickets
    csat_average: float | None  # their answers' mean rating (1-5), None without one
    tickets: list[Ticket]  # this page's, with assignee loaded


def clean_customer_text(field: str, value: object, limit: int, one_line: bool) -> str:
    """`value` as stored (`clean_text`, empty allowed), refused naming `field` when it holds a control character
    (a BEL or ESC in a name reaches logs and terminals; dropping it silently would store what the agent did not
    see) or, for a `one_line` field (a name), a line break or tab."""
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            raise InputError(field, N_("contains a control character"))
        # A lone CR (an old Mac's line break, or a crafted form) was stored as it came: in `kb` output it returns the
        # cursor and the rest of the line overwrites what came before. It is a line break.
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    text = clean_text(field, value, limit, required=False)
    if one_line and any(c in text for c in "\n\t\u2028\u2029"):  # the Unicode line and paragraph separators too
        raise InputError(field, N_("must be one line"))
    return text


class Customers:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, customer_id: int) -> Customer | None:
        with self.db.session() as session:
            return row_by_id(session, Customer, customer_id)

    def profile(self, customer_id: int, limit: int = 25, offset: int = 0) -> CustomerProfile | None:
        """The customer's profile with one page of their tickets (newest first), or None for no such customer."""
        limit, offset = max(0, min(limit, 1000)), max(0, min(offset, MAX_ROW_ID))
        with self.db.session() as session:
            customer = row_by_id(session, Customer, customer_id)
            if customer is None:
                return None
            mine = Ticket.customer_id == customer_id
            by_status: dict[str, int] = {status: n for status, n in session.execute(
                select(Ticket.status, func.count()).where(mine).group_by(Ticket.status))}
            languages = [lang for lang, _ in session.execute(
                select(Ticket.lang, func.count().label("n")).where(mine).group_by(Ticket.lang)
                .order_by(func.count().desc(), Ticket.lang))]
            first = session.scalar(select(func.min(Ticket.created_at)).where(mine))
            last = session.scalar(select(func.max(Message.created_at)).join(Ticket, Message.ticket_id == Ticket.id)
                                  .where(mine, Message.author == "customer"))
            answers, average = session.execute(
                select(func.count(CsatSurvey.rating), func.avg(CsatSurvey.rating))
                .join(Ticket, CsatSurvey.ticket_id == Ticket.id).where(mine, CsatSurvey.rating.is_not(None))
            ).one()
            tickets = list(session.scalars(
                select(Ticket).where(mine).options(joinedload(Ticket.assignee))
                .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit).offset(offset)))
        first_contact = as_utc(first) if first is not None else as_utc(customer.created_at)
        return CustomerProfile(
            customer=customer, languages=languages, first_contact=first_contact,
            last_contact=as_utc(last) if last is not None else first_contact,
            open=sum(n for status, n in by_status.items() if status not in DONE),
            solved=sum(by_status.get(status, 0) for status in DONE), total=sum(by_status.values()),
            csat_answers=answers or 0, csat_average=float(average) if average is not None else None,
            tickets=tickets,
        )

    def ticket_ids(self, customer_id: int) -> list[tuple[int, str]]:
        """Every ticket of the customer as (id, reference), newest first: the API's list (a reference is the key
        the customer's own page and mail use)."""
        with self.db.session() as session:
            return [(i, r) for i, r in session.execute(
                select(Ticket.id, Ticket.reference).where(Ticket.customer_id == customer_id)
                .order_by(Ticket.created_at.desc(), Ticket.id.desc()))]

    def edit(self, customer_id: int, name: object, notes: object) -> Customer:
        """Set the display name and the agents' notes: both checked (length, control characters, a name on one
        line) before either is written; an empty name shows the email, as a customer without one always did."""
        clean_name = clean_customer_text("name", name, MAX_NAME, one_line=True)
        clean_notes = clean_customer_text("notes", notes, MAX_NOTES, one_line=False)
        with self.db.session() as session:
            customer = row_by_id(session, Customer, customer_id)
            if customer is None:
                raise InputError("customer", N_("no such customer"))
            customer.name, customer.notes = clean_name, clean_notes or None
            return customer
