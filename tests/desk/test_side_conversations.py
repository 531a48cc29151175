"""Side conversations (desk.side_conversations): mail to a third party on its own thread through a real SMTP server on
loopback, their reply back into the side conversation and never the ticket's public thread, merge, erasure and
hostile mail (a forged token, References naming another ticket's side conversation, the customer writing to it)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from desk.audit import Actor
from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.mail.listener import start_listener
from desk.models import AuditEvent, InboundMail, Message, OutboxMail, SideConversation, Ticket
from desk.side_conversations import side_history
from desk.tickets import InputError
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.desk.test_ccs import mail, token_of
from tests.desk.test_mail_out import deliver
from tests.smtp_sink import SmtpSink, free_port


@pytest.fixture
def settings(tmp_path: Path, sink: SmtpSink) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url_for_tests(), base_url="https://help.manzil.example",
                    mail_from="support@manzil.example", smtp_url=sink.url, side_conversation_max_recipients=2)


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    opened = Desk(settings)
    yield opened
    opened.close()


def reply_mail(body: str, sender: str, to: str, **headers: str) -> bytes:
    return mail(body, sender=sender, to=to, subject=headers.pop("subject", "Re: Parcel"), **headers)


def started(desk: Desk, settings: Settings, sink: SmtpSink) -> tuple[int, int, EmailMessage]:
    """A customer's ticket and a side conversation with the courier, its mail delivered."""
    ticket_id = desk.mail_in.receive(mail("Where is my parcel?", subject="Parcel")).ticket_id
    assert ticket_id
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    side = desk.side_conversations.start(ticket_id, "desk@courier.example", "",
                                         "Please trace **parcel 881**.", Actor.agent(agent.id))
    before = len(sink.messages)
    assert deliver(desk, settings) >= 1
    sent = [m for m in sink.messages[before:] if "courier.example" in str(m["To"])]
    assert len(sent) == 1
    return ticket_id, side.id, sent[0]


def public_bodies(desk: Desk, ticket_id: int) -> list[str]:
    with desk.db.session() as session:
        return [m.body for m in session.scalars(select(Message).where(Message.ticket_id == ticket_id))]


def test_the_side_mail_goes_to_the_third_party_on_its_own_thread_and_their_reply_lands_there(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    ticket_id, side_id, sent = started(desk, settings, sink)
    ticket_token = token_of(desk, ticket_id)
    with desk.db.session() as session:
        side = session.get(SideConversation, side_id)
        assert side is not None
        side_token, subject = side.token, side.subject
    assert subject == "Parcel"  # the ticket's, by default
    assert side_token != ticket_token
    assert sent["Reply-To"] == f"support+{side_token}@manzil.example"
    assert f"[#mz-{side_token}]" in str(sent["Subject"]) and ticket_token not in sent.as_string()
    assert "lina@example.com" not in sent.as_string()  # the customer neither receives nor is named in it
    assert "Please trace" in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert not any("Please trace" in m.as_string() for m in sink.messages if "lina@" in str(m["To"]))
    # The courier answers, quoting the history: it lands in the side conversation, not on the ticket's thread.
    answer = reply_mail("It is in Jeddah.\n\nOn Monday Support wrote:\n> Please trace parcel 881.",
                        "desk@courier.example", f"support+{side_token}@manzil.example",
                        In_Reply_To=str(sent["Message-ID"]))
    port = free_port()  # through the real SMTP listener (`kb mail serve`), the token in the envelope's recipient
    listener = start_listener(desk.mail_in, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("desk@courier.example", [f"support+{side_token}@manzil.example"], answer)
    finally:
        listener.stop()
    with desk.db.session() as session:
        row = session.scalar(select(InboundMail).where(InboundMail.from_address == "desk@courier.example"))
        assert row is not None and row.outcome == "side_reply" and row.ticket_id is None
        assert row.reason_params and row.reason_params["side_conversation"] == side_id
    [view] = desk.side_conversations.for_ticket(ticket_id)
    assert [(m.author, m.body) for m in view.messages][1] == ("third_party", "It is in Jeddah.")
    assert view.unread and view.status == "open"
    assert not any("Jeddah" in body for body in public_bodies(desk, ticket_id))
    # The ticket's later public reply never threads onto the side conversation's mail.
    desk.tickets.reply(ticket_id, 1, "We are tracing it.")
    deliver(desk, settings)
    public = sink.messages[-1]
    assert str(public["To"]) == "lina@example.com" and str(sent["Message-ID"]) not in str(public["References"] or "")


def test_a_reply_to_a_closed_side_conversation_reopens_it_and_an_agent_reply_threads(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    ticket_id, side_id, sent = started(desk, settings, sink)
    agent = Actor.agent(1)  # Sara, who started it
    desk.side_conversations.set_status(ticket_id, side_id, "closed", agent)
    with desk.db.session() as session:
        side = session.get(SideConversation, side_id)
        assert side is not None and side.status == "closed"
        token = side.token
    desk.tickets.update(ticket_id, status="solved", agent_id=1)
    solved_at = desk.tickets.get(ticket_id).updated_at  # type: ignore[union-attr]
    got = desk.mail_in.receive(reply_mail("Delivered today.", "desk@courier.example", "support@manzil.example",
                                          References=str(sent["Message-ID"])))
    assert got.outcome == "side_reply"
    [view] = desk.side_conversations.for_ticket(ticket_id)
    assert view.status == "open"
    ticket = desk.tickets.get(ticket_id)
    assert ticket is not None and ticket.status == "solved" and ticket.updated_at > solved_at  # not reopened, moved
    desk.side_conversations.reply(ticket_id, side_id, "Thanks!", agent)
    deliver(desk, settings)
    second = sink.messages[-1]
    assert token in str(second["Subject"]) and str(sent["Message-ID"]) in str(second["References"])
    with desk.db.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.subject_type == "ticket", AuditEvent.subject == str(ticket_id)).order_by(AuditEvent.id)))
    assert actions == ["side_conversation_started", "side_conversation_closed", "side_conversation_replied"]


BAD_INPUT = [
    ("", "Hi", "to", "enter at least one email address"),
    ("not-an-address", "Hi", "to", "is not an email address"),
    ("a@x.example, b@x.example, c@x.example", "Hi", "to", "at most 2 addresses"),
    ("support@manzil.example", "Hi", "to", "own address"),
    ("a(b@x.example", "Hi", "to", "not an address a Cc line can carry"),
    ("a@x.example", "  ", "body", "is empty"),
]


def test_bad_input_is_refused_naming_the_field_and_writes_nothing(desk: Desk) -> None:
    ticket_id = desk.mail_in.receive(mail("Help")).ticket_id
    assert ticket_id
    for to, body, field, message in BAD_INPUT:  # one desk for all (CI time): each refusal writes nothing
        with pytest.raises(InputError) as refused:
            desk.side_conversations.start(ticket_id, to, "", body, Actor.agent(1))
        assert (refused.value.field, message in str(refused.value)) == (field, True), (to, str(refused.value))
    assert desk.side_conversations.for_ticket(ticket_id) == []
    with desk.db.session() as session:
        assert session.scalar(select(OutboxMail.id).where(OutboxMail.side_message_id.is_not(None))) is None


def test_hostile_mail_never_reaches_a_side_conversation_it_should_not(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    ticket_id, side_id, sent = started(desk, settings, sink)
    other = desk.mail_in.receive(mail("Another matter", sender="omar@example.com", subject="Other")).ticket_id
    assert other
    # A forged token: a new ticket from the sender, no side conversation touched.
    forged = desk.mail_in.receive(reply_mail("Let me in", "desk@courier.example",
                                             "support+abcdefghijklmnop@manzil.example"))
    assert forged.outcome == "created"
    # Omar's reply to his own ticket naming the courier thread of Lina's ticket in References stays on his ticket.
    crossed = desk.mail_in.receive(reply_mail("Any news?", "omar@example.com",
                                              f"support+{token_of(desk, other)}@manzil.example",
                                              References=str(sent["Message-ID"])))
    assert crossed.outcome == "continued" and crossed.ticket_id == other
    # The customer writing to the side conversation's address: held, not added, nothing on either thread.
    with desk.db.session() as session:
        side = session.get(SideConversation, side_id)
        assert side is not None
        token = side.token
    held = desk.mail_in.receive(reply_mail("What are you telling them?", "lina@example.com",
                                           f"support+{token}@manzil.example"))
    assert held.outcome == "rejected" and held.why is not None and held.why.code == "side_stranger"
    [view] = desk.side_conversations.for_ticket(ticket_id)
    assert len(view.messages) == 1 and view.participants == ("desk@courier.example",)
    assert not any("telling them" in body for body in public_bodies(desk, ticket_id))
    # An agent recovers it: appended to the side conversation, its sender still not a participant.
    recovered = desk.held_mail.recover(held.inbound_id, None)  # type: ignore[arg-type]
    assert recovered.outcome == "side_reply"
    [view] = desk.side_conversations.for_ticket(ticket_id)
    assert len(view.messages) == 2 and view.participants == ("desk@courier.example",)


def test_merge_moves_side_conversations_and_erasure_keeps_third_party_words(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    source, side_id, sent = started(desk, settings, sink)
    target = desk.mail_in.receive(mail("Still waiting", subject="Parcel again")).ticket_id
    assert target
    desk.mail_in.receive(reply_mail("In Jeddah.", "desk@courier.example", "support@manzil.example",
                                    In_Reply_To=str(sent["Message-ID"])))
    desk.tickets.merge(source, target, 1, "Merged.")
    assert desk.side_conversations.for_ticket(source) == []
    assert [v.id for v in desk.side_conversations.for_ticket(target)] == [side_id]
    with desk.db.session() as session:  # third parties are not customers
        assert session.scalar(select(InboundMail.id).where(InboundMail.outcome == "side_reply")) is not None
        from desk.models import Customer
        assert session.scalar(select(Customer.id).where(Customer.email == "desk@courier.example")) is None
    customer = desk.tickets.get(target).customer_id  # type: ignore[union-attr]
    desk.erasure.erase(customer, "lina@example.com")
    [view] = desk.side_conversations.for_ticket(target)
    assert [m.body for m in view.messages if m.author == "third_party"] == ["In Jeddah."]


def test_the_migration_adds_the_side_conversation_tables_and_goes_down(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, "webhook_claims")
    migrate(db, command.upgrade, "side_conversations")
    tables = set(inspect(db.engine).get_table_names())
    assert {"side_conversations", "side_conversation_messages"} <= tables
    assert "side_message_id" in {c["name"] for c in inspect(db.engine).get_columns("mail_outbox")}
    migrate(db, command.downgrade, "webhook_claims")
    assert "side_conversations" not in set(inspect(db.engine).get_table_names())
    assert "side_message_id" not in {c["name"] for c in inspect(db.engine).get_columns("mail_outbox")}
    db.close()


def test_a_ticket_of_another_or_a_missing_side_conversation_is_refused(desk: Desk, settings: Settings,
                                                                       sink: SmtpSink) -> None:
    ticket_id, side_id, _ = started(desk, settings, sink)
    other = desk.mail_in.receive(mail("Other", sender="omar@example.com")).ticket_id
    assert other
    with pytest.raises(InputError) as refused:
        desk.side_conversations.reply(other, side_id, "Hi", Actor.agent(1))
    assert refused.value.field == "side_conversation"
    with desk.db.session() as session:
        assert session.get(Ticket, ticket_id) is not None



def test_a_forwarded_file_goes_with_the_mail_and_erasure_forgets_it(desk: Desk, settings: Settings,
                                                                     sink: SmtpSink) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "lina@example.com", "support@manzil.example", "Damaged"
    message.set_content("The box arrived broken.")
    message.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    ticket_id = desk.mail_in.receive(message.as_bytes()).ticket_id
    assert ticket_id
    [attached] = desk.attachments.for_ticket(ticket_id)
    desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")  # agent 1
    with pytest.raises(InputError) as refused:  # a file of another ticket, or none, is named
        desk.side_conversations.start(ticket_id, "desk@courier.example", "", "See attached.", Actor.agent(1),
                                      [attached.id + 1])
    assert refused.value.field == "attachments"
    side = desk.side_conversations.start(ticket_id, "desk@courier.example", "Claim", "See attached.",
                                         Actor.agent(1), [attached.id])
    assert deliver(desk, settings) >= 1
    [sent] = [m for m in sink.messages if "courier.example" in str(m["To"])]
    assert [part.get_filename() for part in sent.iter_attachments()] == ["receipt.pdf"]
    desk.erasure.erase(desk.tickets.get(ticket_id).customer_id, "lina@example.com")  # type: ignore[union-attr]
    [view] = desk.side_conversations.for_ticket(ticket_id)
    assert view.id == side.id and view.messages[0].files == () and view.messages[0].body == "See attached."
    with desk.db.session() as session:
        assert session.scalar(select(OutboxMail.id).where(OutboxMail.side_message_id.is_not(None))) is None


def test_participants_are_added_and_removed_and_a_removed_one_is_held(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    ticket_id, side_id, _ = started(desk, settings, sink)
    sara = Actor.agent(1)
    with desk.db.session() as session:
        token = session.scalar(select(SideConversation.token).where(SideConversation.id == side_id))
    # Refusals name their field and write nothing (the limit here is 2 addresses).
    for add, remove, field, message in [
            ("", "", "add_participants", "enter an address to add or one to remove"),
            ("not-an-address", "", "add_participants", "is not an email address"),
            ("a@x.example, b@x.example", "", "add_participants", "at most 2 addresses"),
            ("", "a@x.example", "remove_participants", "is not in the side conversation"),
            ("", "desk@courier.example", "remove_participants", "keeps at least one address"),
            ("desk@courier.example", "", "add_participants", "already in the side conversation"),
            ("support@manzil.example", "", "add_participants", "own address")]:
        with pytest.raises(InputError) as refused:
            desk.side_conversations.change_participants(ticket_id, side_id, add, remove, sara)
        assert (refused.value.field, message in str(refused.value)) == (field, True), (add, remove, str(refused.value))
    [view] = desk.side_conversations.for_ticket(ticket_id)
    assert view.participants == ("desk@courier.example",) and view.changes == ()
    desk.side_conversations.set_status(ticket_id, side_id, "closed", sara)
    with pytest.raises(InputError) as refused:
        desk.side_conversations.change_participants(ticket_id, side_id, "billing@courier.example", "", sara)
    assert refused.value.field == "status"
    # Reopened and a participant added in one change: the next message goes to both.
    view = desk.side_conversations.change(ticket_id, side_id, sara, status="open", add=["Billing@Courier.example"])
    assert view.status == "open" and view.participants == ("desk@courier.example", "billing@courier.example")
    desk.side_conversations.reply(ticket_id, side_id, "Billing, please refund the fee.", sara)
    deliver(desk, settings)
    assert str(sink.messages[-1]["To"]) == "desk@courier.example, billing@courier.example"
    # The courier's desk removed. A message queued before a removal still goes to whom it was queued for; one after
    # it not to the removed address.
    desk.side_conversations.reply(ticket_id, side_id, "Queued before the change.", sara)
    view = desk.side_conversations.change_participants(ticket_id, side_id, [], ["desk@courier.example"], sara)
    assert view.participants == ("billing@courier.example",)
    desk.side_conversations.reply(ticket_id, side_id, "Only billing now.", sara)
    deliver(desk, settings)
    to = {m.get_body(("plain",)).get_content().split("\n")[0][:20]: str(m["To"])  # type: ignore[union-attr]
          for m in sink.messages[-2:]}
    assert sorted(to.values()) == ["billing@courier.example", "desk@courier.example, billing@courier.example"], to
    # The removed participant writes back through the real SMTP listener: held as a stranger's, not appended.
    port = free_port()
    listener = start_listener(desk.mail_in, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("desk@courier.example", [f"support+{token}@manzil.example"],
                            reply_mail("Still here.", "desk@courier.example", f"support+{token}@manzil.example"))
    finally:
        listener.stop()
    with desk.db.session() as session:
        row = session.scalar(select(InboundMail).where(InboundMail.from_address == "desk@courier.example"))
        assert row is not None and row.outcome == "rejected" and row.reason_code == "side_stranger"
        actions = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "side_conversation_participants").order_by(AuditEvent.id)))
        assert len(actions) == 2
    [view] = desk.side_conversations.for_ticket(ticket_id)
    assert not any(m.body == "Still here." for m in view.messages)
    lines = [(e.side_event, e.added, e.removed) for e in side_history([view]) if e.side_event == "participants"]
    assert lines == [("participants", "billing@courier.example", ""), ("participants", "", "desk@courier.example")]


def test_a_reply_forwards_the_tickets_files_too(desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    ticket_id, side_id, _ = started(desk, settings, sink)
    message = EmailMessage()
    message["From"], message["To"] = "lina@example.com", f"support+{token_of(desk, ticket_id)}@manzil.example"
    message["Subject"] = "Re: Parcel"
    message.set_content("The label, attached.")
    message.add_attachment(b"%PDF-1.4 label", maintype="application", subtype="pdf", filename="label.pdf")
    assert desk.mail_in.receive(message.as_bytes()).ticket_id == ticket_id
    [attached] = desk.attachments.for_ticket(ticket_id)
    with pytest.raises(InputError) as refused:
        desk.side_conversations.reply(ticket_id, side_id, "The label.", Actor.agent(1), [attached.id + 7])
    assert refused.value.field == "attachments"
    [view] = desk.side_conversations.for_ticket(ticket_id)
    assert len(view.messages) == 1  # nothing written
    view = desk.side_conversations.reply(ticket_id, side_id, "The label.", Actor.agent(1), [attached.id])
    assert [f.filename for f in view.messages[-1].files] == ["label.pdf"]
    deliver(desk, settings)
    [sent] = [m for m in sink.messages if "courier.example" in str(m["To"]) and "The label." in m.as_string()]
    assert [part.get_filename() for part in sent.iter_attachments()] == ["label.pdf"]


def test_the_inbox_marks_filters_and_counts_unread_side_replies(desk: Desk, settings: Settings,
                                                                 sink: SmtpSink) -> None:
    ticket_id, _, sent = started(desk, settings, sink)
    other = desk.mail_in.receive(mail("Another matter", sender="omar@example.com", subject="Other")).ticket_id
    assert other
    for number in (ticket_id, other):
        desk.tickets.update(number, assignee_id=1, agent_id=1)
    desk.mail_in.receive(reply_mail("It is in Jeddah.", "desk@courier.example", "support@manzil.example",
                                    In_Reply_To=str(sent["Message-ID"])))
    replied = InboxQuery(view="mine", side_replied=True)
    page = desk.inbox.page(replied, 1)
    assert [r.ticket.id for r in page.rows] == [ticket_id] and page.rows[0].side_reply
    assert {r.ticket.id: r.side_reply for r in desk.inbox.page(InboxQuery(view="mine"), 1).rows} == {
        ticket_id: True, other: False}
    assert desk.inbox.query_counts({"x": replied}, 1) == {"x": 1}
    saved = desk.saved_views.save(1, "Side replies", {"view": "mine", "side_replied": "1"})
    assert desk.saved_views.get(saved.id, 1).query.side_replied  # type: ignore[union-attr]
    with pytest.raises(InputError) as refused:
        desk.saved_views.save(1, "Bad", {"side_replied": "maybe"})
    assert refused.value.field == "side_replied"
    desk.side_conversations.mark_read(ticket_id)
    assert desk.inbox.query_counts({saved.id: saved.query}, 1) == {saved.id: 0}
    assert not desk.inbox.page(InboxQuery(view="mine"), 1).rows[0].side_reply


def test_the_migration_adds_the_saved_view_filter_and_participant_changes(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, "side_conversations")
    migrate(db, command.upgrade, "side_conversation_more")
    assert "side_replied" in {c["name"] for c in inspect(db.engine).get_columns("saved_views")}
    assert "participant_changes" in {c["name"] for c in inspect(db.engine).get_columns("side_conversations")}
    migrate(db, command.downgrade, "side_conversations")
    assert "side_replied" not in {c["name"] for c in inspect(db.engine).get_columns("saved_views")}
    assert "participant_changes" not in {c["name"] for c in inspect(db.engine).get_columns("side_conversations")}
    db.close()
