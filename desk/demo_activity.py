"""Two weeks of believable help-desk life for the demo tickets, ending now, so the dashboard is alive
after `make run`: replies at working-hour delays, solves, one reopen, an internal note, CSAT answers,
copilot suggestion events, help-center searches (with a cluster of Tabby questions nobody answers and
a burst of failed card payments in the last hours, which raises an alert), article views, votes and
contact-form deflections, and a few customers' fields (plan, account id, VIP). The demo's agents are put in
teams first (every one in the default team, each also in one team by turn), and each ticket is assigned to an
agent of its team, in its history as any assignment is, so "My teams' tickets" and the assignee picker have
something to show.

Deterministic (a fixed random seed) and idempotent: it runs once per database (it looks for its own
surveys, tokens "demo-..."), and only touches the demo tickets (`content/_demo/tickets.jsonl`, external
ids "T-1001"...). Times are laid out relative to `now`, so the dashboard's default period (the last
seven days) and the one before it both have figures whatever day the demo is started.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from desk.audit import SYSTEM
from desk.business_hours import BusinessHours
from desk.database import Database
from desk.field_values import CUSTOMER_VALUES, write_values
from desk.models import (
    WORKING_ROLES,
    Agent,
    ArticleFeedback,
    ArticleView,
    ContentGap,
    CsatSurvey,
    Deflection,
    Message,
    SearchEvent,
    SuggestionEvent,
    Ticket,
    TicketStatusChange,
    utcnow,
)
from desk.teams import Teams
from desk.tickets import record_assignee

SEED = 15
SPAN = timedelta(days=14)
VISITS = 260  # distinct help-center visits the demo's 420 searches come from
# Demo ticket -> help-center category (the folder names of content/_categories.yml).
CATEGORIES = {
    "T-1001": "account", "T-1002": "returns", "T-1003": "orders", "T-1004": "orders", "T-1005": "orders",
    "T-1006": "account", "T-1007": "account", "T-1008": "membership", "T-1009": "delivery", "T-1010": "app",
    "T-1011": "payments", "T-1012": "payments", "T-1013": "orders", "T-1014": "returns", "T-1015": "returns",
    "T-1016": "delivery", "T-1017": "orders", "T-1018": "orders", "T-1019": "delivery", "T-1020": "privacy",
    "T-1021": "payments", "T-1022": "returns", "T-1023": "returns", "T-1024": "delivery", "T-1025": "privacy",
    "T-1026": "returns", "T-1027": "delivery", "T-1028": "returns", "T-1029": "warranty", "T-1030": "privacy",
    "T-1031": "app", "T-1032": "payments",
}
REOPENED = "T-1014"  # "my money has not come back": solved, the customer writes again, solved again
STILL_OPEN = {"T-1028", "T-1031", "T-1032", "T-1021", "T-1009"}
ABSTAINED = {"T-1032": "تقسيط تلاجة تابي", "T-1017": "quote for 40 office chairs"}
REPLY = {"en": "Thanks for writing to us. Here is what to do next: ...", "ar": "شكرًا لتواصلك معنا. إليك الخطوات: ..."}
COMMENTS = {5: "Quick and clear, thank you!", 4: "", 3: "Took a while but sorted.", 2: "Had to ask twice.",
            1: "Still waiting for my refund."}
REASONS = ("about a different country", "the article is out of date", "customer asked about instalments, not refunds")
# (query, lang, results, abstained, clicked position or None, weight)
SEARCHES = (
    ("refund status", "en", 6, False, 1, 14), ("track my order", "en", 5, False, 1, 12),
    ("reset password", "en", 4, False, 1, 10), ("apple pay", "en", 3, False, 2, 6),
    ("delivery fees", "en", 5, False, 3, 6), ("tabby instalments", "en", 0, True, None, 4),
    ("pay with tabby in installments", "en", 0, True, None, 3), ("tamara pay later", "en", 0, True, None, 2),
    ("استرجاع المبلغ", "ar", 5, False, 1, 12), ("تتبع الطلب", "ar", 4, False, 2, 9),
    ("رسوم التوصيل", "ar", 3, False, 1, 6), ("تقسيط تابي", "ar", 0, True, None, 4),
    ("الدفع بالتقسيط", "ar", 1, True, None, 2), ("office furniture quote", "en", 0, False, None, 2),
)
ARTICLES = ("en/refund-timing", "ar/refund-timing", "en/reset-password", "en/apple-pay", "en/delivery-fees",
            "ar/delivery-fees")
# Customer fields (content/_customer_fields.yml: plan, account id, VIP) of a few demo tickets' customers, as stored.
CUSTOMER_FIELDS = {
    "T-1001": {"plan": "business", "account_id": "AC-20417", "vip": "true"},
    "T-1008": {"plan": "plus", "account_id": "AC-31552", "vip": "false"},
    "T-1011": {"plan": "free", "account_id": "AC-40913"},
    "T-1020": {"plan": "business", "account_id": "AC-11870", "vip": "true"},
}
BURST = ("card payment failed", "my card payment failed", "card declined at checkout", "payment failed card",
         "card payment failing", "visa card declined", "card payment error", "can't pay with card")


@dataclass
class SeedReport:
    tickets: int = 0
    replies: int = 0
    surveys: int = 0
    searches: int = 0
    already: bool = False

    def summary(self) -> str:
        if self.already:
            return "demo activity already seeded"
        return (f"demo activity: {self.tickets} tickets timed, {self.replies} replies, {self.surveys} surveys, "
                f"{self.searches} searches")


def seed(db: Database, hours: BusinessHours, now: datetime | None = None) -> SeedReport:
    """Lay out the demo's activity once; a second run changes nothing."""
    now = now or utcnow()
    rng = random.Random(SEED)
    report = SeedReport()
    with db.session() as session:
        if session.scalar(select(CsatSurvey.id).where(CsatSurvey.token.startswith("demo-")).limit(1)) is not None:
            report.already = True
            return report
        tickets = list(session.scalars(
            select(Ticket).where(Ticket.external_id.startswith("T-10")).options(selectinload(Ticket.messages),
                                                                              selectinload(Ticket.customer))
            .order_by(Ticket.external_id)))
        # A light agent answers and is assigned nothing: the demo's activity is its working agents'.
        working = select(Agent).where(Agent.active.is_(True), Agent.role.in_(WORKING_ROLES)).order_by(Agent.id)
        agents = [a.id for a in session.scalars(working)]
        members = _teams(session, Teams(db, hours), agents)
        # The demo's agents are at work: available for a team's automatic assignment (a real agent starts away).
        session.execute(update(Agent).where(Agent.id.in_(agents)).values(available=True, available_changed_at=now))
        for index, ticket in enumerate(tickets):
            created = now - SPAN + SPAN * (index + rng.random() * 0.6) / (len(tickets) + 1)
            if ticket.channel == "web":  # filed from the help center: its visit searched first
                ticket.visit_id = f"demo-visit-{(index * 37) % VISITS}"
            report.replies += _ticket_life(session, ticket, created, now, rng, members, hours)
            report.tickets += 1
        report.searches = _help_center(session, now, rng)
        for ticket in tickets:  # audited by the system, as any change of them
            if ticket.external_id in CUSTOMER_FIELDS:
                write_values(session, ticket.customer_id, CUSTOMER_FIELDS[ticket.external_id], SYSTEM,
                             CUSTOMER_VALUES)
        session.flush()
        report.surveys = len(session.scalars(select(CsatSurvey.id).where(CsatSurvey.token.startswith("demo-"))).all())
    return report


def _teams(session: Session, teams: Teams, agents: list[int]) -> dict[str, list[int]]:
    """Every agent in the default team, and agent i also in the file's i-th team (by turn), beside the teams they
    are in already: team key -> agent ids."""
    keys = list(teams.hours.teams)
    members: dict[str, list[int]] = {}
    for index, agent in enumerate(agents):
        for key in teams.set_in(session, agent, [*teams.keys_in(session, agent), teams.hours.default,
                                                     keys[index % len(keys)]]):
            members.setdefault(key, []).append(agent)
    return members


def _ticket_life(session: Session, ticket: Ticket, created: datetime, now: datetime, rng: random.Random,
                 members: dict[str, list[int]], hours: BusinessHours) -> int:
    key = ticket.external_id or ""
    country = (ticket.customer.country or "").upper()
    ticket.team = "uae" if country == "AE" else "ksa"
    ticket.category = CATEGORIES.get(key)
    ticket.created_at = ticket.updated_at = created
    ticket.due_at = hours.due_at(created, ticket.priority, ticket.team)
    for offset, message in enumerate(ticket.messages):
        message.created_at = created + timedelta(minutes=40 * offset)
    agents = members.get(ticket.team) or members.get(hours.default, [])  # the team's agents
    agent = agents[sum(map(ord, key)) % len(agents)] if agents else None
    record_assignee(session, ticket, agent, agent, created + timedelta(minutes=5))  # the agent took it
    status = "new"

    def change(new: str, when: datetime, by: int | None = agent) -> None:
        nonlocal status
        session.add(TicketStatusChange(ticket_id=ticket.id, old_status=status, new_status=new, agent_id=by,
                                       created_at=when))
        status = new

    def reply(when: datetime) -> None:
        ticket.messages.append(Message(author="agent", agent_id=agent, body=REPLY.get(ticket.lang, REPLY["en"]),
                                       created_at=when))
        ticket.first_response_at = ticket.first_response_at or when

    if key in ABSTAINED:
        session.add(ContentGap(ticket_id=ticket.id, query=ABSTAINED[key], lang=ticket.lang,
                               created_at=created + timedelta(minutes=30)))
    # A working-hours delay to the first reply: mostly within the due time, a few late ones.
    delay = hours.team(ticket.team).add_hours(created, rng.choice((0.5, 1, 2, 3, 5, 9, 12))) - created
    first = created + delay
    replies = 0
    if key in STILL_OPEN or first >= now - timedelta(minutes=5):
        ticket.status = "new" if key != "T-1009" else "open"
        if key == "T-1009":
            session.add(Message(ticket_id=ticket.id, author="agent", agent_id=agent, internal=True,
                                body="Third missed delivery: escalated to the courier manager.",
                                created_at=created + timedelta(hours=1)))
            change("open", created + timedelta(hours=1))
        return 0
    if agent is not None:  # the copilot is an agent's tool: seeded before any agent, no suggestions by nobody
        _copilot(session, ticket, agent, first, rng)
    reply(first)
    replies += 1
    solved = first + timedelta(minutes=rng.choice((0, 0, 30, 180)))
    if solved >= now or rng.random() < 0.15:
        change("pending", first)
        ticket.status, ticket.updated_at = "pending", first
        return replies
    change("solved", solved)
    _survey(session, ticket, agent, solved, now, rng, "a")
    if key == REOPENED:
        back = solved + timedelta(hours=20)
        session.add(Message(ticket_id=ticket.id, author="customer", body="ما وصلني شي للحين", created_at=back))
        change("open", back, None)
        again = hours.team(ticket.team).add_hours(back, 2)
        reply(again)
        replies += 1
        change("solved", again + timedelta(minutes=10))
        _survey(session, ticket, agent, again + timedelta(minutes=10), now, rng, "b")
        solved = again + timedelta(minutes=10)
    ticket.status, ticket.resolved_at, ticket.updated_at = "solved", solved, solved
    return replies


def _survey(session: Session, ticket: Ticket, agent: int | None, sent: datetime, now: datetime,
            rng: random.Random, suffix: str) -> None:
    answered = rng.random() < 0.6
    rating = rng.choice((5, 5, 5, 4, 4, 3, 2, 1)) if answered else None
    session.add(CsatSurvey(
        ticket_id=ticket.id, token=f"demo-{ticket.id}-{suffix}", agent_id=agent, created_at=sent, sent_at=sent,
        rating=rating, comment=(COMMENTS.get(rating or 0) or None) if answered else None,
        answered_at=min(sent + timedelta(hours=rng.choice((1, 3, 20))), now) if answered else None))


def _copilot(session: Session, ticket: Ticket, agent: int, replied: datetime, rng: random.Random) -> None:
    """Suggestions shown when the agent opened the ticket, then inserted, sent (edited or not) or rejected."""
    opened = replied - timedelta(minutes=12)
    session.add(SuggestionEvent(ticket_id=ticket.id, agent_id=agent, kind="shown", created_at=opened,
                                details={"query": ticket.subject, "lang": ticket.lang}))
    roll = rng.random()
    if roll < 0.2:
        session.add(SuggestionEvent(ticket_id=ticket.id, agent_id=agent, kind="rejected", reason=rng.choice(REASONS),
                                    created_at=opened + timedelta(minutes=2)))
        return
    session.add(SuggestionEvent(ticket_id=ticket.id, agent_id=agent, kind="inserted", details={"what": "draft"},
                                created_at=opened + timedelta(minutes=3)))
    distance = 0 if roll < 0.5 else rng.choice((8, 15, 40, 90, 240))
    if distance:
        session.add(SuggestionEvent(ticket_id=ticket.id, agent_id=agent, kind="edited", edit_distance=distance,
                                    created_at=replied))
    session.add(SuggestionEvent(ticket_id=ticket.id, agent_id=agent, kind="sent", edit_distance=distance,
                                created_at=replied))


def _help_center(session: Session, now: datetime, rng: random.Random) -> int:
    weights = [s[-1] for s in SEARCHES]
    count = 0
    for number in range(420):
        query, lang, results, abstained, position, _w = rng.choices(SEARCHES, weights)[0]
        when = now - SPAN * rng.random()
        visit = f"demo-visit-{number % VISITS}"
        clicked = position is not None and rng.random() < 0.7
        session.add(SearchEvent(visit_id=visit, query=query, lang=lang, result_count=results, abstained=abstained,
                                source=rng.choice(("page", "instant")), created_at=when,
                                clicked_article=rng.choice(ARTICLES) if clicked else None,
                                clicked_position=position if clicked else None))
        count += 1
        if rng.random() < 0.5:
            session.add(ArticleView(article_key=rng.choice(ARTICLES), visit_id=visit,
                                    created_at=when + timedelta(seconds=30)))
        if rng.random() < 0.12:
            article = rng.choice(ARTICLES)
            session.add(ArticleFeedback(article_key=article, helpful=rng.random() < 0.75, visit_id=visit,
                                        comment=None, created_at=when + timedelta(minutes=2)))
        if rng.random() < 0.06:
            session.add(Deflection(visit_id=f"demo-contact-{number}", article_key=rng.choice(ARTICLES),
                                   created_at=when + timedelta(minutes=1)))
    # Card payments started failing a couple of hours ago: more failed searches than the usual none.
    for minute, query in enumerate(BURST):
        session.add(SearchEvent(visit_id=f"demo-burst-{minute}", query=query, lang="en", result_count=0,
                                abstained=True, source="page", created_at=now - timedelta(minutes=12 * minute + 3)))
        count += 1
    return count
