"""Light agents (Zendesk's light agents, Freshdesk's collaborators) in the desk, on a real database (SQLite, and
PostgreSQL with --postgresql): the role; made light, an agent's tickets that are not closed are unassigned (audited,
each in its ticket's history) and they are set away; never assigned (by hand, automatically, by a trigger), never
available, not in the assignee lists nor a team's status; they add notes and are mentioned as any agent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from desk.audit import SYSTEM, Actor
from desk.desk import Desk
from desk.models import Agent, AuditEvent, Ticket, TicketAssigneeChange, TicketTriggerChange
from desk.team_status import team_status
from desk.tickets import InputError
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.desk.test_auto_assign import PASSWORD, agent, assignee, new, open_desk
from tests.desk.test_triggers import content


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = open_desk(tmp_path, mode="balanced")
    yield opened
    opened.close()


def test_made_light_an_agent_loses_their_open_tickets_keeps_closed_ones_and_is_set_away(desk: Desk) -> None:
    admin = desk.accounts.create_agent("admin@example.com", PASSWORD, "Admin", role="admin")
    sara = agent(desk, "Sara")  # available, in ksa: the balanced rule hands her what arrives
    open_one, pending, closed = new(desk, 1), new(desk, 2), new(desk, 3)
    assert [assignee(desk, t.id) for t in (open_one, pending, closed)] == [sara] * 3
    desk.tickets.update(pending.id, status="pending", agent_id=sara)
    with desk.db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == closed.id).values(status="closed"))

    desk.accounts.manage(sara, Actor.agent(admin.id), role="light")

    assert [assignee(desk, t.id) for t in (open_one, pending, closed)] == [None, None, sara]
    with desk.db.session() as session:
        row = session.get(Agent, sara)
        assert row is not None and row.role == "light" and not row.available and not row.works_tickets
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "role_changed")).one()
        assert (event.before, event.after) == ({"role": "agent"}, {"role": "light", "unassigned": 2})
        unassigned = session.scalars(select(TicketAssigneeChange).where(
            TicketAssigneeChange.new_assignee_id.is_(None))).all()
        assert sorted((c.ticket_id, c.old_assignee_id, c.agent_id) for c in unassigned) == [
            (open_one.id, sara, admin.id), (pending.id, sara, admin.id)]
    # Back to agent: nothing comes back by itself; their tickets were handed on.
    desk.accounts.manage(sara, SYSTEM, role="agent")
    assert assignee(desk, open_one.id) is None


def test_a_light_agent_is_never_assigned_nor_available_nor_listed(desk: Desk) -> None:
    lina = desk.accounts.create_agent("lina@example.com", PASSWORD, "Lina", role="light")
    desk.teams.set_teams(lina.id, ["ksa"])
    ticket = new(desk, 1)
    with pytest.raises(InputError, match=r"assignee: agent \d+ is a light agent"):
        desk.tickets.update(ticket.id, assignee_id=lina.id)
    with pytest.raises(InputError, match="available: a light agent is never assigned tickets"):
        desk.accounts.set_availability(lina.id, True, Actor.agent(lina.id))
    # Available in the row (an older release, a script): the team's rule still passes them by.
    with desk.db.session() as session:
        session.execute(update(Agent).where(Agent.id == lina.id).values(available=True))
    assert assignee(desk, new(desk, 2).id) is None
    omar = agent(desk, "Omar")
    assert assignee(desk, new(desk, 3).id) == omar
    assert [a.id for a in desk.accounts.agents()] == [omar]  # the pickers' list
    assert {a.id for a in desk.accounts.everyone()} == {lina.id, omar}
    floor = team_status(desk.db, desk.hours)
    assert lina.id not in {m.agent_id for team in floor.teams for m in team.members}
    assert lina.id not in {m.agent_id for m in floor.unteamed}
    assert omar in {m.agent_id for team in floor.teams for m in team.members}


def test_a_light_agent_adds_notes_and_is_mentioned(desk: Desk) -> None:
    lina = desk.accounts.create_agent("lina@example.com", PASSWORD, "Lina", role="light")
    sara = agent(desk, "Sara")
    ticket = new(desk, 1)
    assert desk.notes.add(ticket.id, sara, "@lina is this parcel lost?").mentioned == ["Lina"]
    desk.notes.add(ticket.id, lina.id, "Lost at the depot; refund it.")
    found = desk.tickets.get(ticket.id)
    assert found is not None and found.assignee_id == sara
    assert [m.body for m in found.messages if m.internal] == ["@lina is this parcel lost?",
                                                              "Lost at the depot; refund it."]


def test_a_trigger_naming_a_light_agent_skips_the_assignment_and_says_so(tmp_path: Path) -> None:
    folder = content(tmp_path, "")
    settings = Settings(data_dir=tmp_path / "data", content_dir=folder, database_url=database_url_for_tests())
    with Desk(settings) as first:
        first.accounts.create_agent("lina@example.com", PASSWORD, name="Lina", role="light")
    (folder / "_triggers.yml").write_text(
        "- {name: VIP, on: created, if: {domain: vip.sa}, then: {assignee: lina@example.com}}\n", encoding="utf-8")
    with Desk(settings) as desk:
        ticket = new(desk, 1, email="k@vip.sa")
        assert assignee(desk, ticket.id) is None
        with desk.db.session() as session:
            rows = [(r.trigger_name, r.action, r.new_value) for r in session.scalars(
                select(TicketTriggerChange).where(TicketTriggerChange.ticket_id == ticket.id))]
        assert rows == [("VIP", "assignee_skipped", "lina@example.com")]


def test_an_unknown_role_is_refused_naming_the_field(desk: Desk) -> None:
    with pytest.raises(InputError, match="role: must be one of agent, lead, admin, light"):
        desk.accounts.create_agent("x@example.com", PASSWORD, role="viewer")
