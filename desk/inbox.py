"""The agents' inbox: saved views with counts, filters, full-text search, sorting and pages.

A view is a named filter an agent returns to all day ("mine", "my teams' tickets", "unassigned", "due
today", "Arabic, unassigned", "mentions"); filters (status, language, team, tag, search, "side conversation
replied": a third party's reply nobody read, desk.side_conversations; problems, incidents of a problem:
desk.problems) narrow any view, and an
agent may save a view with its filters under a name (desk.saved_views), counted by the same clauses.
Every view but "all" holds only unsolved tickets: a solved ticket is nobody's work; and every view but "all" and
"snoozed" leaves out the tickets an agent snoozed (desk.snooze) until they wake. A ticket with no team
stored (one from before routing) is the default team's, in the team filter and in "my teams' tickets" alike.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Numeric, String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import joinedload, selectinload

from desk.business_hours import BusinessHours
from desk.database import Database
from desk.models import (
    TICKET_STATUSES,
    AgentTeam,
    Customer,
    CustomerFieldValue,
    Mention,
    SideConversation,
    Ticket,
    TicketFieldValue,
    TicketPresence,
    TicketSkill,
    TicketTag,
    as_utc,
    utcnow,
)
from desk.ticket_search import matches
from kb.customer_fields import CUSTOMER_PREFIX
from kb.ticket_fields import STORED_NUMBER, STORED_NUMBER_CHARS

VIEWS = ("unsolved", "mine", "my_teams", "unassigned", "due_today", "arabic_unassigned", "mentions", "snoozed", "all")
SORTS = ("updated", "created", "due", "priority")
UNSOLVED = ("new", "open", "pending", "on_hold")
K = TypeVar("K")  # what a count is keyed by: a built-in view's name, a saved view's id
_PRIORITY_RANK = case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Ticket.priority, else_=4)


def team_clause(hours: BusinessHours, team: str) -> ColumnElement[bool]:
    """The team's tickets: those moved or routed to it, and for the default team those with none stored (a ticket
    from before routing). The inbox's team filter and the worker's auto-assign pass both ask it."""
    if team == hours.default:
        return or_(Ticket.team == team, Ticket.team.is_(None))
    return Ticket.team == team


def side_replied_clause() -> ColumnElement[bool]:
    """The tickets with a side conversation whose third party's reply nobody has read yet (desk.side_conversations):
    the inbox's "side conversation replied" filter, and its count for the assignee."""
    return Ticket.id.in_(select(SideConversation.ticket_id).where(SideConversation.unread.is_(True)))


FIELD_SORT = "field."  # a sort by a custom field's value: "field.<key>"
CUSTOMER_SORT = CUSTOMER_PREFIX  # by the ticket's customer's field: "customer.<key>" (as its column is named)
_FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # kb.ticket_fields.KEY_PATTERN, MAX_KEY


def field_sort_key(sort: str, prefix: str = FIELD_SORT) -> str | None:
    """The field key of a "field.<key>" sort (with `prefix` "customer.", of a customer field's), else None."""
    key = sort[len(prefix):] if sort.startswith(prefix) else ""
    return key if _FIELD_KEY.match(key) else None


def stored_sort_value(sort: str, shape: Callable[[Any], Any] = lambda column: column) -> Any:
    """A field sort's value as stored (text): "field.<key>" the ticket's, "customer.<key>" its customer's; None for
    any other sort. `shape` reads the stored column inside the subquery (a number field's cast)."""
    key, customer_key = field_sort_key(sort), field_sort_key(sort, CUSTOMER_SORT)
    if key is not None:
        return select(shape(TicketFieldValue.value)).where(
            TicketFieldValue.ticket_id == Ticket.id, TicketFieldValue.key == key).scalar_subquery()
    if customer_key is not None:
        return select(shape(CustomerFieldValue.value)).where(
            CustomerFieldValue.customer_id == Ticket.customer_id, CustomerFieldValue.key == customer_key
        ).scalar_subquery()
    return None


@dataclass(frozen=True)
class InboxQuery:
    view: str = "unsolved"
    status: str | None = None  # one of TICKET_STATUSES, None for the view's own
    lang: str | None = None
    team: str | None = None  # a team key of the business-hours file (or one it no longer has)
    tag: str | None = None
    q: str = ""
    sort: str = "updated"
    # Custom ticket fields (key, value as stored): each must hold. The inbox's page, the API and saved views
    # (desk.saved_views) set it.
    fields: tuple[tuple[str, str], ...] = ()
    # Customer fields (desk.customer_fields; key, value as stored): the ticket's customer must hold each. Set as
    # `fields` is (the inbox's `customer.<key>` selects, saved views).
    customer_fields: tuple[tuple[str, str], ...] = ()
    # Custom fields shown as columns (their keys, in order; a customer field's as "customer.<key>"): the page reads
    # each row's values. A sort may also be "field.<key>" or "customer.<key>" (by that field's value, tickets
    # without one last).
    columns: tuple[str, ...] = ()
    # An organization's id (desk.organizations): its members' tickets. The inbox's page and the API set it.
    organization: int | None = None
    # Only tickets with a side conversation whose third party's reply nobody read (desk.side_conversations).
    side_replied: bool = False
    # Only problem tickets; only the incidents of this problem (a ticket's id; desk.problems).
    problems: bool = False
    incidents_of: int | None = None
    # A skill's id (desk.skills): the tickets requiring it. Minus its id once deleted (a saved view's): nothing.
    skill: int | None = None

    def __post_init__(self) -> None:
        # Unknown values (a hand-edited URL) fall back to the defaults rather than erroring.
        if self.view not in VIEWS:
            object.__setattr__(self, "view", "unsolved")
        if self.sort not in SORTS and not field_sort_key(self.sort) and not field_sort_key(self.sort, CUSTOMER_SORT):
            object.__setattr__(self, "sort", "updated")
        if self.status not in TICKET_STATUSES:
            object.__setattr__(self, "status", None)
        # NUL is no character a person types, and PostgreSQL refuses it in text parameters.
        for name in ("lang", "team", "tag"):
            value = getattr(self, name)
            if value and "\x00" in value:
                object.__setattr__(self, name, value.replace("\x00", "") or None)
        if "\x00" in self.q:
            object.__setattr__(self, "q", self.q.replace("\x00", ""))


@dataclass(frozen=True)
class TicketListQuery:
    """The token API's ticket list (`Inbox.listing`): the inbox's filters (`filters`, view "all"), and an assignee
    (`unassigned`: none), a customer, a time since which tickets changed; ordered by `sort` ("updated", "created",
    or a field's "field.<key>" / "customer.<key>"), newest (largest) first unless not `descending`, after `after`
    (the page before's last ticket's sort key and id: its time, or its field's stored value, None for none)."""

    filters: InboxQuery = InboxQuery(view="all")
    assignee: int | None = None
    unassigned: bool = False
    customer: int | None = None
    updated_since: datetime | None = None
    sort: str = "updated"
    descending: bool = True
    after: tuple[datetime | str | None, int] | None = None


class Listing(NamedTuple):
    """A page of `Inbox.listing`: its tickets, whether more follow, the last ticket's sort key and id (the next
    page's `after`; None when empty) and how many tickets the query finds on all pages."""

    tickets: list[Ticket]
    more: bool
    last: tuple[datetime | str | None, int] | None
    total: int


@dataclass(frozen=True)
class InboxRow:
    ticket: Ticket
    mentions: int  # unseen notes mentioning this agent
    new_activity: bool  # assigned to this agent and updated since they last had it open
    overdue: bool  # the reply due time has passed
    fields: Mapping[str, str] = field(default_factory=dict)  # the query's columns' values (key -> as stored)
    side_reply: bool = False  # a side conversation's third-party reply nobody has read (desk.side_conversations)


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int


class Inbox:
    def __init__(self, db: Database, hours: BusinessHours | None = None, numbers: Iterable[str] = ()) -> None:
        self.db = db
        self.hours = hours or BusinessHours.from_mapping({})
        # The number fields' sorts ("field.<key>", "customer.<key>"): sorted as numbers, not as text.
        self.numbers = frozenset(numbers)

    def end_of_today(self, now: datetime, zone: ZoneInfo | None = None) -> datetime:
        """Midnight ending today on the reader's wall (`zone`: the agent's own), else the default team's."""
        zone = zone or self.hours.team().zone
        local = now.astimezone(zone)
        # In UTC: SQLite compares the stored (naive UTC) text, so a wall-clock midnight read as UTC counted a ticket
        # due at 22:00 UTC on the 4th (01:00 on the 5th in Riyadh) as due on the 4th.
        return datetime.combine(local.date() + timedelta(days=1), time(0), zone).astimezone(UTC)

    def view_clauses(
        self, view: str, agent_id: int, now: datetime, status: str | None = None, zone: ZoneInfo | None = None
    ) -> list[ColumnElement[bool]]:
        """The view's filter; `status` replaces its "unsolved" rule (e.g. "mine" and "pending"); "due today" ends at
        midnight in `zone` (the agent's), else the default team's."""
        if status:
            clauses: list[ColumnElement[bool]] = [Ticket.status == status]
        else:
            clauses = [] if view == "all" else [Ticket.status.in_(UNSOLVED)]
        if view == "snoozed":
            clauses.append(Ticket.snoozed_until.is_not(None))
        elif view != "all":  # a snoozed ticket is put away until it wakes (desk.snooze)
            clauses.append(Ticket.snoozed_until.is_(None))
        if view == "mine":
            clauses.append(Ticket.assignee_id == agent_id)
        elif view in ("unassigned", "arabic_unassigned"):
            clauses.append(Ticket.assignee_id.is_(None))
            if view == "arabic_unassigned":
                clauses.append(Ticket.lang == "ar")
        elif view == "due_today":
            clauses.append(Ticket.due_at < self.end_of_today(now, zone))
        elif view == "my_teams":
            mine = select(AgentTeam.team).where(AgentTeam.agent_id == agent_id)
            clauses.append(or_(Ticket.team.in_(mine), and_(Ticket.team.is_(None), exists(
                mine.where(AgentTeam.team == self.hours.default)))))
        elif view == "mentions":
            clauses.append(
                Ticket.id.in_(select(Mention.ticket_id).where(Mention.agent_id == agent_id, Mention.seen_at.is_(None)))
            )
        return clauses

    def _clauses(self, query: InboxQuery, agent_id: int, now: datetime,
                 zone: ZoneInfo | None) -> list[ColumnElement[bool]]:
        clauses = self.view_clauses(query.view, agent_id, now, query.status, zone)
        if query.lang:
            clauses.append(Ticket.lang == query.lang)
        if query.team:
            clauses.append(team_clause(self.hours, query.team))
        if query.tag:
            clauses.append(Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.tag == query.tag)))
        if query.organization is not None:
            clauses.append(Ticket.customer_id.in_(select(Customer.id)
                                                  .where(Customer.organization_id == query.organization)))
        for field_key, field_value in query.fields:
            clauses.append(Ticket.id.in_(select(TicketFieldValue.ticket_id).where(
                TicketFieldValue.key == field_key, TicketFieldValue.value == field_value)))
        for field_key, field_value in query.customer_fields:  # the customer_field_values (key, value) index
            clauses.append(Ticket.customer_id.in_(select(CustomerFieldValue.customer_id).where(
                CustomerFieldValue.key == field_key, CustomerFieldValue.value == field_value)))
        if query.skill is not None:
            clauses.append(Ticket.id.in_(select(TicketSkill.ticket_id).where(TicketSkill.skill_id == query.skill)))
        if query.side_replied:
            clauses.append(side_replied_clause())
        if query.problems:
            clauses.append(Ticket.kind == "problem")
        if query.incidents_of is not None:
            clauses.append(Ticket.problem_id == query.incidents_of)
        found = matches(query.q)
        if found is not None:
            clauses.append(found)
        return clauses

    def _stored_number(self, value: Any) -> ColumnElement[bool]:
        """Whether a stored value is a number as kb.ticket_fields stores one (STORED_NUMBER). PostgreSQL reads the
        pattern; SQLite's REGEXP is a Python call a row (the 20,000-ticket sort took half as long again), so there its
        own GLOB: a digit, nothing but digits, '.' and '-', and a stored number's length at most (its CAST never
        fails: this only puts what is no number last, as PostgreSQL does; a "1.2.3" reads as 1.2 there)."""
        if self.db.engine.dialect.name == "postgresql":
            return value.regexp_match(STORED_NUMBER)  # type: ignore[no-any-return]
        return and_(value.op("GLOB")("*[0-9]*"), value.op("NOT GLOB")("*[^0-9.-]*"),
                    func.length(value) <= STORED_NUMBER_CHARS)

    def sort_value(self, sort: str) -> Any:
        """A field sort's value ("field.<key>": the ticket's; "customer.<key>": its customer's), a number field's
        cast to a number; None for any other sort. A number field's sort casts only the values that are numbers
        (kb.ticket_fields.STORED_NUMBER): a field the file made a number keeps its text values ("abc", ""), which
        PostgreSQL refused to cast (a 500 on every page of the sort) and SQLite read as 0; they read as no value,
        so they sort with the tickets that have none."""
        if sort in self.numbers:
            return stored_sort_value(sort, lambda column: case((self._stored_number(column), cast(column, Numeric))))
        return stored_sort_value(sort)

    def _order(self, sort: str, view: str = "unsolved") -> list:  # type: ignore[type-arg]
        if view == "my_teams":  # the team's unassigned tickets first: the ones nobody is working yet
            return [Ticket.assignee_id.is_not(None), *self._order(sort)]
        value = self.sort_value(sort)
        if value is not None:  # by the value (a number as a number), tickets without last
            return [value.is_(None), value, Ticket.id]
        if sort == "created":
            return [Ticket.created_at.desc(), Ticket.id.desc()]
        if sort == "due":
            return [Ticket.due_at.is_(None), Ticket.due_at, Ticket.id]
        if sort == "priority":
            return [_PRIORITY_RANK, Ticket.due_at.is_(None), Ticket.due_at, Ticket.id]
        return [Ticket.updated_at.desc(), Ticket.id.desc()]

    def page(
        self, query: InboxQuery, agent_id: int, limit: int = 25, offset: int = 0, now: datetime | None = None,
        zone: ZoneInfo | None = None,
    ) -> InboxPage:
        now = now or utcnow()
        select_ids = select(Ticket.id).where(*self._clauses(query, agent_id, now, zone))
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(select_ids.subquery())) or 0
            tickets = list(session.scalars(
                select(Ticket).where(*self._clauses(query, agent_id, now, zone))
                .options(joinedload(Ticket.customer), joinedload(Ticket.assignee), selectinload(Ticket.tags))
                .order_by(*self._order(query.sort, query.view)).limit(limit).offset(offset)
            ))
            ids = [t.id for t in tickets]
            mentions = dict(session.execute(
                select(Mention.ticket_id, func.count())
                .where(Mention.ticket_id.in_(ids), Mention.agent_id == agent_id, Mention.seen_at.is_(None))
                .group_by(Mention.ticket_id)
            ).all()) if ids else {}
            seen = dict(session.execute(
                select(TicketPresence.ticket_id, TicketPresence.seen_at)
                .where(TicketPresence.ticket_id.in_(ids), TicketPresence.agent_id == agent_id)
            ).all()) if ids else {}
            side_replies = set(session.scalars(
                select(SideConversation.ticket_id).where(SideConversation.ticket_id.in_(ids),
                                                         SideConversation.unread.is_(True)))) if ids else set()
            values: dict[int, dict[str, str]] = {}
            ticket_columns = [key for key in query.columns if not key.startswith(CUSTOMER_PREFIX)]
            customer_columns = [key[len(CUSTOMER_PREFIX):] for key in query.columns if key.startswith(CUSTOMER_PREFIX)]
            if ticket_columns and ids:  # the shown fields' values, one statement for the page
                for ticket_id, key, value in session.execute(
                        select(TicketFieldValue.ticket_id, TicketFieldValue.key, TicketFieldValue.value)
                        .where(TicketFieldValue.ticket_id.in_(ids), TicketFieldValue.key.in_(ticket_columns))):
                    values.setdefault(ticket_id, {})[key] = value
            if customer_columns and ids:  # the customers' shown fields, one statement too, under "customer.<key>"
                of_customer: dict[int, dict[str, str]] = {}
                for customer_id, key, value in session.execute(
                        select(CustomerFieldValue.customer_id, CustomerFieldValue.key, CustomerFieldValue.value)
                        .where(CustomerFieldValue.customer_id.in_({t.customer_id for t in tickets if t.customer_id}),
                               CustomerFieldValue.key.in_(customer_columns))):
                    of_customer.setdefault(customer_id, {})[CUSTOMER_PREFIX + key] = value
                for t in tickets:
                    values.setdefault(t.id, {}).update(of_customer.get(t.customer_id, {}))
        rows = [
            InboxRow(t, mentions.get(t.id, 0), t.assignee_id == agent_id and _after(t.updated_at, seen.get(t.id)),
                     t.due_at is not None and as_utc(t.due_at) < now, values.get(t.id, {}), t.id in side_replies)
            for t in tickets
        ]
        return InboxPage(rows, total)

    def counts(self, agent_id: int, now: datetime | None = None, zone: ZoneInfo | None = None) -> dict[str, int]:
        """How many tickets each built-in view holds, for the view list ("due today" in `zone`, as `page`): each view
        is an unfiltered InboxQuery, counted as the saved views are (`query_counts`)."""
        return self.query_counts({view: InboxQuery(view=view) for view in VIEWS}, agent_id, now, zone)

    def query_counts(self, queries: Mapping[K, InboxQuery], agent_id: int, now: datetime | None = None,
                     zone: ZoneInfo | None = None) -> dict[K, int]:
        """How many tickets each saved view (an InboxQuery by its id) holds: `page`'s own clauses, so a view's count
        is its page's total."""
        now = now or utcnow()
        with self.db.session() as session:
            return {
                key: session.scalar(select(func.count(Ticket.id)).where(
                    *self._clauses(query, agent_id, now, zone))) or 0
                for key, query in queries.items()
            }

    def listing(self, query: TicketListQuery, limit: int, now: datetime | None = None) -> Listing:
        """Up to `limit` tickets matching `query` (the inbox's own clauses, view "all", and the API's extra filters),
        after `query.after` in its order, whether more follow and how many match in all. Keyset paging on (sort key,
        id), as GitHub's and Stripe's cursors: a ticket added or changed while a client pages lands before its cursor
        or after it, never shifting the pages it has not read (an offset would show a row twice, or skip one, when
        rows are added in front of it). A field's sort (`sort_value`: a number as a number) puts tickets without a
        value last either way, as the inbox's does. Reads only."""
        stored = stored_sort_value(query.sort)
        clauses = self._clauses(query.filters, 0, now or utcnow(), None)  # view "all": no agent's rule in it
        if query.unassigned:
            clauses.append(Ticket.assignee_id.is_(None))
        elif query.assignee is not None:
            clauses.append(Ticket.assignee_id == query.assignee)
        if query.customer is not None:
            clauses.append(Ticket.customer_id == query.customer)
        if query.updated_since is not None:
            clauses.append(Ticket.updated_at >= query.updated_since)
        key: Any = self.sort_value(query.sort) if stored is not None else \
            Ticket.created_at if query.sort == "created" else Ticket.updated_at
        later = operator.lt if query.descending else operator.gt  # past the cursor in the list's direction
        page_clauses = list(clauses)
        if query.after is not None:
            moment, last = query.after
            if stored is None:
                assert isinstance(moment, datetime)  # a time sort's cursor (webapp.api reads it so)
                page_clauses.append(or_(later(key, moment), and_(key == moment, later(Ticket.id, last))))
            elif moment is None:  # the page before ended among the tickets without a value: the rest of them
                page_clauses.append(and_(key.is_(None), later(Ticket.id, last)))
            else:
                bound: Any = literal(moment, String)
                bound = cast(bound, Numeric) if query.sort in self.numbers else bound
                page_clauses.append(or_(later(key, bound), and_(key == bound, later(Ticket.id, last)), key.is_(None)))
        order = [key.desc(), Ticket.id.desc()] if query.descending else [key, Ticket.id]
        if stored is not None:
            order = [key.is_(None), *order]
        with self.db.session() as session:
            rows = session.execute(
                select(Ticket, stored if stored is not None else key, key).where(*page_clauses)
                .options(selectinload(Ticket.tags)).order_by(*order).limit(limit + 1)
            ).all()
            total = session.scalar(select(func.count(Ticket.id)).where(*clauses)) or 0
        page = rows[:limit]
        # The cursor holds the stored text; a value the number sort reads as none (text kept under a field the file
        # made a number) is a cursor among the tickets without a value, as it is ordered.
        return Listing([row[0] for row in page], len(rows) > limit,
                       (page[-1][1] if page[-1][2] is not None else None, page[-1][0].id) if page else None, total)

    def changed_since(self, since: datetime, agent_id: int, limit: int = 50) -> list[tuple[int, bool]]:
        """Tickets with customer activity after `since` (polled by the open inbox): (id, mine)."""
        with self.db.session() as session:
            rows = session.execute(
                select(Ticket.id, Ticket.assignee_id).where(Ticket.updated_at > since)
                .order_by(Ticket.updated_at.desc()).limit(limit)
            ).all()
        return [(ticket_id, assignee == agent_id) for ticket_id, assignee in rows]


def _after(updated: datetime, seen: datetime | None) -> bool:
    return seen is None or as_utc(updated) > as_utc(seen)
