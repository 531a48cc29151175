"""The lead's KPI digest by email (Zendesk Explore's scheduled delivery, Intercom's scheduled reports, Chatwoot's
report emails): a lead or admin who chose "daily" or "weekly" on their profile is mailed the dashboard's headline
figures at 08:00 on their own clock, in their interface language.

- **The period**: daily, yesterday (whole days of the agent's zone, `Agent.time_zone`, else the default team's);
  weekly, on Monday the previous Monday to Sunday. Before 08:00 the period due is the one mailed the morning before.
- **The figures** are the dashboard's (`desk.metrics.figures` for the period and for the one before it,
  `desk.reports.content_gaps_page` for the top content gaps), never counted a second way; read before the mail is
  queued and kept in its payload, so the mail says what the figures were when it was made. Deleted tickets are not
  counted (every query here is an ORM query: desk.models' `_live_tickets_only`).
- **Exactly once per period**: the mail is queued in the transaction of a conditional UPDATE of the agent's
  `digest_sent_for` (the first day of the period) from an earlier period; a second worker, a restart or a crash after
  queueing finds the period claimed and sends nothing. A period missed while the worker was down is sent late once:
  only the latest due period is ever claimed, so the days in between are skipped, not sent one by one.
- Choosing a frequency marks the period due at that moment as sent: the first digest is the next 08:00's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from desk import metrics
from desk.business_hours import BusinessHours
from desk.database import Database
from desk.mail.outbox import queue_mail
from desk.metrics import Figures, Filters
from desk.models import DIGEST_FREQUENCIES, LEAD_ROLES, Agent, OutboxMail, as_utc, utcnow
from desk.tickets import InputError, agent_row
from desk.translatable import N_

log = logging.getLogger(__name__)

SEND_HOUR = 8  # on the agent's clock
TOP_GAPS = 5
PER_PASS = 20  # digests composed in one worker pass: the rest wait for the next
DASHBOARD_PATH = "/agent/dashboard/"


@dataclass(frozen=True)
class Period:
    frequency: str  # DIGEST_FREQUENCIES
    first: date
    last: date


def due_period(frequency: str, zone: str, now: datetime) -> Period:
    """The latest period whose digest is due at `now` on `zone`'s clocks (its 08:00 has passed)."""
    local = as_utc(now).astimezone(ZoneInfo(zone))
    today = local.date()
    past_hour = local.time() >= time(SEND_HOUR)
    if frequency == "daily":
        day = today - timedelta(days=1 if past_hour else 2)
        return Period(frequency, day, day)
    monday = today - timedelta(days=today.weekday())
    if monday == today and not past_hour:
        monday -= timedelta(days=7)
    return Period(frequency, monday - timedelta(days=7), monday - timedelta(days=1))


def period_of(frequency: str, last: date) -> Period:
    """The period of `frequency` ending on `last` (a weekly one: the Monday-Sunday week holding it)."""
    if frequency == "daily":
        return Period(frequency, last, last)
    monday = last - timedelta(days=last.weekday())
    return Period(frequency, monday, monday + timedelta(days=6))


def clean_frequency(value: object) -> str | None:
    """The profile's choice: "off" (None), "daily" or "weekly"; anything else refused naming the field."""
    chosen = str(value or "").strip()
    if chosen == "off":
        return None
    if chosen not in DIGEST_FREQUENCIES:
        raise InputError("digest", N_("use one of %(allowed)s"), allowed=", ".join(("off", *DIGEST_FREQUENCIES)))
    return chosen


# (key, how it is shown, the figure) in the mail's order: the dashboard's headline figures (webapp.dashboard.summary's
# keys), tickets solved as its "Tickets per day" counts them, and the copilot's adoption totals.
FIGURES: tuple[tuple[str, str, Any], ...] = (
    ("created", "int", lambda x: x.tickets.created),
    ("solved", "int", lambda x: sum(d.solved for d in x.days)),
    ("first_reply_median", "hours", lambda x: x.tickets.first_reply.median_hours),
    ("first_reply_business", "hours", lambda x: x.tickets.first_reply.median_business_hours),
    ("full_resolution_median", "hours", lambda x: x.tickets.full_resolution.median_hours),
    ("full_resolution_business", "hours", lambda x: x.tickets.full_resolution.median_business_hours),
    ("one_touch_rate", "rate", lambda x: x.tickets.one_touch_rate),
    ("csat", "rate", lambda x: x.csat.satisfaction),
    ("csat_answered", "int", lambda x: x.csat.answered),
    ("self_service", "decimal", lambda x: x.self_service.score),
    ("deflection", "rate", lambda x: x.self_service.deflection_rate),
    ("solved_by_suggestions", "int", lambda x: x.self_service.solved_by_suggestions),
    ("copilot_tickets", "int", lambda x: x.adoption.total.tickets_shown),
    ("copilot_drafts", "int", lambda x: x.adoption.total.drafts_inserted),
    ("copilot_sent_unedited", "int", lambda x: x.adoption.total.sent_unedited),
    ("copilot_sent_edited", "int", lambda x: x.adoption.total.sent_edited),
)


def dashboard_link(period: Period, zone: str, lang: str) -> str:
    """The dashboard's page for the period (its days in the agent's zone), in the mail's language."""
    query = {"from": period.first.isoformat(), "to": period.last.isoformat(), "tz": zone, "hl": lang}
    return f"{DASHBOARD_PATH}?{urlencode(query)}"


def _figures(db: Database, f: Filters, hours: BusinessHours, now: datetime | None) -> Figures:
    """The period's headline figures (`metrics.figures(headline_only=True)`, what the dashboard shows for the period
    before) with the two breakdowns the digest also shows, the copilot's adoption and the daily solves, from the same
    functions: not the per-agent, backlog, search and handle-time tables it does not show."""
    facts = metrics.ticket_facts(db, f, now)
    headline = metrics.figures(db, f, hours, now, headline_only=True, facts=facts)
    return replace(headline, adoption=metrics.adoption(db, f), days=metrics.daily(db, f, facts))


def digest_payload(db: Database, hours: BusinessHours, period: Period, zone: str, lang: str, name: str,
                   now: datetime | None = None) -> dict[str, Any]:
    """The mail's figures for `period`, with the period before beside each (as the dashboard's comparison): what the
    outbox row keeps and the templates show."""
    from desk import reports  # not at import: desk.reports imports desk.desk, which builds this module's Digests

    f = Filters.for_days(period.first, period.last, zone)
    with metrics.gc_paused():
        current, before = _figures(db, f, hours, now), _figures(db, f.previous(), hours, now)
    gaps = reports.content_gaps_page(db, f.start, f.end, None, limit=TOP_GAPS).rows
    return {
        "name": name, "frequency": period.frequency, "first": period.first.isoformat(),
        "last": period.last.isoformat(), "zone": zone,
        "figures": [[key, shown, get(current), get(before)] for key, shown, get in FIGURES],
        "gaps": [[g.query, g.searches, g.tickets] for g in gaps],
        "dashboard": dashboard_link(period, zone, lang),
    }


class Digests:
    def __init__(self, db: Database, hours: BusinessHours, languages: tuple[str, ...]) -> None:
        self.db, self.hours, self.languages = db, hours, languages

    def zone(self, time_zone: str | None) -> str:
        """The agent's own zone (the profile's, `Agent.time_zone`), else the default team's: the zone the workspace
        reads their times in (BusinessHours.agent_zone)."""
        return self.hours.agent_zone(time_zone).key

    def lang(self, agent: Agent) -> str:
        """The agent's interface language, else the help center's first."""
        return agent.locale if agent.locale in self.languages else self.languages[0]

    def choose(self, agent_id: int, value: object, now: datetime | None = None) -> str | None:
        """The profile's "Email me a summary": off, daily or weekly (a lead's or an admin's; refused naming the field
        for anyone else, nothing written). A new choice marks the period due now as sent: the first digest is the
        next 08:00's."""
        frequency = clean_frequency(value)

        def write(session: Session) -> None:
            agent = agent_row(session, agent_id, lock=True)  # a demotion meanwhile is seen
            if agent.role not in LEAD_ROLES:
                raise InputError("digest", N_("only leads and admins are mailed the summary"))
            if frequency != agent.digest:
                agent.digest = frequency
                zone = self.zone(agent.time_zone)
                agent.digest_sent_for = due_period(frequency, zone, now or utcnow()).first if frequency else None

        self.db.write(write)  # again while the database is busy
        return frequency

    def due(self, now: datetime | None = None) -> list[tuple[int, Period]]:
        """The leads and admins whose chosen digest is due at `now` and not yet sent, with its period."""
        now = now or utcnow()
        with self.db.session() as session:
            agents = session.scalars(select(Agent).where(
                Agent.active.is_(True), Agent.role.in_(LEAD_ROLES), Agent.digest.in_(DIGEST_FREQUENCIES))
                .order_by(Agent.id)).all()
            found = []
            for agent in agents:
                period = due_period(str(agent.digest), self.zone(agent.time_zone), now)
                if agent.digest_sent_for is None or agent.digest_sent_for < period.first:
                    found.append((agent.id, period))
        return found

    def send_due(self, now: datetime | None = None, limit: int = PER_PASS) -> int:
        """The worker's pass: each due digest composed and queued once; how many were queued. One agent's failure is
        logged and the others go on (theirs is tried again next pass, its period not claimed)."""
        now = now or utcnow()
        queued = 0
        for agent_id, period in self.due(now)[:limit]:
            try:
                queued += self.send(agent_id, period, now=now) is not None
            except Exception:
                log.exception("the digest of agent %s for %s could not be queued", agent_id, period.first)
        return queued

    def payload(self, agent: Agent, period: Period, now: datetime | None = None) -> dict[str, Any]:
        return digest_payload(self.db, self.hours, period, self.zone(agent.time_zone), self.lang(agent),
                              agent.name or "", now)

    def send(self, agent_id: int, period: Period, claim: bool = True, now: datetime | None = None) -> int | None:
        """Queue the agent's digest for `period`: the figures read first, then, in one transaction, the period
        claimed (`claim`: the agent still a lead with this frequency, the period not yet sent) and the mail queued.
        The outbox row's id, or None when the period was claimed already (or the agent may not have it)."""
        with self.db.session() as session:
            agent = session.get(Agent, agent_id)
            if agent is None:
                return None
            session.expunge(agent)
        payload = self.payload(agent, period, now)

        def work(session: Session) -> int | None:
            if claim and not claim_period(session, agent_id, period):
                return None
            row: OutboxMail = queue_mail(session, "digest", None, agent.email, self.lang(agent), payload=payload)
            session.flush()
            return row.id

        return self.db.write(work)


def claim_period(session: Session, agent_id: int, period: Period) -> bool:
    """The conditional UPDATE that makes a period's digest once: only an active lead or admin still choosing this
    frequency, whose last period claimed is earlier. A second claim (another worker, the same one after a crash)
    updates no row; on PostgreSQL it waits for the first's transaction and then sees its stamp."""
    claimed = session.execute(
        update(Agent).where(
            Agent.id == agent_id, Agent.active.is_(True), Agent.role.in_(LEAD_ROLES), Agent.digest == period.frequency,
            or_(Agent.digest_sent_for.is_(None), Agent.digest_sent_for < period.first))
        .values(digest_sent_for=period.first).execution_options(synchronize_session=False))
    return bool(claimed.rowcount)  # type: ignore[attr-defined]
