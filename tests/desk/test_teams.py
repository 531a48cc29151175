"""Teams on a real database: agents' memberships (teams defined only in the business-hours file; set by the admin
page's and `kb teams`' one helper), new tickets routed by the file's `routing:` rules on every way in (contact form,
API, mail, import), moving a ticket between teams (history, due time in the new team's hours, an assignee outside
the team unassigned), every assignee change in the ticket's history, and the inbox's team filter and "my teams'
tickets" view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from desk.business_hours import BusinessHours, BusinessHoursError
from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import Ticket, TicketAssigneeChange, TicketTeamChange
from desk.teams import Teams
from desk.ticket_import import ticket_from_json
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"
ROUTING = [
    {"domain": "acme.ae", "team": "uae"},
    {"lang": "en", "channel": ["email", "api"], "team": "uae"},
    {"category": "payments", "team": "uae"},
]


def hours_file(content: Path, **changes: object) -> Path:
    """The demo's business hours (KSA the default, UAE the other team) with `changes` (e.g. routing)."""
    content.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    (content / "_business_hours.yml").write_text(yaml.safe_dump({**raw, **changes}), encoding="utf-8")
    return content


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    content = hours_file(tmp_path / "content", routing=ROUTING)
    opened = Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=database_url_for_tests()))
    yield opened
    opened.close()


def new(desk: Desk, **overrides: object) -> Ticket:
    fields = {"email": "sara@example.com", "name": "Sara", "subject": "Refund not received", "body": "Where is it?",
              "lang": "en"}
    return desk.tickets.create(NewTicket(**(fields | overrides)))  # type: ignore[arg-type]


def test_rules_route_new_tickets_first_match_wins_else_the_default_team(desk: Desk) -> None:
    assert new(desk).team == "ksa"  # an English web ticket: no rule matches
    assert new(desk, channel="api").team == "uae"  # rule 2
    assert new(desk, email="Lina@ACME.ae", lang="ar", subject="طلبي", body="أين طلبي؟").team == "uae"  # rule 1
    assert new(desk, email="lina@sub.acme.ae").team == "ksa"  # a domain matches whole, not its subdomains
    assert new(desk, lang="ar", subject="طلبي", body="أين طلبي؟", channel="email").team == "ksa"
    imported = desk.tickets.create(ticket_from_json({
        "customer": {"email": "omar@example.com"}, "subject": "Apple Pay", "lang": "ar", "channel": "web",
        "category": "payments", "messages": [{"author": "customer", "body": "لا يعمل"}]}))
    assert (imported.team, imported.category) == ("uae", "payments")  # rule 3, on the import's category
    # The due time counts in the routed team's hours.
    api = new(desk, channel="api", created=datetime(2026, 10, 4, 6, 0, tzinfo=UTC))
    assert api.due_at.replace(tzinfo=UTC) == desk.hours.due_at(datetime(2026, 10, 4, 6, 0, tzinfo=UTC), "normal",
                                                                "uae")
    assert api.due_at.replace(tzinfo=UTC) != desk.hours.due_at(datetime(2026, 10, 4, 6, 0, tzinfo=UTC), "normal")


def test_mail_is_routed_on_the_shared_create_path(desk: Desk) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "lina@example.com", "support@manzil.example", "Where is my order?"
    mail["Message-ID"] = "<routed@mail.example.com>"
    mail.set_content("I ordered a phone a week ago and it has not arrived yet.")
    received = desk.mail_in.receive(mail.as_bytes())
    assert received.outcome == "created"
    assert desk.tickets.get(received.ticket_id).team == "uae"  # English by email: rule 2


def test_without_routing_every_ticket_goes_to_the_default_team(tmp_path: Path) -> None:
    content = hours_file(tmp_path / "content", default="uae")
    with Desk(Settings(data_dir=tmp_path / "data", content_dir=content,
                       database_url=database_url_for_tests())) as plain:
        assert new(plain, channel="api").team == "uae"


@pytest.mark.parametrize(("routing", "problem"), [
    ([{"lang": "ar", "team": "ksa"}, {"lang": "en", "team": "kas"}], "routing rule 2: team: no team 'kas'"),
    ([{"langs": "ar", "team": "ksa"}], "routing rule 1: unknown key 'langs'"),
    ([{"lang": "ar", "team": "ksa"}, {"lang": "en", "team": "ksa"}, {"channel": "mail", "team": "uae"}],
     "routing rule 3: channel: 'mail' is no channel"),
    ([{"team": "uae"}], "routing rule 1: match on at least one of"),
    ([{"lang": [], "team": "uae"}], "routing rule 1: lang: expected a word or a list of words"),
    (["lang: ar"], "routing rule 1: expected a mapping"),
    ({"lang": "ar"}, "routing: expected a list of rules"),
])
def test_a_bad_routing_rule_is_a_load_error_naming_the_file_and_the_rule(tmp_path: Path, routing: object,
                                                                          problem: str) -> None:
    content = hours_file(tmp_path / "content", routing=routing)
    with pytest.raises(BusinessHoursError) as error:
        BusinessHours.load(content)
    assert str(error.value).startswith(f"{content / '_business_hours.yml'}: {problem}")


def test_an_admin_puts_agents_in_teams_and_a_team_gone_from_the_file_is_kept_not_added(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara.k@example.com", PASSWORD, name="Sara K").id
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
    assert desk.teams.set_teams(sara, ["uae", "ksa"]) == ["ksa", "uae"]  # the file's order
    assert desk.teams.set_teams(omar, ["uae"]) == ["uae"]
    with pytest.raises(InputError) as error:
        desk.teams.set_teams(omar, ["uae", "qatar"])
    assert error.value.field == "teams" and "no team 'qatar'" in str(error.value)
    assert desk.teams.of(omar) == ["uae"]  # nothing written
    with pytest.raises(InputError, match="agent"):
        desk.teams.set_teams(99999, ["ksa"])
    # The file loses the UAE team: the rows stay, an admin may keep or drop the team but not add it again.
    ksa_only = BusinessHours.from_mapping({"teams": {"ksa": {"timezone": "Asia/Riyadh"}}})
    later = Teams(desk.db, ksa_only)
    assert later.of(sara) == ["ksa", "uae"] and later.memberships() == {sara: ["ksa", "uae"], omar: ["uae"]}
    assert later.set_teams(sara, ["ksa", "uae"]) == ["ksa", "uae"]
    assert later.set_teams(sara, ["ksa"]) == ["ksa"]
    with pytest.raises(InputError, match="no team 'uae'"):
        later.set_teams(sara, ["ksa", "uae"])


def test_moving_a_ticket_to_a_team_recounts_the_due_time_and_unassigns_an_outsider(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara.k@example.com", PASSWORD, name="Sara K").id
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
    desk.teams.set_teams(sara, ["ksa"])
    desk.teams.set_teams(omar, ["ksa", "uae"])
    created = datetime(2026, 10, 4, 6, 0, tzinfo=UTC)  # a Sunday: KSA works, UAE does not
    first, second = new(desk, created=created), new(desk, created=created)
    desk.tickets.update(first.id, assignee_id=sara, agent_id=sara)
    desk.tickets.update(second.id, assignee_id=omar, agent_id=sara)
    assert desk.tickets.move_to_team(first.id, "uae", omar) is True  # Sara is not in UAE: unassigned
    assert desk.tickets.move_to_team(second.id, "uae", omar) is False  # Omar is: he keeps it
    moved, kept = desk.tickets.get(first.id), desk.tickets.get(second.id)
    assert (moved.team, moved.assignee_id, kept.team, kept.assignee_id) == ("uae", None, "uae", omar)
    assert moved.due_at.replace(tzinfo=UTC) == desk.hours.due_at(created, "normal", "uae") != first.due_at.replace(
        tzinfo=UTC)
    [change] = [c for c in desk.tickets.changes(first.id) if isinstance(c, TicketTeamChange)]
    assert (change.old_team, change.new_team, change.agent_id) == ("ksa", "uae", omar)
    assert desk.tickets.move_to_team(first.id, "uae", omar) is False  # already there: nothing recorded
    assert sum(isinstance(c, TicketTeamChange) for c in desk.tickets.changes(first.id)) == 1
    # A due time set by hand stays where the agent put it.
    by_hand = datetime(2099, 1, 5, 11, 30, tzinfo=UTC)
    desk.tickets.set_due(second.id, by_hand, omar)
    desk.tickets.move_to_team(second.id, "ksa", omar)
    assert desk.tickets.get(second.id).due_at.replace(tzinfo=UTC) == by_hand


def test_a_move_to_an_unknown_team_or_ticket_changes_nothing(desk: Desk) -> None:
    first, second = new(desk), new(desk)
    with pytest.raises(InputError) as error:
        desk.tickets.move_to_team(first.id, "qatar", None)
    assert error.value.field == "team" and "ksa, uae" in str(error.value)
    with pytest.raises(InputError, match="no ticket 99999"):
        desk.tickets.bulk_move_to_team([first.id, second.id, 99999], "uae", None)
    assert {desk.tickets.get(first.id).team, desk.tickets.get(second.id).team} == {"ksa"}
    assert not any(isinstance(c, TicketTeamChange) for c in desk.tickets.changes(first.id))
    assert desk.tickets.bulk_move_to_team([first.id, second.id], "uae", None) == 2
    assert {desk.tickets.get(first.id).team, desk.tickets.get(second.id).team} == {"uae"}


def test_the_inbox_filters_by_team_and_shows_my_teams_unassigned_first(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara.k@example.com", PASSWORD, name="Sara K").id
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
    desk.teams.set_teams(sara, ["ksa"])
    now = datetime.now(UTC)
    older = new(desk, created=now - timedelta(hours=3)).id
    taken = new(desk, created=now - timedelta(hours=2)).id
    uae = new(desk, channel="api", created=now - timedelta(hours=1)).id
    before_routing = new(desk, created=now).id
    with desk.db.session() as session:  # a ticket from before routing: no team stored, the default team's
        session.get(Ticket, before_routing).team = None
    desk.tickets.update(taken, assignee_id=omar, agent_id=omar)

    def ids(query: InboxQuery, agent: int) -> list[int]:
        return [row.ticket.id for row in desk.inbox.page(query, agent).rows]

    assert ids(InboxQuery(team="uae"), sara) == [uae]
    assert set(ids(InboxQuery(team="ksa"), sara)) == {older, taken, before_routing}
    # Sara's teams' tickets, the unassigned first (newest first among them), then the assigned one.
    assert ids(InboxQuery(view="my_teams"), sara) == [before_routing, older, taken]
    assert ids(InboxQuery(view="my_teams", sort="created"), sara) == [before_routing, older, taken]
    assert ids(InboxQuery(view="my_teams"), omar) == []  # in no team
    assert desk.inbox.counts(sara)["my_teams"] == 3 and desk.inbox.counts(omar)["my_teams"] == 0
    assert ids(InboxQuery(view="my_teams", team="uae"), sara) == []
    desk.teams.set_teams(omar, ["uae"])
    assert ids(InboxQuery(view="my_teams"), omar) == [uae]  # not the default team's untagged ticket


def test_the_teams_migration_keeps_tickets_and_goes_back_down(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    db, url = database_at(tmp_path, "search_typed_query")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO customers (email, name, created_at) VALUES ('sara@example.com', 'Sara', '2026-01-01')")
        connection.exec_driver_sql(
            "INSERT INTO tickets (reference, customer_id, subject, lang, status, priority, channel, context, "
            "created_at, updated_at, team, due_by_hand) VALUES ('r1', 1, 'Old', 'en', 'open', 'normal', 'web', '{}', "
            "'2026-01-01', '2026-01-01', 'uae', false)")
    migrate(db, command.upgrade, "agent_teams")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT team FROM tickets")).scalar() == "uae"
        assert connection.execute(text("SELECT count(*) FROM agent_teams")).scalar() == 0
    migrate(db, command.downgrade, "search_typed_query")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT team FROM tickets")).scalar() == "uae"
    migrate(db, command.upgrade, "head")
    db.close()
    with Desk(Settings(data_dir=tmp_path, content_dir=hours_file(tmp_path / "content"), database_url=url)) as later:
        assert later.inbox.page(InboxQuery(team="uae"), 0).total == 1  # the old ticket, found by its team


def assignments(desk: Desk, ticket_id: int) -> list[tuple[int | None, int | None, int | None]]:
    """The ticket's assignee changes in its history: (who, from, to)."""
    return [(c.agent_id, c.old_assignee_id, c.new_assignee_id) for c in desk.tickets.changes(ticket_id)
            if isinstance(c, TicketAssigneeChange)]


def test_every_assignee_change_is_a_row_of_the_ticket_history(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara.k@example.com", PASSWORD, name="Sara K").id
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
    desk.teams.set_teams(sara, ["ksa"])
    first, second, third = new(desk), new(desk), new(desk)
    assert desk.tickets.update(first.id, assignee_id=sara, agent_id=omar) is True  # by hand
    assert desk.tickets.update(first.id, assignee_id=sara, agent_id=omar) is False  # the same again: nothing
    assert desk.tickets.update(first.id, status="open", agent_id=omar) is False  # no assignee given: kept
    desk.tickets.bulk_update([first.id, second.id], assignee_id=omar, agent_id=sara)  # in bulk
    desk.tickets.send_reply(third.id, sara, "Here is your refund.")  # a reply takes an unassigned ticket
    desk.tickets.update(second.id, assignee_id=None, agent_id=omar)  # unassigned by hand
    desk.tickets.update(third.id, assignee_id=omar, agent_id=sara)
    assert desk.tickets.move_to_team(third.id, "uae", sara) is True  # Omar is in no team: unassigned by the move
    assert assignments(desk, first.id) == [(omar, None, sara), (sara, sara, omar)]
    assert assignments(desk, second.id) == [(sara, None, omar), (omar, omar, None)]
    assert assignments(desk, third.id) == [(sara, None, sara), (sara, sara, omar), (sara, omar, None)]
    # The move and the unassignment it caused, in that order, at the same moment.
    move, unassigned = desk.tickets.changes(third.id)[-2:]
    assert isinstance(move, TicketTeamChange) and isinstance(unassigned, TicketAssigneeChange)
    assert move.created_at == unassigned.created_at
    # A bulk assignment with a bad ticket writes no history at all (one transaction).
    with pytest.raises(InputError, match="no ticket 99999"):
        desk.tickets.bulk_update([first.id, 99999], assignee_id=sara, agent_id=omar)
    assert len(assignments(desk, first.id)) == 2
    with pytest.raises(InputError, match="no agent 99999"):
        desk.tickets.update(first.id, assignee_id=99999, agent_id=omar)
    assert len(assignments(desk, first.id)) == 2


def test_kb_teams_helpers_add_and_remove_by_email_with_errors_naming_the_bad_key_or_email(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara.k@example.com", PASSWORD, name="Sara K").id
    assert desk.teams.add(" Sara.K@example.com ", "uae") == ["uae"]
    assert desk.teams.add("sara.k@example.com", "ksa") == ["ksa", "uae"]
    assert desk.teams.add("sara.k@example.com", "ksa") == ["ksa", "uae"]  # already in it: unchanged
    assert desk.teams.members("ksa") == {sara} and desk.teams.members("uae") == {sara}
    with pytest.raises(InputError) as error:
        desk.teams.add("sara.k@example.com", "qatar")
    assert error.value.field == "teams" and str(error.value) == "teams: no team 'qatar'; the teams are ksa, uae"
    with pytest.raises(InputError) as error:
        desk.teams.add("nobody@example.com", "ksa")
    assert error.value.field == "email" and "no agent 'nobody@example.com'" in str(error.value)
    assert desk.teams.remove("sara.k@example.com", "uae") == ["ksa"]
    with pytest.raises(InputError) as error:
        desk.teams.remove("sara.k@example.com", "uae")
    assert error.value.field == "team" and "sara.k@example.com is not in team 'uae'" in str(error.value)
    with pytest.raises(InputError, match="no team 'qatar'; the teams are ksa, uae"):
        desk.teams.remove("sara.k@example.com", "qatar")
    assert desk.teams.of(sara) == ["ksa"]  # the refusals wrote nothing
    # A team gone from the file may still be dropped by its key.
    ksa_only = Teams(desk.db, BusinessHours.from_mapping({"teams": {"ksa": {"timezone": "Asia/Riyadh"}}}))
    desk.teams.add("sara.k@example.com", "uae")
    assert ksa_only.remove("sara.k@example.com", "uae") == ["ksa"]


def test_the_assignee_changes_migration_upgrades_the_previous_head_and_goes_back_down(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text

    db, url = database_at(tmp_path, "idempotency_keys")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO agents (email, name, password_hash, role, active, created_at, session_token) "
            "VALUES ('sara@example.com', 'Sara', 'x', 'agent', true, '2026-01-01', 't')")
        connection.exec_driver_sql(
            "INSERT INTO customers (email, name, created_at) VALUES ('lina@example.com', 'Lina', '2026-01-01')")
        connection.exec_driver_sql(
            "INSERT INTO tickets (reference, customer_id, subject, lang, status, priority, channel, context, "
            "created_at, updated_at, team, due_by_hand, assignee_id) VALUES ('r1', 1, 'Old', 'en', 'open', 'normal', "
            "'web', '{}', '2026-01-01', '2026-01-01', 'ksa', false, 1)")
    migrate(db, command.upgrade, "assignee_changes")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT assignee_id FROM tickets")).scalar() == 1  # kept, no history row
        assert connection.execute(text("SELECT count(*) FROM ticket_assignee_changes")).scalar() == 0
    migrate(db, command.downgrade, "idempotency_keys")
    assert "ticket_assignee_changes" not in inspect(db.engine).get_table_names()
    migrate(db, command.upgrade, "head")
    db.close()
    with Desk(Settings(data_dir=tmp_path, content_dir=hours_file(tmp_path / "content"), database_url=url)) as later:
        ticket = later.tickets.by_reference("r1")
        later.tickets.update(ticket.id, assignee_id=None, agent_id=1)
        assert assignments(later, ticket.id) == [(1, 1, None)]
