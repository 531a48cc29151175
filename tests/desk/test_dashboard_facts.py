"""The dashboard's per-ticket figures (session 34's metricsql34: grouped in SQL, folded in one pass) against the same
figures worked out here from the rows themselves, ticket by ticket, on a generated desk: every status, reopenings,
merges (the source closed, its messages moved, the target reopened), internal notes, due times met and missed, CSAT,
two teams' business hours (and again on teams whose clocks change in the period), a dropdown field, organizations, four
languages x channels x categories x agents.
`--postgresql` runs it on PostgreSQL.

The oracle reads every ticket, message and status change with the ORM and follows the README's definitions: the
cohort is the tickets created in the period (with the slices); first reply = the first public agent message; a solve
is a change to "solved"; reopened = a change from solved/closed back to unsolved; one touch = solved, never reopened,
at most one public reply; a breach = the first reply after the due time, or none and the due time passed; business
time = `Team.seconds_between` (not the dashboard's `WorkingClock`). Times fall on a 6-minute grid, so every duration
is a whole tenth of an hour and a median a whole twentieth: rounding to 0.01 h cannot tip either way between the
database's seconds and Python's.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import inspect, select

from desk import metrics
from desk.business_hours import BusinessHours, _aware
from desk.desk import Desk
from desk.metrics import SOLVED, UNSOLVED, Filters
from desk.models import CsatSurvey, Customer, Message, Organization, Ticket, TicketFieldValue, TicketStatusChange
from tests.conftest import database_at, migrate
from tests.desk.test_metrics import HOURS, Fixture, desk  # noqa: F401

START = datetime(2026, 10, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)
REASONS = ("refund", "delivery", "damaged")
CHANGING = BusinessHours.from_mapping({"default": "ksa", "teams": {
    "ksa": {"timezone": "Europe/Amsterdam", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "hours": ["22:00", "06:00"]},
    "uae": {"timezone": "Europe/London", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "hours": ["00:00", "24:00"]}}})
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")


def grid(minutes: int) -> timedelta:
    return timedelta(minutes=6 * (minutes // 6))


def generate(desk: Desk) -> Fixture:  # noqa: F811
    """About 180 tickets over 50 days with their histories, written as the desk writes them."""
    rng = random.Random(34)
    fx = Fixture(desk)
    agents = (fx.amal, fx.badr, None)
    with desk.db.session() as s:
        acme = Organization(name="Acme", name_key="acme")
        s.add(acme)
        s.flush()
        acme_id = acme.id
    rows: list[object] = []
    tickets: list[tuple[int, datetime, str]] = []
    for number in range(180):
        created = START + grid(rng.randrange(60 * 24 * 50))
        status = rng.choice(STATUSES)
        due = created + grid(rng.randrange(60, 60 * 30)) if rng.random() < 0.6 else None
        ticket = fx.ticket(f"G{number}", created, lang=rng.choice(("en", "ar")), team=rng.choice(("ksa", "uae")),
                           channel=rng.choice(("email", "web", "chat")), category=rng.choice((None, "payments")),
                           agent=rng.choice(agents), status=status, due=due)
        tickets.append((ticket, created, status))
        at = created
        for _ in range(rng.randrange(4)):  # replies, some of them internal notes
            at += grid(rng.randrange(6, 60 * 40))
            fx.reply(ticket, at, rng.choice((fx.amal, fx.badr)), internal=rng.random() < 0.25)
        if status in SOLVED or rng.random() < 0.2:  # solved now, or solved once and reopened since
            for _ in range(1 + (rng.random() < 0.3)):
                at += grid(rng.randrange(6, 60 * 60))
                fx.status(ticket, "open", "solved", at, fx.amal)
                if rng.random() < 0.4 or status not in SOLVED:
                    at += grid(rng.randrange(6, 60 * 20))
                    fx.status(ticket, "solved", rng.choice(UNSOLVED), at, fx.badr)
                    at += grid(rng.randrange(6, 60 * 20))
                    fx.status(ticket, "open", "solved", at, fx.amal)
            if status not in SOLVED:
                at += grid(rng.randrange(6, 600))
                fx.status(ticket, "solved", status if status != "new" else "open", at, fx.badr)
            if status == "closed":
                fx.status(ticket, "solved", "closed", at + timedelta(days=4), None)
            if rng.random() < 0.5:
                rows.append(CsatSurvey(ticket_id=ticket, token=f"s{number}", agent_id=fx.amal, sent_at=at,
                                       rating=rng.choice((None, 1, 2, 3, 4, 5)), answered_at=at))
        if rng.random() < 0.8:
            rows.append(TicketFieldValue(ticket_id=ticket, key="reason", value=rng.choice((*REASONS, "lost"))))
        rows.append(TicketFieldValue(ticket_id=ticket, key="order", value=f"A-{number}"))  # another key
    fx.add(*rows)
    with desk.db.session() as s:
        for customer in s.scalars(select(Customer)).all()[::3]:
            customer.organization_id = acme_id
        for (source, _c, _s), (target, _c2, target_status) in zip(tickets[0:30:3], tickets[1:30:3], strict=True):
            # A merge as desk.tickets does it: the source's messages move, the source is closed, a solved target
            # reopened.
            merged_at = AS_OF - timedelta(days=1)
            s.execute(Message.__table__.update().where(Message.ticket_id == source).values(ticket_id=target))
            s.get(Ticket, source).merged_into_id = target  # type: ignore[union-attr]
            s.get(Ticket, source).status = "closed"  # type: ignore[union-attr]
            s.add(TicketStatusChange(ticket_id=source, old_status="open", new_status="closed", created_at=merged_at))
            if target_status in ("solved", "new"):
                s.get(Ticket, target).status = "open"  # type: ignore[union-attr]
                s.add(TicketStatusChange(ticket_id=target, old_status=target_status, new_status="open",
                                         created_at=merged_at))
    return fx


def nearest_rank(values: list[float], p: float) -> float | None:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else None


def hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def middle(values: list[float]) -> float | None:
    return hours(statistics.median(values)) if values else None


class Oracle:
    """Each ticket's facts from its rows, in Python."""

    def __init__(self, desk: Desk) -> None:  # noqa: F811
        self.hours = HOURS
        with desk.db.session() as s:
            self.tickets = [(t.id, _aware(t.created_at), t.lang, t.channel, t.category, t.assignee_id, t.team,
                             t.status, _aware(t.due_at) if t.due_at else None) for t in s.scalars(select(Ticket))]
            self.replies: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
            for m in s.scalars(select(Message).where(Message.author == "agent", Message.internal.is_(False))):
                self.replies[m.ticket_id].append((_aware(m.created_at), m.agent_id))
            self.changes: dict[int, list[tuple[str | None, str, datetime]]] = defaultdict(list)
            for c in s.scalars(select(TicketStatusChange)):
                self.changes[c.ticket_id].append((c.old_status, c.new_status, _aware(c.created_at)))
            self.values = {v.ticket_id: v.value for v in s.scalars(select(TicketFieldValue)
                                                                    .where(TicketFieldValue.key == "reason"))}
            self.surveys = [(c.ticket_id, c.agent_id, _aware(c.sent_at) if c.sent_at else None, c.rating)
                            for c in s.scalars(select(CsatSurvey))]

    def sliced(self, f: Filters, ticket_id: int, agent: int | None) -> bool:
        """Whether a row of ticket `ticket_id` (its agent `agent`: the survey's, or the ticket's assignee) is in
        the slices."""
        _tid, _created, lang, channel, category, *_rest = next(t for t in self.tickets if t[0] == ticket_id)
        return not ((f.lang and lang != f.lang) or (f.channel and channel != f.channel)
                    or (f.category and category != f.category) or (f.agent_id is not None and agent != f.agent_id))

    def csat(self, f: Filters) -> dict[str | None, tuple[int, int, int]]:
        """(sent, answered, satisfied) of the surveys sent in the period, all (key "all") and by the ticket's reason."""
        counted: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
        for tid, agent, sent, rating in self.surveys:
            if sent is None or not f.start <= sent < f.end or not self.sliced(f, tid, agent):
                continue
            for key in ("all", self.values.get(tid)):
                counted[key][0] += 1
                counted[key][1] += rating is not None
                counted[key][2] += rating is not None and rating >= 4
        return {key: (sent, answered, good) for key, (sent, answered, good) in counted.items()}

    def solved_per_day(self, f: Filters) -> dict[str, int]:
        assignee = {t[0]: t[5] for t in self.tickets}
        counted: dict[str, int] = defaultdict(int)
        for tid, changes in self.changes.items():
            for _old, new, at in changes:
                if new == "solved" and f.start <= at < f.end and self.sliced(f, tid, assignee[tid]):
                    counted[at.astimezone(ZoneInfo(f.zone)).date().isoformat()] += 1
        return counted

    def cohort(self, f: Filters) -> list[dict[str, Any]]:
        out = []
        for tid, created, lang, channel, category, agent, team, status, due in self.tickets:
            if not f.start <= created < f.end or (f.lang and lang != f.lang) or (f.channel and channel != f.channel) \
                    or (f.category and category != f.category) or (f.agent_id is not None and agent != f.agent_id):
                continue
            replies = sorted(at for at, _a in self.replies[tid])
            solves = sorted(at for _o, new, at in self.changes[tid] if new == "solved")
            out.append({
                "id": tid, "created": created, "agent": agent, "team": team, "status": status, "due": due,
                "first_reply": replies[0] if replies else None, "replies": len(replies),
                "first_solve": solves[0] if solves else None, "last_solve": solves[-1] if solves else None,
                "reopened": any(old in SOLVED and new in UNSOLVED for old, new, _at in self.changes[tid]),
            })
        return out

    def durations(self, cohort: list[dict[str, Any]], end: str, only_solved: bool = False) -> metrics.Durations:
        calendar, business = [], []
        for t in cohort:
            if t[end] is None or (only_solved and t["status"] not in SOLVED):
                continue
            calendar.append(max(0.0, (t[end] - t["created"]).total_seconds() / 3600))
            business.append(max(0.0, self.hours.team(t["team"]).seconds_between(t["created"], t[end])) / 3600)
        return metrics.Durations(len(calendar), middle(calendar), hours(nearest_rank(calendar, 90)),
                                 middle(business), hours(nearest_rank(business, 90)))

    def ticket_figures(self, f: Filters) -> metrics.TicketFigures:
        cohort = self.cohort(f)
        solved = [t for t in cohort if t["first_solve"] is not None]
        reopened = sum(t["reopened"] for t in solved)
        one_touch = sum(not t["reopened"] and t["replies"] <= 1 for t in solved)
        as_of = min(AS_OF, f.end)
        breaches = sum(t["due"] is not None and (t["first_reply"] > t["due"] if t["first_reply"] else t["due"] < as_of)
                       for t in cohort)
        return metrics.TicketFigures(
            len(cohort), sum(t["first_reply"] is not None for t in cohort), len(solved), reopened,
            metrics.ratio(reopened, len(solved)), one_touch, metrics.ratio(one_touch, len(solved)), breaches,
            self.durations(cohort, "first_reply"), self.durations(cohort, "first_solve"),
            self.durations(cohort, "last_solve", only_solved=True))

    def agent_medians(self, f: Filters) -> dict[int, tuple[float | None, float | None]]:
        first: dict[int, list[float]] = defaultdict(list)
        full: dict[int, list[float]] = defaultdict(list)
        for t in self.cohort(f):
            if t["agent"] is None:
                continue
            if t["first_reply"] is not None:
                first[t["agent"]].append((t["first_reply"] - t["created"]).total_seconds() / 3600)
            if t["last_solve"] is not None and t["status"] in SOLVED:
                full[t["agent"]].append((t["last_solve"] - t["created"]).total_seconds() / 3600)
        return {a: (middle(first[a]), middle(full[a])) for a in set(first) | set(full)}

    def field_facts(self, f: Filters) -> dict[str | None, tuple[int, float | None, float | None]]:
        groups: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for t in self.cohort(f):
            groups[self.values.get(t["id"])].append(t)
        return {value: (len(ts), middle([(t["first_reply"] - t["created"]).total_seconds() / 3600
                                         for t in ts if t["first_reply"] is not None]),
                        middle([(t["last_solve"] - t["created"]).total_seconds() / 3600
                                for t in ts if t["last_solve"] is not None and t["status"] in SOLVED]))
                for value, ts in groups.items()}

    def created_per_day(self, f: Filters) -> dict[str, int]:
        counted: dict[str, int] = defaultdict(int)
        for t in self.cohort(f):
            counted[t["created"].astimezone(ZoneInfo(f.zone)).date().isoformat()] += 1
        return counted


def test_the_dashboard_figures_equal_the_ones_worked_out_ticket_by_ticket(desk: Desk) -> None:  # noqa: F811
    fx = generate(desk)
    oracle = Oracle(desk)
    periods = [Filters.for_days(date(2026, 10, 1), date(2026, 11, 19)),
               Filters.for_days(date(2026, 10, 15), date(2026, 10, 28), "Asia/Riyadh"),
               Filters.for_days(date(2026, 10, 1), date(2026, 11, 19), lang="ar", channel="email"),
               Filters.for_days(date(2026, 10, 1), date(2026, 11, 19), category="payments", agent_id=fx.amal)]
    for f in periods:
        facts = metrics.ticket_facts(desk.db, f, AS_OF)
        figures = metrics.figures(desk.db, f, HOURS, AS_OF, facts=facts)
        expected = oracle.ticket_figures(f)
        assert figures.tickets == expected, f
        assert metrics.ticket_figures(desk.db, f, HOURS, AS_OF) == expected  # reading its own facts
        assert expected.created > 5 and expected.reopened and expected.one_touch and expected.due_breaches, f
        medians = oracle.agent_medians(f)
        assert {row.agent_id: (row.median_first_reply_hours, row.median_resolution_hours)
                for row in figures.agents if row.agent_id in medians} == medians
        by_value = oracle.field_facts(f)
        for rows in (metrics.field_rows(desk.db, f, "reason", REASONS, facts),
                     metrics.field_rows(desk.db, f, "reason", REASONS)):
            assert [row.value for row in rows] == [*REASONS, *(["lost"] if "lost" in by_value else []),
                                                   *([None] if None in by_value else [])]
            assert {row.value: (row.created, row.median_first_reply_hours, row.median_resolution_hours)
                    for row in rows if row.created} == by_value
        assert {d.day: d.created for d in figures.days if d.created} == oracle.created_per_day(f)
        previous = metrics.dashboard(desk.db, f, HOURS, AS_OF, facts=facts).previous
        assert previous.tickets == oracle.ticket_figures(f.previous())
        # The surveys and solves, counted from their own tables unless a slice needs the ticket (dashfast35).
        surveys = oracle.csat(f)
        assert (figures.csat.sent, figures.csat.answered, figures.csat.satisfied) == surveys["all"], f
        assert surveys["all"][1] > 2, f
        assert {row.agent_id: row.csat_answered for row in figures.agents if row.csat_answered} == \
            ({fx.amal: surveys["all"][1]} if surveys["all"][1] else {})
        assert {row.value: row.csat_answered for row in metrics.field_rows(desk.db, f, "reason", REASONS, facts)
                if row.csat_answered} == {value: answered for value, (_s, answered, _g) in surveys.items()
                                          if value != "all" and answered}
        assert {d.day: d.solved for d in figures.days if d.solved} == oracle.solved_per_day(f), f
    # The same tickets on teams whose clocks change in the period (Europe's summer time ends on 25 October, 01:00 UTC):
    # round the clock in London, overnight in Amsterdam. The dashboard's clock counts what seconds_between counts
    # (session 34's clockfix34: before, a round-the-clock team's 25-hour day was 24 hours to one and not the other).
    oracle.hours = CHANGING
    for f in (Filters.for_days(date(2026, 10, 23), date(2026, 10, 25)), periods[0]):
        assert metrics.figures(desk.db, f, CHANGING, AS_OF).tickets == oracle.ticket_figures(f), f



def test_the_migration_adds_the_replies_covering_index_and_goes_down(tmp_path: Path) -> None:
    """dashfast35: the agents' public replies in a period are counted from (created_at, author, internal, agent_id)."""
    db, _ = database_at(tmp_path, "time_entries")
    migrate(db, command.upgrade, "dashboard_indexes")
    indexes = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("messages")}
    assert indexes["ix_messages_created_author"] == ["created_at", "author", "internal", "agent_id"]
    migrate(db, command.downgrade, "time_entries")
    assert "ix_messages_created_author" not in {i["name"] for i in inspect(db.engine).get_indexes("messages")}
    db.close()


def test_the_migration_covers_the_solved_by_suggested_articles_figure_and_goes_down(tmp_path: Path) -> None:
    """dash36: a period's suggested tickets and their "yes" answers, by language, read from the index alone (SQLite:
    0.20 s to 0.04 s at 90,000 suggestions), not from each suggestion's row."""
    db, _ = database_at(tmp_path, "mail_suggestions")
    migrate(db, command.upgrade, "mail_suggestions_covering")
    db.engine.dispose()  # a pooled SQLite connection from before may plan with the schema it read then
    indexes = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("mail_suggestions")}
    assert indexes["ix_mail_suggestions_created_answer"] == ["created_at", "ticket_id", "answer", "article_key"]
    if db.engine.dialect.name == "sqlite":  # the figure's statement, as desk.mail_suggestions.suggestion_figures
        with db.engine.connect() as connection:
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT count(DISTINCT ticket_id), count(DISTINCT CASE WHEN answer = 'yes' THEN "
                "ticket_id END) FROM mail_suggestions WHERE created_at >= '2026-01-01' AND created_at < '2026-04-01' "
                "AND article_key LIKE 'ar/%'"))
        assert "COVERING INDEX ix_mail_suggestions_created_answer" in plan
    migrate(db, command.downgrade, "mail_suggestions")
    indexes = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("mail_suggestions")}
    assert indexes["ix_mail_suggestions_created_answer"] == ["created_at", "answer"]
    migrate(db, command.upgrade, "head")
    db.close()
