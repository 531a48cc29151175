"""Merging two customers on a real database (`--postgresql` runs it on PostgreSQL): the duplicate's tickets and
messages move, its notes are appended under a line naming it, the kept one's name and country win when set, mail from
the duplicate's address lands on the kept customer through the real inbound path, the duplicate is out of the list and
its search, one audit event; the refusals; two merges at once; and the profile's version refusing a stale save. The
migration adds the columns to a database at the previous head and keeps its customers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

import desk.customers as customers_module
from desk.audit import Actor, AuditQuery
from desk.customers import MAX_NOTES, StaleEditError, notes_digest
from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import AuditEvent, Customer, Message, Ticket
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    yield opened
    opened.close()


def new(desk: Desk, email: str, number: int, name: str = "", subject: str = "Refund") -> Ticket:
    return desk.tickets.create(NewTicket(email=email, name=name, subject=f"{subject} {number}", body="Where is it?",
                                         lang="en", created=START + timedelta(days=number), notify=False))


def mail_from(sender: str, subject: str) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "support@manzil.example", subject
    mail.set_content("Writing from my other address.")
    return mail.as_bytes()


def test_a_merge_moves_tickets_and_messages_appends_notes_and_keeps_the_kept_ones_fields(desk: Desk) -> None:
    kept = new(desk, "lina@example.com", 1, name="Lina Haddad")
    dup = [new(desk, "lina.h@work.example", n, subject="Invoice") for n in (2, 3)]
    desk.customers.edit(kept.customer_id, "Lina Haddad", "Prefers Arabic.")
    desk.customers.edit(dup[0].customer_id, "", "VIP since 2020.", country="AE")
    updated = {t.id: desk.tickets.get(t.id).updated_at for t in dup}
    admin = desk.accounts.create_agent("admin@example.com", "a-long-password-1", name="Admin", role="admin")
    result = desk.customers.merge(dup[0].customer_id, kept.customer_id, by=Actor.agent(admin.id))
    assert (result.duplicate_id, result.tickets) == (dup[0].customer_id, 2)
    profile = desk.customers.profile(kept.customer_id)
    assert profile is not None and profile.total == 3
    assert sorted(t.id for t in profile.tickets) == sorted([kept.id, *(t.id for t in dup)])
    c = profile.customer
    assert c.name == "Lina Haddad" and c.country == "AE"  # the kept one's name wins; its empty country is filled
    assert c.notes == (f"Prefers Arabic.\n\nNotes merged from customer #{dup[0].customer_id} (lina.h@work.example, "
                       "lina.h@work.example):\nVIP since 2020.")
    with desk.db.session() as session:  # the messages came with their tickets; the tickets were not touched
        assert session.scalar(select(func.count()).select_from(Message).join(Ticket)
                              .where(Ticket.customer_id == kept.customer_id)) == 3
        for t in dup:
            assert session.get(Ticket, t.id).updated_at == updated[t.id]
    assert desk.customers.profile(dup[0].customer_id) is None  # merged away: no profile of its own
    assert desk.customers.get(dup[0].customer_id).merged_into_id == kept.customer_id
    # Gone from the list and its search; the kept one found by its own name only once
    assert [r.id for r in desk.customers.page().rows] == [kept.customer_id]
    assert [r.id for r in desk.customers.page("work.example").rows] == [kept.customer_id]  # by the merged address
    # The inbox search finds the moved tickets by the kept customer's name (their text was refreshed)
    found = desk.inbox.page(InboxQuery(view="all", q="Haddad Invoice"), agent_id=0)
    assert sorted(row.ticket.id for row in found.rows) == sorted(t.id for t in dup)
    [event] = desk.audit.page(AuditQuery(action="customer_merged"), 0, 10).events
    assert (event.subject, event.actor_id) == (str(dup[0].customer_id), admin.id)
    assert event.after == {"merged_into": kept.customer_id, "tickets": 2, "country": "filled", "notes": "appended"}
    assert "VIP" not in str(event.after) and event.before is None  # never the notes' text


def test_mail_from_the_merged_address_lands_on_the_kept_customer(desk: Desk) -> None:
    kept = new(desk, "lina@example.com", 1, name="Lina")
    dup = new(desk, "lina.h@work.example", 2)
    desk.customers.merge(dup.customer_id, kept.customer_id)
    received = desk.mail_in.receive(mail_from("Lina H <lina.h@work.example>", "Another question"))
    assert received.outcome == "created"
    ticket = desk.tickets.get(received.ticket_id or 0)
    assert ticket is not None and ticket.customer_id == kept.customer_id
    assert desk.customers.profile(kept.customer_id).total == 3
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 2  # no third customer
    # "My tickets" for either address lists every ticket of the person
    assert len(desk.tickets.by_customer_email("lina.h@work.example")) == 3
    assert len(desk.tickets.by_customer_email("lina@example.com")) == 3


def test_the_last_contact_and_search_text_are_the_kept_ones_refreshed(desk: Desk) -> None:
    kept = new(desk, "lina@example.com", 1, subject="Parcel")
    dup = new(desk, "lina.h@work.example", 2, name="Lina Haddad")
    desk.tickets.customer_reply(dup.reference, "Any news?")  # now: the duplicate's is the newer contact
    last = desk.customers.get(dup.customer_id).last_contact_at
    desk.customers.merge(dup.customer_id, kept.customer_id)
    profile = desk.customers.profile(kept.customer_id)
    assert profile.customer.name == "Lina Haddad"  # the kept one had none
    assert profile.last_contact == desk.customers.page().rows[0].last_contact
    assert profile.customer.last_contact_at == last
    assert [r.id for r in desk.customers.page("haddad").rows] == [kept.customer_id]
    found = desk.inbox.page(InboxQuery(view="all", q="Haddad Parcel"), agent_id=0)
    assert [row.ticket.id for row in found.rows] == [kept.id]  # the kept one's own ticket: its customer's name is new


def test_the_merged_away_address_still_finds_the_person_in_the_inbox_and_the_customer_list(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Agents search by the address the customer wrote from: after a merge (and a merge of the kept one, and an edit
    that re-indexes their tickets, and new mail) the old addresses still find every ticket of the person and them."""
    def inbox(q: str) -> list[int]:
        return sorted(row.ticket.id for row in desk.inbox.page(InboxQuery(view="all", q=q), agent_id=0).rows)

    def listed(q: str) -> list[int]:
        return [row.id for row in desk.customers.page(q).rows]

    kept = new(desk, "lina@example.com", 1, name="Lina Haddad")
    dup = new(desk, "lina.h@work.example", 2, subject="Invoice")
    other = new(desk, "omar@example.com", 3, name="Omar")
    desk.customers.merge(dup.customer_id, kept.customer_id)
    assert inbox("lina.h@work.example") == sorted([kept.id, dup.id])  # the moved ticket and the kept one's own
    assert inbox("work.example Invoice") == [dup.id]  # terms from the old address and the ticket together
    assert listed("lina.h@work.example") == listed("WORK.example haddad") == [kept.customer_id]
    assert inbox("omar") == [other.id] and listed("lina.h") == [kept.customer_id]
    desk.customers.edit(kept.customer_id, "Lina H. Haddad", "")  # re-indexes their tickets from the database
    later = desk.mail_in.receive(mail_from("lina.h@work.example", "Still waiting")).ticket_id or 0
    assert inbox("lina.h@work.example") == sorted([kept.id, dup.id, later])
    desk.customers.merge(kept.customer_id, other.customer_id)  # the kept one merged in turn: both addresses move
    assert inbox("lina.h@work.example") == inbox("lina@example.com") == sorted([kept.id, dup.id, later, other.id])
    assert listed("lina.h@work.example") == listed("lina@example.com") == [other.customer_id]
    assert listed("lina.h@work.example omar") == [other.customer_id]
    assert listed("nobody@example.com") == [] and inbox("nobody@example.com") == []
    monkeypatch.setattr(customers_module, "MAX_KEPT_IDS", 0)  # more kept customers than a list holds: the subquery
    assert listed("lina.h@work.example omar") == listed("example.com") == [other.customer_id]


def test_merges_that_cannot_be_are_refused_naming_the_field(desk: Desk) -> None:
    a, b, c = (new(desk, f"{n}@example.com", i).customer_id for i, n in enumerate("abc"))
    with pytest.raises(InputError) as itself:
        desk.customers.merge(a, a)
    assert itself.value.field == "into" and "itself" in str(itself.value)
    for duplicate, kept, field in ((a, 999, "into"), (999, a, "customer"), (a, 2**40, "into")):
        with pytest.raises(InputError) as missing:
            desk.customers.merge(duplicate, kept)
        assert missing.value.field == field
    desk.customers.merge(b, c)
    with pytest.raises(InputError) as into_merged:
        desk.customers.merge(a, b)
    assert into_merged.value.field == "into" and f"merged into customer #{c}" in str(into_merged.value)
    with pytest.raises(InputError) as merged_again:
        desk.customers.merge(b, a)
    assert merged_again.value.field == "customer"
    with pytest.raises(InputError) as edit_merged:
        desk.customers.edit(b, "B", "")
    assert edit_merged.value.field == "customer"
    desk.customers.edit(a, "", "x" * (MAX_NOTES - 10))
    desk.customers.edit(c, "", "y" * 100)
    with pytest.raises(InputError) as too_long:
        desk.customers.merge(c, a)
    assert too_long.value.field == "notes"
    assert desk.customers.get(c).merged_into_id is None and desk.customers.profile(c).total == 2  # nothing moved
    assert len(desk.audit.page(AuditQuery(action="customer_merged"), 0, 10).events) == 1


def test_a_merge_of_the_kept_customer_repoints_earlier_duplicates(desk: Desk) -> None:
    a, b, c = (new(desk, f"{n}@example.com", i).customer_id for i, n in enumerate("abc"))
    desk.customers.merge(a, b)
    desk.customers.merge(b, c)
    assert desk.customers.get(a).merged_into_id == c  # one hop, never a chain
    received = desk.mail_in.receive(mail_from("a@example.com", "Again"))
    assert desk.tickets.get(received.ticket_id or 0).customer_id == c


def test_two_merges_at_once_neither_lose_nor_double(desk: Desk) -> None:
    a = new(desk, "a@example.com", 1).customer_id
    b = new(desk, "b@example.com", 2).customer_id
    desk.customers.edit(a, "", "Notes of A")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def merge(duplicate: int, kept: int) -> None:
        start.wait()
        try:
            desk.customers.merge(duplicate, kept)
            outcomes.append("merged")
        except InputError as refused:
            outcomes.append(refused.field)

    threads = [threading.Thread(target=merge, args=pair) for pair in ((a, b), (b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["customer", "merged"] or sorted(outcomes) == ["into", "merged"]
    with desk.db.session() as session:
        live = session.scalars(select(Customer).where(Customer.merged_into_id.is_(None))).all()
        assert len(live) == 1 and session.scalar(select(func.count()).select_from(Ticket)
                                                 .where(Ticket.customer_id == live[0].id)) == 2
        assert live[0].notes is not None and live[0].notes.count("Notes of A") == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "customer_merged")) == 1


def test_a_save_from_an_older_version_is_refused_naming_what_changed(desk: Desk) -> None:
    lina = new(desk, "lina@example.com", 1, name="Lina").customer_id
    read = desk.customers.get(lina)
    seen = {"name": read.name, "email": read.email, "country": "", "notes": notes_digest(read.notes)}
    desk.customers.edit(lina, "Lina Haddad", "VIP", version=read.version, seen=seen)  # first save: accepted
    with pytest.raises(StaleEditError) as stale:
        desk.customers.edit(lina, "Lina H.", "", version=read.version, seen=seen)  # the other agent's, from v0
    assert stale.value.fields == ["name", "notes"] and stale.value.field == "version"
    assert stale.value.version == read.version + 1
    kept = desk.customers.get(lina)
    assert (kept.name, kept.notes) == ("Lina Haddad", "VIP")  # not overwritten
    desk.customers.edit(lina, "Lina H.", "VIP", version=kept.version)  # from the current version: saved
    assert desk.customers.get(lina).name == "Lina H."
    assert desk.customers.get(lina).version == read.version + 2
    other = new(desk, "lina.h@work.example", 2).customer_id
    before = desk.customers.get(lina).version
    desk.customers.merge(other, lina)  # a merge into the customer is a change of their profile too
    with pytest.raises(StaleEditError):
        desk.customers.edit(lina, "Lina H.", "VIP", version=before)


def test_two_saves_from_one_version_at_once_are_one_saved_and_one_refused(desk: Desk) -> None:
    lina = new(desk, "lina@example.com", 1, name="Lina").customer_id
    version = desk.customers.get(lina).version
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def save(name: str) -> None:
        start.wait()
        try:
            desk.customers.edit(lina, name, "", version=version)
            outcomes.append("saved")
        except StaleEditError:
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(name,)) for name in ("Lina A", "Lina B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert desk.customers.get(lina).version == version + 1


def test_the_merge_migration_keeps_the_customers_and_their_profile_saves(tmp_path: Path) -> None:
    from alembic import command

    from tests.conftest import migrate

    db, url = database_at(tmp_path, "customer_search")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO customers (email, name, created_at) VALUES ('a@example.com', "
                                   "'أحمد', '2026-12-01'), ('b@example.com', '', '2026-12-01')")
    migrate(db, command.upgrade, "customer_merge")
    with db.engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT version, merged_into_id FROM customers").all() == [(0, None)] * 2
    migrate(db, command.downgrade, "customer_search")
    migrate(db, command.upgrade, "head")
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    [a, b] = [r.id for r in sorted(desk.customers.page().rows, key=lambda r: r.email)]
    desk.customers.merge(b, a)
    desk.customers.edit(a, "أحمد", "", version=1)
    assert desk.customers.page().total == 1
    desk.close()
