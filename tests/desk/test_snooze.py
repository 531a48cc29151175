"""Snoozing tickets on a real database (`--postgresql` runs it on PostgreSQL): the presets on the agent's clock; a
snoozed ticket leaves the working views for "snoozed" (counts equal the pages' totals); it comes back open, marked
updated and with "snooze ended" in its history when the worker's pass runs past its time (once: a second pass
wakes nothing), or at once when the customer writes; solving ends it; bulk snooze is all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from desk.desk import Desk
from desk.inbox import VIEWS, InboxQuery
from desk.models import Ticket, TicketSnoozeChange, as_utc, utcnow
from desk.snooze import snooze_time
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests
from tests.desk.test_mail_in import confirmed, plain_mail, token_of
from tests.desk.test_teams import hours_file

PASSWORD = "a long enough password"
RIYADH = ZoneInfo("Asia/Riyadh")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    content = hours_file(tmp_path / "content")
    opened = Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=database_url_for_tests()))
    yield opened
    opened.close()


def new(desk: Desk, number: int = 0) -> Ticket:
    return desk.tickets.create(NewTicket(email=f"c{number}@example.com", name="Lina", subject=f"Refund {number}",
                                         body="Where is my refund?", lang="en"))


def history(desk: Desk, ticket_id: int) -> list[tuple[str, str | None]]:
    with desk.db.session() as session:
        rows = session.scalars(select(TicketSnoozeChange).where(TicketSnoozeChange.ticket_id == ticket_id)
                               .order_by(TicketSnoozeChange.id))
        return [(row.kind, row.reason) for row in rows]


def test_the_presets_are_read_on_the_agents_clock() -> None:
    # Thursday 2026-12-03, 23:30 in Riyadh (20:30 UTC): "tomorrow" is Friday 09:00 there, not in UTC's day.
    now = datetime(2026, 12, 3, 20, 30, tzinfo=UTC)
    assert snooze_time("hour", RIYADH, now) == datetime(2026, 12, 3, 21, 30, tzinfo=UTC)
    assert snooze_time("tomorrow", RIYADH, now) == datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    assert snooze_time("monday", RIYADH, now) == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    # On a Monday, "next Monday" is a week on, not this morning.
    assert snooze_time("monday", RIYADH, datetime(2026, 12, 7, 4, 0, tzinfo=UTC)) == datetime(
        2026, 12, 14, 6, 0, tzinfo=UTC)
    assert snooze_time("2026-12-05T14:30", RIYADH, now) == datetime(2026, 12, 5, 11, 30, tzinfo=UTC)
    for typed, error in [("", "snooze: is empty"), ("soon", "snooze: 'soon' is not a date and time"),
                         ("2026-12-03T23:00", "snooze: '2026-12-03T23:00' has passed"),
                         ("2028-01-01T09:00", "snooze: '2028-01-01T09:00' is more than a year ahead")]:
        with pytest.raises(InputError, match=error):
            snooze_time(typed, RIYADH, now)


def test_the_presets_are_read_in_arabic_words_too() -> None:
    """The Arabic bulk bar's hint named English words ("hour", "tomorrow", "monday") for an Arabic agent to type: the
    parser takes the Arabic words for the same presets (with or without hamza, tanween or "next"), and the English
    ones in any case; nothing more (two hours, next week: neither language has a preset for them)."""
    now = datetime(2026, 12, 3, 20, 30, tzinfo=UTC)  # Thursday, 23:30 in Riyadh
    hour, tomorrow, monday = (snooze_time(word, RIYADH, now) for word in ("hour", "tomorrow", "monday"))
    for typed, expected in [("ساعة", hour), ("  ساعه ", hour), ("Hour", hour), ("غدا", tomorrow), ("غداً", tomorrow),
                            ("بكرة", tomorrow), ("TOMORROW", tomorrow), ("الاثنين", monday), ("الإثنين", monday),
                            ("الاثنين القادم", monday), ("يوم الاثنين", monday), ("Monday", monday)]:
        assert snooze_time(typed, RIYADH, now) == expected, typed
    for typed in ("ساعتين", "الأسبوع القادم", "بعد ساعة وغدا"):
        with pytest.raises(InputError, match="is not a date and time"):
            snooze_time(typed, RIYADH, now)


def test_a_snoozed_ticket_leaves_the_working_views_for_snoozed(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    tickets = [new(desk, n) for n in range(4)]
    desk.tickets.bulk_update([t.id for t in tickets], assignee_id=sara, agent_id=sara)
    desk.snoozes.snooze([tickets[0].id, tickets[1].id], utcnow() + timedelta(hours=1), sara)
    counts = desk.inbox.counts(sara)
    assert (counts["unsolved"], counts["mine"], counts["snoozed"], counts["all"]) == (2, 2, 2, 4)
    for view in VIEWS:
        page = desk.inbox.page(InboxQuery(view=view), sara, limit=100)
        assert page.total == len(page.rows) == counts[view], view
    snoozed = desk.inbox.page(InboxQuery(view="snoozed"), sara).rows
    assert sorted(r.ticket.id for r in snoozed) == sorted([tickets[0].id, tickets[1].id])
    # A saved view counts by the same clauses: "mine, pending" leaves the snoozed out too.
    view = desk.saved_views.save(sara, "my open", {"view": "mine", "status": "open"})
    assert desk.inbox.query_counts({view.id: view.query}, sara)[view.id] == 2
    assert history(desk, tickets[0].id) == [("snoozed", None)]


def test_the_worker_pass_wakes_a_ticket_once_when_its_time_passes(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    ticket, other = new(desk, 1), new(desk, 2)
    desk.tickets.update(ticket.id, status="pending", agent_id=sara)
    until = utcnow() + timedelta(hours=2)
    desk.snoozes.snooze([ticket.id], until, sara)
    desk.snoozes.snooze([other.id], until + timedelta(days=1), sara)
    assert desk.snoozes.wake(now=until - timedelta(seconds=1)) == 0
    later = until + timedelta(minutes=5)  # the clock moved on past the snooze
    assert desk.snoozes.wake(now=later) == 1
    assert desk.snoozes.wake(now=later) == 0  # idempotent
    woken = desk.tickets.get(ticket.id)
    assert woken is not None and woken.snoozed_until is None and woken.status == "open"
    assert as_utc(woken.updated_at) == later  # marked updated: it tops the inbox by last update
    assert history(desk, ticket.id) == [("snoozed", None), ("ended", "time")]
    rows = desk.inbox.page(InboxQuery(view="unsolved"), sara, now=later).rows
    assert rows[0].ticket.id == ticket.id and other.id not in [r.ticket.id for r in rows]
    assert [c.kind for c in desk.tickets.changes(ticket.id) if hasattr(c, "kind")] == ["snoozed", "ended"]


def test_the_customer_writing_wakes_it_at_once_and_solving_ends_it(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    ticket, solved = new(desk, 1), new(desk, 2)
    desk.tickets.reply(ticket.id, sara, "We are checking.", status="pending")
    desk.snoozes.snooze([ticket.id, solved.id], utcnow() + timedelta(days=2), sara)
    desk.tickets.customer_reply(ticket.reference, "Any news?")
    back = desk.tickets.get(ticket.id)
    assert back is not None and back.snoozed_until is None and back.status == "open"
    assert history(desk, ticket.id) == [("snoozed", None), ("ended", "customer")]
    desk.tickets.update(solved.id, status="solved", agent_id=sara)  # solving ends the snooze
    assert history(desk, solved.id) == [("snoozed", None), ("ended", "solved")]
    assert desk.snoozes.wake(now=utcnow() + timedelta(days=3)) == 0  # nothing left to wake
    # Snoozing a solved ticket is refused; in bulk, none of the batch is snoozed.
    with pytest.raises(InputError, match=f"snooze: ticket {solved.id} is solved or closed"):
        desk.snoozes.snooze([ticket.id, solved.id], utcnow() + timedelta(hours=1), sara)
    still = desk.tickets.get(ticket.id)
    assert still is not None and still.snoozed_until is None
    assert desk.snoozes.unsnooze(ticket.id, sara) is False
    desk.snoozes.snooze([ticket.id], utcnow() + timedelta(hours=1), sara)
    assert desk.snoozes.unsnooze(ticket.id, sara) is True
    assert history(desk, ticket.id)[-2:] == [("snoozed", None), ("unsnoozed", "agent")]


def test_a_mailed_reply_wakes_it_too(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    first = desk.mail_in.receive(plain_mail("My card payment failed twice.", "Card payment failed"))
    ticket_id = first.ticket_id or 0
    confirmed(desk, ticket_id)
    desk.snoozes.snooze([ticket_id], utcnow() + timedelta(days=1), sara)
    token = token_of(desk, ticket_id)
    again = desk.mail_in.receive(plain_mail("Still failing.", f"Re: Card payment failed [#mz-{token}]"))
    assert again.outcome == "continued" and again.ticket_id == ticket_id
    assert history(desk, ticket_id) == [("snoozed", None), ("ended", "customer")]


def test_the_snooze_migration_upgrades_the_previous_head(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from tests.conftest import migrate

    db, url = database_at(tmp_path, "saved_views")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO customers (email, name, created_at) VALUES ('a@example.com', 'A', "
                                   "'2026-12-01')")
        connection.exec_driver_sql(
            "INSERT INTO tickets (reference, customer_id, subject, lang, status, priority, channel, context, "
            "created_at, updated_at, due_by_hand) SELECT 'ref1', id, 'Old', 'en', 'open', 'normal', 'web', '{}', "
            "'2026-12-01', '2026-12-01', false FROM customers")
    migrate(db, command.upgrade, "ticket_snooze")
    assert "ticket_snooze_changes" in inspect(db.engine).get_table_names()
    migrate(db, command.downgrade, "saved_views")
    assert "snoozed_until" not in [c["name"] for c in inspect(db.engine).get_columns("tickets")]
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    [old] = desk.inbox.page(InboxQuery(view="unsolved"), 1).rows  # an old ticket is awake
    assert old.ticket.subject == "Old" and old.ticket.snoozed_until is None
    desk.close()
