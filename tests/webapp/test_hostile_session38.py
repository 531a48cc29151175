"""Hostile input against session 37's surfaces (hostile38), and the last user-facing writes that waited one busy
timeout for SQLite's one writer and then failed where they now wait it out (`Database.write`, as hostile37 moved 19).

Each test a fault found and fixed (it failed before the fix) or a rule pinned beside one. The real app and desk;
SQLite and (`--postgresql`) PostgreSQL, except the busy database's, which hold an SQLite file's write lock (on
PostgreSQL a write waits on the row it needs, never on a busy timeout): each of those also counts what was written,
since `Database.write` runs its work again after a rolled-back try.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import func, select

from desk.desk import Desk
from desk.mail.addresses import reply_address
from desk.mail.outbox import EML_FOLDER
from desk.models import AuditEvent, BlockedSender, OutboxMail, SideConversation, SideMessage, TicketDeletionChange
from tests.desk.test_mail_in import plain_mail
from tests.webapp.light_app import light_settings, login  # noqa: F401
from tests.webapp.test_hostile_session37 import busy_app, met_or_done, new_ticket, while_busy  # noqa: F401
from tests.webapp.test_unavailable_database import database_file
from webapp.mail_commands import deliver_pending_mail


def count(desk: Desk, model: type, *where: object) -> int:
    with desk.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def audited(desk: Desk, action: str) -> int:
    return count(desk, AuditEvent, AuditEvent.action == action)


def side_of(desk: Desk, ticket: int, by: int) -> int:
    return desk.side_conversations.start(ticket, "courier@parcels.example", "Parcel 123", "Where is it?",
                                         _agent(by)).id


def _agent(agent_id: int):  # type: ignore[no-untyped-def]
    from desk.audit import Actor

    return Actor.agent(agent_id)


@pytest.mark.parametrize("write", ["restore", "not_spam", "block", "unblock", "side_start", "side_reply",
                                   "side_close", "side_mark_read", "side_mail", "sign_in_failed"])
def test_a_restore_a_block_a_side_conversation_or_a_failed_sign_in_waits_out_a_busy_database_and_writes_once(
        busy_app: Flask, caplog: pytest.LogCaptureFixture, write: str) -> None:  # noqa: F811
    """Restoring a deleted ticket (and "Not spam"), blocking and unblocking a sender, a side conversation's start,
    reply, close and "mark as read", and the audit row of a failed sign-in were bare transactions: while another
    write held SQLite's lock past one busy timeout each failed (a 503 page; the failed sign-in's row was dropped with
    a warning, so a guesser's attempts went unrecorded). They now wait it out, and the work `Database.write` ran again
    after the rolled-back try wrote once. Before the fix each failed (the sign-in: no row). A third party's mail to
    the conversation waited already (desk.mail.receive, hostile37): pinned beside them."""
    desk: Desk = busy_app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com").id  # type: ignore[union-attr]
    ticket = new_ticket(desk)
    if write in ("restore", "not_spam"):
        desk.trash.delete([ticket], spam=write == "not_spam")
    if write == "unblock":
        desk.trash.block("@junk.example")
    side = side_of(desk, ticket, sara) if write.startswith("side_") and write != "side_start" else 0
    blocked = count(desk, BlockedSender)
    if write == "side_mail":
        with desk.db.session() as session:
            token = session.scalar(select(SideConversation.token).where(SideConversation.id == side))
        courier = plain_mail("It is at the depot.", "Re: Parcel 123", "courier@parcels.example",
                             To=reply_address(desk.settings.mail_from, str(token)))
    client = busy_app.test_client()
    works: dict[str, Callable[[], object]] = {
        "restore": lambda: desk.trash.restore(ticket, _agent(sara)).deleted_at,
        "not_spam": lambda: desk.trash.restore(ticket, _agent(sara), not_spam=True).deleted_at,
        "block": lambda: desk.trash.block("@spam.example", _agent(sara)),
        "unblock": lambda: desk.trash.unblock(desk.trash.blocked().rows[0].id, _agent(sara)),
        "side_start": lambda: side_of(desk, ticket, sara) > 0,
        "side_reply": lambda: len(desk.side_conversations.reply(ticket, side, "Any news?", _agent(sara)).messages),
        "side_close": lambda: desk.side_conversations.set_status(ticket, side, "closed", _agent(sara)).status,
        "side_mark_read": lambda: desk.side_conversations.mark_read(ticket),
        "side_mail": lambda: desk.mail_in.receive(courier).outcome,
        "sign_in_failed": lambda: login(client, "sara@example.com", "not the password").status_code,
    }
    expected = {"restore": None, "not_spam": None, "block": "@spam.example", "unblock": "@junk.example",
                "side_start": True, "side_reply": 2, "side_close": "closed", "side_mark_read": None,
                "side_mail": "side_reply", "sign_in_failed": 401}
    if write == "side_mark_read":  # a third party's reply marked it unread
        with desk.db.session() as session:
            session.get(SideConversation, side).unread = True  # type: ignore[union-attr]
    assert while_busy(busy_app, works[write], caplog) == expected[write]
    assert "database busy" in caplog.text  # it met the lock, and waited
    written = {  # each once, though the work ran again after a rolled-back try
        "restore": lambda: (count(desk, TicketDeletionChange, TicketDeletionChange.kind == "restored"),
                            audited(desk, "ticket_restored")),
        "not_spam": lambda: (count(desk, TicketDeletionChange, TicketDeletionChange.kind == "not_spam"),
                             audited(desk, "sender_unblocked"), blocked - count(desk, BlockedSender)),
        "block": lambda: (count(desk, BlockedSender) - blocked, audited(desk, "sender_blocked")),
        "unblock": lambda: (blocked - count(desk, BlockedSender), audited(desk, "sender_unblocked")),
        "side_start": lambda: (count(desk, SideConversation), count(desk, SideMessage),
                               count(desk, OutboxMail, OutboxMail.kind == "side_conversation"),
                               audited(desk, "side_conversation_started")),
        "side_reply": lambda: (count(desk, SideMessage) - 1,
                               count(desk, OutboxMail, OutboxMail.kind == "side_conversation") - 1,
                               audited(desk, "side_conversation_replied")),
        "side_close": lambda: (audited(desk, "side_conversation_closed"),),
        "side_mark_read": lambda: (count(desk, SideConversation, SideConversation.unread.is_(False)),),
        "side_mail": lambda: (count(desk, SideMessage, SideMessage.author == "third_party"),),
        "sign_in_failed": lambda: (audited(desk, "sign_in_failed"),),
    }[write]()
    assert set(written) == {1}, written


def test_the_delivery_pass_claims_and_composes_a_mail_while_another_write_holds_the_database(
        busy_app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The worker's delivery pass claimed each mail and stored its composed text in bare transactions: another write
    holding SQLite's lock past one busy timeout at the claim failed the whole pass; at the compose it was counted as
    the mail's failed attempt ("could not compose: StorageUnavailableError", the mail put off by the retry delay).
    Both now wait it out, the mail sent once. Before the fix the first pass raised and the second counted an attempt."""
    desk: Desk = busy_app.extensions["desk"]
    settings = desk.settings
    new_ticket(desk)  # its confirmation queued: held at the claim
    assert while_busy(busy_app, lambda: deliver_pending_mail(desk, settings), caplog) == 1
    new_ticket(desk, "omar@example.com")  # held between the claim and the compose's write
    holder = sqlite3.connect(database_file(settings), isolation_level=None, timeout=30, check_same_thread=False)
    import desk.mail.outbox as outbox

    compose = outbox.compose
    taken: list[bool] = []

    def compose_then_locked(*args: object, **kwargs: object) -> EmailMessage:
        if not taken:
            taken.append(True)
            holder.execute("BEGIN IMMEDIATE")  # another writer takes the lock while the mail is composed
        return compose(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox, "compose", compose_then_locked)
    caplog.clear()
    found: list[object] = []

    def deliver() -> None:
        try:
            found.append(deliver_pending_mail(desk, settings))
        except Exception as error:
            found.append(error)

    thread = threading.Thread(target=deliver)
    thread.start()
    met_or_done(thread, caplog)
    holder.execute("COMMIT")
    thread.join(60)
    holder.close()
    assert found == [1]
    with desk.db.session() as session:
        assert session.execute(select(OutboxMail.status, OutboxMail.attempts, OutboxMail.last_error)).all() == [
            ("sent", 1, None), ("sent", 1, None)]
    assert len(list((settings.data_dir / EML_FOLDER).glob("*.eml"))) == 2

