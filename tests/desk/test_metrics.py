"""Every dashboard figure against a desk whose numbers are worked out by hand below.

The week 2026-11-29 (Sunday) .. 2026-12-05 (Saturday), UTC. KSA works Sun-Thu 09-17 Riyadh (UTC+3);
UAE works Mon-Fri 09-18 Dubai (UTC+4) with 2-3 December as holidays. Times are UTC.

T1 KSA en email payments, Amal: created Thu 12-03 13:00 (16:00 Riyadh); internal note 14:00; reply and
   solve Sat 12-05 07:00 -> 42 h calendar, 1 business hour (Thu 16-17; Fri/Sat weekend). One touch.
T2 UAE ar chat orders, Badr: created Tue 12-01 05:00 (09:00 Dubai); reply + solve Fri 12-04 06:00 ->
   73 h, 10 business h (Tue 9 h; Wed/Thu holidays; Fri 09-10). Reopened 08:00, reply 09:00, solved
   again 10:00 -> full resolution 77 h, 14 business h. Two replies, reopened: not one touch.
T3 KSA en web payments, Amal: created Sun 11-29 06:00, due 07:00, reply 08:00 (2 h, 2 bh): a due
   breach; pending.
T4 KSA ar email, nobody: created Mon 11-30 10:00, due 14:00, no reply: a breach; new, overdue.
T5 KSA en email, Amal: created Wed 12-02 06:00, reply + solve 06:30 (0.5 h), closed Sat: one touch.
T7 KSA en web, nobody: created Sat 12-05 20:00, open, no reply.
T6 KSA en, Amal: the previous week (Wed 11-25 06:00, reply + solve 07:00).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from desk import metrics
from desk.business_hours import BusinessHours
from desk.desk import Desk
from desk.metrics import Filters
from desk.models import (
    Agent,
    ArticleFeedback,
    ArticleView,
    CsatSurvey,
    Customer,
    Deflection,
    Message,
    SearchEvent,
    SuggestionEvent,
    Ticket,
    TicketStatusChange,
)
from kb.settings import Settings
from tests.conftest import database_url_for_tests

HOURS = BusinessHours.from_mapping({
    "default": "ksa",
    "teams": {
        "ksa": {"timezone": "Asia/Riyadh", "days": ["sun", "mon", "tue", "wed", "thu"], "hours": ["09:00", "17:00"],
                "holidays": ["2026-09-23"]},
        "uae": {"timezone": "Asia/Dubai", "days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["09:00", "18:00"],
                "holidays": ["2026-12-02", "2026-12-03"]},
    },
})
WEEK = Filters.for_days(date(2026, 11, 29), date(2026, 12, 5))
AS_OF = datetime(2026, 12, 6, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class Fixture:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.ids: dict[str, int] = {}
        with desk.db.session() as s:
            amal, badr = Agent(email="amal@example.com", name="Amal", password_hash="x"), Agent(
                email="badr@example.com", name="Badr", password_hash="x")
            s.add_all([amal, badr])
            s.flush()
            self.amal, self.badr = amal.id, badr.id

    def ticket(self, name: str, created: datetime, lang: str = "en", team: str = "ksa", channel: str = "email",
               category: str | None = None, agent: int | None = None, status: str = "open",
               due: datetime | None = None, visit: str | None = None) -> int:
        with self.desk.db.session() as s:
            customer = Customer(email=f"{name.lower()}@example.com", name=name)
            ticket = Ticket(reference=f"ref-{name}", customer=customer, subject=f"Subject {name}", lang=lang,
                            team=team, channel=channel, category=category, assignee_id=agent, status=status,
                            due_at=due, visit_id=visit, created_at=created, updated_at=created)
            ticket.messages.append(Message(author="customer", body="help", created_at=created))
            s.add(ticket)
            s.flush()
            self.ids[name] = ticket.id
            return ticket.id

    def reply(self, ticket: int, when: datetime, agent: int, internal: bool = False) -> None:
        with self.desk.db.session() as s:
            s.add(Message(ticket_id=ticket, author="agent", agent_id=agent, body="answer", internal=internal,
                          created_at=when))

    def status(self, ticket: int, old: str, new: str, when: datetime, agent: int | None = None) -> None:
        with self.desk.db.session() as s:
            s.add(TicketStatusChange(ticket_id=ticket, old_status=old, new_status=new, agent_id=agent,
                                     created_at=when))

    def add(self, *rows: object) -> None:
        with self.desk.db.session() as s:
            s.add_all(rows)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    yield opened
    opened.close()


@pytest.fixture
def world(desk: Desk) -> Fixture:
    return build_world(desk)


def build_world(desk: Desk) -> Fixture:
    """The week described in the module docstring (also the web and API tests' desk)."""
    w = Fixture(desk)
    amal, badr = w.amal, w.badr
    t1 = w.ticket("T1", at(3, 13), category="payments", agent=amal, status="solved", visit="v1")
    w.reply(t1, at(3, 14), amal, internal=True)
    w.reply(t1, at(5, 7), amal)
    w.status(t1, "new", "solved", at(5, 7), amal)
    t2 = w.ticket("T2", at(1, 5), lang="ar", team="uae", channel="chat", category="orders", agent=badr,
                  status="solved")
    w.reply(t2, at(4, 6), badr)
    w.status(t2, "new", "solved", at(4, 6), badr)
    w.status(t2, "solved", "open", at(4, 8))
    w.reply(t2, at(4, 9), badr)
    w.status(t2, "open", "solved", at(4, 10), badr)
    t3 = w.ticket("T3", at(29, 6, month=11), channel="web", category="payments", agent=amal, status="pending",
                  due=at(29, 7, month=11))
    w.reply(t3, at(29, 8, month=11), amal)
    w.status(t3, "new", "pending", at(29, 8, month=11), amal)
    w.ticket("T4", at(30, 10, month=11), lang="ar", status="new", due=at(30, 14, month=11))
    t5 = w.ticket("T5", at(2, 6), agent=amal, status="closed")
    w.reply(t5, at(2, 6, 30), amal)
    w.status(t5, "new", "solved", at(2, 6, 30), amal)
    w.status(t5, "solved", "closed", at(5, 6, 30))
    w.ticket("T7", at(5, 20), channel="web", status="open", visit="v4")
    t6 = w.ticket("T6", at(25, 6, month=11), agent=amal, status="solved")
    w.reply(t6, at(25, 7, month=11), amal)
    w.status(t6, "new", "solved", at(25, 7, month=11), amal)

    w.add(
        CsatSurvey(ticket_id=t1, token="c1", agent_id=amal, sent_at=at(5, 7), rating=5, answered_at=at(5, 9)),
        CsatSurvey(ticket_id=t2, token="c2", agent_id=badr, sent_at=at(4, 6), rating=2, comment="Took three days",
                   answered_at=at(4, 7)),
        CsatSurvey(ticket_id=t2, token="c3", agent_id=badr, sent_at=at(4, 10)),
        CsatSurvey(ticket_id=t5, token="c5", agent_id=amal, sent_at=at(2, 6, 30), rating=4, answered_at=at(2, 8)),
    )

    def event(ticket: int, kind: str, agent: int, when: datetime, **kw: object) -> SuggestionEvent:
        return SuggestionEvent(ticket_id=ticket, kind=kind, agent_id=agent, created_at=when, **kw)

    w.add(
        event(t1, "shown", amal, at(5, 6)),
        event(t1, "inserted", amal, at(5, 6, 30), details={"what": "draft"}),
        event(t1, "sent", amal, at(5, 7), edit_distance=0),
        event(t2, "shown", badr, at(4, 5)),
        event(t2, "inserted", badr, at(4, 5, 10), details={"what": "passage"}),
        event(t2, "rejected", badr, at(4, 5, 20), reason="wrong country"),
        event(t2, "inserted", badr, at(4, 5, 30), details={"what": "draft"}),
        event(t2, "edited", badr, at(4, 6), edit_distance=35),
        event(t2, "sent", badr, at(4, 6), edit_distance=35),
        event(t3, "shown", amal, at(29, 7, month=11)),
        event(t3, "shown", amal, at(29, 7, 30, month=11)),
        event(t3, "rejected", amal, at(29, 7, 40, month=11), reason="about cards"),
    )

    def search(visit: str, query: str, lang: str, results: int, when: datetime, abstained: bool = False,
               position: int | None = None) -> SearchEvent:
        return SearchEvent(visit_id=visit, query=query, lang=lang, result_count=results, abstained=abstained,
                           clicked_article="en/x" if position else None, clicked_position=position, created_at=when)

    w.add(
        search("v1", "Refund status", "en", 3, at(3, 12), position=1),
        search("v1", "refund  status", "en", 0, at(3, 12, 5)),
        search("v2", "tabby", "en", 0, at(2, 9), abstained=True),
        search("v3", "تابي", "ar", 2, at(2, 10), abstained=True),
        search("v2", "apple pay", "en", 5, at(2, 11), position=2),
        search("v9", "old question", "en", 0, at(24, 9, month=11)),
        ArticleView(article_key="en/apple-pay", visit_id="v4", created_at=at(5, 19)),
        ArticleView(article_key="en/refund-timing", visit_id="v1", created_at=at(3, 12, 10)),
        Deflection(visit_id="v2", article_key="en/apple-pay", created_at=at(2, 11, 1)),
        Deflection(visit_id="v4", article_key="en/refund-timing", created_at=at(5, 19, 30)),
        ArticleFeedback(article_key="en/apple-pay", helpful=True, created_at=at(2, 11, 2)),
        ArticleFeedback(article_key="en/apple-pay", helpful=True, created_at=at(3, 11)),
        ArticleFeedback(article_key="en/apple-pay", helpful=False, created_at=at(3, 12)),
        ArticleFeedback(article_key="en/refund-timing", helpful=False, created_at=at(3, 12, 20)),
    )
    return w


def test_ticket_figures_in_calendar_and_business_hours(desk: Desk, world: Fixture) -> None:
    t = metrics.ticket_figures(desk.db, WEEK, HOURS, AS_OF)
    assert (t.created, t.replied, t.solved, t.reopened, t.one_touch, t.due_breaches) == (6, 4, 3, 1, 2, 2)
    assert (t.reopen_rate, t.one_touch_rate) == (0.3333, 0.6667)
    # First replies 42, 73, 2, 0.5 h; business 1, 10, 2, 0.5.
    assert t.first_reply == metrics.Durations(4, 22.0, 73.0, 1.5, 10.0)
    # First solves 42, 73, 0.5 h (business 1, 10, 0.5); last solves 42, 77, 0.5 (business 1, 14, 0.5).
    assert t.first_resolution == metrics.Durations(3, 42.0, 73.0, 1.0, 10.0)
    assert t.full_resolution == metrics.Durations(3, 42.0, 77.0, 1.0, 14.0)


def test_the_previous_period_sits_beside(desk: Desk, world: Fixture) -> None:
    board = metrics.dashboard(desk.db, WEEK, HOURS, AS_OF)
    assert board.previous.filters.start == datetime(2026, 11, 22, tzinfo=UTC)
    prev = board.previous.tickets
    assert (prev.created, prev.replied, prev.solved, prev.one_touch) == (1, 1, 1, 1)
    assert prev.first_reply == metrics.Durations(1, 1.0, 1.0, 1.0, 1.0)
    assert board.current.tickets.created == 6
    assert board.previous.self_service.searches == 1
    # Beside the current period only the headline is needed: the breakdowns stay empty.
    assert board.previous.agents == [] and board.previous.self_service.top_queries == []
    assert board.current.self_service.top_queries != []


def test_filters_slice_every_ticket_figure(desk: Desk, world: Fixture) -> None:
    def created(**slices: object) -> int:
        return metrics.ticket_figures(desk.db, Filters(WEEK.start, WEEK.end, **slices), HOURS, AS_OF).created

    assert created(lang="en") == 4
    assert created(channel="chat") == 1
    assert created(category="payments") == 2
    assert created(agent_id=world.amal) == 3
    only_uae = metrics.ticket_figures(desk.db, Filters(WEEK.start, WEEK.end, channel="chat"), HOURS, AS_OF)
    assert only_uae.full_resolution == metrics.Durations(1, 77.0, 77.0, 14.0, 14.0)


def test_backlog_by_age_and_overdue(desk: Desk, world: Fixture) -> None:
    b = metrics.backlog(desk.db, WEEK, AS_OF)
    assert b.buckets["<1d"] == {"new": 0, "open": 1, "pending": 0, "on_hold": 0}
    assert b.buckets["3-7d"] == {"new": 1, "open": 0, "pending": 1, "on_hold": 0}
    assert sum(b.buckets["1-3d"].values()) == 0 and sum(b.buckets[">7d"].values()) == 0
    assert (b.total, b.overdue) == (3, 1)  # T3 is pending: waiting on the customer, not overdue
    assert metrics.backlog(desk.db, Filters(WEEK.start, WEEK.end, lang="ar"), AS_OF).total == 1


def test_csat(desk: Desk, world: Fixture) -> None:
    c = metrics.csat(desk.db, WEEK)
    assert (c.sent, c.answered, c.satisfied, c.satisfaction, c.response_rate) == (4, 3, 2, 0.6667, 0.75)
    assert c.ratings == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert [(r.ticket_id, r.agent, r.rating, r.comment) for r in c.low] == [
        (world.ids["T2"], "Badr", 2, "Took three days")]
    assert metrics.csat(desk.db, Filters(WEEK.start, WEEK.end, agent_id=world.amal)).satisfaction == 1.0


def test_agent_productivity(desk: Desk, world: Fixture) -> None:
    rows = {r.agent: r for r in metrics.agent_rows(desk.db, WEEK)}
    assert rows["Amal"] == metrics.AgentRow(world.amal, "Amal", 2, 3, 2.0, 21.25, 2, 1.0)
    assert rows["Badr"] == metrics.AgentRow(world.badr, "Badr", 1, 2, 73.0, 77.0, 1, 0.0)


def test_copilot_adoption(desk: Desk, world: Fixture) -> None:
    a = metrics.adoption(desk.db, WEEK)
    assert a.total == metrics.AdoptionRow("all", 3, 3, 2, 1, 1, 2)
    assert a.by_agent == [metrics.AdoptionRow("Amal", 2, 1, 1, 1, 0, 1), metrics.AdoptionRow("Badr", 1, 2, 1, 0, 1, 1)]
    assert a.by_lang == [metrics.AdoptionRow("ar", 1, 2, 1, 0, 1, 1), metrics.AdoptionRow("en", 2, 1, 1, 1, 0, 1)]
    assert a.edit_distances == {"0": 1, "1-20": 0, "21-100": 1, "101-500": 0, ">500": 0}
    assert [(r.ticket_id, r.agent, r.reason) for r in a.rejections] == [
        (world.ids["T2"], "Badr", "wrong country"), (world.ids["T3"], "Amal", "about cards")]


def test_self_service(desk: Desk, world: Fixture) -> None:
    s = metrics.self_service(desk.db, WEEK)
    assert (s.visits, s.ticket_visits, s.score) == (4, 2, 2.0)
    assert (s.deflection_visits, s.deflected, s.deflection_rate) == (2, 1, 0.5)
    assert (s.searches, s.clicked, s.click_through, s.click_positions) == (5, 2, 0.4, {1: 1, 2: 1})
    assert [(q.query, q.searches) for q in s.top_queries] == [
        ("refund status", 2), ("apple pay", 1), ("tabby", 1), ("تابي", 1)]
    assert [(q.query, q.searches) for q in s.zero_result] == [("refund status", 1), ("tabby", 1)]
    assert [(q.query, q.searches) for q in s.abstained] == [("tabby", 1), ("تابي", 1)]
    assert s.articles == [metrics.ArticleVotes("en/refund-timing", 0, 1, 0.0),
                          metrics.ArticleVotes("en/apple-pay", 2, 3, 0.6667)]
    english = metrics.self_service(desk.db, Filters(WEEK.start, WEEK.end, lang="en"))
    assert (english.visits, english.searches, english.ticket_visits) == (3, 4, 2)


def test_figures_serialise_to_json(desk: Desk, world: Fixture) -> None:
    data = metrics.as_json(metrics.figures(desk.db, WEEK, HOURS, AS_OF))
    assert data["tickets"]["first_reply"]["median_business_hours"] == 1.5
    assert data["filters"]["start"] == "2026-11-29T00:00:00+00:00"
    assert data["csat"]["ratings"]["5"] == 1


def test_daily_trend(desk: Desk, world: Fixture) -> None:
    days = metrics.daily(desk.db, WEEK)
    assert (days[0].day, days[-1].day, len(days)) == ("2026-11-29", "2026-12-05", 7)
    assert [(d.created, d.solved) for d in days] == [(1, 0), (1, 0), (1, 0), (1, 1), (1, 0), (0, 2), (1, 1)]


def test_a_deleted_tickets_rows_are_in_no_figure_sliced_or_not(desk: Desk, world: Fixture) -> None:
    """The overall CSAT (and the agents' and fields' tables, solve and time figures) counted a deleted ticket's
    surveys, replies and solves from their own tables while every slice, joined to the ticket, did not."""
    desk.trash.delete([world.ids["T2"]])
    c = metrics.csat(desk.db, WEEK)
    assert (c.sent, c.answered, c.satisfied, c.ratings[2]) == (2, 2, 2, 0)
    assert metrics.csat(desk.db, Filters(WEEK.start, WEEK.end, lang="en")).sent == c.sent
    assert metrics.csat(desk.db, Filters(WEEK.start, WEEK.end, agent_id=world.badr)).sent == 0
    assert "Badr" not in {r.agent for r in metrics.agent_rows(desk.db, WEEK)}
    assert sum(r.csat_answered for r in metrics.field_rows(desk.db, WEEK, "nothing")) == 2
    assert [d.solved for d in metrics.daily(desk.db, WEEK)] == [0, 0, 0, 1, 0, 0, 1]
