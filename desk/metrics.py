"""The support lead's figures: reply and resolution times, reopens, one-touch resolution, backlog,
CSAT, agent productivity, copilot adoption and self-service, for one period and the one before it.

Every figure is defined once here (the README quotes these definitions) and counted in SQL that
SQLite and PostgreSQL both run: plain COUNT/SUM(CASE), GROUP BY, and per-ticket groupings of replies and status
changes over the period's tickets (`ticket_facts`). Only what portable SQL cannot do is finished in
Python over SQL-selected columns: durations (the database hands timestamps over as POSIX seconds,
`epoch_seconds`, the one engine-specific spelling), percentiles, and business hours (each ticket's
team has its own calendar).

Cohorts, so a figure means the same in every period:
- ticket figures (reply, resolution, reopen, one-touch, due breaches) count the tickets *created*
  in the period, whatever happened to them since;
- events (CSAT surveys sent, suggestion events, searches, votes, deflections, agent replies and
  solves) count by when they happened;
- the backlog is the tickets unsolved now (or at the period's end, when that is earlier).
"""

from __future__ import annotations

import gc
import math
import statistics
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Select, and_, case, distinct, func, literal, or_, select, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from desk.business_hours import BusinessHours, WorkingClock, _aware
from desk.database import Database
from desk.mail_suggestions import suggestion_figures
from desk.models import (
    Agent,
    ArticleFeedback,
    ArticleView,
    CsatSurvey,
    Deflection,
    Message,
    SearchEvent,
    SuggestionEvent,
    Ticket,
    TicketFieldValue,
    TicketStatusChange,
    TimeEntry,
    utcnow,
)
from desk.query_text import normalise_query

UNSOLVED = ("new", "open", "pending", "on_hold")
SOLVED = ("solved", "closed")
WAITING_ON_TEAM = ("new", "open")
# Backlog age buckets: (label, lower bound in hours). Chosen to match the vendors' default views.
AGE_BUCKETS: tuple[tuple[str, int], ...] = (("<1d", 0), ("1-3d", 24), ("3-7d", 72), (">7d", 168))
# Edit distance (characters, Levenshtein) between an inserted draft and the reply sent.
EDIT_BUCKETS: tuple[tuple[str, int], ...] = (("0", 0), ("1-20", 1), ("21-100", 21), ("101-500", 101), (">500", 501))
LOW_RATING = 2  # CSAT ratings 1..LOW_RATING are listed for follow-up
TOP_QUERIES = 10
LIST_LIMIT = 50
LATEST_COMMENTS = 3  # per article after a "no": the dashboard and the content report


@dataclass(frozen=True)
class Filters:
    """A period [start, end) of instants (UTC) and the optional slices every figure honours. `zone` (an IANA
    name) is the reader's: the period's whole days and the daily series are that zone's days."""

    start: datetime
    end: datetime
    lang: str | None = None
    channel: str | None = None
    category: str | None = None
    agent_id: int | None = None
    zone: str = "UTC"

    @classmethod
    def for_days(cls, first: date, last: date, zone: str = "UTC", **slices: Any) -> Filters:
        """Whole days of `zone`, `last` included: what ?from=&to= mean on the page and in the API. A day is
        midnight to midnight on the zone's clocks: 23 or 25 hours on a summer-time change."""
        tz = ZoneInfo(zone)
        return cls(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz), zone=zone, **slices)

    @property
    def first_day(self) -> date:
        """The period's first day in its zone."""
        return _aware(self.start).astimezone(ZoneInfo(self.zone)).date()

    @property
    def last_day(self) -> date:
        """The period's last day in its zone (`end` is the midnight after it)."""
        return (_aware(self.end).astimezone(ZoneInfo(self.zone)) - timedelta(microseconds=1)).date()

    def previous(self) -> Filters:
        """The period of the same length on the zone's clocks just before this one, with the same slices: the
        week before a week of whole local days is again seven whole local days, whatever summer time did."""
        tz = ZoneInfo(self.zone)
        start, end = (_aware(moment).astimezone(tz).replace(tzinfo=None) for moment in (self.start, self.end))
        earlier = (start - (end - start)).replace(tzinfo=tz).astimezone(UTC)
        return replace(self, start=earlier, end=self.start)


_gc_lock = threading.Lock()
_gc_holders = 0  # the callers inside `gc_paused` now, in every thread
_gc_resume = False  # whether the collector was on when the first of them came in


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the figures are read and folded (back on, as it was, when the
    last caller leaves; reference counting still frees what is not in a cycle). A 90-day dashboard holds 100,000
    ticket rows and makes a million small objects: each allocation burst set off full collections that walked every
    live object again, about a fifth of the page's CPU (bench/RESULTS.md "Session 35, dashfast35")."""
    global _gc_holders, _gc_resume
    with _gc_lock:
        if _gc_holders == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_resume:
                gc.enable()


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) a day of `tz` begins; a midnight summer time skips is read as the moment the day begins."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def today_in(zone: str, now: datetime | None = None) -> date:
    """Today's date on `zone`'s clocks: the last day of the dashboard's default period, the day the reports'
    --days count back from and the stale report ages articles from."""
    return _aware(now or utcnow()).astimezone(ZoneInfo(zone)).date()


@dataclass(frozen=True)
class Durations:
    """Hours from a ticket's creation to an event, over the tickets that reached it."""

    count: int
    median_hours: float | None
    p90_hours: float | None
    median_business_hours: float | None
    p90_business_hours: float | None


@dataclass(frozen=True)
class TicketFigures:
    created: int
    replied: int
    solved: int  # tickets of the cohort solved at least once
    reopened: int  # ... of which reopened after a solve
    reopen_rate: float | None  # reopened / solved
    one_touch: int  # solved, at most one public agent reply, never reopened
    one_touch_rate: float | None  # one_touch / solved
    due_breaches: int  # first public reply after the due time, or none yet and the due time passed
    first_reply: Durations
    first_resolution: Durations
    full_resolution: Durations


@dataclass(frozen=True)
class Backlog:
    as_of: datetime
    buckets: dict[str, dict[str, int]]  # age bucket -> status -> tickets
    total: int
    overdue: int  # new or open (waiting on the team) and past their due time


@dataclass(frozen=True)
class LowRating:
    ticket_id: int
    subject: str
    agent: str
    rating: int
    comment: str
    answered_at: datetime | None


@dataclass(frozen=True)
class Csat:
    sent: int
    answered: int
    satisfied: int  # ratings 4-5
    satisfaction: float | None  # satisfied / answered
    response_rate: float | None  # answered / sent
    ratings: dict[int, int]  # 1..5 -> answers
    low: list[LowRating]


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    agent: str
    solved: int
    public_replies: int
    median_first_reply_hours: float | None
    median_resolution_hours: float | None
    csat_answered: int
    csat_satisfaction: float | None


@dataclass(frozen=True)
class AdoptionRow:
    key: str  # an agent's name, a language, or "all"
    tickets_shown: int
    inserted: int
    drafts_inserted: int
    sent_unedited: int
    sent_edited: int
    rejected: int


@dataclass(frozen=True)
class Rejection:
    ticket_id: int
    lang: str
    agent: str
    reason: str
    at: datetime | None


@dataclass(frozen=True)
class Adoption:
    total: AdoptionRow
    by_agent: list[AdoptionRow]
    by_lang: list[AdoptionRow]
    edit_distances: dict[str, int]  # EDIT_BUCKETS label -> drafts sent
    rejections: list[Rejection]


@dataclass(frozen=True)
class QueryCount:
    query: str
    searches: int


@dataclass(frozen=True)
class ArticleVotes:
    article_key: str
    helpful: int
    votes: int
    ratio: float
    # After "no": what went wrong (VOTE_REASONS -> votes, most given first) and the latest comments.
    reasons: dict[str, int] = field(default_factory=dict)
    latest_comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class SelfService:
    visits: int  # distinct help-center visits that searched or read an article
    ticket_visits: int  # distinct visits that filed a ticket
    score: float | None  # visits / ticket_visits
    deflection_visits: int  # visits that opened a suggested article on the contact form
    deflected: int  # ... and filed no ticket
    deflection_rate: float | None
    searches: int
    clicked: int  # searches with a clicked result (a click records its position)
    click_through: float | None  # clicked / searches
    click_positions: dict[int, int]
    top_queries: list[QueryCount]
    zero_result: list[QueryCount]
    abstained: list[QueryCount]
    articles: list[ArticleVotes]
    # New tickets whose acknowledgement suggested articles (desk.mail_suggestions), by when it was composed, and of
    # them the ones the customer solved with "Yes, close my request"; the share is of the tickets that got some.
    suggested_tickets: int = 0
    solved_by_suggestions: int = 0
    solved_by_suggestions_rate: float | None = None


@dataclass(frozen=True)
class HandleTimeRow:
    """Time entries (desk.time_tracking) recorded in the period by one agent or on one team's tickets."""

    key: str  # the agent's name, or the team's key
    seconds: int
    entries: int
    tickets: int  # distinct tickets the time went on


@dataclass(frozen=True)
class HandleTime:
    """The agents' time on tickets (desk.time_tracking), by when each entry was recorded: the period's total, by
    agent and by the ticket's team; per ticket solved in the period (over those with time recorded, their whole
    time); and the time recorded in the period on tickets after their first reopen (rework)."""

    seconds: int
    entries: int
    by_agent: list[HandleTimeRow]
    by_team: list[HandleTimeRow]
    solved_tickets: int  # solved in the period, with time recorded
    average_per_solved: float | None  # seconds
    median_per_solved: float | None  # seconds
    reopened_seconds: int  # recorded in the period on tickets after their first reopen
    reopened_tickets: int


@dataclass(frozen=True)
class Day:
    day: str  # YYYY-MM-DD, a day of the period's zone
    created: int
    solved: int


@dataclass(frozen=True)
class Figures:
    filters: Filters
    tickets: TicketFigures
    backlog: Backlog
    csat: Csat
    agents: list[AgentRow]
    adoption: Adoption
    self_service: SelfService
    days: list[Day]
    handle_time: HandleTime


@dataclass(frozen=True)
class Dashboard:
    current: Figures
    previous: Figures
    extras: dict[str, Any] = field(default_factory=dict)


# --- helpers ---------------------------------------------------------------------------------------------------------


class epoch_seconds(FunctionElement[float]):
    """A timestamp column as POSIX seconds, computed by the database: reading thousands of durations
    as floats skips parsing a datetime per value in Python (SQLite stores text). The one
    engine-specific spelling in the metrics, kept here."""

    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


def latest_texts(rows: Iterable[tuple[Any, str | None]], keep: int) -> dict[Any, tuple[str, ...]]:
    """Rows newest first -> up to `keep` non-empty texts per key."""
    out: dict[Any, list[str]] = {}
    for key, text in rows:
        kept = out.setdefault(key, [])
        if text and text.strip() and len(kept) < keep:
            kept.append(text.strip())
    return {key: tuple(texts) for key, texts in out.items()}


def reason_counts(rows: Iterable[tuple[Any, str | None]]) -> dict[Any, tuple[tuple[str, int], ...]]:
    """(key, reason) rows -> per key, each reason given (VOTE_REASONS after a "no") with its count, most given
    first (then by name): the dashboard's votes table and the unhelpful-articles report read the same."""
    counted: dict[Any, Counter[str]] = {}
    for key, reason in rows:
        if reason:
            counted.setdefault(key, Counter())[reason] += 1
    return {key: tuple(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for key, c in counted.items()}


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _spread(values: list[float]) -> tuple[float | None, float | None]:
    """(median, nearest-rank 90th percentile) of `values`, sorted once: the same numbers as `median` and
    `percentile(values, 90)`, which each sort a copy."""
    if not values:
        return None, None
    values.sort()
    n, middle = len(values), len(values) // 2
    return (values[middle] if n % 2 else (values[middle - 1] + values[middle]) / 2,
            values[max(0, math.ceil(0.9 * n) - 1)])


def _durations(calendar: list[float], business: list[float]) -> Durations:
    (median_hours, p90_hours), (median_business, p90_business) = _spread(calendar), _spread(business)
    return Durations(len(calendar), _hours(median_hours), _hours(p90_hours), _hours(median_business),
                     _hours(p90_business))


def durations(pairs: Iterable[tuple[float, float, str | None]], hours: BusinessHours,
              clocks: dict[str | None, WorkingClock] | None = None) -> Durations:
    """(start, end, team) in POSIX seconds -> calendar and business-hour medians and 90th percentiles.
    Business time is counted on each team's `WorkingClock` (the same seconds as `Team.seconds_between`)."""
    clocks = clocks if clocks is not None else {}
    calendar, business = [], []
    for start, end, team in pairs:
        calendar.append(max(0.0, (end - start) / 3600))
        clock = clocks.get(team)
        if clock is None:
            clock = clocks[team] = WorkingClock(hours.team(team))
        business.append(max(0.0, clock.at_epoch(end) - clock.at_epoch(start)) / 3600)
    return _durations(calendar, business)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _ticket_slices(query: Select, f: Filters, agent_column: Any = Ticket.assignee_id) -> Select:
    if f.lang:
        query = query.where(Ticket.lang == f.lang)
    if f.channel:
        query = query.where(Ticket.channel == f.channel)
    if f.category:
        query = query.where(Ticket.category == f.category)
    if f.agent_id is not None:
        query = query.where(agent_column == f.agent_id)
    return query


def _sliced(query: Select, f: Filters, ticket_id: Any, agent_column: Any = Ticket.assignee_id) -> Select:
    """`_ticket_slices` for a query over a table with a `ticket_id` column, joined to the ticket only when a slice reads
    the ticket's columns (the row's ticket exists: a foreign key; the join brings the ORM's "not deleted" rule).
    Unsliced, the period's rows are counted from their own table and its index, without a ticket lookup per row, less
    those of the deleted tickets (`_of_a_live_ticket`): the overall figures count what their slices count."""
    if f.lang or f.channel or f.category or (f.agent_id is not None and agent_column is Ticket.assignee_id):
        return _ticket_slices(query.join(Ticket, Ticket.id == ticket_id), f, agent_column)
    return _ticket_slices(query.where(_of_a_live_ticket(ticket_id)), f, agent_column)


_TICKETS = Ticket.__table__  # Core's table: a query of it is past the ORM's rule (`_live_tickets_only`)


def _of_a_live_ticket(ticket_id: Any) -> ColumnElement[bool]:
    """The row's ticket is not deleted (desk.trash), asked of the few deleted ones (tickets' deleted_at index) rather
    than of each row's ticket. Core's table, not the Ticket entity: the ORM's rule would add "not deleted" to this
    subquery too and leave it empty."""
    return ticket_id.not_in(select(_TICKETS.c.id).where(_TICKETS.c.deleted_at.is_not(None)))


def _in_period(column: Any, f: Filters) -> ColumnElement[bool]:
    return and_(column >= f.start, column < f.end)


def _public_agent_reply() -> ColumnElement[bool]:
    return and_(Message.ticket_id == Ticket.id, Message.author == "agent", Message.internal.is_(False))


def _solve_time(kind: Any) -> Any:
    return (select(kind(TicketStatusChange.created_at))
            .where(TicketStatusChange.ticket_id == Ticket.id, TicketStatusChange.new_status == "solved")
            .scalar_subquery())


def _names(db: Database) -> dict[int, str]:
    with db.session() as session:
        return {i: name or email for i, name, email in session.execute(select(Agent.id, Agent.name, Agent.email))}


# --- ticket figures ------------------------------------------------------------------------------------


def _cohort(f: Filters) -> Select:
    """The ids of the tickets created in the period (with the slices): the tickets the ticket figures count. Not
    deleted ones (desk.trash) said here too: this and `_facts` run as Core statements, past the ORM's rule."""
    return _ticket_slices(select(Ticket.id), f).where(_in_period(Ticket.created_at, f), Ticket.deleted_at.is_(None))


def _facts(f: Filters) -> Any:
    """One row per ticket created in the period: what the ticket figures count.

    Each ticket's public agent replies and its status changes (solves, reopens) are grouped once per table (GROUP BY
    ticket_id over the cohort's ids, on the tables' ticket_id indexes) and joined to the ticket, rather than asked
    per ticket by correlated subqueries: those were evaluated again for every reference to their column in the counts
    (13 index searches a ticket on SQLite), and PostgreSQL ran each as a subplan per ticket. 100,000 tickets:
    bench/RESULTS.md "Session 34, metricsql34"."""
    cohort = _cohort(f)
    public = and_(Message.author == "agent", Message.internal.is_(False))
    replies = (select(Message.ticket_id, func.min(Message.created_at).label("first_reply_at"),
                      func.count().label("replies"))
               .where(Message.ticket_id.in_(cohort), public).group_by(Message.ticket_id).subquery("replied"))
    change = TicketStatusChange
    solve_time = case((change.new_status == "solved", change.created_at))
    reopen = case((and_(change.old_status.in_(SOLVED), change.new_status.in_(UNSOLVED)), 1), else_=0)
    changes = (select(change.ticket_id, func.min(solve_time).label("first_solve_at"),
                      func.max(solve_time).label("last_solve_at"), func.max(reopen).label("reopened"))
               .where(change.ticket_id.in_(cohort)).group_by(change.ticket_id).subquery("changes"))
    query = (select(
        Ticket.id, Ticket.created_at, Ticket.team, Ticket.status, Ticket.due_at, Ticket.assignee_id,
        replies.c.first_reply_at, func.coalesce(replies.c.replies, 0).label("replies"),
        changes.c.first_solve_at, changes.c.last_solve_at, func.coalesce(changes.c.reopened, 0).label("reopened"),
    ).outerjoin(replies, replies.c.ticket_id == Ticket.id).outerjoin(changes, changes.c.ticket_id == Ticket.id)
        .where(_in_period(Ticket.created_at, f), Ticket.deleted_at.is_(None)))
    return _ticket_slices(query, f).subquery("facts")


@dataclass(frozen=True)
class TicketFacts:
    """The cohort's per-ticket facts, read in one statement: the counts, summed over SQL's per-ticket flags,
    and the timestamps the durations are computed from."""

    created: int
    replied: int
    solved: int
    reopened: int
    one_touch: int
    breaches: int
    # id, assignee_id, team, status, created_at, first_reply_at, first_solve_at, last_solve_at (POSIX seconds),
    # replies, reopened, breach
    rows: list[Any]


@gc_paused()
def ticket_facts(db: Database, f: Filters, as_of: datetime | None = None) -> TicketFacts:
    """The cohort's rows with each ticket's flags computed by SQL (a due-time breach compares the stored times, not
    their POSIX seconds), summed here: a window sum over the rows made SQLite copy all of them to a temporary table
    first, for six totals that a pass over the fetched rows counts in milliseconds."""
    as_of = min(as_of or utcnow(), f.end)
    facts = _facts(f)
    breach = and_(facts.c.due_at.is_not(None),
                  or_(facts.c.first_reply_at > facts.c.due_at,
                      and_(facts.c.first_reply_at.is_(None), facts.c.due_at < as_of)))
    stamps = [epoch_seconds(facts.c[name]).label(name)
              for name in ("created_at", "first_reply_at", "first_solve_at", "last_solve_at")]
    with db.session() as session:  # Core rows, not the ORM's: 100,000 of them
        rows = session.connection().execute(select(
            facts.c.id, facts.c.assignee_id, facts.c.team, facts.c.status, *stamps, facts.c.replies,
            facts.c.reopened, case((breach, 1), else_=0).label("breach"))).all()
    replied = solved = reopened = one_touch = breaches = 0
    for row in rows:
        replied += row.first_reply_at is not None
        breaches += row.breach
        if row.first_solve_at is not None:
            solved += 1
            if row.reopened:
                reopened += 1
            elif row.replies <= 1:
                one_touch += 1
    return TicketFacts(len(rows), replied, solved, reopened, one_touch, breaches, list(rows))


def ticket_figures(db: Database, f: Filters, hours: BusinessHours, as_of: datetime | None = None,
                   facts: TicketFacts | None = None) -> TicketFigures:
    """The counts of `ticket_facts` and the three durations, in one pass over its rows (each ticket's creation placed
    on its team's clock once): what `durations` gives for each, without a generator and three reads per row."""
    t = facts or ticket_facts(db, f, as_of)
    clocks: dict[str | None, WorkingClock] = {}
    lists: tuple[list[float], ...] = ([], [], [], [], [], [])  # (calendar, business) x first reply, first/full solve
    reply, reply_b, first, first_b, full, full_b = lists
    for _id, _agent, team, status, created, replied, first_solve, last_solve, *_flags in t.rows:
        clock = clocks.get(team)
        if clock is None:
            clock = clocks[team] = WorkingClock(hours.team(team))
        start = clock.at_epoch(created)
        if replied is not None:
            reply.append(max(0.0, (replied - created) / 3600))
            reply_b.append(max(0.0, clock.at_epoch(replied) - start) / 3600)
        if first_solve is not None:
            first.append(max(0.0, (first_solve - created) / 3600))
            first_b.append(max(0.0, clock.at_epoch(first_solve) - start) / 3600)
        if last_solve is not None and status in SOLVED:
            full.append(max(0.0, (last_solve - created) / 3600))
            full_b.append(max(0.0, clock.at_epoch(last_solve) - start) / 3600)
    return TicketFigures(
        created=t.created, replied=t.replied, solved=t.solved, reopened=t.reopened,
        reopen_rate=ratio(t.reopened, t.solved), one_touch=t.one_touch, one_touch_rate=ratio(t.one_touch, t.solved),
        due_breaches=t.breaches, first_reply=_durations(reply, reply_b), first_resolution=_durations(first, first_b),
        full_resolution=_durations(full, full_b),
    )


def backlog(db: Database, f: Filters, as_of: datetime | None = None) -> Backlog:
    """Unsolved tickets created before the period's end, by age at `as_of` and status."""
    as_of = min(as_of or utcnow(), f.end)
    bucket = case(
        *[(Ticket.created_at <= as_of - timedelta(hours=lower), literal(label))
          for label, lower in reversed(AGE_BUCKETS[1:])],
        else_=literal(AGE_BUCKETS[0][0]),
    ).label("bucket")
    base = _ticket_slices(select(bucket, Ticket.status, func.count()), f).where(
        Ticket.status.in_(UNSOLVED), Ticket.created_at < as_of)
    overdue = _ticket_slices(select(func.count()).select_from(Ticket), f).where(
        Ticket.status.in_(WAITING_ON_TEAM), Ticket.created_at < as_of, Ticket.due_at < as_of)
    buckets: dict[str, dict[str, int]] = {label: dict.fromkeys(UNSOLVED, 0) for label, _ in AGE_BUCKETS}
    with db.session() as session:
        for label, status, count in session.execute(base.group_by(bucket, Ticket.status)).all():
            buckets[label][status] = int(count)
        late = int(session.scalar(overdue) or 0)
    return Backlog(as_of, buckets, sum(sum(b.values()) for b in buckets.values()), late)


# --- CSAT and agents -----------------------------------------------------------------------------------


def csat(db: Database, f: Filters, names: dict[int, str] | None = None) -> Csat:
    """Surveys sent in the period; satisfaction = share of 4-5 among answers."""
    names = names if names is not None else _names(db)
    scope = _sliced(select(CsatSurvey.rating), f, CsatSurvey.ticket_id, CsatSurvey.agent_id).where(
        _in_period(CsatSurvey.sent_at, f)).subquery()
    with db.session() as session:
        sent, answered, satisfied = (int(v) for v in session.execute(
            select(func.count(), func.count(scope.c.rating), _count(scope.c.rating >= 4))).one())
        ratings = dict.fromkeys(range(1, 6), 0)
        for rating, count in session.execute(select(scope.c.rating, func.count()).where(scope.c.rating.is_not(None))
                                             .group_by(scope.c.rating)).all():
            ratings[int(rating)] = int(count)
        low_rows = session.execute(
            _ticket_slices(select(CsatSurvey.ticket_id, Ticket.subject, CsatSurvey.agent_id, CsatSurvey.rating,
                                  CsatSurvey.comment, CsatSurvey.answered_at)
                           .join(Ticket, Ticket.id == CsatSurvey.ticket_id), f, CsatSurvey.agent_id)
            .where(_in_period(CsatSurvey.sent_at, f), CsatSurvey.rating <= LOW_RATING)
            .order_by(CsatSurvey.rating, CsatSurvey.answered_at.desc(), CsatSurvey.id.desc()).limit(LIST_LIMIT)
        ).all()
    low = [LowRating(tid, subject, names.get(agent, "") if agent else "", int(rating), comment or "", at)
           for tid, subject, agent, rating, comment, at in low_rows]
    return Csat(sent, answered, satisfied, ratio(satisfied, answered), ratio(answered, sent), ratings, low)


def agent_rows(db: Database, f: Filters, names: dict[int, str] | None = None,
               facts: TicketFacts | None = None) -> list[AgentRow]:
    """Per agent: tickets of theirs solved in the period, their public replies in it, the medians over
    their tickets created in it, and the CSAT of surveys sent in it for their solves."""
    names = names if names is not None else _names(db)
    solved_q = _ticket_slices(
        select(Ticket.assignee_id, func.count(distinct(Ticket.id)))
        .join(TicketStatusChange, TicketStatusChange.ticket_id == Ticket.id), f,
    ).where(TicketStatusChange.new_status == "solved", _in_period(TicketStatusChange.created_at, f),
            Ticket.assignee_id.is_not(None)).group_by(Ticket.assignee_id)
    replies_q = _sliced(select(Message.agent_id, func.count()), f, Message.ticket_id, Message.agent_id).where(
        Message.author == "agent", Message.internal.is_(False), Message.agent_id.is_not(None),
        _in_period(Message.created_at, f)).group_by(Message.agent_id)
    csat_q = _sliced(
        select(CsatSurvey.agent_id, func.count(CsatSurvey.rating), _count(CsatSurvey.rating >= 4)), f,
        CsatSurvey.ticket_id, CsatSurvey.agent_id,
    ).where(_in_period(CsatSurvey.sent_at, f), CsatSurvey.agent_id.is_not(None)).group_by(CsatSurvey.agent_id)
    with db.session() as session:
        solved = {a: int(n) for a, n in session.execute(solved_q).all()}
        replies = {a: int(n) for a, n in session.execute(replies_q).all() if a is not None}
        scores = {a: (int(n), int(good)) for a, n, good in session.execute(csat_q).all()}
    first: dict[int, list[float]] = {}
    resolution: dict[int, list[float]] = {}
    for _id, agent, _team, status, created, replied, _first, solved_at, *_flags in (facts or ticket_facts(db, f)).rows:
        if agent is None:
            continue
        if replied is not None:
            first.setdefault(agent, []).append((replied - created) / 3600)
        if solved_at is not None and status in SOLVED:
            resolution.setdefault(agent, []).append((solved_at - created) / 3600)
    agents = set(solved) | set(replies) | set(scores) | set(first)
    rows = [
        AgentRow(a, names.get(a, str(a)), solved.get(a, 0), replies.get(a, 0), _hours(median(first.get(a, []))),
                 _hours(median(resolution.get(a, []))), scores.get(a, (0, 0))[0],
                 ratio(scores.get(a, (0, 0))[1], scores.get(a, (0, 0))[0]))
        for a in agents
    ]
    return sorted(rows, key=lambda r: (-r.solved, -r.public_replies, r.agent))


# --- a custom field's options (task fieldviews33) -------------------------------------------------------


@dataclass(frozen=True)
class FieldOptionRow:
    """One value of a dropdown or checkbox field (None: tickets without one): the agents' table's figures for the
    tickets holding it."""

    value: str | None
    created: int  # tickets created in the period
    solved: int  # tickets with a solve in the period
    median_first_reply_hours: float | None  # over the tickets created in the period (calendar hours)
    median_resolution_hours: float | None  # creation to the last solve, of those solved or closed now
    csat_answered: int  # surveys sent in the period and answered
    csat_satisfaction: float | None


@gc_paused()
def field_rows(db: Database, f: Filters, key: str, values: Sequence[str] = (),
               facts: TicketFacts | None = None) -> list[FieldOptionRow]:
    """Per value of the field `key`: `values` in their order (each listed, zeros included), then any other value
    stored (an option the file lost), then the tickets without one. The tickets created in the period and their
    reply and solve times are `ticket_facts`' rows (the dashboard passes the ones it has read); each one's value comes
    from `ticket_field_values`' (ticket_id, key) index, and the solves and CSAT are grouped by value in SQL as in the
    agents' table."""
    def holding(query: Select, ticket_id: Any = Ticket.id) -> Select:
        return query.outerjoin(TicketFieldValue, and_(TicketFieldValue.ticket_id == ticket_id,
                                                      TicketFieldValue.key == key))

    value = TicketFieldValue.value
    held_q = select(TicketFieldValue.ticket_id, value).where(TicketFieldValue.ticket_id.in_(_cohort(f)),
                                                             TicketFieldValue.key == key)
    solved_q = _ticket_slices(holding(
        select(value, func.count(distinct(Ticket.id))).select_from(Ticket)
        .join(TicketStatusChange, TicketStatusChange.ticket_id == Ticket.id)), f,
    ).where(TicketStatusChange.new_status == "solved", _in_period(TicketStatusChange.created_at, f)).group_by(value)
    csat_q = _sliced(holding(
        select(value, func.count(CsatSurvey.rating), _count(CsatSurvey.rating >= 4)).select_from(CsatSurvey),
        CsatSurvey.ticket_id), f, CsatSurvey.ticket_id, CsatSurvey.agent_id,
    ).where(_in_period(CsatSurvey.sent_at, f)).group_by(value)
    facts = facts or ticket_facts(db, f)
    created: Counter[str | None] = Counter()
    first: dict[str | None, list[float]] = {}
    resolution: dict[str | None, list[float]] = {}
    with db.session() as session:
        held_by = dict(session.connection().execute(held_q).all())
        solved = {held: int(n) for held, n in session.execute(solved_q)}
        scores = {held: (int(n), int(good)) for held, n, good in session.execute(csat_q)}
    for ticket_id, _agent, _team, status, created_at, replied_at, _first, solved_at, *_flags in facts.rows:
        held = held_by.get(ticket_id)
        created[held] += 1
        if replied_at is not None:
            first.setdefault(held, []).append((replied_at - created_at) / 3600)
        if solved_at is not None and status in SOLVED:
            resolution.setdefault(held, []).append((solved_at - created_at) / 3600)
    seen = set(created) | set(solved) | set(scores)
    order: list[str | None] = [*values, *sorted(v for v in seen if v is not None and v not in values)]
    if None in seen:
        order.append(None)
    return [FieldOptionRow(held, created[held], solved.get(held, 0), _hours(median(first.get(held, []))),
                           _hours(median(resolution.get(held, []))), scores.get(held, (0, 0))[0],
                           ratio(scores.get(held, (0, 0))[1], scores.get(held, (0, 0))[0]))
            for held in order]


# --- copilot adoption ----------------------------------------------------------------------------------


def _adoption_columns() -> list[Any]:
    kind = SuggestionEvent.kind
    sent = kind == "sent"
    return [
        func.count(distinct(case((kind == "shown", SuggestionEvent.ticket_id)))),
        _count(kind == "inserted"),
        _count(and_(kind == "inserted", SuggestionEvent.details["what"].as_string() == "draft")),
        _count(and_(sent, func.coalesce(SuggestionEvent.edit_distance, 0) == 0)),
        _count(and_(sent, SuggestionEvent.edit_distance > 0)),
        _count(kind == "rejected"),
    ]


def adoption(db: Database, f: Filters, names: dict[int, str] | None = None) -> Adoption:
    """Suggestion events in the period: "sent" counts a reply sent from an inserted draft."""
    names = names if names is not None else _names(db)

    def scoped(query: Select) -> Select:
        query = query.join(Ticket, Ticket.id == SuggestionEvent.ticket_id).where(
            _in_period(SuggestionEvent.created_at, f))
        return _ticket_slices(query, f, SuggestionEvent.agent_id)

    distance = SuggestionEvent.edit_distance
    bucket = case(*[(func.coalesce(distance, 0) >= lower, literal(label)) for label, lower in reversed(EDIT_BUCKETS)],
                  else_=literal(EDIT_BUCKETS[0][0])).label("bucket")
    with db.session() as session:
        total = AdoptionRow("all", *(int(v) for v in session.execute(scoped(select(*_adoption_columns()))).one()))
        by_agent = [AdoptionRow(names.get(a, "") if a else "", *(int(v) for v in rest)) for a, *rest in session.execute(
            scoped(select(SuggestionEvent.agent_id, *_adoption_columns())).group_by(SuggestionEvent.agent_id)).all()]
        by_lang = [AdoptionRow(lang, *(int(v) for v in rest)) for lang, *rest in session.execute(
            scoped(select(Ticket.lang, *_adoption_columns())).group_by(Ticket.lang)).all()]
        distances = dict.fromkeys((label for label, _ in EDIT_BUCKETS), 0)
        for label, count in session.execute(scoped(select(bucket, func.count()))
                                            .where(SuggestionEvent.kind == "sent").group_by(bucket)).all():
            distances[label] = int(count)
        rejected = session.execute(
            scoped(select(SuggestionEvent.ticket_id, Ticket.lang, SuggestionEvent.agent_id, SuggestionEvent.reason,
                          SuggestionEvent.created_at))
            .where(SuggestionEvent.kind == "rejected")
            .order_by(SuggestionEvent.created_at.desc(), SuggestionEvent.id.desc()).limit(LIST_LIMIT)).all()
    return Adoption(
        total, sorted(by_agent, key=lambda r: (-r.tickets_shown, r.key)), sorted(by_lang, key=lambda r: r.key),
        distances,
        [Rejection(t, lang, names.get(a, "") if a else "", reason or "", at) for t, lang, a, reason, at in rejected],
    )


# --- self-service --------------------------------------------------------------------------------------


def _top(counts: dict[str, int]) -> list[QueryCount]:
    return [QueryCount(q, n) for q, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_QUERIES] if n]


def _search_figures(db: Database, f: Filters) -> tuple[int, int, dict[int, int], list[QueryCount],
                                                       list[QueryCount], list[QueryCount]]:
    """One grouped pass over the period's searches (by query and clicked position): totals, clicks by
    position, and the top, zero-result and abstained queries with their spellings merged. One scan
    instead of one per list: the search table is the desk's biggest."""
    query = select(SearchEvent.query, SearchEvent.clicked_position, func.count(),
                   _count(SearchEvent.result_count == 0), _count(SearchEvent.abstained.is_(True))).where(
        _in_period(SearchEvent.created_at, f))
    if f.lang:
        query = query.where(SearchEvent.lang == f.lang)
    with db.session() as session:
        rows = session.execute(query.group_by(SearchEvent.query, SearchEvent.clicked_position)).all()
    searches = clicked = 0
    positions: dict[int, int] = {}
    top: dict[str, int] = {}
    zero: dict[str, int] = {}
    abstained: dict[str, int] = {}
    for text, position, count, no_result, abstain in rows:
        count, key = int(count), normalise_query(text)
        searches += count
        if position is not None:
            clicked += count
            positions[int(position)] = positions.get(int(position), 0) + count
        if key:
            top[key] = top.get(key, 0) + count
            zero[key] = zero.get(key, 0) + int(no_result)
            abstained[key] = abstained.get(key, 0) + int(abstain)
    return searches, clicked, dict(sorted(positions.items())), _top(top), _top(zero), _top(abstained)


def self_service(db: Database, f: Filters, headline_only: bool = False) -> SelfService:
    """Help-center figures; they slice by language only (searches carry no channel, category or agent).
    `headline_only` counts searches and clicks without listing queries, positions or articles."""
    searched = select(SearchEvent.visit_id).where(_in_period(SearchEvent.created_at, f),
                                                   SearchEvent.visit_id.is_not(None))
    read = select(ArticleView.visit_id).where(_in_period(ArticleView.created_at, f), ArticleView.visit_id.is_not(None))
    if f.lang:
        searched = searched.where(SearchEvent.lang == f.lang)
        read = read.where(ArticleView.article_key.startswith(f"{f.lang}/"))
    visits_q = select(func.count()).select_from(union(searched, read).subquery())
    ticket_visits_q = _ticket_slices(select(func.count(distinct(Ticket.visit_id))), f).where(
        _in_period(Ticket.created_at, f), Ticket.visit_id.is_not(None))
    ticketed = select(Ticket.id).where(Ticket.visit_id == Deflection.visit_id).exists()
    deflect_q = select(func.count(distinct(Deflection.visit_id)),
                       func.count(distinct(case((~ticketed, Deflection.visit_id))))).where(
        _in_period(Deflection.created_at, f))
    helpful = _count(ArticleFeedback.helpful.is_(True))
    votes_q = select(ArticleFeedback.article_key, helpful, func.count()).where(
        _in_period(ArticleFeedback.created_at, f))
    said_q = select(ArticleFeedback.article_key, ArticleFeedback.reason, ArticleFeedback.comment).where(
        _in_period(ArticleFeedback.created_at, f), ArticleFeedback.helpful.is_(False),
        or_(ArticleFeedback.reason.is_not(None), ArticleFeedback.comment.is_not(None)))
    if f.lang:
        deflect_q = deflect_q.where(Deflection.article_key.startswith(f"{f.lang}/"))
        votes_q = votes_q.where(ArticleFeedback.article_key.startswith(f"{f.lang}/"))
        said_q = said_q.where(ArticleFeedback.article_key.startswith(f"{f.lang}/"))
    with db.session() as session:
        visits = int(session.scalar(visits_q) or 0)
        ticket_visits = int(session.scalar(ticket_visits_q) or 0)
        deflection_visits, deflected = (int(v) for v in session.execute(deflect_q).one())
        suggested_tickets, solved_by_suggestions = suggestion_figures(session, lambda c: _in_period(c, f), f.lang)
        votes = session.execute(votes_q.group_by(ArticleFeedback.article_key)).all()
        said = session.execute(said_q.order_by(ArticleFeedback.id.desc())).all()  # newest first
    reasons = reason_counts((key, reason) for key, reason, _ in said)
    comments = latest_texts(((key, comment) for key, _, comment in said), LATEST_COMMENTS)
    articles = sorted((ArticleVotes(key, int(good), int(n), round(int(good) / n, 4), dict(reasons.get(key, ())),
                                    comments.get(key, ()))
                       for key, good, n in votes),
                      key=lambda a: (a.ratio, -a.votes, a.article_key))
    if headline_only:
        counted = select(func.count(), func.count(SearchEvent.clicked_position)).where(
            _in_period(SearchEvent.created_at, f))
        if f.lang:
            counted = counted.where(SearchEvent.lang == f.lang)
        with db.session() as session:
            searches, clicked = (int(v) for v in session.execute(counted).one())
        positions: dict[int, int] = {}
        top: list[QueryCount] = []
        zero: list[QueryCount] = []
        abstained: list[QueryCount] = []
        articles = []
    else:
        searches, clicked, positions, top, zero, abstained = _search_figures(db, f)
    return SelfService(
        visits, ticket_visits, round(visits / ticket_visits, 2) if ticket_visits else None,
        deflection_visits, deflected, ratio(deflected, deflection_visits), searches, clicked,
        ratio(clicked, searches), positions, top, zero, abstained, articles[:LIST_LIMIT],
        suggested_tickets, solved_by_suggestions, ratio(solved_by_suggestions, suggested_tickets),
    )


# --- trend ---------------------------------------------------------------------------------------------


def daily(db: Database, f: Filters, facts: TicketFacts | None = None) -> list[Day]:
    """Tickets created and solves per day of the period's zone (every day listed, zeros included).

    Counted in Python over the SQL-selected POSIX times (the created ones are the cohort's facts): a local day is
    not a fixed stretch of UTC (summer time makes 23- and 25-hour days), SQLite knows no zones, and one way of
    counting keeps SQLite and PostgreSQL in agreement. Each time goes to the day whose starting midnight, from
    zoneinfo, precedes it."""
    tz = ZoneInfo(f.zone)
    solves_q = _sliced(select(epoch_seconds(TicketStatusChange.created_at)), f, TicketStatusChange.ticket_id).where(
        TicketStatusChange.new_status == "solved", _in_period(TicketStatusChange.created_at, f))
    with db.session() as session:
        solves = session.scalars(solves_q).all()
    created_at = [row[4] for row in (facts or ticket_facts(db, f)).rows]  # created_at
    dates: list[date] = []
    day = _aware(f.start).astimezone(tz).date()
    while day < _aware(f.end).astimezone(tz).date() and len(dates) < 400:
        dates.append(day)
        day += timedelta(days=1)
    starts = [local_midnight(d, tz).timestamp() for d in dates]

    def per_day(stamps: Iterable[float]) -> list[int]:
        counts = [0] * len(dates)
        for stamp in stamps:
            index = max(0, bisect_right(starts, stamp) - 1)  # a period not starting at midnight: its first day
            if index < len(counts):
                counts[index] += 1
        return counts

    created, solved = per_day(created_at), per_day(solves)
    return [Day(d.isoformat(), c, s) for d, c, s in zip(dates, created, solved, strict=True)]


# --- handle time (task timetrack35) -------------------------------------------------------------------


def _time_slices(query: Select, f: Filters) -> Select:
    """A query over time_entries with the slices: the agent whose time it is, and (joined to the ticket only then) the
    ticket's language, channel and category."""
    return _sliced(query, f, TimeEntry.ticket_id, TimeEntry.agent_id)


def handle_time(db: Database, f: Filters, hours: BusinessHours, names: dict[int, str] | None = None,
                headline_only: bool = False) -> HandleTime:
    """The period's handle time (HandleTime), in SQL: sums grouped by agent on the entries' (created_at, agent_id,
    ticket_id, seconds) index alone, by team over each ticket's sum joined to its ticket, and by solved ticket on the
    (ticket_id, seconds) index; the median in Python over the solved tickets' sums. `headline_only` (the previous
    period beside the current one): the total, per solved ticket and reopened figures, without the breakdowns (one
    SUM for the total). bench/handle_time_bench.py, bench/RESULTS.md "Session 35, timetrack35"."""
    names = names if names is not None else _names(db)
    in_period = _in_period(TimeEntry.created_at, f)
    by_agent_q = _time_slices(select(TimeEntry.agent_id, func.sum(TimeEntry.seconds), func.count(),
                                     func.count(distinct(TimeEntry.ticket_id))), f
                              ).where(in_period).group_by(TimeEntry.agent_id)
    # Each ticket's time first (from the index), then one ticket lookup per ticket rather than per entry.
    per_ticket = _time_slices(select(TimeEntry.ticket_id, func.sum(TimeEntry.seconds).label("seconds"),
                                     func.count().label("entries")), f
                              ).where(in_period).group_by(TimeEntry.ticket_id).subquery("per_ticket")
    by_team_q = (select(Ticket.team, func.sum(per_ticket.c.seconds), func.sum(per_ticket.c.entries), func.count())
                 .join(Ticket, Ticket.id == per_ticket.c.ticket_id).group_by(Ticket.team))
    total_q = _time_slices(select(func.coalesce(func.sum(TimeEntry.seconds), 0), func.count()), f).where(in_period)
    solved = (select(TicketStatusChange.ticket_id)
              .where(TicketStatusChange.new_status == "solved", _in_period(TicketStatusChange.created_at, f)))
    per_solved_q = _time_slices(select(TimeEntry.ticket_id, func.sum(TimeEntry.seconds)), f).where(
        TimeEntry.ticket_id.in_(solved)).group_by(TimeEntry.ticket_id)
    change = TicketStatusChange
    # Each ticket's first reopen, for the tickets with time in the period only (not every reopen ever made).
    reopens = (select(change.ticket_id, func.min(change.created_at).label("first_reopen"))
               .where(change.old_status.in_(SOLVED), change.new_status.in_(UNSOLVED),
                      change.ticket_id.in_(select(TimeEntry.ticket_id).where(in_period)))
               .group_by(change.ticket_id).subquery("reopens"))
    reopened_q = _time_slices(select(func.coalesce(func.sum(TimeEntry.seconds), 0),
                                     func.count(distinct(TimeEntry.ticket_id)))
                              .join(reopens, reopens.c.ticket_id == TimeEntry.ticket_id), f).where(
        in_period, TimeEntry.created_at >= reopens.c.first_reopen)
    agents: list[Any] = []
    teams: dict[str, list[int]] = {}
    with db.session() as session:
        if headline_only:
            seconds, entries = (int(v or 0) for v in session.execute(total_q).one())
        else:
            agents = list(session.execute(by_agent_q).all())
            seconds, entries = sum(int(row[1] or 0) for row in agents), sum(int(row[2]) for row in agents)
            for team, team_seconds, team_entries, tickets in session.execute(by_team_q).all():
                kept = teams.setdefault(hours.team_key(team), [0, 0, 0])  # no team stored: the default team's
                kept[0] += int(team_seconds or 0)
                kept[1] += int(team_entries)
                kept[2] += int(tickets)
        sums = [float(total) for _ticket, total in session.execute(per_solved_q).all()]
        reopened_seconds, reopened_tickets = session.execute(reopened_q).one()
    by_agent = sorted((HandleTimeRow(names.get(a, str(a)), int(sec or 0), int(n), int(t)) for a, sec, n, t in agents),
                      key=lambda r: (-r.seconds, r.key))
    by_team = sorted((HandleTimeRow(key, *v) for key, v in teams.items()), key=lambda r: (-r.seconds, r.key))
    average = round(sum(sums) / len(sums), 1) if sums else None
    return HandleTime(seconds, entries, by_agent, by_team, len(sums), average, median(sums),
                      int(reopened_seconds or 0), int(reopened_tickets or 0))


# --- everything ----------------------------------------------------------------------------------------


def figures(db: Database, f: Filters, hours: BusinessHours, as_of: datetime | None = None,
            headline_only: bool = False, facts: TicketFacts | None = None) -> Figures:
    """Every figure of the period; `headline_only` leaves the per-agent, copilot, backlog and daily
    breakdowns empty (what the previous period beside the current one needs is its headline). `facts`: the period's
    `ticket_facts` when the caller has read them (the dashboard's breakdown by a field counts the same rows)."""
    names = _names(db)
    facts = facts or ticket_facts(db, f, as_of)
    if headline_only:
        empty = AdoptionRow("all", 0, 0, 0, 0, 0, 0)
        return Figures(
            f, ticket_figures(db, f, hours, as_of, facts), Backlog(min(as_of or utcnow(), f.end), {}, 0, 0),
            csat(db, f, names), [], Adoption(empty, [], [], {}, []), self_service(db, f, headline_only=True), [],
            handle_time(db, f, hours, names, headline_only=True),
        )
    return Figures(
        f, ticket_figures(db, f, hours, as_of, facts), backlog(db, f, as_of), csat(db, f, names),
        agent_rows(db, f, names, facts), adoption(db, f, names), self_service(db, f), daily(db, f, facts),
        handle_time(db, f, hours, names),
    )


@gc_paused()
def dashboard(db: Database, f: Filters, hours: BusinessHours, as_of: datetime | None = None,
              facts: TicketFacts | None = None) -> Dashboard:
    """The period's figures with the previous period's headline figures beside them; `facts` as for `figures`."""
    return Dashboard(figures(db, f, hours, as_of, facts=facts),
                     figures(db, f.previous(), hours, as_of, headline_only=True))


def as_json(value: Any) -> Any:
    """Figures as JSON-ready data: dataclasses as objects, times as ISO 8601 UTC."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: as_json(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, datetime):
        return _aware(value).astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value
