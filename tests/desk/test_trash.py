"""Deleted tickets, spam and blocked senders (desk.trash, task trash36): a delete keeps every column and a restore puts
the ticket back exactly; mail on a deleted ticket's thread and a page reply to it start a new ticket (nothing lost); a
blocked sender's mail is held and recoverable, their form tickets stored deleted as spam with nothing mailed, no
webhook and no assignment; the purge removes every row that hung on the ticket, and its files after the commit.
Real desk, SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from desk.audit import Actor
from desk.desk import Desk
from desk.mail.addresses import reply_address
from desk.mail.attachments import Upload
from desk.models import (
    WITH_DELETED,
    AuditEvent,
    Base,
    InboundMail,
    OutboxMail,
    Ticket,
    TicketDeletionChange,
    WebhookDelivery,
    utcnow,
)
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.desk.test_mail_in import confirmed, plain_mail, token_of

PASSWORD = "a long enough password"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests(),
                           webhook_allow_private=True))
    yield opened
    opened.close()


def lead(desk: Desk) -> Actor:
    return Actor.agent(desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead").id)


def deleted_row(desk: Desk, ticket_id: int) -> Ticket | None:
    with desk.db.session() as session:
        return session.scalar(select(Ticket).where(Ticket.id == ticket_id).options(selectinload(Ticket.messages))
                              .execution_options(**{WITH_DELETED: True}))


def test_a_restore_puts_the_ticket_back_exactly_as_it_was(desk: Desk) -> None:
    by = lead(desk)
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?"))
    due = utcnow() + timedelta(days=3)
    desk.tickets.update(ticket.id, status="pending", assignee_id=by.agent_id, agent_id=by.agent_id)
    desk.tickets.set_due(ticket.id, due, by.agent_id)
    before = desk.tickets.get(ticket.id)
    assert before is not None
    desk.trash.delete([ticket.id], by)
    assert desk.tickets.get(ticket.id) is None
    assert desk.tickets.inbox()[1] == 0
    with pytest.raises(InputError):  # deleted: no ticket to delete again
        desk.trash.delete([ticket.id], by)
    [row] = desk.trash.deleted().rows
    assert (row.id, row.reason, row.deleted_by, row.status) == (ticket.id, "deleted", "Lead", "pending")
    desk.trash.restore(ticket.id, by)
    after = desk.tickets.get(ticket.id)
    assert after is not None and desk.trash.deleted().total == 0
    assert ((after.status, after.assignee_id, after.team, after.due_at, after.due_by_hand, after.priority)
            == (before.status, before.assignee_id, before.team, before.due_at, before.due_by_hand, before.priority))
    assert [c.kind for c in desk.tickets.changes(ticket.id) if isinstance(c, TicketDeletionChange)] == [
        "deleted", "restored"]
    with desk.db.session() as session:
        assert list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "ticket")
                                    .order_by(AuditEvent.id))) == ["ticket_deleted", "ticket_restored"]
    with pytest.raises(InputError, match="no deleted ticket"):
        desk.trash.restore(ticket.id, by)


def test_the_workers_jobs_leave_a_deleted_ticket_as_it_is(desk: Desk) -> None:
    """A snooze's wake-up, automatic assignment and the auto-close read tickets through the same rule: none acts on a
    deleted ticket, and after a restore each does."""
    by = lead(desk)
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?"))
    desk.snoozes.snooze([ticket.id], utcnow() + timedelta(hours=1), by.agent_id)
    desk.trash.delete([ticket.id], by)
    assert desk.snoozes.wake(now=utcnow() + timedelta(hours=2)) == 0
    kept = deleted_row(desk, ticket.id)
    assert kept is not None and kept.snoozed_until is not None and kept.status == ticket.status
    desk.trash.restore(ticket.id, by)
    assert desk.snoozes.wake(now=utcnow() + timedelta(hours=2)) == 1


def test_mail_about_a_deleted_ticket_waits_and_goes_when_it_is_restored(desk: Desk) -> None:
    """The confirmation of a ticket an agent marks as spam before the worker sends it is never sent; restored, it is."""
    from desk.mail.outbox import deliver_pending
    from webapp.mail_templates import EmailTemplates

    def deliver() -> int:
        return deliver_pending(desk.db, desk.settings, EmailTemplates(desk.settings))  # type: ignore[arg-type]

    by = lead(desk)
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?"))
    desk.trash.delete([ticket.id], by, spam=True)
    assert deliver() == 0
    desk.trash.restore(ticket.id, by, not_spam=True)
    assert deliver() == 1


def test_a_bulk_delete_is_all_or_nothing(desk: Desk) -> None:
    by = lead(desk)
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?"))
    with pytest.raises(InputError):
        desk.trash.delete([ticket.id, 999_999], by)
    assert desk.tickets.get(ticket.id) is not None and desk.trash.deleted().total == 0


def test_mail_and_a_page_reply_on_a_deleted_tickets_thread_start_a_new_ticket(desk: Desk) -> None:
    """Zendesk: a reply to a deleted ticket opens a new ticket. The deleted one is untouched, nothing is lost."""
    ticket = desk.tickets.create(NewTicket(email="lina@example.com", subject="Refund", body="My refund?"))
    confirmed(desk, ticket.id)
    to = reply_address("support@x.example", token_of(desk, ticket.id))
    before = desk.mail_in.receive(plain_mail("First follow-up", "Re: Refund", "lina@example.com", To=to))
    assert before.outcome == "continued"  # the thread's address reaches the ticket while it lives
    desk.trash.delete([ticket.id], lead(desk))
    received = desk.mail_in.receive(plain_mail("Any news on my refund?", "Re: Refund", "lina@example.com", To=to))
    assert received.outcome == "created" and received.ticket_id != ticket.id
    mailed = desk.tickets.get(received.ticket_id or 0)
    assert mailed is not None and mailed.messages[0].body == "Any news on my refund?"
    reply = desk.tickets.customer_reply_with_files(ticket.reference, "Hello again from the page")
    assert reply.ticket_id not in (ticket.id, received.ticket_id)
    paged = desk.tickets.get(reply.ticket_id)
    assert paged is not None and paged.messages[0].body == "Hello again from the page"
    kept = deleted_row(desk, ticket.id)
    assert kept is not None and kept.deleted_at is not None and len(kept.messages) == 2


def test_spam_blocks_the_sender_whose_mail_is_then_held_and_recoverable(desk: Desk) -> None:
    agent = Actor.agent(desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent").id)
    ticket = desk.tickets.create(NewTicket(email="Spammer@Junk.example", subject="Cheap", body="Buy now"))
    desk.trash.delete([ticket.id], agent, spam=True)
    assert [b.address for b in desk.trash.blocked().rows] == ["spammer@junk.example"]
    # Folded as customers' addresses are: case and a trailing dot.
    received = desk.mail_in.receive(plain_mail("Buy more", "Cheap again", "SPAMMER@junk.example"))
    assert received.outcome == "rejected" and received.why is not None and received.why.code == "blocked_sender"
    [held] = desk.held_mail.page().rows
    assert held.id == received.inbound_id
    recovered = desk.held_mail.recover(held.id, agent.agent_id)
    assert recovered.outcome == "created" and desk.tickets.get(recovered.ticket_id or 0) is not None
    # "Not spam" restores the ticket and unblocks the address.
    desk.trash.restore(ticket.id, agent, not_spam=True)
    assert desk.trash.blocked().rows == [] and desk.tickets.get(ticket.id) is not None
    assert desk.mail_in.receive(plain_mail("Sorry", "Hi", "spammer@junk.example")).outcome == "created"


def test_a_blocked_domain_holds_every_address_of_it(desk: Desk) -> None:
    assert desk.trash.block("@Junk.Example") == "@junk.example"
    assert desk.trash.block("other.example") == "@other.example"
    with pytest.raises(InputError, match="blocked already"):
        desk.trash.block("junk.example")
    with pytest.raises(InputError) as refused:
        desk.trash.block("not an address")
    assert refused.value.field == "address"
    assert desk.mail_in.receive(plain_mail("Hi", "Hi", "anyone@junk.example")).outcome == "rejected"
    assert desk.mail_in.receive(plain_mail("Hi", "Hi", "anyone@fine.example")).outcome == "created"
    [row, _other] = desk.trash.blocked().rows
    assert desk.trash.unblock(row.id) == "@junk.example"
    with desk.db.session() as session:
        assert list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "sender")
                                    .order_by(AuditEvent.id))) == ["sender_blocked", "sender_blocked",
                                                                   "sender_unblocked"]


@pytest.mark.parametrize("channel", ["web", "chat", "api"])
def test_a_blocked_senders_form_ticket_is_stored_deleted_with_nothing_sent(desk: Desk, channel: str) -> None:
    desk.trash.block("bot@junk.example")
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.created", "ticket.deleted"])
    ticket = desk.tickets.create(NewTicket(email="BOT@junk.example", subject="Win", body="Click", channel=channel))
    assert ticket.deleted_at is not None and ticket.deleted_reason == "spam"
    assert desk.tickets.get(ticket.id) is None and desk.trash.deleted().total == 1
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 0  # no confirmation
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0  # no event
    stored = deleted_row(desk, ticket.id)
    assert stored is not None and stored.messages[0].body == "Click" and stored.assignee_id is None


def test_the_honeypots_ticket_is_stored_deleted_as_spam(desk: Desk) -> None:
    ticket = desk.tickets.create(NewTicket(email="someone@example.com", subject="Hi", body="Hello", spam=True))
    assert ticket.deleted_reason == "spam" and desk.tickets.get(ticket.id) is None
    assert desk.trash.blocked().rows == []  # a honeypot blocks nobody: the address may be someone else's


def test_webhooks_hear_of_a_delete_and_a_restore(desk: Desk) -> None:
    by = lead(desk)
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?"))
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.deleted", "ticket.restored"])
    desk.trash.delete([ticket.id], by)
    desk.trash.restore(ticket.id, by)
    with desk.db.session() as session:
        events = session.execute(select(WebhookDelivery.event_type, WebhookDelivery.ticket_id, WebhookDelivery.data)
                                 .order_by(WebhookDelivery.id)).all()
    assert [(kind, ticket_id) for kind, ticket_id, _ in events] == [
        ("ticket.deleted", ticket.id), ("ticket.restored", ticket.id)]
    assert events[0][2]["ticket"]["id"] == ticket.id  # the ticket as the delete left it


def counts(desk: Desk) -> dict[str, int]:
    with desk.db.session() as session:
        return {table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
                for table in Base.metadata.sorted_tables}


def busy_ticket(desk: Desk, email: str, agent_id: int) -> Ticket:
    """A ticket with rows in most tables that hang on one: messages, a file, tags, a CC, mail in and out, history, a
    time entry, a side conversation and its messages, webhook events."""
    ticket = desk.tickets.create(NewTicket(email=email, subject="Busy", body="Full of things", tags=("vip",)),
                                 [Upload("receipt.pdf", f"%PDF-1.4 receipt of {email}".encode())])
    confirmed(desk, ticket.id)
    received = desk.mail_in.receive(plain_mail("More words", "Re: Busy", email,
                                               To=reply_address("support@x.example", token_of(desk, ticket.id))))
    assert received.outcome == "continued"
    by = Actor.agent(agent_id)
    desk.tickets.reply(ticket.id, agent_id, "We are on it", status="solved")
    desk.tickets.update(ticket.id, status="open", agent_id=agent_id)
    desk.tickets.set_due(ticket.id, utcnow() + timedelta(days=1), agent_id)
    desk.ccs.add(ticket.id, f"friend.{email}", by)
    desk.time_entries.add(ticket.id, agent_id, 300, "call", by)
    desk.side_conversations.start(ticket.id, "vendor@example.com", "Stock?", "Do you have it?", by)
    return ticket


def test_the_purge_removes_every_row_of_the_ticket_and_its_files_after_the_commit(desk: Desk) -> None:
    admin = desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin").id
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.updated", "message.created"])
    kept = busy_ticket(desk, "kept@example.com", admin)
    before = counts(desk)
    doomed = busy_ticket(desk, "doomed@example.com", admin)
    files = sorted((p for p in desk.settings.data_dir.rglob("*") if p.is_file() and b"receipt of" in p.read_bytes()),
                   key=lambda p: b"doomed" in p.read_bytes())
    assert len(files) == 2  # the kept ticket's, then the doomed one's
    desk.trash.delete([doomed.id], Actor.agent(admin))
    assert desk.trash.purge(timedelta(days=30)) == 0  # not old enough
    with desk.db.session() as session:  # deleted 31 days ago
        session.execute(update(Ticket).where(Ticket.id == doomed.id).values(deleted_at=utcnow() - timedelta(days=31))
                        .execution_options(**{WITH_DELETED: True}))
    assert desk.trash.purge(timedelta(days=30)) == 1
    after = counts(desk)
    # Every table as it was before the doomed ticket came, but the log of received mail (kept, emptied, its original
    # removed by the held mail's purge), the customer (theirs, not the ticket's) and the audit log (which records the
    # purge).
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert set(changed) <= {"mail_inbound", "customers", "audit_events"}, changed
    assert after["customers"] > before["customers"]  # the requester and the CC stay: people, not the ticket's rows
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMail).where(
            InboundMail.from_address == "doomed@example.com")) == 0
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "ticket_purged"
    assert [p.exists() for p in files] == [True, False]  # the kept ticket's file stays
    assert desk.tickets.get(kept.id) is not None


def test_a_file_the_file_system_refuses_keeps_the_ticket_for_the_next_pass(desk: Desk,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    admin = Actor.agent(desk.accounts.create_agent("admin@example.com", PASSWORD, role="admin").id)
    ticket = desk.tickets.create(NewTicket(email="doomed@example.com", subject="Busy", body="File"),
                                 [Upload("receipt.pdf", b"%PDF-1.4 receipt")])
    desk.trash.delete([ticket.id], admin)
    unlink = Path.unlink

    def refused(path: Path, missing_ok: bool = False) -> None:
        if path.name.endswith(".pdf"):
            raise OSError(errno.EACCES, "refused")
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refused)
    with pytest.raises(InputError, match="could not be removed"):
        desk.trash.purge_one(ticket.id, admin)
    assert deleted_row(desk, ticket.id) is not None  # still there, still deleted
    monkeypatch.setattr(Path, "unlink", unlink)
    assert desk.erasure.remove_leftovers() == 1  # the worker's retry of the file
    assert desk.trash.purge(timedelta(0)) == 1
    assert deleted_row(desk, ticket.id) is None


def test_the_migration_adds_the_columns_and_tables_and_goes_down(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from tests.conftest import database_at, migrate

    db, _ = database_at(tmp_path, "customer_fields")
    migrate(db, command.upgrade, "ticket_trash")
    schema = inspect(db.engine)
    assert {"deleted_at", "deleted_by_id", "deleted_reason"} <= {c["name"] for c in schema.get_columns("tickets")}
    indexes = {i["name"]: i["column_names"] for i in schema.get_indexes("tickets")}
    assert indexes["ix_tickets_status_team_snooze"] == ["status", "team", "snoozed_until", "deleted_at"]
    assert {"ticket_deletion_changes", "blocked_senders"} <= set(schema.get_table_names())
    migrate(db, command.downgrade, "customer_fields")
    schema = inspect(db.engine)
    assert "deleted_at" not in {c["name"] for c in schema.get_columns("tickets")}
    assert {"ticket_deletion_changes", "blocked_senders"}.isdisjoint(schema.get_table_names())
    assert {i["name"]: i["column_names"] for i in schema.get_indexes("tickets")}["ix_tickets_status_team_snooze"] == [
        "status", "team", "snoozed_until"]
    db.close()


def test_kb_tickets_purge_deleted_applies_the_retention_days_for_cron(tmp_path: Path) -> None:
    """The cron command runs the worker's pass (webapp.worker.purge_deleted_tickets) until nothing is left."""
    from click.testing import CliRunner

    from webapp.cli import main

    desk = Desk(Settings(data_dir=tmp_path / "data"))  # the database the command opens (`--data`)
    try:
        old, recent = (desk.tickets.create(NewTicket(email="sam@example.com", subject=s, body="b")).id
                       for s in ("old", "recent"))
        desk.trash.delete([old, recent])
        with desk.db.session() as session:
            session.execute(update(Ticket).where(Ticket.id == old).values(deleted_at=utcnow() - timedelta(days=31))
                            .execution_options(**{WITH_DELETED: True}))
    finally:
        desk.close()
    ran = CliRunner().invoke(main, ["tickets", "purge-deleted", "--data", str(tmp_path / "data")])
    assert ran.exit_code == 0, ran.output
    assert ran.output.strip() == "purged: 1 (tickets deleted more than 30 days ago)"
    desk = Desk(Settings(data_dir=tmp_path / "data"))
    try:
        assert [row.id for row in desk.trash.deleted().rows] == [recent]
    finally:
        desk.close()
