"""Deleted tickets and blocked senders under hostile input (task trashhostile36): a blocked address holds its
plus-addresses and an international domain typed either way, an empty domain label is refused, an agent's address or
domain and the desk's own are never blocked (nor by "Mark as spam"), and a restore that meets a purge pass refuses
rather than bringing back a ticket whose files the pass removes. Real desk, SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from desk.desk import Desk
from desk.mail.attachments import Upload
from desk.models import Attachment, SideConversation, Ticket
from desk.tickets import InputError, NewTicket
from tests.desk.test_mail_in import plain_mail
from tests.desk.test_trash import desk, lead  # noqa: F401


def outcome(desk: Desk, sender: str) -> str:  # noqa: F811
    return desk.mail_in.receive(plain_mail("Buy now", "Cheap", sender)).outcome


def test_a_block_holds_plus_addresses_and_an_international_domain_typed_either_way(desk: Desk) -> None:  # noqa: F811
    """Before: "spam+x@junk.example" walked past the block of "spam@junk.example", and "@bücher.example" held none of
    the mail sent from its ASCII form (as mail's DNS names it); "@a..b" was stored as a domain."""
    by = lead(desk)
    spam = desk.tickets.create(NewTicket(email="spam@junk.example", subject="Cheap", body="Buy"))
    desk.trash.delete([spam.id], by, spam=True)
    assert outcome(desk, "Spam+Promo@junk.example") == "rejected"
    assert desk.trash.block("only+this@tagged.example") == "only+this@tagged.example"
    assert outcome(desk, "only@tagged.example") == "created"  # a tag's block holds that tag only
    assert desk.trash.block("@Bücher.Example") == "@xn--bcher-kva.example"
    assert outcome(desk, "x@xn--bcher-kva.example") == "rejected"
    form = desk.tickets.create(NewTicket(email="y@bücher.example", subject="Win", body="Click", channel="web"))
    assert form.deleted_reason == "spam"
    with pytest.raises(InputError, match="blocked already"):
        desk.trash.block("xn--bcher-kva.example")
    for typed in ("@a..b", "@", "@.", "a@b..example"):
        with pytest.raises(InputError) as refused:
            desk.trash.block(typed)
        assert refused.value.field == "address"
    assert [b.address for b in desk.trash.blocked().rows] == [
        "@xn--bcher-kva.example", "only+this@tagged.example", "spam@junk.example"]


def test_an_agents_address_or_domain_and_the_desks_own_are_never_blocked(desk: Desk) -> None:  # noqa: F811
    """Before: an admin blocked "@example.com" (every agent's mail held as spam) or the desk's own address, and
    "Mark as spam" of a ticket an agent opened from their own address blocked that agent."""
    by = lead(desk)
    for typed in ("Lead@Example.com", "@example.com", "example.com", "support@manzil.example", "@manzil.example"):
        with pytest.raises(InputError, match="agent's or the help desk's own") as refused:
            desk.trash.block(typed)
        assert refused.value.field == "address"
    own = desk.tickets.create(NewTicket(email="lead@example.com", subject="Test", body="Testing the form"))
    desk.trash.delete([own.id], by, spam=True)
    assert desk.trash.deleted().rows[0].reason == "spam" and desk.trash.blocked().rows == []
    assert outcome(desk, "lead@example.com") != "rejected"


def test_a_restore_meeting_a_purge_pass_refuses_rather_than_losing_the_files(desk: Desk) -> None:  # noqa: F811
    """Before: a restore between the purge's marking of the files and its removal of the ticket brought the ticket back
    with its file removed (its attachment emptied, "purged"). Now the pass holds the tickets while it marks them, and
    a restore of a ticket whose files are going refuses; the next pass removes it."""
    by = lead(desk)
    ticket, _ = desk.tickets.create_with_files(NewTicket(email="f@example.com", subject="Invoice", body="Attached"),
                                               [Upload("invoice.txt", b"total: 10")])
    desk.trash.delete([ticket.id], by)
    erasure = desk.trash.erasure
    assert erasure is not None
    remove_files = erasure.remove_files
    refusals: list[str] = []

    def restore_meanwhile(paths: list[str]) -> int:
        try:
            desk.trash.restore(ticket.id, by)
        except InputError as error:
            refusals.append(str(error))
        return remove_files(paths)

    erasure.remove_files = restore_meanwhile  # type: ignore[method-assign]
    assert desk.trash.purge(timedelta(0)) == 1
    assert refusals and "being deleted permanently" in refusals[0]
    assert desk.tickets.get(ticket.id) is None and desk.trash.deleted().total == 0
    with desk.db.session() as session:
        assert list(session.scalars(select(Attachment.id).where(Attachment.ticket_id == ticket.id))) == []


def test_nothing_landing_on_a_deleted_ticket_reaches_a_webhook_and_its_survey_takes_no_answer(
        desk: Desk) -> None:  # noqa: F811
    """Before: a blocked sender's form ticket sent `message.created` (its first message) to a CRM subscribed to it,
    a third party's reply to a deleted ticket's side conversation sent `side_conversation.replied`, and its survey took
    a rating (`csat.rated`, for a ticket every other route answers as none). Now a deleted ticket is heard of once, as
    deleted; its side reply is kept (nothing lost) and its survey answers "no such survey" until a restore."""
    from desk.models import WebhookDelivery
    from desk.surveys import SurveyError, open_survey
    from desk.tickets import utcnow

    by = lead(desk)
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["message.created", "side_conversation.replied",
                                                            "csat.rated", "ticket.deleted"])
    desk.trash.block("bot@junk.example")
    desk.tickets.create(NewTicket(email="bot@junk.example", subject="Win", body="Click", channel="web"))
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Parcel", body="Where is it?",
                                           channel="email"))
    side = desk.side_conversations.start(ticket.id, "desk@courier.example", "", "Please trace it.", by)
    with desk.db.session() as session:
        live = session.get(Ticket, ticket.id)
        assert live is not None
        token = open_survey(session, live, by.agent_id, utcnow()).token
        side_token = session.scalar(select(SideConversation.token).where(SideConversation.id == side.id))
    with desk.db.session() as session:
        before = len(session.scalars(select(WebhookDelivery.event_type)).all())
    desk.trash.delete([ticket.id], by)
    got = desk.mail_in.receive(plain_mail("It is in Jeddah.", "Re: Parcel", "desk@courier.example",
                                          To=f"support+{side_token}@manzil.example"))
    assert got.outcome == "side_reply"  # kept on the deleted ticket: nothing lost
    assert desk.surveys.by_token(token) is None
    with pytest.raises(SurveyError, match="no such survey"):
        desk.surveys.answer(token, 5)
    with desk.db.session() as session:
        events = list(session.scalars(select(WebhookDelivery.event_type).order_by(WebhookDelivery.id)))
    assert events[before:] == ["ticket.deleted"] and "message.created" in events[:before]
    assert [e for e in events if e == "message.created"] == ["message.created"]  # the live ticket's only
    desk.trash.restore(ticket.id, by)
    assert desk.surveys.answer(token, 5).rating == 5


def test_a_problem_with_incidents_is_not_deleted_until_they_are_unlinked(desk: Desk) -> None:  # noqa: F811
    """Before: the problem went, and each incident kept linking to it ("Incident of #N", a 404), with nothing left to
    solve them through; now the delete is refused, as a merge of such a problem is, and goes once they are unlinked."""
    by = lead(desk)
    problem = desk.tickets.create(NewTicket(email="a@example.com", subject="Outage", body="Down"))
    incident = desk.tickets.create(NewTicket(email="b@example.com", subject="Down for me", body="Down"))
    desk.problems.mark(problem.id, by.agent_id)
    desk.problems.link([incident.id], problem.id, by.agent_id)
    for spam in (False, True):
        with pytest.raises(InputError, match="problem with incidents") as refused:
            desk.trash.delete([incident.id, problem.id], by, spam=spam)
        assert refused.value.field == "ticket"
    assert desk.tickets.get(incident.id) is not None and desk.trash.deleted().total == 0  # all or nothing
    desk.problems.unlink(incident.id, by.agent_id)
    assert desk.trash.delete([problem.id], by) == 1
