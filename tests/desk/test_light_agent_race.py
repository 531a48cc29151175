"""An assignment racing the assignee's downgrade to light agent (`kb agents role X light`, the admin page's role
change: desk.accounts' `_light` unassigns their tickets under their row's lock): whichever commits first, the end state
never has a light agent assigned. Each way of assigning (by hand, in bulk, the API's PATCH, a team's automatic
assignment, a trigger, a reply taking an unassigned ticket) is interleaved with the downgrade in a thread: started at
the moment the one is about to commit, and run until it is done or waits on a lock. SQLite takes its write lock at a
transaction's first write, so there the one waits for the other whole; the fault was PostgreSQL's (each statement
reads what is committed when it runs: the role was read, the downgrade committed, the assignment then committed)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

import desk.accounts as accounts_module
import desk.tickets as tickets_module
from desk.audit import Actor
from desk.desk import Desk
from desk.models import Agent, Ticket
from desk.ticket_patch import TicketPatch, patch_ticket
from desk.tickets import InputError
from kb.settings import Settings
from tests.desk.test_auto_assign import PASSWORD, new, open_desk

PATHS = ("hand", "bulk", "api", "auto", "trigger", "reply")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """KSA hands out its tickets (balanced); a trigger gives vip.sa's to Sara."""
    with open_desk(tmp_path, mode="balanced") as first:
        first.accounts.create_agent("sara@example.com", PASSWORD, "Sara")
        url = first.settings.database_url
    content = tmp_path / "content"  # open_desk's, with KSA's rule
    (content / "_triggers.yml").write_text(
        "- {name: VIP, on: created, if: {domain: vip.sa}, then: {assignee: sara@example.com}}\n", encoding="utf-8")
    with Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=url)) as opened:
        yield opened


def done_or_waiting(desk: Desk, thread: threading.Thread) -> None:
    """Until `thread` ends or, on PostgreSQL, waits on a row lock (SQLite: it waits for this transaction whole)."""
    if desk.db.engine.dialect.name != "postgresql":
        return
    while thread.is_alive():
        with desk.db.engine.connect() as connection:
            if connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")):
                return
        thread.join(0.01)


def setup(desk: Desk, path: str) -> tuple[int, int, Callable[[], Any]]:
    """Sara (in KSA and available for the automatic path), an admin, and the assignment `path` makes."""
    sara = desk.accounts.find("sara@example.com")
    admin = desk.accounts.create_agent("admin@example.com", PASSWORD, "Admin", role="admin").id
    assert sara is not None
    waiting = new(desk, 1)  # nobody available yet: unassigned
    if path == "auto":
        desk.teams.set_teams(sara.id, ["ksa"])
        desk.accounts.set_availability(sara.id, True, Actor.agent(sara.id))
    assign: dict[str, Callable[[], Any]] = {
        "hand": lambda: desk.tickets.update(waiting.id, assignee_id=sara.id, agent_id=admin),
        "bulk": lambda: desk.tickets.bulk_update([waiting.id], assignee_id=sara.id, agent_id=admin),
        "api": lambda: patch_ticket(desk.tickets, waiting.id, TicketPatch(assignee=sara.id), Actor.agent(admin)),
        "auto": lambda: new(desk, 2),
        "trigger": lambda: new(desk, 3, email="k@vip.sa"),
        "reply": lambda: desk.tickets.send_reply(waiting.id, sara.id, "On it."),
    }
    return sara.id, admin, assign[path]


def light_assigned(desk: Desk) -> list[int]:
    with desk.db.session() as session:
        return list(session.scalars(select(Ticket.id).join(Agent, Agent.id == Ticket.assignee_id)
                                    .where(Agent.role == "light", Ticket.status != "closed")))


@pytest.mark.parametrize("path", PATHS)
def test_an_assignment_committing_as_its_agent_is_made_light_leaves_them_nothing(
        desk: Desk, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The assignment first: the downgrade starts as the ticket is given to Sara, before that commits."""
    sara, admin, assign = setup(desk, path)
    original, downgrades = tickets_module.record_assignee, []

    def racing(session: Any, ticket: Ticket, assignee_id: int | None, *rest: Any, **named: Any) -> bool:
        changed = original(session, ticket, assignee_id, *rest, **named)
        if assignee_id == sara and not downgrades:
            thread = threading.Thread(target=lambda: downgrades.append(
                desk.accounts.manage(sara, Actor.agent(admin), role="light")))
            downgrades.append(thread)
            thread.start()
            done_or_waiting(desk, thread)
        return changed

    monkeypatch.setattr(tickets_module, "record_assignee", racing)
    assign()
    downgrades[0].join()
    assert len(downgrades) == 2 and downgrades[1].role == "light"  # the downgrade went through
    assert light_assigned(desk) == []


@pytest.mark.parametrize("path", PATHS)
def test_an_assignment_made_as_its_agent_is_made_light_is_refused_or_skipped(
        desk: Desk, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The downgrade first: the assignment starts as Sara's tickets are unassigned, before the role commits; it
    waits, then reads her light (by hand, in bulk and by the API: refused naming the assignee; her reply: refused naming
    the agent; automatically or by a trigger: the ticket stays unassigned)."""
    sara, admin, assign = setup(desk, path)
    original, assignments = accounts_module._light, []

    def assigning() -> None:
        try:
            assignments.append(assign())
        except InputError as refused:
            assignments.append(refused)

    def racing(session: Any, agent: Agent, by: Actor) -> int:
        unassigned = original(session, agent, by)
        thread = threading.Thread(target=assigning)
        assignments.append(thread)
        thread.start()
        done_or_waiting(desk, thread)
        return unassigned

    monkeypatch.setattr(accounts_module, "_light", racing)
    desk.accounts.manage(sara, Actor.agent(admin), role="light")
    assignments[0].join()
    assert len(assignments) == 2, assignments
    if path in ("hand", "bulk", "api"):
        assert isinstance(assignments[1], InputError) and assignments[1].field == "assignee"
        assert "light agent" in str(assignments[1])
    elif path == "reply":  # a light agent replies to no customer (desk.tickets.replier): nothing sent (hostile36)
        assert isinstance(assignments[1], InputError) and assignments[1].field == "agent"
    else:
        assert not isinstance(assignments[1], Exception)
    assert light_assigned(desk) == []
