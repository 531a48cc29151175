"""Due times follow a changed policy (leftover38): a lead merges new business hours or due hours
(content/_business_hours.yml), the desk reloads them (desk.desk's `reload_rules`), and the worker's "due-times" job
counts the due time of every unsolved ticket that has one again under the new policy (TicketStore.recount_due), a
bounded page a pass, each ticket in its own transaction with a "policy" line in its history and its updated_at kept.
A hand-set due time is never touched; a ticket whose due time comes out the same gets no line; a change that leaves
the due policy as it was (a team's name, routing) recounts nothing. Zendesk re-applies an SLA policy only on a
ticket's next update. `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from alembic import command
from sqlalchemy import inspect, select

from desk.business_hours import CONFIG_FILE, BusinessHours
from desk.desk import Desk
from desk.models import DuePolicyState, Ticket, TicketDueChange, as_utc
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.desk.test_teams import hours_file

RIYADH = ZoneInfo("Asia/Riyadh")
SUNDAY = datetime(2026, 3, 8, 10, 0, tzinfo=RIYADH).astimezone(UTC)  # a working day of the KSA team (Sun-Thu)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", content_dir=hours_file(tmp_path / "content"),
                           database_url=database_url_for_tests()))
    yield opened
    opened.close()


def edit_hours(desk: Desk, **changes: object) -> None:
    """The file as a lead merges it: the demo's, with one team's keys or the file's keys changed."""
    path = desk.settings.content_dir / CONFIG_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for team, keys in changes.pop("teams", {}).items():  # type: ignore[attr-defined]
        raw["teams"][team].update(keys)
    path.write_text(yaml.safe_dump({**raw, **changes}), encoding="utf-8")
    assert desk.reload_rules()


def ticket(desk: Desk, subject: str, team: str, priority: str = "normal") -> int:
    return desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", subject=subject, body="Where is it?",
                                         lang="en", created=SUNDAY, team=team, priority=priority)).id


def row(desk: Desk, ticket_id: int) -> Ticket:
    with desk.db.session() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        session.expunge(found)
        return found


def lines(desk: Desk) -> list[tuple[int, str | None, bool]]:
    with desk.db.session() as session:
        return [(c.ticket_id, c.reason, c.by_hand)
                for c in session.scalars(select(TicketDueChange).order_by(TicketDueChange.id))]


def stored(desk: Desk) -> tuple[str | None, int | None]:
    """The due policy the database says the due times were last counted under, and the recount's progress."""
    with desk.db.session() as session:
        state = session.get(DuePolicyState, 1)
        assert state is not None
        return state.fingerprint, state.recount_after


def recount_in_pages(desk: Desk) -> list[int]:
    """The worker's passes, a page of one ticket each, until the database says the recount is done."""
    passes = [desk.recount_due(limit=1)]
    while stored(desk) != (desk.hours.due_fingerprint(), None):
        passes.append(desk.recount_due(limit=1))
    return passes


def expected(desk: Desk, team: str, priority: str = "normal") -> datetime:
    """The due time the file now on disk gives a ticket created at SUNDAY: read from the file, not from the desk."""
    return as_utc(BusinessHours.load(desk.settings.content_dir).due_at(SUNDAY, priority, team))


def test_a_changed_policy_recounts_the_open_tickets_due_times_and_leaves_hand_set_ones(desk: Desk) -> None:
    agent = desk.accounts.create_agent("amal@example.com", "a long enough password", name="Amal").id
    ksa, uae, urgent = ticket(desk, "Refund", "ksa"), ticket(desk, "Card", "uae"), ticket(desk, "Down", "ksa", "high")
    by_hand, solved = ticket(desk, "Invoice", "ksa"), ticket(desk, "Thanks", "ksa")
    pinned = as_utc(SUNDAY + timedelta(days=3))
    desk.tickets.set_due(by_hand, pinned, agent)
    desk.tickets.update(solved, status="solved", agent_id=agent)
    before = {i: row(desk, i) for i in (ksa, uae, urgent)}
    assert desk.recount_due() == 0 and stored(desk) == (desk.hours.due_fingerprint(), None)  # recorded, no line
    assert desk.recount_due() == 0  # nothing changed: no query

    edit_hours(desk, teams={"ksa": {"hours": ["09:00", "13:00"]}})  # the KSA team's afternoons off
    assert as_utc(row(desk, ksa).due_at) != expected(desk, "ksa")  # counted under the old hours until recounted
    passes = recount_in_pages(desk)  # a page of one ticket a pass
    assert passes == [1, 0, 1, 0]  # ksa, uae (the same time: no line), urgent, then none left (hand-set, solved)
    assert as_utc(row(desk, ksa).due_at) == expected(desk, "ksa")
    assert as_utc(row(desk, urgent).due_at) == expected(desk, "ksa", "high")
    assert as_utc(row(desk, uae).due_at) == as_utc(before[uae].due_at)  # the UAE team's hours did not change
    assert as_utc(row(desk, by_hand).due_at) == pinned and row(desk, by_hand).due_by_hand
    assert row(desk, solved).due_at is None
    for i in (ksa, urgent):  # no one worked on them
        assert row(desk, i).updated_at == before[i].updated_at
    assert lines(desk)[1:] == [(ksa, "policy", False), (urgent, "policy", False)]  # after by_hand's own line
    history = [c for c in desk.tickets.changes(ksa) if isinstance(c, TicketDueChange)]
    assert [(c.reason, as_utc(c.old_due_at), as_utc(c.new_due_at)) for c in history] == [  # type: ignore[arg-type]
        ("policy", as_utc(before[ksa].due_at), expected(desk, "ksa"))]

    counted = len(lines(desk))
    edit_hours(desk, teams={"ksa": {"name": "Riyadh desk"}}, routing=[{"domain": "acme.ae", "team": "uae"}])
    assert desk.recount_due() == 0 and len(lines(desk)) == counted  # a name and a routing rule: due times stay

    edit_hours(desk, due_hours={"urgent": 1, "high": 2, "normal": 4, "low": 24})  # every team's targets
    assert desk.recount_due() == 3 and stored(desk) == (desk.hours.due_fingerprint(), None)
    assert as_utc(row(desk, uae).due_at) == expected(desk, "uae") != as_utc(before[uae].due_at)
    assert as_utc(row(desk, urgent).due_at) == expected(desk, "ksa", "high")
    assert as_utc(row(desk, by_hand).due_at) == pinned


def test_a_worker_started_after_a_change_recounts_once(tmp_path: Path) -> None:
    """The policy the due times were counted under is stored: a change made while no worker ran is recounted by the
    next worker to start, once (Zendesk counts its SLA targets whenever they change)."""
    settings = Settings(data_dir=tmp_path / "data", content_dir=hours_file(tmp_path / "content"),
                        database_url=database_url_for_tests())
    with Desk(settings) as first:
        ksa = ticket(first, "Refund", "ksa")
        assert first.recount_due() == 0  # the worker ran under the demo's hours
        old = as_utc(row(first, ksa).due_at)
        edit_hours(first, teams={"ksa": {"hours": ["09:00", "13:00"]}})  # merged while the worker is stopped
    with Desk(settings) as started:  # the worker starts on the new file
        assert as_utc(row(started, ksa).due_at) == old
        assert started.recount_due() == 1 and as_utc(row(started, ksa).due_at) == expected(started, "ksa")
        assert started.recount_due() == 0 and lines(started) == [(ksa, "policy", False)]
    with Desk(settings) as again:  # started once more: nothing to recount
        assert again.recount_due() == 0 and lines(again) == [(ksa, "policy", False)]


def test_two_workers_share_one_recount(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", content_dir=hours_file(tmp_path / "content"),
                        database_url=database_url_for_tests())
    with Desk(settings) as one, Desk(settings) as two:
        ids = [ticket(one, f"Refund {n}", "ksa") for n in range(4)]
        assert one.recount_due() == 0 and two.recount_due() == 0
        edit_hours(one, teams={"ksa": {"hours": ["09:00", "13:00"]}})
        assert two.reload_rules()
        done = [one.recount_due(limit=1), two.recount_due(limit=1), one.recount_due(limit=1),
                two.recount_due(limit=1), one.recount_due(limit=1), two.recount_due(limit=1)]
        assert done == [1, 1, 1, 1, 0, 0]  # each page taken by one worker only
        assert lines(one) == [(i, "policy", False) for i in ids]  # one line per ticket
        assert stored(one) == (one.hours.due_fingerprint(), None)


def test_the_migrations_add_the_due_change_reason_and_the_due_policy_state_and_go_down(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, "problem_foreign_key")

    def columns() -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns("ticket_due_changes")} & {"reason"}

    migrate(db, command.upgrade, "due_change_reason")
    assert columns() == {"reason"}
    migrate(db, command.upgrade, "due_policy_state")
    assert {c["name"] for c in inspect(db.engine).get_columns("due_policy_state")} == {
        "id", "fingerprint", "recount_after", "changed_at"}
    migrate(db, command.downgrade, "due_change_reason")
    assert "due_policy_state" not in inspect(db.engine).get_table_names()
    migrate(db, command.downgrade, "problem_foreign_key")
    assert columns() == set()
    migrate(db, command.upgrade, "head")
    db.close()
