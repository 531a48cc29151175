"""The customer's profile on a real database (`--postgresql` runs it on PostgreSQL): counts, languages, first and
last contact and CSAT answers are the customer's own (another customer's tickets count for nothing); tickets page
newest first; the name and notes are checked by field with nothing written on a refusal; the migration adds the
notes column to a database at the previous head and keeps its customers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from desk.customers import MAX_NOTES
from desk.desk import Desk
from desk.models import Ticket
from desk.tickets import MAX_NAME, InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    yield opened
    opened.close()


def new(desk: Desk, email: str, number: int, lang: str = "en") -> Ticket:
    return desk.tickets.create(NewTicket(email=email, name="Lina", subject=f"Refund {number}", body="Where is it?",
                                         lang=lang, created=START + timedelta(days=number), notify=False))


def test_the_profile_counts_only_the_customers_own_tickets(desk: Desk) -> None:
    lina = [new(desk, "lina@example.com", n, lang="ar" if n < 3 else "en") for n in range(5)]
    other = new(desk, "omar@example.com", 10)
    desk.tickets.update(lina[0].id, status="solved")
    desk.tickets.update(lina[1].id, status="closed")
    desk.tickets.update(other.id, status="solved")
    desk.surveys.answer(desk.surveys.latest_for_ticket(lina[0].id).token, 4)
    desk.surveys.answer(desk.surveys.latest_for_ticket(other.id).token, 1)  # omar's answer is not lina's
    desk.tickets.customer_reply(lina[2].reference, "Any news?")
    profile = desk.customers.profile(lina[0].customer_id)
    assert profile is not None and profile.customer.email == "lina@example.com"
    assert (profile.open, profile.solved, profile.total) == (3, 2, 5)
    assert profile.languages == ["ar", "en"]  # three Arabic tickets, two English
    assert profile.first_contact == START  # the first ticket's time (imported before the row was)
    assert profile.last_contact > START + timedelta(days=10)  # the reply, now
    assert (profile.csat_answers, profile.csat_average) == (1, 4.0)
    assert [t.id for t in profile.tickets] == [t.id for t in reversed(lina)]  # newest first, none of omar's
    assert desk.customers.ticket_ids(other.customer_id) == [(other.id, other.reference)]


def test_tickets_page_newest_first_and_an_unknown_customer_is_none(desk: Desk) -> None:
    made = [new(desk, "lina@example.com", n) for n in range(7)]
    customer_id = made[0].customer_id
    pages = [[t.id for t in desk.customers.profile(customer_id, limit=3, offset=o).tickets] for o in (0, 3, 6, 9)]
    assert pages == [[made[6].id, made[5].id, made[4].id], [made[3].id, made[2].id, made[1].id], [made[0].id], []]
    assert desk.customers.profile(customer_id, limit=3).total == 7
    for unknown in (customer_id + 1, 0, -1, 2**31, 2**63):  # past the id column's range too: None, not an overflow
        assert desk.customers.profile(unknown) is None and desk.customers.get(unknown) is None


def test_first_and_last_contact_are_the_tickets_times_not_the_rows(desk: Desk) -> None:
    customer_id = new(desk, "lina@example.com", 0).customer_id  # an import: its ticket is older than the row
    profile = desk.customers.profile(customer_id)
    assert profile.first_contact == START and profile.last_contact == START  # the imported message's time


def test_name_and_notes_are_checked_by_field_and_nothing_is_written_on_a_refusal(desk: Desk) -> None:
    customer_id = new(desk, "lina@example.com", 0).customer_id
    refusals = {
        ("x" * (MAX_NAME + 1), ""): "name: is 201 characters long; the limit is 200",
        ("Lina\nHaddad", ""): "name: must be one line",
        ("Lina\x1b[31m", ""): "name: contains a control character",
        ("Lina", "n" * (MAX_NOTES + 1)): "notes: is 5,001 characters long; the limit is 5,000",
        ("Lina", "VIP\x07"): "notes: contains a control character",
        ("Lina", 5): "notes: must be text",
    }
    for (name, notes), message in refusals.items():
        with pytest.raises(InputError) as refused:
            desk.customers.edit(customer_id, name, notes)
        assert str(refused.value) == message
    assert desk.customers.get(customer_id).notes is None and desk.customers.get(customer_id).name == "Lina"
    desk.customers.edit(customer_id, "  لينا حداد ", "Prefers Arabic.\r\nCalls back after 5 pm.")
    saved = desk.customers.get(customer_id)
    assert (saved.name, saved.notes) == ("لينا حداد", "Prefers Arabic.\nCalls back after 5 pm.")
    desk.customers.edit(customer_id, "", "  ")  # cleared: the email is shown, no notes
    assert (desk.customers.get(customer_id).name, desk.customers.get(customer_id).notes) == ("", None)
    with pytest.raises(InputError, match="customer: no such customer"):
        desk.customers.edit(customer_id + 1, "A", "")


def test_the_notes_migration_upgrades_the_previous_head(tmp_path: Path) -> None:
    from alembic import command

    from tests.conftest import migrate

    db, url = database_at(tmp_path, "ticket_snooze")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO customers (email, name, created_at) VALUES ('a@example.com', 'A', "
                                   "'2026-12-01')")
    migrate(db, command.upgrade, "customer_notes")
    assert "notes" in [c["name"] for c in inspect(db.engine).get_columns("customers")]
    migrate(db, command.downgrade, "ticket_snooze")
    assert "notes" not in [c["name"] for c in inspect(db.engine).get_columns("customers")]
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))  # at head again
    [customer_id] = [c for c in range(1, 5) if desk.customers.get(c) is not None]
    assert desk.customers.get(customer_id).notes is None
    desk.customers.edit(customer_id, "A", "Kept after the upgrade.")
    assert desk.customers.profile(customer_id).customer.notes == "Kept after the upgrade."
    desk.close()
