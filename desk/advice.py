"""Stored copilot advice per ticket, and which tickets need it (re)computed.

Advice is keyed by two versions: the thread's (the id of its last customer message) and the index's
(the vector store's version). The background pass (`pending` then `save`) recomputes a ticket only
when one of them moved; the ticket page reads the row and never writes it. Solved, closed and merged
tickets are skipped: nobody is about to answer them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from desk.database import Database
from desk.models import Message, Ticket, TicketAdvice, utcnow

SETTLED = ("solved", "closed")


def thread_version(ticket: Ticket) -> int:
    """The id of the ticket's last customer message (0 when there is none): what the advice read."""
    return max((m.id for m in ticket.messages if m.author == "customer" and not m.internal), default=0)


class AdviceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, ticket_id: int) -> TicketAdvice | None:
        with self.db.session() as session:
            return session.scalar(select(TicketAdvice).where(TicketAdvice.ticket_id == ticket_id))

    def pending(self, index_version: str, limit: int = 100) -> list[int]:
        """Open tickets whose advice is missing or stale, most recently updated first."""
        last = (
            select(Message.ticket_id, func.max(Message.id).label("last"))
            .where(Message.author == "customer", Message.internal == false())
            .group_by(Message.ticket_id)
            .subquery()
        )
        query = (
            select(Ticket.id)
            .join(last, last.c.ticket_id == Ticket.id)
            .outerjoin(TicketAdvice, TicketAdvice.ticket_id == Ticket.id)
            .where(
                Ticket.status.not_in(SETTLED),
                Ticket.merged_into_id.is_(None),
                or_(
                    TicketAdvice.id.is_(None),
                    TicketAdvice.thread_version != last.c.last,
                    TicketAdvice.index_version != index_version,
                ),
            )
            .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
        with self.db.session() as session:
            return list(session.scalars(query))

    def save(self, ticket_id: int, thread: int, index_version: str, payload: dict[str, Any]) -> None:

        def write(session: Session) -> None:
            row = session.scalar(select(TicketAdvice).where(TicketAdvice.ticket_id == ticket_id))
            if row is None:
                row = TicketAdvice(ticket_id=ticket_id)
                session.add(row)
            row.thread_version, row.index_version = thread, index_version
            row.payload, row.computed_at = payload, utcnow()

        self.db.write(write)  # again while the database is busy
