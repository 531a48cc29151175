"""The due recount (the worker's "due-times" job, TicketStore.recount_due) with hostile input (hostile39): a policy
whose shift straddles the clock changes and whose holidays sit beside them, tickets deleted and merged between two
passes, and a ticket whose due time cannot be counted (a time at the calendar's end); and the import that let such a
time in. `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from desk.business_hours import BusinessHours
from desk.desk import Desk
from desk.models import Message, Ticket, TicketDueChange, as_utc
from desk.ticket_import import import_file
from desk.tickets import NewTicket
from tests.desk.test_due_recount import desk, edit_hours, row, stored  # noqa: F401

# Around New York's clock changes of 2026 (Mar 8: 02:00 skipped; Nov 1: 01:00-02:00 twice), in UTC.
CREATED = [datetime(2026, 3, 8, 5, 0), datetime(2026, 3, 8, 6, 45), datetime(2026, 3, 8, 7, 30),
           datetime(2026, 11, 1, 5, 15), datetime(2026, 11, 1, 6, 15), datetime(2026, 10, 31, 23, 59)]
END = datetime(9999, 12, 31, 12, 0)  # a customer message no due time can be counted from


def created(desk: Desk, at: datetime, email: str = "sam@example.com") -> int:  # noqa: F811
    return desk.tickets.create(NewTicket(email=email, name="Sam", subject="Parcel", body="Where is it?", lang="en",
                                         created=at.replace(tzinfo=UTC), team="ksa", notify=False)).id


def test_the_recount_goes_past_a_ticket_it_cannot_count_and_over_clock_changes_holidays_deletes_and_merges(
        desk: Desk, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """A ticket whose customer message sits at the calendar's end (9999-12-31, imported before imports refused it)
    raised OverflowError out of the pass: the job failed there at every pass and no ticket after it was counted
    again. It is now logged and left as it was, and the pass goes on. Around it: a New York shift from 01:30 to
    03:30 (the skipped hour in it, the repeated one before it), holidays the days after both changes, a ticket
    deleted and one merged into another between two passes (the merge's notice answers the one it went into: its
    due time is counted again as none); each other ticket counted again is due exactly `due_hours` working hours
    after its message (the team's own count of the seconds between). Before the fix the first pass raised."""
    stuck = created(desk, CREATED[0], "end@example.com")
    with desk.db.session() as session:
        session.execute(update(Message).where(Message.ticket_id == stuck).values(created_at=END))
    ids = [created(desk, at) for at in CREATED]
    agent = desk.accounts.create_agent("amal@example.com", "a long enough password", name="Amal").id
    assert desk.recount_due() == 0  # the worker ran under the demo's hours: the policy in force is recorded
    edit_hours(desk, teams={"ksa": {"timezone": "America/New_York", "hours": ["01:30", "03:30"],
                                    "days": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
                                    "holidays": ["2026-03-09", "2026-11-02"]}})
    caplog.set_level(logging.ERROR, logger="desk.tickets")
    passes = [desk.recount_due(limit=2)]
    desk.trash.delete([ids[1]])
    desk.tickets.merge(ids[2], ids[3], agent, "Merged")
    while stored(desk) != (desk.hours.due_fingerprint(), None):
        passes.append(desk.recount_due(limit=2))
    assert f"ticket {stuck}: its due time was not counted again" in caplog.text
    assert passes == [1, 2, 1]  # stuck and ids[0]; then 3 and 4 (1 deleted, 2 merged: closed), then 5
    hours = BusinessHours.load(desk.settings.content_dir)
    team, normal = hours.team("ksa"), hours.due_hours["normal"]
    assert row(desk, ids[3]).due_at is None  # the merge's notice to the customer answered it: nothing due
    for ticket_id in (ids[0], ids[4], ids[5]):
        ticket = row(desk, ticket_id)
        with desk.db.session() as session:
            waiting = as_utc(session.scalars(select(Message.created_at).where(Message.ticket_id == ticket_id)
                                             .order_by(Message.id)).first())  # type: ignore[arg-type]
        due = as_utc(ticket.due_at)  # type: ignore[arg-type]
        assert due == as_utc(hours.due_at(waiting, "normal", "ksa")), ticket_id
        assert team.seconds_between(waiting, due) == normal * 3600, (ticket_id, waiting, due)
        assert due.astimezone(team.zone).date() not in team.holidays
    with desk.db.session() as session:
        policy = set(session.scalars(select(TicketDueChange.ticket_id).where(TicketDueChange.reason == "policy")))
    assert policy == {ids[0], ids[3], ids[4], ids[5]}
    assert row(desk, stuck).due_at is not None


def test_an_import_line_whose_due_time_falls_past_the_calendars_end_is_that_lines_error(
        desk: Desk, tmp_path: Path) -> None:  # noqa: F811
    """`kb import` of a JSON line created at 9999-12-31 (a valid ISO time the desk stores): counting its due time
    went past the calendar's end, an OverflowError that ended the whole import with a traceback, the lines after it
    never read and no report. It is now that line's error naming `created`, the rest imported (since hostile40 as
    a time in the future, refused before its due time is counted). Before the fix the import raised."""
    lines = [{"customer": {"email": f"s{n}@example.com"}, "subject": "Parcel", "created": at,
              "messages": [{"author": "customer", "body": "Where is it?"}]}
             for n, at in enumerate(("2026-03-08T06:45:00Z", "9999-12-31T00:00:00Z", "2026-11-01T05:15:00Z"))]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    report = import_file(desk.tickets, path)
    assert (report.created, report.errors) == (2, [
        f"{path}:2: created: '9999-12-31T00:00:00Z' is in the future"])
    with desk.db.session() as session:
        assert sorted(as_utc(at) for at in session.scalars(select(Ticket.created_at))) == [
            datetime(2026, 3, 8, 6, 45, tzinfo=UTC), datetime(2026, 11, 1, 5, 15, tzinfo=UTC)]
