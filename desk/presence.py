"""Who has a ticket open, and who is typing a reply to it: the collision warning's data.

The ticket page polls every few seconds (`touch`), which both says "I am here" and asks "who else
is?". A row older than `FRESH` no longer counts, so a closed tab needs no goodbye. The same rows tell
the inbox when an agent last had a ticket open ("new activity since you looked").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.database import Database
from desk.models import Agent, TicketPresence, utcnow

# Three missed polls at the page's 10 s interval: long enough for a slow network, short enough to be live.
FRESH = timedelta(seconds=30)


@dataclass(frozen=True)
class Colleague:
    agent_id: int
    name: str
    replying: bool


class Presence:
    def __init__(self, db: Database) -> None:
        self.db = db

    def touch(self, ticket_id: int, agent_id: int, replying: bool, now: datetime | None = None) -> None:
        now = now or utcnow()

        def write(session: Session) -> None:
            row = session.scalar(
                select(TicketPresence).where(TicketPresence.ticket_id == ticket_id, TicketPresence.agent_id == agent_id)
            )
            if row is None:
                session.add(TicketPresence(ticket_id=ticket_id, agent_id=agent_id, replying=replying, seen_at=now))
            else:
                row.replying, row.seen_at = replying, now

        self.db.write(write)  # again while the database is busy

    def others(self, ticket_id: int, agent_id: int, now: datetime | None = None) -> list[Colleague]:
        """Other agents with the ticket open within FRESH, those replying first."""
        since = (now or utcnow()) - FRESH
        with self.db.session() as session:
            rows = session.execute(
                select(Agent.id, Agent.name, TicketPresence.replying)
                .join(Agent, Agent.id == TicketPresence.agent_id)
                .where(TicketPresence.ticket_id == ticket_id, TicketPresence.agent_id != agent_id,
                       TicketPresence.seen_at >= since)
                .order_by(TicketPresence.replying.desc(), Agent.name)
            ).all()
        return [Colleague(i, n, bool(r)) for i, n, r in rows]
