"""Time tracking (desk.time_tracking) on a real desk, SQLite and (`--postgresql`) PostgreSQL: time recorded with a
reply, note and update in their own transactions (once per page's post, never for a resend, nothing on a refused
reply), manual entries, who may edit or delete, the history and audit rows, the dashboard's handle time against
figures worked out by hand, the erasure of notes, and the migration up and down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, update

from desk import metrics
from desk.audit import Actor
from desk.business_hours import BusinessHours
from desk.desk import Desk
from desk.metrics import Filters
from desk.models import AuditEvent, Ticket, TicketStatusChange, TimeEntry, TimeEntryChange
from desk.tickets import ClosedTicketError, InputError, NewTicket
from desk.time_tracking import NotYourEntry, form_seconds, minutes_as_seconds
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.races import at_once, refused

HOURS = BusinessHours.from_mapping({"default": "ksa", "teams": {
    "ksa": {"timezone": "Asia/Riyadh", "days": ["sun", "mon", "tue", "wed", "thu"], "hours": ["09:00", "17:00"]},
    "uae": {"timezone": "Asia/Dubai", "days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["09:00", "18:00"]}}})


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path_factory.mktemp("time35"), database_url=database_url_for_tests()))
    opened.accounts.create_agent("sara@example.com", "a long password", name="Sara")  # 1
    opened.accounts.create_agent("omar@example.com", "a long password", name="Omar")  # 2
    opened.accounts.create_agent("lead@example.com", "a long password", name="Lead", role="lead")  # 3
    yield opened
    opened.close()


def new_ticket(desk: Desk, subject: str = "Refund", email: str = "lina@example.com") -> int:
    return desk.tickets.create(NewTicket(email=email, name="Lina", subject=subject, body="Where is it?",
                                         lang="en")).id


def entries(desk: Desk, ticket_id: int) -> list[tuple[int, int, str]]:
    with desk.db.session() as session:
        return [(e.agent_id, e.seconds, e.kind) for e in session.scalars(
            select(TimeEntry).where(TimeEntry.ticket_id == ticket_id).order_by(TimeEntry.id))]


@pytest.mark.parametrize(("typed", "seconds"), [("15", 900), ("١٥", 900), ("۱.۵", 90), ("1٫5", 90), ("０.５", 30),
                                                ("  2 ", 120), ("", None), ("1440", 86_400)])
def test_minutes_are_read_as_typed_on_a_phone(typed: str, seconds: int | None) -> None:
    assert minutes_as_seconds(typed) == seconds


@pytest.mark.parametrize("typed", ["0", "0.001", "1441", "1e3", "-5", "abc", "1,5", "9" * 40, "1.5.2", "½"])
def test_minutes_that_are_no_time_are_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InputError) as refused:
        minutes_as_seconds(typed)
    assert refused.value.field == "time_spent"


def test_the_timer_seconds_win_over_the_minutes_and_are_held_to_a_day() -> None:
    assert form_seconds("75", "3") == 75
    assert form_seconds("", "3") == 180
    for bad in ("0", "86401", "12.5", "x"):
        with pytest.raises(InputError) as refused:
            form_seconds(bad, "")
        assert refused.value.field == "time_spent"


def test_time_goes_with_a_reply_note_and_update_once_per_post(desk: Desk) -> None:
    ticket = new_ticket(desk)
    seen = max(m.id for m in desk.tickets.get(ticket).messages)  # type: ignore[union-attr]
    sent = desk.tickets.send_reply(ticket, 1, "Here it is", seen_message_id=seen, seconds=300, form_key="page-1")
    again = desk.tickets.send_reply(ticket, 1, "Here it is", seen_message_id=seen, seconds=300, form_key="page-1")
    assert again.resent and not sent.resent
    desk.notes.add(ticket, 2, "Checked the courier", seconds=60, form_key="page-2")
    desk.notes.add(ticket, 2, "Checked the courier", seconds=60, form_key="page-2")  # the same form again
    desk.tickets.update(ticket, priority="high", agent_id=1, seconds=45, form_key="page-3")
    assert entries(desk, ticket) == [(1, 300, "reply"), (2, 60, "note"), (1, 45, "update")]
    spent = desk.time_entries.of_ticket(ticket)
    assert spent.total == 405 and spent.by_agent == [(1, "Sara", 345), (2, "Omar", 60)]


def test_a_refused_reply_or_time_writes_neither(desk: Desk) -> None:
    ticket = new_ticket(desk, "Nothing half-written")
    with pytest.raises(InputError) as refused:
        desk.tickets.send_reply(ticket, 1, "", seconds=300)  # no body: the reply is refused, its time with it
    assert refused.value.field == "body"
    with pytest.raises(InputError) as refused:
        desk.tickets.send_reply(ticket, 1, "Hello", seconds=86_401)
    assert refused.value.field == "time_spent"
    with pytest.raises(InputError):
        desk.notes.add(ticket, 1, "a note", seconds=0)
    assert entries(desk, ticket) == []
    assert [m.author for m in desk.tickets.get(ticket).messages] == ["customer"]  # type: ignore[union-attr]


def test_an_agent_changes_their_own_entries_and_a_lead_anyone_s_each_in_history_and_audit(desk: Desk) -> None:
    ticket = new_ticket(desk, "Who may change")
    omar = desk.time_entries.add(ticket, 2, 600, "Called the courier", Actor.agent(2))
    with pytest.raises(NotYourEntry):
        desk.time_entries.edit(ticket, omar.id, Actor.agent(1), seconds=60)
    with pytest.raises(NotYourEntry):
        desk.time_entries.delete(ticket, omar.id, Actor.agent(1))
    with pytest.raises(NotYourEntry):  # nor add time in a colleague's name
        desk.time_entries.add(ticket, 2, 60, None, Actor.agent(1))
    desk.time_entries.edit(ticket, omar.id, Actor.agent(2), note="Called the courier")  # nothing changes: no rows
    edited = desk.time_entries.edit(ticket, omar.id, Actor.agent(3), seconds=900, note="Called twice")
    assert (edited.seconds, edited.note, edited.updated_at is not None) == (900, "Called twice", True)
    desk.time_entries.delete(ticket, omar.id, Actor.agent(2))
    assert desk.time_entries.of_ticket(ticket).total == 0
    with desk.db.session() as session:
        changes = [(c.kind, c.agent_id, c.entry_agent_id, c.old_seconds, c.new_seconds, c.note_changed)
                   for c in session.scalars(select(TimeEntryChange).where(TimeEntryChange.ticket_id == ticket)
                                            .order_by(TimeEntryChange.id))]
        audit = [(a.action, a.actor_id, a.before, a.after) for a in session.scalars(
            select(AuditEvent).where(AuditEvent.subject == str(ticket), AuditEvent.subject_type == "ticket",
                                     AuditEvent.action.like("time_entry%")).order_by(AuditEvent.id))]
    assert changes == [("edited", 3, 2, 600, 900, True), ("deleted", 2, 2, 900, None, False)]
    assert audit == [
        ("time_entry_edited", 3, {"entry": omar.id, "agent": 2, "seconds": 600}, {"entry": omar.id, "seconds": 900,
                                                                                  "note": "changed"}),
        ("time_entry_deleted", 2, {"entry": omar.id, "agent": 2, "seconds": 900, "kind": "manual"}, None)]
    assert "Called" not in repr(audit)  # never the note's text
    history = desk.tickets.changes(ticket)
    assert [type(c).__name__ for c in history][-2:] == ["TimeEntryChange", "TimeEntryChange"]


def test_a_closed_ticket_s_time_is_final_and_another_ticket_s_entry_is_not_found(desk: Desk) -> None:
    ticket, other = new_ticket(desk, "Closed"), new_ticket(desk, "Other")
    entry = desk.time_entries.add(ticket, 1, 60, None, Actor.agent(1))
    with pytest.raises(InputError) as refused:
        desk.time_entries.edit(other, entry.id, Actor.agent(1), seconds=90)
    assert refused.value.field == "entry"
    desk.tickets.update(ticket, status="closed", agent_id=1)
    for attempt in (lambda: desk.time_entries.add(ticket, 1, 60, None, Actor.agent(1)),
                    lambda: desk.time_entries.edit(ticket, entry.id, Actor.agent(1), seconds=90),
                    lambda: desk.time_entries.delete(ticket, entry.id, Actor.agent(1))):
        with pytest.raises(ClosedTicketError):
            attempt()
    assert entries(desk, ticket) == [(1, 60, "manual")]


@pytest.mark.parametrize(("field", "kwargs"), [
    ("seconds", {"seconds": 0}), ("seconds", {"seconds": 86_401}), ("seconds", {"seconds": True}),
    ("seconds", {"seconds": 60.0}), ("seconds", {"seconds": "60"}), ("note", {"note": "x" * 501}),
    ("note", {"note": 5}), ("agent", {"agent_id": "1"}), ("agent", {"agent_id": 2**31 - 1}),
    ("agent", {"agent_id": 2**63}),
])
def test_a_bad_manual_entry_is_refused_naming_its_field(desk: Desk, field: str, kwargs: dict[str, object]) -> None:
    ticket = new_ticket(desk, f"Bad {field}")
    values: dict[str, object] = {"agent_id": 1, "seconds": 60, "note": None, **kwargs}
    with pytest.raises(InputError) as refused:
        desk.time_entries.add(ticket, values["agent_id"], values["seconds"], values["note"], Actor.api(1))
    assert refused.value.field == field
    assert entries(desk, ticket) == []


def test_erasure_drops_the_notes_and_keeps_the_time(desk: Desk) -> None:
    ticket = new_ticket(desk, "Erase me", email="erase-me@example.com")
    desk.time_entries.add(ticket, 1, 120, "Called Lina on +966 5555", Actor.agent(1))
    customer = desk.tickets.get(ticket).customer_id  # type: ignore[union-attr]
    result = desk.erasure.erase(customer, "erase-me@example.com")
    assert result.counts["time_entry_notes"] == 1
    [entry] = desk.time_entries.of_ticket(ticket).entries
    assert (entry.seconds, entry.note) == (120, "")


def test_handle_time_on_the_dashboard_matches_the_entries_worked_out_by_hand(desk: Desk) -> None:
    """The week 2026-11-29 .. 12-05 (UTC). A: KSA, solved in the week, reopened Thu 12-03 10:00; Sara 10 min Mon,
    Omar 5 min Wed, Sara 20 min Thu 12:00 (after the reopen). B: UAE, solved in the week; Omar 30 min Tue. C: KSA,
    open; Sara 60 min the week before (not counted). Per solved ticket: A 35 min, B 30 min."""
    sara, omar = 1, 2
    a, b, c = (new_ticket(desk, s) for s in ("A", "B", "C"))

    def at(day: int, hour: int, month: int = 12) -> datetime:
        return datetime(2026, month, day, hour, tzinfo=UTC)

    with desk.db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == b).values(team="uae"))
        for ticket, agent, minutes, when in ((a, sara, 10, at(30, 9, 11)), (a, omar, 5, at(2, 9)),
                                             (a, sara, 20, at(3, 12)), (b, omar, 30, at(1, 9)),
                                             (c, sara, 60, at(25, 9, 11))):
            session.add(TimeEntry(ticket_id=ticket, agent_id=agent, seconds=minutes * 60, kind="manual",
                                  created_at=when))
        for ticket, old, new, when in ((a, "open", "solved", at(2, 10)), (a, "solved", "open", at(3, 10)),
                                       (a, "open", "solved", at(4, 10)), (b, "open", "solved", at(5, 10))):
            session.add(TicketStatusChange(ticket_id=ticket, old_status=old, new_status=new, created_at=when))
    week = Filters.for_days(date(2026, 11, 29), date(2026, 12, 5))
    got = metrics.handle_time(desk.db, week, HOURS)
    assert (got.seconds, got.entries) == (65 * 60, 4)
    assert [(r.key, r.seconds, r.entries, r.tickets) for r in got.by_agent] == [("Omar", 2100, 2, 2),
                                                                                ("Sara", 1800, 2, 1)]
    assert [(r.key, r.seconds, r.tickets) for r in got.by_team] == [("ksa", 2100, 1), ("uae", 1800, 1)]
    assert (got.solved_tickets, got.average_per_solved, got.median_per_solved) == (2, 1950.0, 1950.0)
    assert (got.reopened_seconds, got.reopened_tickets) == (1200, 1)
    only_omar = metrics.handle_time(desk.db, Filters.for_days(date(2026, 11, 29), date(2026, 12, 5),
                                                              agent_id=omar), HOURS)
    assert (only_omar.seconds, only_omar.median_per_solved, only_omar.reopened_seconds) == (2100, 1050.0, 0)
    board = metrics.dashboard(desk.db, week, HOURS, as_of=at(6, 0))
    assert board.previous.handle_time.seconds == 3600  # C's hour, the week before
    assert metrics.as_json(board.current)["handle_time"]["seconds"] == 3900
    empty = metrics.handle_time(desk.db, Filters.for_days(date(2026, 10, 1), date(2026, 10, 2)), HOURS)
    assert (empty.seconds, empty.average_per_solved, empty.median_per_solved) == (0, None, None)


def test_nothing_in_the_window_counts_entries_of_a_day_outside_it(desk: Desk) -> None:
    """A day is the reader's zone's: an entry at 22:30 UTC counts on the next day in Riyadh."""
    ticket = new_ticket(desk, "Zones")
    with desk.db.session() as session:
        session.add(TimeEntry(ticket_id=ticket, agent_id=1, seconds=600, kind="manual",
                              created_at=datetime(2026, 10, 10, 22, 30, tzinfo=UTC)))
    utc_day = Filters.for_days(date(2026, 10, 10), date(2026, 10, 10))
    riyadh_day = Filters.for_days(date(2026, 10, 11), date(2026, 10, 11), zone="Asia/Riyadh")
    assert metrics.handle_time(desk.db, utc_day, HOURS).seconds == 600
    assert metrics.handle_time(desk.db, riyadh_day, HOURS).seconds == 600
    assert metrics.handle_time(desk.db, replace_day(utc_day, 1), HOURS).seconds == 0


def replace_day(f: Filters, days: int) -> Filters:
    return Filters(f.start + timedelta(days=days), f.end + timedelta(days=days), zone=f.zone)


def test_the_same_form_posted_twice_at_once_records_its_time_once(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two posts of one page's "Add time" at once (a double click, two tabs) meet after reading the page's key: the
    ticket's row lock (changeable) makes the second wait and then find the first's entry."""
    ticket = new_ticket(desk, "Twice at once")
    import desk.time_tracking as tracking

    post = lambda: desk.time_entries.add(ticket, 1, 300, "Courier", Actor.agent(1), form_key="page-twice")  # noqa: E731
    results = at_once([post, post], [(tracking, "clean_form_key")], monkeypatch)
    assert all(not isinstance(r, Exception) or refused(r) for r in results), results
    assert entries(desk, ticket) == [(1, 300, "manual")]


def test_the_migration_adds_the_time_tables_and_goes_down(tmp_path: Path) -> None:
    # Last: on PostgreSQL the migration's database empties the one the module's desk uses.
    db, _ = database_at(tmp_path, "problem_tickets")
    migrate(db, command.upgrade, "time_entries")
    tables = set(inspect(db.engine).get_table_names())
    assert {"time_entries", "time_entry_changes"} <= tables
    indexes = {i["name"] for i in inspect(db.engine).get_indexes("time_entries")}
    assert {"ix_time_entries_ticket_seconds", "ix_time_entries_created_agent"} <= indexes
    migrate(db, command.downgrade, "problem_tickets")
    assert not {"time_entries", "time_entry_changes"} & set(inspect(db.engine).get_table_names())
    db.close()
