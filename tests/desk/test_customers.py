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

from desk.audit import Actor, AuditQuery
from desk.customers import MAX_NOTES
from desk.desk import Desk
from desk.inbox import InboxQuery
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


# The customer list (task customers29): search, sorts, counts, paging; the email and country edit; the audit events.

def names(found: object) -> list[str]:
    return [row.name for row in found.rows]  # type: ignore[attr-defined]


def customer_of(desk: Desk, email: str, name: str, number: int, lang: str = "en") -> int:
    return desk.tickets.create(NewTicket(email=email, name=name, subject=f"Question {number}", body="Hello?",
                                         lang=lang, created=START + timedelta(days=number), notify=False)).customer_id


def test_the_list_searches_name_and_email_in_both_scripts_folding_arabic_as_the_inbox(desk: Desk) -> None:
    customer_of(desk, "ahmad@example.com", "أحمد الهاشمي", 1, "ar")  # hamza on the alef
    customer_of(desk, "salma@example.com", "سلمى", 2, "ar")  # alef maqsura
    customer_of(desk, "omar.k@shop.example", "Omar Khalil", 3)
    customer_of(desk, "lina@example.com", "", 4)  # no name: found and sorted by email
    assert names(desk.customers.page("احمد")) == ["أحمد الهاشمي"]  # typed without the hamza
    assert names(desk.customers.page("سلمي")) == ["سلمى"]  # typed with ya for alef maqsura
    assert names(desk.customers.page("OMAR khalil")) == ["Omar Khalil"]  # every word, any case
    assert names(desk.customers.page("shop.example")) == ["Omar Khalil"]  # the email too
    assert names(desk.customers.page("omar lina")) == []  # every term must match
    assert desk.customers.page("100%_").total == 0  # LIKE's wildcards are text, not patterns
    assert desk.customers.page("\x00").total == 4  # no terms: every customer
    assert desk.customers.page("").total == 4


def test_the_list_counts_and_sorts_in_sql(desk: Desk) -> None:
    lina = customer_of(desk, "lina@example.com", "Lina", 1)
    for n in (2, 3):
        customer_of(desk, "lina@example.com", "Lina", n, "ar")
    omar = customer_of(desk, "omar@example.com", "omar", 9)  # the newest contact
    zaid = customer_of(desk, "zaid@example.com", "Zaid", 5)
    solved = desk.customers.profile(lina).tickets[0].id
    desk.tickets.update(solved, status="solved")
    rows = {row.id: row for row in desk.customers.page(sort="tickets").rows}
    assert (rows[lina].open, rows[lina].total, rows[lina].languages) == (2, 3, ["ar", "en"])
    assert (rows[omar].open, rows[omar].total) == (1, 1)
    assert rows[omar].last_contact == START + timedelta(days=9)  # as the profile's last contact
    assert rows[omar].last_contact == desk.customers.profile(omar).last_contact
    assert [r.id for r in desk.customers.page().rows] == [omar, zaid, lina]  # last contact, newest first
    assert [r.id for r in desk.customers.page(sort="name").rows] == [lina, omar, zaid]  # case-blind
    assert desk.customers.page(sort="tickets").rows[0].id == lina
    desk.tickets.customer_reply(desk.customers.profile(lina).tickets[-1].reference, "Any news?")  # lina writes now
    assert desk.customers.page().rows[0].id == lina
    with pytest.raises(InputError, match="sort: must be one of last_contact, name, tickets"):
        desk.customers.page(sort="email")


def test_the_list_pages_without_repeating_a_customer(desk: Desk) -> None:
    made = {customer_of(desk, f"c{n}@example.com", "Same", 1) for n in range(7)}  # equal names, equal times
    for sort in ("last_contact", "name", "tickets"):
        pages = [desk.customers.page(sort=sort, limit=3, offset=o) for o in (0, 3, 6)]
        seen = [r.id for p in pages for r in p.rows]
        assert sorted(seen) == sorted(made) and {p.total for p in pages} == {7}


def test_email_and_country_are_checked_and_a_clash_names_the_other_customer(desk: Desk) -> None:
    lina = customer_of(desk, "lina@example.com", "Lina", 1)
    omar = customer_of(desk, "omar@example.com", "Omar", 2)
    refusals = {
        ("not an address", None): "email: 'not an address' is not an email address",
        ("Omar@Example.com ", None): f"email: omar@example.com is already the email of customer #{omar} (Omar)",
        (None, "Saudi"): "country: 'Saudi' is not a two-letter country code (ISO 3166-1)",
        (None, "XX"): "country: 'XX' is not a two-letter country code (ISO 3166-1)",
    }
    for (email, country), message in refusals.items():
        with pytest.raises(InputError) as refused:
            desk.customers.edit(lina, "Lina Haddad", "", email=email, country=country)
        assert str(refused.value) == message
    kept = desk.customers.get(lina)
    assert (kept.name, kept.email, kept.country) == ("Lina", "lina@example.com", None)  # nothing half-written
    desk.customers.edit(lina, "Lina", "", email=" Lina.H@Example.com", country="sa")
    saved = desk.customers.get(lina)
    assert (saved.email, saved.country) == ("lina.h@example.com", "SA")
    assert names(desk.customers.page("lina.h")) == ["Lina"]  # the list finds the new address
    found = desk.inbox.page(InboxQuery(view="all", q="lina.h@example.com"), agent_id=0)
    assert [row.ticket.customer_id for row in found.rows] == [lina]  # the inbox search too: the ticket re-indexed
    desk.customers.edit(lina, "Lina", "", country="")  # cleared
    assert desk.customers.get(lina).country is None


def test_an_email_taken_meanwhile_is_the_unique_indexs_field_error(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two edits race: the other customer's address arrives between the check and the write (the check is made to
    miss it, as it would when the other edit commits after it): the unique index refuses, and the refusal is the same
    field error naming the customer, never a driver error; nothing of the edit is written."""
    lina = customer_of(desk, "lina@example.com", "Lina", 1)
    omar = customer_of(desk, "omar@example.com", "Omar", 2)
    checks: list[str] = []
    real = type(desk.customers).email_holder

    def late(self: object, session: object, email: str, customer_id: int) -> object:
        checks.append(email)
        return None if len(checks) == 1 else real(self, session, email, customer_id)  # type: ignore[arg-type]

    monkeypatch.setattr(type(desk.customers), "email_holder", late)
    with pytest.raises(InputError) as refused:
        desk.customers.edit(lina, "Lina Haddad", "VIP", email="omar@example.com")
    assert str(refused.value) == f"email: omar@example.com is already the email of customer #{omar} (Omar)"
    assert checks == ["omar@example.com", "omar@example.com"]  # the second, after the index refused
    kept = desk.customers.get(lina)
    assert (kept.name, kept.email, kept.notes) == ("Lina", "lina@example.com", None)
    assert desk.audit.page(AuditQuery(action="customer_edited"), 0, 10).total == 0


def test_every_edit_is_an_audit_event_with_the_fields_never_the_notes_text(desk: Desk) -> None:
    lina = customer_of(desk, "lina@example.com", "Lina", 1)
    agent = desk.accounts.create_agent("agent@example.com", "a-long-password-1", name="Agent")
    by = Actor.agent(agent.id, "192.0.2.7")
    desk.customers.edit(lina, "Lina Haddad", "Secret: prefers calls after 5 pm", email="lina.h@example.com",
                        country="AE", by=by)
    desk.customers.edit(lina, "Lina Haddad", "Secret: prefers calls after 5 pm", email="lina.h@example.com",
                        country="AE", by=by)  # nothing changed: no event
    desk.customers.edit(lina, "Lina Haddad", "", by=by)  # the notes cleared
    events = desk.audit.page(AuditQuery(action="customer_edited"), 0, 10).events
    assert len(events) == 2
    cleared, first = events
    assert (first.actor, first.actor_id, first.ip, first.subject_type, first.subject) == (
        "agent", agent.id, "192.0.2.7", "customer", str(lina))
    assert first.before == {"name": "Lina", "email": "lina@example.com", "country": None}
    assert first.after == {"name": "Lina Haddad", "email": "lina.h@example.com", "country": "AE", "notes": "added"}
    assert (cleared.before, cleared.after) == ({}, {"notes": "cleared"})
    everything = " ".join(str(row) for row in desk.audit.rows(AuditQuery(subject=f"customer:{lina}")))
    assert "Secret" not in everything and "5 pm" not in everything
    assert AuditQuery.parse("customer_edited", None, f"customer:{lina}").subject == f"customer:{lina}"


def test_an_edit_and_its_event_commit_together(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    lina = customer_of(desk, "lina@example.com", "Lina", 1)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr("desk.customers.record", broken)
    with pytest.raises(RuntimeError):
        desk.customers.edit(lina, "Lina Haddad", "VIP", email="lina.h@example.com")
    kept = desk.customers.get(lina)
    assert (kept.name, kept.email, kept.notes) == ("Lina", "lina@example.com", None)


def test_the_search_migration_folds_the_customers_already_stored(tmp_path: Path) -> None:
    from alembic import command

    from tests.conftest import migrate

    db, url = database_at(tmp_path, "customer_notes")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO customers (email, name, created_at) VALUES ('a@example.com', "
                                   "'أحمد', '2026-12-01')")
        customer_id = connection.exec_driver_sql("SELECT id FROM customers").scalar()
        connection.exec_driver_sql(
            "INSERT INTO tickets (reference, customer_id, subject, lang, status, priority, channel, context, "
            f"created_at, updated_at) VALUES ('r1', {customer_id}, 'Refund', 'ar', 'open', 'normal', 'web', '{{}}', "
            "'2026-12-02 08:00:00+00:00', '2026-12-02 08:00:00+00:00')")
        ticket_id = connection.exec_driver_sql("SELECT id FROM tickets").scalar()
        for author, when in (("customer", "2026-12-02 08:00:00+00:00"), ("customer", "2026-12-03 10:30:00+00:00"),
                             ("agent", "2026-12-04 09:00:00+00:00")):  # an agent's reply is no contact of theirs
            connection.exec_driver_sql(
                f"INSERT INTO messages (ticket_id, author, body, internal, channel, created_at) VALUES ({ticket_id}, "
                f"'{author}', 'x', false, 'web', '{when}')")
    migrate(db, command.upgrade, "customer_search")
    with db.engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT search_text FROM customers").scalar() == "احمد a@example.com"
    migrate(db, command.downgrade, "customer_notes")
    assert "search_text" not in [c["name"] for c in inspect(db.engine).get_columns("customers")]
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))  # at head again
    assert names(desk.customers.page("احمد")) == ["أحمد"]
    assert desk.customers.page().rows[0].last_contact == datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    assert desk.customers.page().rows[0].last_contact == desk.customers.profile(customer_id).last_contact
    desk.close()
