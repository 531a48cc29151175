"""The customer as agents see them (Zendesk's user profile, Chatwoot's contact page): who they are, how often they
write, what they thought of the answers, every ticket of theirs, and the team's own notes about them.

The notes are internal: the agents' page, the ticket page's customer card and the API (an operator's token) show
them; no customer page and no mail does. Every method is one transaction; reads write nothing.

The list of every customer (Zendesk's "Customers", Chatwoot's "Contacts") is sorted and counted in SQL: the page's
ids first, ordered from the customers' own columns (`last_contact_at`, kept on every customer message; the name) or
one grouped pass over the tickets' customer index (the ticket count), then the counts and languages of those 25
customers only, never tickets loaded into Python (bench/customer_list_bench.py times it over 50,000 customers). Its
search folds as the inbox search does (desk.ticket_search): every term must be in the customer's `search_text` or in
that of a customer merged into them (an agent searches by the address the customer wrote from).

Every edit (name, notes, email, country) is an audit event (desk.audit, "customer_edited") in the edit's own
transaction: the fields that changed, old and new for name, email and country, and for the notes only that they
changed (their text is the team's, not the log's). An edit made from the profile as it was at an older `version`
(another agent saved meanwhile) is refused naming the fields that changed since (`StaleEditError`), where the last
save used to win silently.

A customer who wrote from two addresses is two customers until an admin merges the duplicate into the one kept (`merge`;
Zendesk's "merge users", Chatwoot's "merge contacts"): the duplicate's tickets (and so their messages) move, its notes
are appended to the kept one's under a line naming it, the kept one's name and country win when set, and the kept one's
organization stays (the duplicate leaves its own), and the duplicate's row stays as a pointer (`merged_into_id`), out of
the list and its search: its email is still unique to it, so whatever maps an address to a customer
(`TicketStore._customer` for mail, the forms and the API, "My tickets", the magic link) reaches it and follows the
pointer to the kept customer. Its name and address stay findable: the customer list's search and the inbox's (every
ticket of the kept customer) find them by it. Both rows are locked first (`lock_row`, lower id first) so two merges at
once are one after the other, and the second sees the first's result; a new ticket for either locks its customer too
(`TicketStore._customer`), so it lands before the merge moves the tickets or after it, on the kept customer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from babel import Locale
from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload

from desk.audit import SYSTEM, Actor, record
from desk.database import Database, lock_row
from desk.field_values import CUSTOMER_VALUES, fill_blanks
from desk.models import CsatSurvey, Customer, Message, Ticket, TicketCc, TicketCcChange, TicketSearchText, as_utc
from desk.organizations import domain_organization
from desk.ticket_search import customer_search_text, index_ticket, merged_search_text, search_terms
from desk.tickets import MAX_NAME, MAX_ROW_ID, InputError, clean_email, clean_text, row_by_id
from desk.translatable import N_
from kb.message_text import CONTROL_CHARACTERS

# A few paragraphs (Zendesk's user notes): what an agent should know before answering, not a second thread.
MAX_NOTES = 5_000
# Tickets counted as solved on the profile: solved, and closed (final; a merged duplicate is closed too).
DONE = ("solved", "closed")
# What `customers.country` holds (String(2)): an ISO 3166-1 alpha-2 code, upper case, as the API's `country` and
# the imports give it; CLDR's (Babel's) list of them, less its placeholders (EU, EZ, UN: groupings; ZZ: unknown).
COUNTRIES = tuple(sorted(code for code in map(str, Locale("en").territories)
                         if len(code) == 2 and code.isalpha() and code not in ("EU", "EZ", "UN", "ZZ", "QO")))
# The customer list's orders: the newest contact first (default), by name (A-Z; a customer without one by email), or
# the most tickets first; each then by id, so a page never repeats or skips a row between requests.
SORTS = ("last_contact", "name", "tickets")
MAX_QUERY = 200  # characters of a customer search read (the workspace's list and the API's), as the inbox keeps
# The profile's fields a stale save names as changed since (in the form's order).
PROFILE_FIELDS = ("name", "email", "country", "notes")


# How many kept customers a search term's merged duplicates may name as a list of ids (past it, a subquery).
MAX_KEPT_IDS = 500


class StaleEditError(InputError):
    """A profile save made from an older version of the customer (another agent saved, or a merge landed, since the
    page was read): nothing written. `fields` are those whose stored value differs from what the page was read with
    (empty when the saver did not say what it read: the API's `version` alone); `version` is the current one, which
    the page carries on so the agent can save again once they have looked."""

    def __init__(self, fields: list[str], version: int, seen: int) -> None:
        if fields:
            super().__init__("version", N_("another agent saved this customer since you opened the page (%(fields)s "
                                           "changed); your text is kept: check it and save again"),
                             fields=", ".join(fields))
        else:
            super().__init__("version", N_("another agent saved this customer since version %(seen)s (now "
                                           "%(version)s); read it again and save"), seen=seen, version=version)
        self.fields = fields
        self.version = version


def notes_digest(notes: str | None) -> str:
    """The notes as the profile form carries what it read (not their 5,000 characters a second time): a hash."""
    return hashlib.sha256((notes or "").encode()).hexdigest()[:32]


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: the customer kept (its row after the merge), the duplicate's id and how many tickets moved."""

    kept: Customer
    duplicate_id: int
    tickets: int


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


@dataclass(frozen=True)
class CustomerRow:
    """One row of the customer list: the customer and what their tickets add up to (counted in SQL)."""

    id: int
    name: str
    email: str
    country: str | None
    languages: list[str]  # their tickets' languages, most tickets first
    open: int
    total: int
    last_contact: datetime  # as the profile's: their newest message, else their first ticket, else the row's creation


class CustomerList(NamedTuple):
    """One page of customers and how many the search finds in all (webapp.paging reads `total`)."""

    rows: list[CustomerRow]
    total: int


def clean_country(value: object) -> str | None:
    """A country as stored: an ISO 3166-1 alpha-2 code (any case typed, stored upper case), or None for empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = value.strip().upper() if isinstance(value, str) else value
    if not isinstance(code, str) or code not in COUNTRIES:
        raise InputError("country", N_("%(value)s is not a two-letter country code (ISO 3166-1)"),
                         value=repr(str(value)[:40]))
    return code


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
            if customer is None or customer.merged_into_id is not None:  # merged away: the kept one's profile
                return None
            if customer.erased_at is not None:  # desk.erasure: the page says when and by whom, nothing else
                return None
            mine = Ticket.customer_id == customer_id
            by_status: dict[str, int] = {status: n for status, n in session.execute(
                select(Ticket.status, func.count()).where(mine).group_by(Ticket.status))}
            languages = [lang for lang, _ in session.execute(
                select(Ticket.lang, func.count().label("n")).where(mine).group_by(Ticket.lang)
                .order_by(func.count().desc(), Ticket.lang))]
            first = session.scalar(select(func.min(Ticket.created_at)).where(mine))
            last = customer.last_contact_at  # their newest message, kept on every one (desk.models), as the list's
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

    def page(self, query: str = "", sort: str = "last_contact", limit: int = 25, offset: int = 0) -> CustomerList:
        """One page of the customers whose name and email hold every term of `query` (folded as the inbox search
        folds; every customer for none), in `sort` order (SORTS), and how many match in all."""
        if sort not in SORTS:
            raise InputError("sort", N_("must be one of %(allowed)s, not %(value)s"), allowed=", ".join(SORTS),
                             value=repr(sort[:40]))
        limit, offset = max(0, min(limit, 1000)), max(0, min(offset, MAX_ROW_ID))
        terms = search_terms(query[:MAX_QUERY].replace("\x00", ""))  # PostgreSQL's text holds no NUL
        # A merged duplicate is gone from the list and its search (its row only maps its email to the kept one); its
        # name and address find the kept customer: each term in theirs or in a duplicate's. The duplicates a term
        # finds are read first, over the merged rows alone (the merged_into index), and the kept ids given as a list:
        # a subquery in the WHERE, tried on every row, cost 50,000 customers' search 15-25 ms more (bench/RESULTS.md,
        # session 31); a desk with no merges pays one index lookup a term.
        merged = aliased(Customer)

        def term(session: Session, t: str) -> ColumnElement[bool]:
            own = Customer.search_text.contains(t, autoescape=True)
            duplicates = (select(merged.merged_into_id).distinct()
                          .where(merged.merged_into_id.is_not(None), merged.search_text.contains(t, autoescape=True)))
            kept = list(session.scalars(duplicates.limit(MAX_KEPT_IDS + 1)))
            if not kept:
                return own
            return or_(own, Customer.id.in_(kept if len(kept) <= MAX_KEPT_IDS else duplicates))

        # The page's ids first, ordered from the customers' own columns (the newest contact: an index; the name: a
        # sort of the matching rows) or, for the ticket count, one grouped pass over tickets' customer index; then
        # what the page shows, for its 25 customers only.
        ids = select(Customer.id)
        if sort == "last_contact":
            ids = ids.order_by(func.coalesce(Customer.last_contact_at, Customer.created_at).desc(), Customer.id.desc())
        elif sort == "name":
            ids = ids.order_by(func.lower(func.coalesce(func.nullif(Customer.name, ""), Customer.email)), Customer.id)
        else:
            counted = (select(Ticket.customer_id.label("customer_id"), func.count().label("n"))
                       .group_by(Ticket.customer_id).subquery())
            ids = (ids.outerjoin(counted, counted.c.customer_id == Customer.id)
                   .order_by(func.coalesce(counted.c.n, 0).desc(), Customer.id.desc()))
        with self.db.session() as session:
            found = and_(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None),
                         *(term(session, t) for t in terms))
            how_many = select(func.count()).select_from(Customer)
            total = session.scalar(how_many.where(found)) or 0
            shown = list(session.scalars(ids.where(found).limit(limit).offset(offset)))
            if not shown:
                return CustomerList([], total)
            customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(shown)))}
            counts = {i: (int(n), int(open_ or 0), first) for i, n, open_, first in session.execute(
                select(Ticket.customer_id, func.count(), func.sum(case((Ticket.status.in_(DONE), 0), else_=1)),
                       func.min(Ticket.created_at))
                .where(Ticket.customer_id.in_(shown)).group_by(Ticket.customer_id))}
            languages: dict[int, list[str]] = {}
            for customer_id, lang in session.execute(
                    select(Ticket.customer_id, Ticket.lang).where(Ticket.customer_id.in_(shown))
                    .group_by(Ticket.customer_id, Ticket.lang)
                    .order_by(Ticket.customer_id, func.count().desc(), Ticket.lang)):
                languages.setdefault(customer_id, []).append(lang)
        rows = []
        for i in shown:
            c = customers[i]
            total_tickets, open_tickets, first = counts.get(i, (0, 0, None))
            last = c.last_contact_at or first or c.created_at  # as the profile: newest message, first ticket, row
            rows.append(CustomerRow(id=i, name=c.name, email=c.email, country=c.country,
                                    languages=languages.get(i, []), open=open_tickets, total=total_tickets,
                                    last_contact=as_utc(last)))
        return CustomerList(rows, total)

    def ticket_ids(self, customer_id: int) -> list[tuple[int, str]]:
        """Every ticket of the customer as (id, reference), newest first: the API's list (a reference is the key
        the customer's own page and mail use)."""
        with self.db.session() as session:
            return [(i, r) for i, r in session.execute(
                select(Ticket.id, Ticket.reference).where(Ticket.customer_id == customer_id)
                .order_by(Ticket.created_at.desc(), Ticket.id.desc()))]

    def edit(self, customer_id: int, name: object, notes: object, email: object = None, country: object = None,
             by: Actor = SYSTEM, version: int | None = None, seen: dict[str, str] | None = None) -> Customer:
        """Set the display name, the agents' notes and, when given (not None), the email and the country: all checked
        (length, control characters, a name on one line, an email address no other customer has, a country code)
        before any is written; an empty name shows the email, as a customer without one always did. What changed is
        one audit event by `by`, committed with the edit; nothing changed, no event. A clash on the email, found
        first or by the unique index (another edit took the address meanwhile), is an InputError on "email" naming
        the customer who has it.

        `version` (the profile's, as the page or the API client read it): when given and the customer has been saved
        since (another agent's edit, a merge into them), nothing is written and `StaleEditError` names the fields
        whose stored value differs from `seen` (what the page was read with: PROFILE_FIELDS, the notes as
        `notes_digest`). The row is locked before it is read, so two saves from one version are one saved and one
        refused, never both written. A saved change counts the version up. A merged duplicate is refused (its
        profile is the kept customer's now)."""
        clean_name = clean_customer_text("name", name, MAX_NAME, one_line=True)
        clean_notes = clean_customer_text("notes", notes, MAX_NOTES, one_line=False) or None
        clean_address = clean_email(email) if email is not None else None
        clean_code = clean_country(country) if country is not None else None

        def write(session: Session) -> Customer:
            customer = row_by_id(session, Customer, customer_id)
            if customer is None:
                raise InputError("customer", N_("no such customer"))
            if clean_address is not None and clean_address != customer.email:
                self._refuse_taken(session, clean_address, customer_id)
            # Held from here to the commit, and read again: the version checked is the one the write follows (a
            # refusal above wrote nothing at all).
            lock_row(session, Customer, customer_id)
            session.refresh(customer)
            if customer.merged_into_id is not None:
                raise MergedAwayError("customer", customer)
            if customer.erased_at is not None:
                raise InputError("customer", N_("customer #%(id)s was erased"), id=customer.id)
            if version is not None and customer.version != version:
                raise StaleEditError(changed_since(customer, seen or {}), customer.version, version)
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            wanted: dict[str, str | None] = {"name": clean_name}
            if email is not None:
                wanted["email"] = clean_address
            if country is not None:
                wanted["country"] = clean_code
            for field, value in wanted.items():
                if getattr(customer, field) != value:
                    before[field], after[field] = getattr(customer, field), value
                    setattr(customer, field, value)
            if customer.notes != clean_notes:  # that they changed, never the text
                after["notes"] = "added" if customer.notes is None else "cleared" if clean_notes is None else \
                    "changed"
                customer.notes = clean_notes
            customer.search_text = customer_search_text(customer.name, customer.email)
            if "email" in after and not customer.organization_manual:  # the new address's domain decides
                customer.organization_id = domain_organization(session, customer.email)
            if "name" in after or "email" in after:  # the inbox search finds their tickets by the new ones
                for ticket in session.scalars(select(Ticket).where(Ticket.customer_id == customer_id)):
                    index_ticket(session, ticket)
            if after:
                customer.version += 1
                record(session, by, "customer_edited", "customer", customer_id, before=before, after=after)
            session.flush()  # the unique index speaks here, inside the try below
            return customer

        try:
            return self.db.write(write)  # again while the database is busy (SQLite's one writer)
        except IntegrityError:
            if clean_address is None:
                raise
            with self.db.session() as session:
                self._refuse_taken(session, clean_address, customer_id)
            raise

    def merge(self, duplicate_id: int, kept_id: int, by: Actor = SYSTEM,
              heading: str = "Notes merged from customer #%(id)s (%(name)s, %(email)s):") -> MergeResult:
        """Merge the customer `duplicate_id` into `kept_id` (the module's docstring says what moves) in one
        transaction, with one `customer_merged` audit event by `by` (the duplicate the subject; the kept id, how many
        tickets moved and which of the kept one's empty fields the duplicate filled; never the notes' text). The
        duplicate's notes are appended to the kept one's under `heading` (filled with the duplicate's id, name and
        email; the caller's language: the workspace passes it translated). Refused with an InputError naming the
        field: into itself ("into"), a customer that does not exist ("customer", "into") or was merged away (either),
        notes that together would be over MAX_NOTES ("notes": nothing is cut). The kept customer's search text,
        last contact and version, and the moved tickets' inbox search text, are refreshed in the same transaction."""
        if duplicate_id == kept_id:
            raise InputError("into", N_("a customer cannot be merged into itself"))

        def write(session: Session) -> MergeResult:
            for row_id in sorted((duplicate_id, kept_id)):  # one order for every merge: two at once never deadlock
                lock_row(session, Customer, row_id)
            duplicate, kept = row_by_id(session, Customer, duplicate_id), row_by_id(session, Customer, kept_id)
            if duplicate is None:
                raise InputError("customer", N_("no customer #%(id)s"), id=duplicate_id)
            if kept is None:
                raise InputError("into", N_("no customer #%(id)s"), id=kept_id)
            if duplicate.merged_into_id is not None:
                raise MergedAwayError("customer", duplicate)
            if kept.merged_into_id is not None:
                raise MergedAwayError("into", kept)
            for field, row in (("customer", duplicate), ("into", kept)):
                if row.erased_at is not None:  # erased meanwhile (desk.erasure): nothing of theirs to merge
                    raise InputError(field, N_("customer #%(id)s was erased"), id=row.id)
            notes, had_notes = kept.notes, bool(duplicate.notes)
            if duplicate.notes:
                marked = heading % {"id": duplicate.id, "name": duplicate.name or duplicate.email,
                                    "email": duplicate.email} + "\n" + duplicate.notes
                notes = f"{notes}\n\n{marked}" if notes else marked
                if len(notes) > MAX_NOTES:
                    raise InputError("notes", N_("together the two customers' notes would be %(length)s characters, "
                                                 "over the %(limit)s allowed: shorten one first"),
                                     length=f"{len(notes):,}", limit=f"{MAX_NOTES:,}")
            filled = {field: getattr(duplicate, field) for field in ("name", "country")
                      if not getattr(kept, field) and getattr(duplicate, field)}
            for field, value in filled.items():
                setattr(kept, field, value)
            kept.notes = notes
            contacts = [when for when in (kept.last_contact_at, duplicate.last_contact_at) if when is not None]
            kept.last_contact_at = max(contacts, key=as_utc) if contacts else None
            kept.search_text = customer_search_text(kept.name, kept.email)
            kept.version += 1
            # The kept one's own tickets gain the duplicate's (and its earlier duplicates') name and address in their
            # search text, appended in one statement: the inbox finds them by either address (ticket_search).
            if "name" not in filled:
                gained = " ".join(filter(None, (customer_search_text(duplicate.name, duplicate.email),
                                                merged_search_text(session, duplicate.id))))
                session.execute(update(TicketSearchText)
                                .where(TicketSearchText.ticket_id.in_(select(Ticket.id)
                                                                      .where(Ticket.customer_id == kept.id)))
                                .values(text=TicketSearchText.text + " " + gained))
            duplicate.merged_into_id, duplicate.notes, duplicate.version = kept.id, None, duplicate.version + 1
            # The kept customer's organization stays theirs (desk.organizations); the duplicate, out of every list,
            # leaves its own.
            duplicate.organization_id, duplicate.organization_manual = None, False
            session.flush()
            # Earlier duplicates of the duplicate point at the kept customer now: one hop, never a chain.
            session.execute(update(Customer).where(Customer.merged_into_id == duplicate.id)
                            .values(merged_into_id=kept.id))
            # The tickets move as they are: their updated_at kept (a merge is no activity on them).
            moving = list(session.scalars(select(Ticket).where(Ticket.customer_id == duplicate.id)))
            moved = session.execute(update(Ticket).where(Ticket.customer_id == duplicate.id)
                                    .values(customer_id=kept.id, updated_at=Ticket.updated_at)).rowcount  # type: ignore[attr-defined]
            # CC rows follow (desk.ccs): the duplicate's become the kept one's, unless the kept one is already copied on
            # that ticket or is now its customer; a CC's messages and the CC history name the kept one.
            for cc in list(session.scalars(select(TicketCc).where(TicketCc.customer_id == duplicate.id))):
                requester = session.scalar(select(Ticket.customer_id).where(Ticket.id == cc.ticket_id))
                if requester == kept.id or session.get(TicketCc, (cc.ticket_id, kept.id)) is not None:
                    session.delete(cc)
                else:
                    session.execute(update(TicketCc).where(TicketCc.ticket_id == cc.ticket_id,
                                                           TicketCc.customer_id == duplicate.id)
                                    .values(customer_id=kept.id))
            session.execute(delete(TicketCc).where(  # the kept one copied on a ticket that is now their own
                TicketCc.customer_id == kept.id,
                TicketCc.ticket_id.in_(select(Ticket.id).where(Ticket.customer_id == kept.id))))
            session.execute(update(Message).where(Message.cc_customer_id == duplicate.id)
                            .values(cc_customer_id=kept.id))
            session.execute(update(TicketCcChange).where(TicketCcChange.customer_id == duplicate.id)
                            .values(customer_id=kept.id))
            session.expire_all()  # the moved tickets' customer as it now is, for their search text
            # The moved tickets' inbox search text now holds the kept one's name and email; the kept one's own
            # tickets change only when the duplicate filled their name (their email stays).
            reindexed = (session.scalars(select(Ticket).where(Ticket.customer_id == kept.id)) if "name" in filled
                         else moving)
            for ticket in reindexed:
                index_ticket(session, ticket)
            # Customer fields (desk.customer_fields): the kept one's values stay, their blanks take the duplicate's
            # (a "customer_fields_changed" event on the kept one, as any change); the duplicate keeps its own.
            taken = fill_blanks(session, duplicate.id, kept.id, by, CUSTOMER_VALUES)
            after: dict[str, Any] = {"merged_into": kept.id, "tickets": moved}
            after.update({field: "filled" for field in filled})
            if taken:
                after["fields"] = sorted(taken)
            if had_notes:
                after["notes"] = "appended"  # that they were, never their text
            record(session, by, "customer_merged", "customer", duplicate.id, after=after)
            session.flush()
            return MergeResult(kept, duplicate_id, moved)

        return self.db.write(write)  # again while the database is busy

    def email_holder(self, session: Session, email: str, customer_id: int) -> Customer | None:
        """Another customer whose email is `email` (the check before the write; the unique index backs it)."""
        return session.scalar(select(Customer).where(Customer.email == email, Customer.id != customer_id))

    def _refuse_taken(self, session: Session, email: str, customer_id: int) -> None:
        other = self.email_holder(session, email, customer_id)
        if other is not None:
            raise InputError("email", N_("%(email)s is already the email of customer #%(id)s (%(name)s)"),
                             email=email, id=other.id, name=other.name or other.email)


class MergedAwayError(InputError):
    """A write to (or a merge into) a customer who was merged into another: named, with where to (`into`)."""

    def __init__(self, field: str, customer: Customer) -> None:
        super().__init__(field, N_("customer #%(id)s was merged into customer #%(into)s"), id=customer.id,
                         into=customer.merged_into_id)
        self.into = customer.merged_into_id


class ErasedError(InputError):
    """The customer was erased already (desk.erasure): nothing to do or change (named, with when)."""

    def __init__(self, customer: Customer) -> None:
        super().__init__("customer", N_("customer #%(id)s was erased already"), id=customer.id)


def live_customer(session: Session, customer_id: int) -> Customer:
    """The customer a change is about, in the caller's transaction; refused naming "customer" when there is no such
    customer, they were merged into another (`MergedAwayError`) or erased (`ErasedError`): an erase, a customer
    fields' save."""
    customer = row_by_id(session, Customer, customer_id)
    if customer is None:
        raise InputError("customer", N_("no customer #%(id)s"), id=customer_id)
    if customer.merged_into_id is not None:
        raise MergedAwayError("customer", customer)
    if customer.erased_at is not None:
        raise ErasedError(customer)
    return customer


def changed_since(customer: Customer, seen: dict[str, str]) -> list[str]:
    """The profile fields whose stored value is not what the page was read with (`seen`; the notes as their digest)."""
    now = {"name": customer.name or "", "email": customer.email, "country": customer.country or "",
           "notes": notes_digest(customer.notes)}
    return [field for field in PROFILE_FIELDS if field in seen and seen[field] != now[field]]
