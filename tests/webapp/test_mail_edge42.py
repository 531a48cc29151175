"""Two kinds of mail that answer the desk without being a customer's message, over the real inbound path (the SMTP
listener on loopback, aiosmtpd) with notices delivered by the outbox to a real SMTP sink:

- An out-of-office reply that carries none of RFC 3834's headers (Outlook's "Automatic reply:" and Arabic "رد تلقائي:"
  through relays that strip Auto-Submitted) is a machine's: on its ticket as an internal note, never reopening a solved
  ticket, never a status change, never an acknowledgement; one that matches no ticket is held, never a ticket. A
  person's subject that only mentions an automatic reply later in the line is theirs and reopens.
- An agent answering the mail that told them of an assignment or an @mention (desk.agent_notices), threaded to it,
  adds an internal note by them (the quoted notice cut, files kept, mentions mailed, audited); the same reply from
  anyone else, or from a deactivated agent, is held saying why (in Arabic too), never a ticket, and an agent's
  recovery leaves it held.

`--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from dataclasses import replace
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import func, select

from desk.audit import SYSTEM
from desk.desk import Desk
from desk.mail.addresses import reply_address, thread_token
from desk.mail.listener import start_listener
from desk.mail.parse import parse_mail
from desk.models import Attachment, AuditEvent, InboundMail, Mention, Message, OutboxMail, Ticket, TicketStatusChange
from kb.settings import Settings
from tests.smtp_sink import SmtpSink, free_port, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, client_for, light_settings  # noqa: F401
from webapp import create_app
from webapp.mail_commands import deliver_pending_mail

Send = Callable[[EmailMessage], InboundMail]


@pytest.fixture
def app(light_settings: Settings, sink: SmtpSink) -> Flask:  # noqa: F811
    app = create_app(replace(light_settings, smtp_url=sink.url))
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("huda@example.com", PASSWORD, name="Huda", role="lead")
    accounts.create_agent("amal@example.com", PASSWORD, name="Amal")
    accounts.create_agent("lina@example.com", PASSWORD, name="Lina", role="light")
    return app


@pytest.fixture
def send(app: Flask) -> Iterator[Send]:
    """Deliver a mail to the desk's SMTP listener on loopback; the row the desk wrote for it."""
    desk: Desk = app.extensions["desk"]
    port = free_port()
    controller = start_listener(desk.mail_in, "127.0.0.1", port)

    def deliver(mail: EmailMessage) -> InboundMail:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(mail, to_addrs=[str(mail["To"])])
        with desk.db.session() as session:
            row = session.scalar(select(InboundMail).order_by(InboundMail.id.desc()).limit(1))
            assert row is not None
            session.expunge(row)
            return row

    try:
        yield deliver
    finally:
        controller.stop()


def mail(sender: str, to: str, subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def count(desk: Desk, model: type, *where: object) -> int:
    with desk.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def last_message(desk: Desk, ticket_id: int) -> Message:
    with desk.db.session() as session:
        message = session.scalar(select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id.desc()))
        assert message is not None
        session.expunge(message)
        return message


def test_out_of_office_subjects_without_rfc3834_headers_never_reopen(app: Flask, send: Send) -> None:
    desk: Desk = app.extensions["desk"]
    support = app.extensions["settings"].mail_from
    first = send(mail("noor@example.com", support, "Refund 1", "Where is my refund?"))
    assert first.outcome == "created" and first.ticket_id is not None
    ticket_id = first.ticket_id
    with desk.db.session() as session:
        token = thread_token(session, session.get_one(Ticket, ticket_id))
    to_thread = reply_address(support, token)
    desk.tickets.update(ticket_id, status="solved")
    outbox = count(desk, OutboxMail)
    changes = count(desk, TicketStatusChange, TicketStatusChange.ticket_id == ticket_id)
    arabic = send(mail("noor@example.com", to_thread, "رد تلقائي: Re: Refund 1", "أنا خارج المكتب حتى الأحد.",
                       X_Auto_Response_Suppress="All", Content_Language="ar-SA"))
    english = send(mail("noor@example.com", to_thread, "Automatic reply: Re: Refund 1", "I am away until Sunday."))
    for row, said in ((arabic, "أنا خارج المكتب حتى الأحد."), (english, "I am away until Sunday.")):
        assert row.outcome == "automatic" and row.ticket_id == ticket_id and row.reason_code == "auto_subject"
        with desk.db.session() as session:  # kept, on the ticket, as a note
            note = session.get_one(Message, row.message_id)
            assert note.ticket_id == ticket_id and note.internal and said in note.body
    assert arabic.reason_params == {"prefix": "رد تلقائي"} and english.reason_params == {"prefix": "Automatic reply"}
    ticket = desk.tickets.get(ticket_id)
    assert ticket is not None and ticket.status == "solved"
    assert count(desk, TicketStatusChange, TicketStatusChange.ticket_id == ticket_id) == changes
    assert count(desk, OutboxMail) == outbox  # no acknowledgement, nothing to the agent
    # One that answers nothing the desk knows is held: no ticket, no acknowledgement.
    tickets = count(desk, Ticket)
    stray = send(mail("omar@example.com", support, "Out of Office: Hello", "Back on Monday."))
    assert stray.outcome == "automatic" and stray.ticket_id is None and stray.reason_code == "auto_subject"
    assert count(desk, Ticket) == tickets and count(desk, OutboxMail) == outbox
    assert [held.id for held in desk.held_mail.page().rows] == [stray.id]
    # A person who writes about an automatic reply, later in the subject: theirs, and the solved ticket reopens.
    person = send(mail("noor@example.com", to_thread, "Re: Refund 1 - I only got an automatic reply: anyone there?",
                       "Is anyone reading this?"))
    assert person.outcome == "continued" and person.ticket_id == ticket_id
    ticket = desk.tickets.get(ticket_id)
    assert ticket is not None and ticket.status == "open" and not last_message(desk, ticket_id).internal
    # Exchange's inbox-rule reply names its own mailbox; a customer's mail a rule redirected names another's.
    rule = parse_mail(b"From: noor@example.com\r\nX-MS-Exchange-Inbox-Rules-Loop: noor@example.com\r\n"
                      b"Subject: Thanks for your mail\r\n\r\nI will answer soon.\r\n")
    redirected = parse_mail(b"From: omar@example.com\r\nX-MS-Exchange-Inbox-Rules-Loop: info@shop.example\r\n"
                            b"Subject: My order\r\n\r\nWhere is it?\r\n")
    assert rule.automatic is not None and rule.automatic.params == {"header": "X-MS-Exchange-Inbox-Rules-Loop"}
    assert redirected.automatic is None


def notice_to(app: Flask, sink: SmtpSink, to: str) -> EmailMessage:  # noqa: F811
    """Deliver what the outbox holds; the last notice `to` received."""
    deliver_pending_mail(app.extensions["desk"], app.extensions["settings"])
    return [m for m in sink.messages if m["To"] == to][-1]


def answer(notice: EmailMessage, sender: str, body: str, thread_by: str = "In-Reply-To") -> EmailMessage:
    reply = mail(sender, str(notice["From"]), f"Re: {notice['Subject']}", body)
    reply[thread_by] = str(notice["Message-ID"])
    return reply


def test_an_agent_answering_their_notice_by_mail_adds_an_internal_note(
        app: Flask, sink: SmtpSink, send: Send) -> None:  # noqa: F811
    desk: Desk = app.extensions["desk"]
    accounts = desk.accounts
    huda, amal, lina = (accounts.find(f"{name}@example.com").id for name in ("huda", "amal", "lina"))
    support = app.extensions["settings"].mail_from
    ticket_id = send(mail("noor@example.com", support, "Refund 1", "Where is my refund?")).ticket_id or 0
    desk.tickets.update(ticket_id, assignee_id=amal, agent_id=huda)
    assigned = notice_to(app, sink, "amal@example.com")
    said = "Reply to this email to add a note on the ticket: for agents only, never sent to the customer."
    assert said in assigned.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    tickets, to_customer = count(desk, Ticket), count(desk, OutboxMail, OutboxMail.to_address == "noor@example.com")
    reply = answer(assigned, "amal@example.com", "Refunded the second charge. @huda please confirm.\n\n"
                   f"On Mon, 7 Dec 2026, {assigned['From']} wrote:\n> Huda assigned you this ticket.\n")
    reply.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    row = send(reply)
    assert row.outcome == "note" and row.ticket_id == ticket_id and row.reason is None
    note = last_message(desk, ticket_id)
    assert note.id == row.message_id and note.internal and note.author == "agent" and note.agent_id == amal
    assert note.body == "Refunded the second charge. @huda please confirm."  # the quoted notice cut
    assert count(desk, Attachment, Attachment.message_id == note.id, Attachment.skipped_reason.is_(None)) == 1
    assert count(desk, Mention, Mention.message_id == note.id, Mention.agent_id == huda) == 1
    mentioned = notice_to(app, sink, "huda@example.com")  # mailed as a note's mention is
    assert "Refunded the second charge." in mentioned.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert count(desk, AuditEvent, AuditEvent.action == "note_by_mail", AuditEvent.actor_id == amal,
                 AuditEvent.subject == str(ticket_id)) == 1
    ticket = desk.tickets.get(ticket_id)
    assert ticket is not None and ticket.status == "open" and count(desk, Ticket) == tickets
    assert count(desk, OutboxMail, OutboxMail.to_address == "noor@example.com") == to_customer  # never public
    # A light agent mentioned, answering in Arabic, threaded by References alone.
    accounts.set_locale(lina, "ar")
    desk.notes.add(ticket_id, huda, "@lina هل وصلك إيصال التحويل؟")
    mention = notice_to(app, sink, "lina@example.com")
    assert "ردّ على هذه الرسالة لتضيف ملاحظة على التذكرة" in mention.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    row = send(answer(mention, "lina@example.com", "نعم، وصلني الإيصال وأرفقته.\n\n"
                      f"في الإثنين 7 ديسمبر 2026، كتب {mention['From']}:\n> هل وصلك إيصال التحويل؟\n",
                      thread_by="References"))
    note = last_message(desk, ticket_id)
    assert row.outcome == "note" and note.id == row.message_id and note.internal and note.agent_id == lina
    assert note.body == "نعم، وصلني الإيصال وأرفقته." and count(desk, Ticket) == tickets
    # A closed ticket is final: the reply is held with that reason, never lost, never a follow-up or a ticket.
    desk.tickets.update(ticket_id, status="closed")
    late = send(answer(assigned, "amal@example.com", "One more thing."))
    assert late.outcome == "rejected" and late.ticket_id is None
    assert late.id in {row.id for row in desk.held_mail.page().rows}
    assert count(desk, Ticket) == tickets


def test_a_reply_to_a_notice_from_anyone_else_or_a_deactivated_agent_is_held_never_a_ticket(
        app: Flask, sink: SmtpSink, send: Send) -> None:  # noqa: F811
    desk: Desk = app.extensions["desk"]
    accounts = desk.accounts
    huda, amal = accounts.find("huda@example.com").id, accounts.find("amal@example.com").id
    support = app.extensions["settings"].mail_from
    ticket_id = send(mail("noor@example.com", support, "Refund 1", "Where is my refund?")).ticket_id or 0
    desk.tickets.update(ticket_id, assignee_id=amal, agent_id=huda)
    assigned = notice_to(app, sink, "amal@example.com")
    tickets, messages = count(desk, Ticket), count(desk, Message)
    spoofed = send(answer(assigned, "mallory@example.com", "Close it and refund me twice. @huda"))
    other_agent = send(answer(assigned, "huda@example.com", "I will take it back."))  # not whom it was sent to
    out_of_office = answer(assigned, "amal@example.com", "I am away until Sunday.")
    out_of_office["Auto-Submitted"] = "auto-replied"
    away = send(out_of_office)
    accounts.manage(amal, SYSTEM, active=False)
    deactivated = send(answer(assigned, "amal@example.com", "Refunded."))
    assert (spoofed.outcome, spoofed.reason_code) == ("rejected", "notice_stranger")
    assert (other_agent.outcome, other_agent.reason_code) == ("rejected", "notice_stranger")
    assert (deactivated.outcome, deactivated.reason_code) == ("rejected", "notice_inactive")
    assert (away.outcome, away.reason_code) == ("automatic", "auto_submitted")  # the agent's out-of-office
    assert spoofed.reason == "mallory@example.com is not the agent the notice it answers was sent to"
    assert {row.ticket_id for row in (spoofed, other_agent, away, deactivated)} == {None}
    assert count(desk, Ticket) == tickets and count(desk, Message) == messages
    assert count(desk, Mention) == 0
    held = {row.id for row in desk.held_mail.page().rows}
    assert {spoofed.id, other_agent.id, away.id, deactivated.id} <= held
    # An agent's recovery leaves it held, saying why: never a ticket from the stranger.
    recovered = desk.held_mail.recover(spoofed.id, huda)
    assert recovered.outcome == "rejected" and recovered.why is not None and recovered.why.params["field"] == "sender"
    assert count(desk, Ticket) == tickets and spoofed.id in {row.id for row in desk.held_mail.page().rows}
    # Why, in the agent's language.
    page = client_for(app, "huda@example.com").get("/agent/held/", headers={"Accept-Language": "ar"})
    text = page.get_data(as_text=True)
    assert "ليس الوكيل الذي أُرسل إليه الإشعار الذي يرد عليه" in text and "ليس وكيلًا نشطًا" in text
    assert "is not the agent the notice" not in text

