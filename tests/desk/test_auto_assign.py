"""Automatic assignment per team on a real database (SQLite, and PostgreSQL with --postgresql): the file's
`assignment:` checked at start, round robin and balanced among available members, max_open, away and deactivated
agents skipped, the worker's pass handing out what waited, moves, imports left alone, the history naming the rule,
agents' availability (own toggle not audited, an admin's is), two tickets at once, and the migration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

import desk.auto_assign
from desk.audit import SYSTEM, Actor
from desk.business_hours import BusinessHours, BusinessHoursError
from desk.desk import Desk
from desk.models import Agent, AuditEvent, Ticket, TicketAssigneeChange
from desk.ticket_import import import_file
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.desk.test_teams import hours_file
from tests.races import at_once

PASSWORD = "a long enough password"
ROOT = Path(__file__).resolve().parents[2]


def open_desk(tmp_path: Path, **assignment: object) -> Desk:
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    teams = raw["teams"]
    teams["ksa"] = {**teams["ksa"], "assignment": assignment} if assignment else teams["ksa"]
    content = hours_file(tmp_path / "content", teams=teams)
    return Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=database_url_for_tests()))


@pytest.fixture
def balanced(tmp_path: Path) -> Iterator[Desk]:
    opened = open_desk(tmp_path, mode="balanced", max_open=2)
    yield opened
    opened.close()


@pytest.fixture
def round_robin(tmp_path: Path) -> Iterator[Desk]:
    opened = open_desk(tmp_path, mode="round_robin")
    yield opened
    opened.close()


def agent(desk: Desk, name: str, team: str = "ksa", available: bool = True) -> int:
    made = desk.accounts.create_agent(f"{name.lower()}@example.com", PASSWORD, name)
    desk.teams.set_teams(made.id, [team])
    if available:
        desk.accounts.set_availability(made.id, True, Actor.agent(made.id))
    return made.id


def new(desk: Desk, number: int = 0, **overrides: object) -> Ticket:
    fields = {"email": f"c{number}@example.com", "name": "Lina", "subject": f"Refund {number}",
              "body": "Where is my refund?", "lang": "en"}
    return desk.tickets.create(NewTicket(**(fields | overrides)))  # type: ignore[arg-type]


def assignee(desk: Desk, ticket_id: int) -> int | None:
    ticket = desk.tickets.get(ticket_id)
    assert ticket is not None
    return ticket.assignee_id


@pytest.mark.parametrize(("assignment", "message"), [
    ({"mode": "fastest"}, "teams.ksa.assignment.mode: 'fastest' is no mode; use round_robin, balanced"),
    ({"mode": "balanced", "max_open": 0}, "teams.ksa.assignment.max_open: expected a whole number from 1, not 0"),
    ({"mode": "balanced", "max_open": True}, "teams.ksa.assignment.max_open: expected a whole number from 1"),
    ({"mode": "balanced", "max": 3}, "teams.ksa.assignment: unknown key 'max'; use mode, max_open"),
    ("balanced", "teams.ksa.assignment: expected a mapping"),
])
def test_a_wrong_assignment_stops_the_desk_naming_file_team_and_field(assignment: object, message: str) -> None:
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["ksa"]["assignment"] = assignment
    with pytest.raises(BusinessHoursError) as caught:
        BusinessHours.from_mapping(raw, "content/_business_hours.yml")
    assert str(caught.value).startswith(f"content/_business_hours.yml: {message}")


def test_without_a_rule_new_tickets_stay_unassigned(tmp_path: Path) -> None:
    with open_desk(tmp_path) as desk:
        agent(desk, "Sara")
        assert new(desk).assignee_id is None


def test_balanced_hands_a_new_ticket_to_the_member_with_fewest_unsolved(balanced: Desk) -> None:
    sara, omar = agent(balanced, "Sara"), agent(balanced, "Omar")
    first = new(balanced, 1)
    assert first.assignee_id == sara  # a tie (none each), never assigned: the lower id
    second = new(balanced, 2)
    assert second.assignee_id == omar  # Sara has one
    balanced.tickets.update(second.id, status="solved", agent_id=omar)
    assert new(balanced, 3).assignee_id == omar  # Omar has none unsolved now, Sara one
    [change] = [c for c in balanced.tickets.changes(first.id) if isinstance(c, TicketAssigneeChange)]
    assert (change.agent_id, change.new_assignee_id, change.auto_rule, change.auto_team) == (
        None, sara, "balanced", "ksa")


def test_round_robin_takes_turns_by_who_was_assigned_longest_ago(round_robin: Desk) -> None:
    sara, omar, huda = agent(round_robin, "Sara"), agent(round_robin, "Omar"), agent(round_robin, "Huda")
    got = [new(round_robin, number).assignee_id for number in range(4)]
    assert got == [sara, omar, huda, sara]


def test_away_deactivated_and_other_teams_agents_are_skipped(balanced: Desk) -> None:
    away = agent(balanced, "Away", available=False)
    gone = agent(balanced, "Gone")
    agent(balanced, "Uae", team="uae")
    balanced.accounts.manage(gone, SYSTEM, active=False)
    ticket = new(balanced)
    assert ticket.assignee_id is None
    with balanced.db.session() as session:
        assert session.get(Agent, gone).available is False  # deactivation leaves them away
    assert balanced.tickets.hand_out() == 0
    balanced.accounts.set_availability(away, True, Actor.agent(away))
    assert balanced.tickets.hand_out() == 1  # the worker's pass, once someone is there
    assert assignee(balanced, ticket.id) == away


def test_max_open_leaves_the_rest_waiting_until_a_ticket_is_solved(balanced: Desk) -> None:
    sara = agent(balanced, "Sara")
    tickets = [new(balanced, number) for number in range(4)]
    assert [t.assignee_id for t in tickets] == [sara, sara, None, None]
    assert balanced.tickets.hand_out() == 0  # Sara is at max_open (2)
    balanced.tickets.update(tickets[0].id, status="solved", agent_id=sara)
    assert balanced.tickets.hand_out() == 1
    assert [assignee(balanced, t.id) for t in tickets[2:]] == [sara, None]  # the oldest waiting first


def test_a_taken_ticket_keeps_its_agent_and_a_reopened_one_its_assignee(balanced: Desk) -> None:
    sara = agent(balanced, "Sara")
    ticket = new(balanced)
    balanced.accounts.set_availability(sara, False, Actor.agent(sara))
    balanced.tickets.update(ticket.id, status="solved", agent_id=sara)
    balanced.tickets.update(ticket.id, status="open", agent_id=sara)
    assert assignee(balanced, ticket.id) == sara  # as Zendesk: an away assignee keeps a reopened ticket


def test_a_ticket_moved_to_a_team_with_a_rule_is_assigned_there(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["uae"]["assignment"] = {"mode": "round_robin"}
    content = hours_file(tmp_path / "content", teams=raw["teams"])
    with Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=database_url_for_tests())) as desk:
        sara, dana = agent(desk, "Sara"), agent(desk, "Dana", team="uae")
        ticket = new(desk)
        assert ticket.assignee_id is None  # KSA has no rule
        desk.tickets.update(ticket.id, assignee_id=sara, agent_id=sara)
        assert desk.tickets.move_to_team(ticket.id, "uae", sara)  # Sara is not in UAE: unassigned, then UAE's rule
        assert assignee(desk, ticket.id) == dana
        rows = [c for c in desk.tickets.changes(ticket.id) if isinstance(c, TicketAssigneeChange)]
        assert [(c.new_assignee_id, c.auto_rule, c.auto_team) for c in rows] == [
            (sara, None, None), (None, None, None), (dana, "round_robin", "uae")]


def test_imported_history_is_not_assigned(balanced: Desk, tmp_path: Path) -> None:
    agent(balanced, "Sara")
    path = tmp_path / "old.jsonl"
    path.write_text('{"subject": "Old", "messages": [{"author": "customer", "body": "An old question"}], '
                    '"customer": {"email": "o@example.com"}, "external_id": "old-1"}\n', encoding="utf-8")
    assert import_file(balanced.tickets, path).created == 1
    old = balanced.tickets.by_external_id("old-1")
    assert old is not None and old.assignee_id is None


def test_own_toggle_is_not_audited_an_admins_away_is_and_only_away(balanced: Desk) -> None:
    sara = agent(balanced, "Sara", available=False)
    admin = balanced.accounts.create_agent("admin@example.com", PASSWORD, "Admin", role="admin").id
    assert balanced.accounts.set_availability(sara, True, Actor.agent(sara))
    assert not balanced.accounts.set_availability(sara, True, Actor.agent(sara))  # the same again: nothing
    with pytest.raises(InputError) as caught:
        balanced.accounts.set_availability(sara, True, Actor.agent(admin))
    assert caught.value.field == "available"
    assert balanced.accounts.set_availability(sara, False, Actor.agent(admin))
    with balanced.db.session() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "availability_changed")))
        row = session.get(Agent, sara)
        assert row is not None and row.available is False and row.available_changed_at is not None
    assert [(e.actor_id, e.subject) for e in events] == [(admin, str(sara))]


def test_two_tickets_at_once_never_pass_max_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_desk(tmp_path, mode="balanced", max_open=1) as desk:
        sara = agent(desk, "Sara")
        done = at_once([lambda: new(desk, 1), lambda: new(desk, 2)],
                       [(desk_module(), "unsolved_counts")], monkeypatch)
        assert all(isinstance(d, Ticket) for d in done), done
        with desk.db.session() as session:
            assignees = sorted(session.scalars(select(Ticket.assignee_id)), key=lambda a: a or 0)
        assert assignees == [None, sara]


def test_two_tickets_at_once_go_to_two_agents_by_round_robin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_desk(tmp_path, mode="round_robin") as desk:
        sara, omar = agent(desk, "Sara"), agent(desk, "Omar")
        done = at_once([lambda: new(desk, 1), lambda: new(desk, 2)],
                       [(desk_module(), "available_members")], monkeypatch)
        assert all(isinstance(d, Ticket) for d in done), done
        with desk.db.session() as session:
            assert sorted(session.scalars(select(Ticket.assignee_id))) == sorted([sara, omar])


def desk_module() -> object:
    return desk.auto_assign


def test_the_migration_upgrades_the_previous_head_with_everyone_away(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    db, url = database_at(tmp_path, "two_factor")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                   "VALUES ('sara@example.com', 'Sara', 'x', 'agent', true, '2026-12-01')")
    migrate(db, command.upgrade, "auto_assign")
    assert "ix_tickets_assignee_status" in {i["name"] for i in inspect(db.engine).get_indexes("tickets")}
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT available FROM agents").scalar() in (False, 0)
    migrate(db, command.downgrade, "two_factor")
    assert "available" not in [c["name"] for c in inspect(db.engine).get_columns("agents")]
    assert "auto_rule" not in [c["name"] for c in inspect(db.engine).get_columns("ticket_assignee_changes")]
    db.close()
    with Desk(Settings(data_dir=tmp_path, database_url=url)) as again:
        [sara] = again.accounts.everyone()
        assert sara.available is False
