"""Language routing on a real database (SQLite, and PostgreSQL with --postgresql): automatic assignment gives a ticket
only to a member who answers in its language (`Agent.languages`), round robin and balanced alike; a ticket nobody
available answers waits, and the worker's pass gives it to anyone once it waited KB_ROUTING_LANGUAGE_FALLBACK_MINUTES
(the pass's clock passed in, no sleeping), the history saying so; the agent's languages checked and audited when an
admin sets them; the team status page's reason; two tickets at once; and the migration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from desk.audit import SYSTEM, Actor
from desk.desk import Desk
from desk.models import Agent, AuditEvent, Ticket, TicketAssigneeChange, TicketTeamChange, as_utc, utcnow
from desk.team_status import team_status
from desk.tickets import InputError
from tests.conftest import database_at, migrate
from tests.desk.test_auto_assign import PASSWORD, agent, assignee, desk_module, new, open_desk
from tests.races import at_once

LANGUAGES = ("en", "ar")


def speaking(desk: Desk, name: str, *languages: str, available: bool = True) -> int:
    made = agent(desk, name, available=available)
    desk.accounts.set_languages(made, languages, LANGUAGES, Actor.agent(made))
    return made


def auto_rows(desk: Desk, ticket_id: int) -> list[TicketAssigneeChange]:
    return [c for c in desk.tickets.changes(ticket_id) if isinstance(c, TicketAssigneeChange)]


@pytest.mark.parametrize("mode", ["round_robin", "balanced"])
def test_an_arabic_ticket_skips_the_english_only_member(tmp_path: Path, mode: str) -> None:
    with open_desk(tmp_path, mode=mode) as desk:
        english = speaking(desk, "Emma", "en")  # the lower id: first by either rule without languages
        arabic = speaking(desk, "Huda", "ar")
        anyone = agent(desk, "Omar")  # nothing set: every language
        got = [new(desk, number, lang="ar").assignee_id for number in range(4)]
        assert english not in got
        assert set(got) == {arabic, anyone}
        assert new(desk, 9, lang="en").assignee_id == english


def test_an_arabic_ticket_nobody_answers_waits_then_goes_to_anyone_after_the_fallback(tmp_path: Path) -> None:
    with open_desk(tmp_path, mode="balanced") as desk:
        desk.tickets.language_fallback_minutes = 30
        english = speaking(desk, "Emma", "en")
        ticket = new(desk, lang="ar")
        assert ticket.assignee_id is None
        arrived = ticket.created_at
        assert desk.tickets.hand_out(now=arrived + timedelta(minutes=29)) == 0
        assert assignee(desk, ticket.id) is None
        assert desk.tickets.hand_out(now=arrived + timedelta(minutes=30)) == 1
        assert assignee(desk, ticket.id) == english
        [row] = auto_rows(desk, ticket.id)
        assert (row.agent_id, row.auto_rule, row.auto_without_lang, row.auto_waited_minutes) == (
            None, "balanced", "ar", 30)


def test_a_speaker_is_preferred_after_the_fallback_and_zero_never_drops(tmp_path: Path) -> None:
    with open_desk(tmp_path, mode="round_robin") as desk:
        desk.tickets.language_fallback_minutes = 0
        speaking(desk, "Emma", "en")
        ticket = new(desk, lang="ar")
        assert desk.tickets.hand_out(now=utcnow() + timedelta(days=30)) == 0  # 0: never dropped
        desk.tickets.language_fallback_minutes = 10
        huda = speaking(desk, "Huda", "ar", "en")
        later = utcnow() + timedelta(hours=1)
        assert desk.tickets.hand_out(now=later) == 1
        assert assignee(desk, ticket.id) == huda
        assert auto_rows(desk, ticket.id)[0].auto_without_lang is None


def test_the_pass_hands_out_other_languages_behind_a_waiting_one(tmp_path: Path) -> None:
    with open_desk(tmp_path, mode="round_robin") as desk:
        waiting = [new(desk, number, lang="ar") for number in range(3)]
        english = new(desk, 5, lang="en")  # arrived last, behind three Arabic tickets nobody answers
        emma = speaking(desk, "Emma", "en")
        assert desk.tickets.hand_out(now=english.created_at + timedelta(minutes=1)) == 1
        assert assignee(desk, english.id) == emma
        assert [assignee(desk, t.id) for t in waiting] == [None, None, None]


def test_the_team_status_page_says_which_language_tickets_wait_for(tmp_path: Path) -> None:
    with open_desk(tmp_path, mode="balanced") as desk:
        emma = speaking(desk, "Emma", "en")
        new(desk, 1, lang="ar")
        new(desk, 2, lang="ar")
        floor = team_status(desk.db, desk.hours)
        [ksa] = [team for team in floor.teams if team.key == "ksa"]
        assert ksa.blocked is None  # an English ticket would be assigned
        assert ksa.language_waits == [("ar", 2, "no_language")]
        assert [(m.agent_id, m.languages) for m in ksa.members] == [(emma, ["en"])]


def test_the_team_status_page_says_when_every_speaker_is_at_max_open(tmp_path: Path) -> None:
    with open_desk(tmp_path, mode="balanced", max_open=1) as desk:
        speaking(desk, "Emma", "en")
        huda = speaking(desk, "Huda", "ar")
        assert new(desk, 1, lang="ar").assignee_id == huda  # Huda is at max_open now
        new(desk, 2, lang="ar")
        new(desk, 3, lang="ar")
        [ksa] = [team for team in team_status(desk.db, desk.hours).teams if team.key == "ksa"]
        assert ksa.blocked is None  # Emma has room for an English ticket
        assert ksa.language_waits == [("ar", 2, "all_at_max_open")]


def test_languages_are_checked_and_an_admins_change_audited(tmp_path: Path) -> None:
    with open_desk(tmp_path, mode="balanced") as desk:
        sara = agent(desk, "Sara")
        admin = desk.accounts.create_agent("admin@example.com", PASSWORD, "Admin", role="admin").id
        with pytest.raises(InputError) as caught:
            desk.accounts.set_languages(sara, ["ar", "fr"], LANGUAGES, Actor.agent(admin))
        assert caught.value.field == "languages"
        assert desk.accounts.set_languages(sara, ["ar", "en"], LANGUAGES, Actor.agent(sara)) == ["en", "ar"]
        assert desk.accounts.set_languages(sara, ["ar"], LANGUAGES, Actor.agent(admin)) == ["ar"]
        assert desk.accounts.set_languages(sara, [], LANGUAGES, SYSTEM) == []
        light = desk.accounts.create_agent("light@example.com", PASSWORD, "Light", role="light").id
        with pytest.raises(InputError) as refused:
            desk.accounts.set_languages(light, ["ar"], LANGUAGES, SYSTEM)
        assert refused.value.field == "agent"
        with desk.db.session() as session:
            assert session.get(Agent, sara).languages is None  # none ticked: every language
            events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "languages_changed")
                                          .order_by(AuditEvent.id)))
        # the refused one wrote nothing; the agent's own change is not audited
        assert [(e.actor_id, e.before, e.after) for e in events] == [
            (admin, {"languages": ["en", "ar"]}, {"languages": ["ar"]}),
            (None, {"languages": ["ar"]}, {"languages": []})]


def test_two_arabic_tickets_at_once_never_pass_max_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_desk(tmp_path, mode="balanced", max_open=1) as desk:
        speaking(desk, "Emma", "en")
        huda = speaking(desk, "Huda", "ar")
        done = at_once([lambda: new(desk, 1, lang="ar"), lambda: new(desk, 2, lang="ar")],
                       [(desk_module(), "unsolved_counts")], monkeypatch)
        assert all(isinstance(d, Ticket) for d in done), done
        with desk.db.session() as session:
            assignees = sorted(session.scalars(select(Ticket.assignee_id)), key=lambda a: a or 0)
        assert assignees == [None, huda]  # the English-only member never took the second


def test_the_migration_adds_and_removes_the_columns(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    db, _ = database_at(tmp_path, "agent_digest")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                   "VALUES ('sara@example.com', 'Sara', 'x', 'agent', true, '2026-12-01')")
    migrate(db, command.upgrade, "agent_languages")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT languages FROM agents").scalar() is None  # every language
    assert {"auto_without_lang", "auto_waited_minutes"} <= {
        c["name"] for c in inspect(db.engine).get_columns("ticket_assignee_changes")}
    migrate(db, command.downgrade, "agent_digest")
    assert "languages" not in [c["name"] for c in inspect(db.engine).get_columns("agents")]
    assert "auto_without_lang" not in [c["name"] for c in inspect(db.engine).get_columns("ticket_assignee_changes")]
    db.close()


def test_the_fallback_counts_from_when_the_ticket_came_to_its_team(tmp_path: Path) -> None:
    """A ticket moved to the team late waits the whole fallback there (Zendesk's skills timeout starts when the ticket
    enters the queue); a ticket never moved counts from its arrival."""
    with open_desk(tmp_path, mode="balanced") as desk:
        desk.tickets.language_fallback_minutes = 30
        emma = speaking(desk, "Emma", "en")
        moved = new(desk, 1, lang="ar", team="uae")
        stayed = new(desk, 2, lang="ar")
        hours_ago = utcnow() - timedelta(hours=2)
        with desk.db.session() as session:
            for ticket_id in (moved.id, stayed.id):
                session.get(Ticket, ticket_id).created_at = hours_ago  # type: ignore[union-attr]
        desk.tickets.move_to_team(moved.id, "ksa", None)
        assert assignee(desk, moved.id) is None  # moved in just now: it waits for a speaker
        [entered] = [as_utc(c.created_at) for c in desk.tickets.changes(moved.id) if isinstance(c, TicketTeamChange)]
        assert desk.tickets.hand_out(now=entered + timedelta(minutes=29)) == 1  # only the one never moved
        assert (assignee(desk, stayed.id), assignee(desk, moved.id)) == (emma, None)
        assert desk.tickets.hand_out(now=entered + timedelta(minutes=30)) == 1
        assert assignee(desk, moved.id) == emma
        [row] = auto_rows(desk, moved.id)
        assert (row.auto_without_lang, row.auto_waited_minutes) == ("ar", 30)
