"""A closed ticket is final on every channel (as in Zendesk): the customer's message to it, on their ticket's page,
through the API or by mail, starts a follow-up ticket (one desk helper, `TicketStore.follow_up_in`): the same
customer, language, team, category and tags, its first message the reply with its files, linked both ways. A solved
ticket still reopens. A resend (the same page's key, or the same words and files within RESEND_WINDOW) gives back the
stored message, never a second follow-up. And a message may be files alone, from a customer or an agent; one with
neither text nor files is refused naming the field. On SQLite, and on PostgreSQL with `--postgresql`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from desk.desk import Desk
from desk.mail.attachments import Upload
from desk.models import Attachment, Message, OutboxMail, Ticket, utcnow
from desk.tickets import RESEND_WINDOW, InputError, NewTicket
from kb.settings import Settings
from tests.desk.test_mail_in import confirmed, plain_mail, token_of
from tests.desk.test_mail_out import settings  # noqa: F401  (a desk's settings over tmp_path)

PNG = b"\x89PNG\r\n\x1a\nscreenshot"
PDF = b"%PDF-1.4 " + bytes(range(200))


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:  # noqa: F811
    opened = Desk(settings)
    yield opened
    opened.close()


def closed_ticket(desk: Desk, status: str = "closed") -> Ticket:
    """An Arabic ticket of the UAE team about orders, tagged, answered and then `status`."""
    made = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="الطرد",
                                         body="وصل الطرد مكسورًا", lang="ar"))
    with desk.db.session() as session:
        row = session.get(Ticket, made.id)
        assert row is not None
        row.team, row.category = "uae", "orders"
    desk.tags.add([made.id], ["refund", "vip"])
    agent = desk.accounts.create_agent("agent@example.com", "a long enough password", name="سارة")
    desk.tickets.reply(made.id, agent.id, "أعدنا المبلغ", status="solved")
    if status == "closed":
        desk.tickets.update(made.id, status="closed")
    found = desk.tickets.get(made.id)
    assert found is not None and found.status == status
    return found


def count(desk: Desk, model: type) -> int:
    with desk.db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_reply_to_a_solved_ticket_reopens_it(desk: Desk) -> None:
    solved = closed_ticket(desk, "solved")
    reply = desk.tickets.customer_reply_with_files(solved.reference, "ما زال مكسورًا")
    assert (reply.ticket_id, reply.reference, reply.follow_up_of, reply.ticket_status) == (
        solved.id, solved.reference, None, "open")
    assert count(desk, Ticket) == 1


@pytest.mark.parametrize("channel", ["web", "api"])
def test_a_reply_to_a_closed_ticket_starts_a_linked_follow_up(desk: Desk, channel: str) -> None:
    closed = closed_ticket(desk)
    messages_before = len(closed.messages)
    reply = desk.tickets.customer_reply_with_files(closed.reference, "انكسر مرة أخرى", "web:visit:page-1",
                                                   [Upload("صورة.png", PNG)], channel=channel)
    assert reply.ticket_id != closed.id and reply.reference != closed.reference
    assert reply.follow_up_of == closed.reference and reply.ticket_status == "open"
    new = desk.tickets.get(reply.ticket_id)
    assert new is not None
    assert (new.customer_id, new.lang, new.team, new.category, new.subject, new.channel) == (
        closed.customer_id, "ar", "uae", "orders", "الطرد", channel)
    assert [t.tag for t in new.tags] == ["refund", "vip"] and new.priority == "normal"  # as Zendesk: not copied
    assert [(m.author, m.body, m.channel) for m in new.messages] == [("customer", "انكسر مرة أخرى", channel)]
    assert reply.message.id == new.messages[0].id and new.due_at is not None
    assert [a.filename for a in reply.files] == ["صورة.png"]
    assert [a.filename for a in desk.attachments.for_ticket(new.id)] == ["صورة.png"]
    # The closed ticket stays as it was: closed, its thread untouched.
    still = desk.tickets.get(closed.id)
    assert still is not None and still.status == "closed" and len(still.messages) == messages_before
    # Linked both ways: "follow-up of #closed" on the new one, "follow-up: #new" on the closed one.
    links = desk.tickets.follow_up_links(new)
    assert links.of is not None and links.of.id == closed.id and links.later == []
    back = desk.tickets.follow_up_links(still)
    assert back.of is None and [t.id for t in back.later] == [new.id]
    # The new ticket is confirmed to the customer as any new one (the mail path does the same).
    with desk.db.session() as session:
        kinds = session.scalars(select(OutboxMail.kind).where(OutboxMail.ticket_id == new.id)).all()
    assert kinds == ["confirmation"]


def test_a_resend_to_a_closed_ticket_gives_back_the_follow_ups_message(desk: Desk) -> None:
    closed = closed_ticket(desk)
    first = desk.tickets.customer_reply_with_files(closed.reference, "انكسر", "web:visit:page-1",
                                                   [Upload("a.png", PNG)])
    # The same page posted again (a double click, a reload): the message already stored, on the follow-up.
    again = desk.tickets.customer_reply_with_files(closed.reference, "انكسر", "web:visit:page-1",
                                                   [Upload("a.png", PNG)])
    assert (again.message.id, again.ticket_id, again.follow_up_of) == (first.message.id, first.ticket_id,
                                                                       closed.reference)
    # The same words and files without a key (an API client's resend, within the window): the same.
    resent = desk.tickets.customer_reply_with_files(closed.reference, "انكسر", files=[Upload("a.png", PNG)],
                                                    channel="api")
    assert resent.message.id == first.message.id
    assert (count(desk, Ticket), count(desk, Attachment)) == (2, 1)
    # Other words are a new message to a closed ticket: another follow-up (Zendesk's too).
    other = desk.tickets.customer_reply_with_files(closed.reference, "وأيضًا الغطاء", channel="api")
    assert other.ticket_id not in (closed.id, first.ticket_id) and count(desk, Ticket) == 3


def test_the_same_words_after_the_window_start_another_follow_up(desk: Desk) -> None:
    closed = closed_ticket(desk)
    first = desk.tickets.customer_reply_with_files(closed.reference, "انكسر")
    with desk.db.session() as session:
        stored = session.get(Message, first.message.id)
        assert stored is not None
        stored.created_at = utcnow() - RESEND_WINDOW - timedelta(seconds=1)
    later = desk.tickets.customer_reply_with_files(closed.reference, "انكسر")
    assert later.ticket_id not in (closed.id, first.ticket_id)


def test_a_mail_to_a_closed_ticket_uses_the_same_follow_up(desk: Desk) -> None:
    """The mail path's follow-up is the one helper's: the closed ticket's customer, language, team, category and
    tags (it copied none of them, and took the language from the mail's words)."""
    closed = closed_ticket(desk)
    token = confirmed(desk, closed.id) and token_of(desk, closed.id)
    received = desk.mail_in.receive(plain_mail("It broke again, see the photo", f"Re: Parcel [#mz-{token}]",
                                               sender="omar@example.com"))
    assert received.outcome == "follow_up" and received.ticket_id != closed.id
    new = desk.tickets.get(received.ticket_id or 0)
    assert new is not None
    assert (new.customer_id, new.lang, new.team, new.category, new.subject, new.channel) == (
        closed.customer_id, "ar", "uae", "orders", "Parcel", "email")
    assert [t.tag for t in new.tags] == ["refund", "vip"] and new.context["follow_up_of"] == closed.reference
    assert [t.id for t in desk.tickets.follow_up_links(closed).later] == [new.id]


def test_a_customer_message_may_be_files_alone(desk: Desk) -> None:
    solved = closed_ticket(desk, "solved")
    reply = desk.tickets.customer_reply_with_files(solved.reference, " \r\n", files=[Upload("a.png", PNG)])
    assert reply.message.body == "" and [a.filename for a in reply.files] == ["a.png"]
    assert reply.ticket_status == "open"
    with pytest.raises(InputError, match=r"^message: is empty$"):
        desk.tickets.customer_reply_with_files(solved.reference, "  ")
    # To a closed ticket: a follow-up whose first message is the files.
    desk.tickets.update(solved.id, status="closed")
    follow_up = desk.tickets.customer_reply_with_files(solved.reference, "", files=[Upload("b.pdf", PDF)])
    assert follow_up.ticket_id != solved.id and follow_up.message.body == ""
    assert [a.filename for a in follow_up.files] == ["b.pdf"]


def test_a_new_ticket_may_be_files_alone_but_not_nothing(desk: Desk) -> None:
    new = NewTicket(email="lina@example.com", subject="Broken screen", body="", channel="web")
    made = desk.tickets.create(new, [Upload("screen.png", PNG)])
    assert made.messages[0].body == "" and len(desk.attachments.for_ticket(made.id)) == 1
    with pytest.raises(InputError, match=r"^body: is empty$"):
        desk.tickets.create(new)
    assert count(desk, Ticket) == 1


def test_an_agents_reply_may_be_files_alone(desk: Desk) -> None:
    ticket = desk.tickets.create(NewTicket(email="lina@example.com", subject="Invoice", body="Send the invoice"))
    agent = desk.accounts.create_agent("agent@example.com", "a long enough password", name="Sara")
    sent = desk.tickets.send_reply(ticket.id, agent.id, "", files=[Upload("invoice.pdf", PDF)])
    assert sent.message.body == "" and not sent.resent
    with desk.db.session() as session:
        mail = session.scalars(select(OutboxMail).where(OutboxMail.kind == "reply")).one()
        assert mail.message_id == sent.message.id
    with pytest.raises(InputError, match=r"^body: is empty$"):
        desk.tickets.send_reply(ticket.id, agent.id, "  ")


def test_an_agents_reply_to_a_closed_ticket_is_refused_and_a_follow_up_carries_it(desk: Desk) -> None:
    """Session 27 left it: an agent's reply on a closed ticket reopened it (pending). Now it is final, as the
    customer's side is: the reply is refused naming the ticket, and `agent_follow_up` starts the linked follow-up,
    the reply its first message (the agent's, mailed as a reply, not confirmed), the closed ticket untouched."""
    closed = closed_ticket(desk)
    agent = desk.accounts.agents()[0]
    before = [(m.author, m.body) for m in closed.messages]
    with pytest.raises(InputError, match=r"^ticket: ticket #\d+ is closed: create a follow-up"):
        desk.tickets.send_reply(closed.id, agent.id, "هل وصلك المبلغ؟")
    still = desk.tickets.get(closed.id)
    assert still is not None and still.status == "closed" and [(m.author, m.body) for m in still.messages] == before

    sent = desk.tickets.agent_follow_up(closed.id, agent.id, "هل وصلك المبلغ؟", files=[Upload("إيصال.pdf", PDF)])
    new = desk.tickets.get(sent.message.ticket_id)
    assert new is not None and new.id != closed.id and not sent.resent
    assert (new.customer_id, new.lang, new.team, new.category, new.context["follow_up_of"]) == (
        closed.customer_id, "ar", "uae", "orders", closed.reference)
    assert [t.tag for t in new.tags] == ["refund", "vip"]
    assert [(m.author, m.agent_id, m.body, m.internal) for m in new.messages] == [
        ("agent", agent.id, "هل وصلك المبلغ؟", False)]
    assert (new.status, new.assignee_id, new.due_at) == ("pending", agent.id, None)
    assert new.first_response_at is not None
    assert [a.filename for a in desk.attachments.for_ticket(new.id)] == ["إيصال.pdf"]
    with desk.db.session() as session:
        kinds = session.scalars(select(OutboxMail.kind).where(OutboxMail.ticket_id == new.id)).all()
    assert kinds == ["reply"]  # mailed as a reply; no "we received your request" for the agent's own message
    assert [t.id for t in desk.tickets.follow_up_links(closed).later] == [new.id]
    still = desk.tickets.get(closed.id)
    assert still is not None and still.status == "closed" and len(still.messages) == len(before)

    # The same page posted again (a double click): the follow-up already started, no second ticket or mail.
    again = desk.tickets.agent_follow_up(closed.id, agent.id, "هل وصلك المبلغ؟", files=[Upload("إيصال.pdf", PDF)])
    assert again.resent and again.message.id == sent.message.id and count(desk, Ticket) == 2
    # Only a closed ticket takes a follow-up; an open one is answered on itself. Neither text nor files: refused.
    with pytest.raises(InputError, match=r"^ticket: ticket #\d+ is not closed: reply on it$"):
        desk.tickets.agent_follow_up(new.id, agent.id, "x")
    with pytest.raises(InputError, match=r"^body: is empty$"):
        desk.tickets.agent_follow_up(closed.id, agent.id, " ")
    assert count(desk, Ticket) == 2


def test_a_note_may_be_files_alone(desk: Desk) -> None:
    ticket = desk.tickets.create(NewTicket(email="lina@example.com", subject="Parcel", body="Damaged"))
    agent = desk.accounts.create_agent("agent@example.com", "a long enough password", name="Sara")
    note = desk.notes.add(ticket.id, agent.id, " \n", files=[Upload("courier-scan.png", PNG)])
    found = desk.tickets.get(ticket.id)
    assert found is not None and [(m.body, m.internal) for m in found.messages][-1] == ("", True)
    assert [a.filename for a in desk.attachments.by_message(ticket.id)[note.message_id]] == ["courier-scan.png"]
    with pytest.raises(InputError, match=r"^note: is empty$"):
        desk.notes.add(ticket.id, agent.id, "  ")
