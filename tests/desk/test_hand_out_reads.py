"""The worker's auto-assign pass reads only what it can assign (leftover38): `TicketStore.hand_out` read every waiting
ticket of a team each pass (every 15 s), thousands while its members were full. It now reads pages of as many as the
members can still take, the next page past the last ticket read and without the languages found stuck, and hands out
exactly the tickets the former pass did: a mixed-language queue (Arabic and English, some past the language fallback,
ties in arrival time) under balanced with max_open, round robin without, and a pass limit, compared ticket by ticket
with the former pass (kept here as the oracle). On a real database; `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, select, update

from desk.auto_assign import available_members
from desk.database import lock_row
from desk.desk import Desk
from desk.inbox import UNSOLVED, team_clause
from desk.models import AgentTeam, Ticket, TicketAssigneeChange, utcnow
from desk.tickets import NewTicket, TicketStore
from tests.desk.test_auto_assign import agent, open_desk
from tests.desk.test_language_routing import speaking


def former_hand_out(store: TicketStore, limit: int, now: datetime) -> int:
    """The pass as it was before leftover38 (every waiting ticket of the team read at once), the oracle."""
    assigned = 0
    for key, team in store.hours.teams.items():
        if team.assignment is None or assigned >= limit:
            continue
        with store.db.session() as session:
            if not available_members(session, key):
                continue
            waiting = list(session.execute(
                select(Ticket.id, Ticket.lang, Ticket.created_at)
                .where(team_clause(store.hours, key), Ticket.status.in_(UNSOLVED), Ticket.assignee_id.is_(None))
                .order_by(Ticket.created_at, Ticket.id)))
            stuck: set[tuple[str, bool]] = set()
            for ticket_id, lang, created in waiting:
                kind = (lang, store._may_drop_language(created, now))
                if kind in stuck or assigned >= limit:
                    continue
                lock_row(session, Ticket, ticket_id)
                ticket = session.get(Ticket, ticket_id)
                if ticket is None:
                    continue
                session.refresh(ticket)
                if ticket.assignee_id is not None or ticket.status not in UNSOLVED:
                    continue
                decision = store._auto_assign(session, ticket, now)
                if decision is None or decision.blocked == "nobody_available":
                    break
                if decision.chosen is None:
                    if decision.blocked == "all_at_max_open" and kind[1]:
                        break
                    stuck.add(kind)
                    continue
                assigned += 1
    return assigned


def queue(desk: Desk, seed: int, size: int, now: datetime) -> None:
    """`size` waiting tickets, oldest first, Arabic and English at random, the older ones past a 60-minute fallback,
    every third arriving at the same second as the one before (the pass's order is arrival, then id)."""
    rng = random.Random(seed)
    created = now - timedelta(minutes=70)
    for number in range(size):
        if number % 3:
            created += timedelta(minutes=rng.choice((1, 2, 3)))
        desk.tickets.create(NewTicket(email=f"c{number}@example.com", name="Lina", subject=f"Refund {number}",
                                      body="Where is my refund?", lang=rng.choice(("ar", "en", "en")),
                                      created=created, auto_assign=False, notify=False))


def outcome(desk: Desk) -> dict[int, tuple[int | None, str | None]]:
    with desk.db.session() as session:
        without = {ticket_id: lang for ticket_id, lang in session.execute(
            select(TicketAssigneeChange.ticket_id, TicketAssigneeChange.auto_without_lang))}
        return {t.id: (t.assignee_id, without.get(t.id)) for t in session.scalars(select(Ticket))}


def undo(desk: Desk) -> None:
    """Every assignment the pass made undone, the round robin's stamps forgotten: the queue as it waited."""
    with desk.db.session() as session:
        session.execute(delete(TicketAssigneeChange))
        session.execute(update(Ticket).values(assignee_id=None))
        session.execute(update(AgentTeam).values(last_auto_assigned_at=None))


@contextmanager
def waiting_reads(desk: Desk) -> Iterator[list[int | None]]:
    """The LIMIT of each read of a team's waiting tickets (None: unbounded) while the block runs."""
    limits: list[int | None] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        compiled = getattr(context, "compiled", None)
        if compiled is not None and "tickets.assignee_id IS NULL" in statement and "ORDER BY tickets.created_at" in \
                statement:
            limits.append(compiled.statement._limit)

    event.listen(desk.db.engine, "after_cursor_execute", seen)
    try:
        yield limits
    finally:
        event.remove(desk.db.engine, "after_cursor_execute", seen)


SCENARIOS = {
    # Two English-only members with room for eight each, an Arabic one away: Arabic tickets wait, then (past the
    # fallback) go to whoever has room; English ones fill the rest.
    "balanced-max-open": ({"mode": "balanced", "max_open": 8}, (("Emma", ("en",), True), ("Omar", ("en",), True),
                                                                ("Huda", ("ar",), False)), 100),
    # Round robin without max_open, an English-only member and one of both away, the pass limited to 25.
    "round-robin-limit": ({"mode": "round_robin"}, (("Emma", ("en",), True), ("Sami", ("ar", "en"), False)), 25),
    # Only an Arabic speaker with room for twelve: English tickets before the fallback are stuck among them.
    "arabic-only": ({"mode": "balanced", "max_open": 12}, (("Huda", ("ar",), True),), 100),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_pass_hands_out_the_tickets_the_former_pass_did(tmp_path: Path, scenario: str) -> None:
    assignment, members, limit = SCENARIOS[scenario]
    with open_desk(tmp_path, **assignment) as desk:
        desk.tickets.language_fallback_minutes = 60
        now = utcnow()
        queue(desk, seed=len(scenario), size=40, now=now)
        for name, languages, available in members:
            speaking(desk, name, *languages, available=available)
        former = former_hand_out(desk.tickets, limit, now)
        expected = outcome(desk)
        undo(desk)
        with waiting_reads(desk) as limits:
            assert desk.tickets.hand_out(limit=limit, now=now) == former > 0
        assert outcome(desk) == expected
        assert len(limits) > 1 and None not in limits  # pages: the stuck languages left out of the next


def test_a_full_team_reads_no_more_waiting_tickets_than_its_members_can_take(tmp_path: Path) -> None:
    """Fault: the pass read all 60 waiting tickets to assign the 4 its members had room for."""
    with open_desk(tmp_path, mode="balanced", max_open=2) as desk:
        now = utcnow()
        queue(desk, seed=3, size=60, now=now)
        with desk.db.session() as session:
            session.execute(update(Ticket).values(lang="en"))
        emma, omar = agent(desk, "Emma"), agent(desk, "Omar")
        with waiting_reads(desk) as limits:
            assert desk.tickets.hand_out(now=now) == 4
        assert limits == [4]  # one page of four, all assigned: nobody has room for a fifth
        with waiting_reads(desk) as limits:
            assert desk.tickets.hand_out(now=now) == 0
        assert limits == []  # both at max_open: nothing read
        assigned = [t.assignee_id for t in sorted(outcome_rows(desk), key=lambda t: (t.created_at, t.id))]
        assert assigned[:4] and set(assigned[:4]) == {emma, omar} and set(assigned[4:]) == {None}  # the oldest four


def outcome_rows(desk: Desk) -> list[Ticket]:
    with desk.db.session() as session:
        rows = list(session.scalars(select(Ticket)))
        session.expunge_all()
        return rows
