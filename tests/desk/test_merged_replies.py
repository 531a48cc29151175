"""A merged duplicate is empty and closed: its conversation lives on the ticket it was merged into. A customer's later
message to it, by mail to its thread or on its page or through the API (`customer_reply_with_files`), lands there
(`TicketStore.live_ticket`, following merges of merges), not on a follow-up of the empty duplicate; if that target is
closed the follow-up is the target's. A resend still finds the message stored on the target. On SQLite, and on
PostgreSQL with `--postgresql`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from desk.desk import Desk
from desk.models import InboundMail, Ticket
from desk.tickets import NewTicket, TicketStore
from kb.settings import Settings
from tests.desk.test_follow_ups import count
from tests.desk.test_mail_in import confirmed, plain_mail, token_of
from tests.desk.test_mail_out import settings  # noqa: F401  (a desk's settings over tmp_path)


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:  # noqa: F811
    opened = Desk(settings)
    yield opened
    opened.close()


def omars(desk: Desk, body: str) -> Ticket:
    return desk.tickets.create(NewTicket(email="omar@example.com", name="Omar", subject="Parcel", body=body))


def merged(desk: Desk, close_target: bool = False) -> tuple[Ticket, Ticket]:
    """Omar's duplicate merged into his first ticket (closed afterwards when `close_target`)."""
    agent = desk.accounts.create_agent("agent@example.com", "a long enough password", name="Sara").id
    target, duplicate = omars(desk, "It arrived broken"), omars(desk, "Broken parcel, again")
    confirmed(desk, duplicate.id)  # the duplicate's mail thread, as its confirmation made it
    desk.tickets.merge(duplicate.id, target.id, agent, "We merged your two requests into this one.")
    if close_target:
        desk.tickets.update(target.id, status="closed", agent_id=agent)
    found_target, found_duplicate = desk.tickets.get(target.id), desk.tickets.get(duplicate.id)
    assert found_target is not None and found_duplicate is not None
    return found_target, found_duplicate


def bodies(desk: Desk, ticket_id: int) -> list[str]:
    found = desk.tickets.get(ticket_id)
    assert found is not None
    return [m.body for m in found.messages]


def test_a_message_on_a_merged_tickets_page_or_api_lands_on_the_target(desk: Desk) -> None:
    target, duplicate = merged(desk)
    tickets_before = count(desk, Ticket)
    reply = desk.tickets.customer_reply_with_files(duplicate.reference, "Any news?", "web:visit:page-1")
    assert (reply.ticket_id, reply.reference, reply.merged_from, reply.follow_up_of, reply.ticket_status) == (
        target.id, target.reference, duplicate.reference, None, "open")
    assert bodies(desk, target.id)[-1] == "Any news?" and bodies(desk, duplicate.id) == []
    assert count(desk, Ticket) == tickets_before  # no follow-up of the empty duplicate
    # The same page posted twice: the message stored on the target, not a second one.
    again = desk.tickets.customer_reply_with_files(duplicate.reference, "Any news?", "web:visit:page-1")
    assert (again.message.id, again.ticket_id, again.merged_from) == (reply.message.id, target.id,
                                                                      duplicate.reference)
    # An API client's resend (the same words, no key, within the window): the same.
    resent = desk.tickets.customer_reply_with_files(duplicate.reference, "Any news?", channel="api")
    assert resent.message.id == reply.message.id and bodies(desk, target.id).count("Any news?") == 1
    # The target itself, addressed: no `merged_from`.
    direct = desk.tickets.customer_reply_with_files(target.reference, "Hello?", channel="api")
    assert (direct.ticket_id, direct.merged_from, direct.follow_up_of) == (target.id, None, None)


def test_a_mail_to_a_merged_tickets_thread_continues_the_target(desk: Desk) -> None:
    target, duplicate = merged(desk)
    received = desk.mail_in.receive(plain_mail("Still waiting", f"Re: Parcel [#mz-{token_of(desk, duplicate.id)}]",
                                               sender="omar@example.com"))
    assert (received.outcome, received.ticket_id, received.reference) == ("continued", target.id, target.reference)
    assert bodies(desk, target.id)[-1] == "Still waiting" and bodies(desk, duplicate.id) == []
    with desk.db.session() as session:
        row = session.scalar(select(InboundMail).where(InboundMail.id == received.inbound_id))
        assert row is not None and row.ticket_id == target.id


def test_a_chain_of_two_merges_is_followed_to_its_end(desk: Desk) -> None:
    middle, first = merged(desk)
    agent = desk.accounts.agents()[0].id
    last = omars(desk, "Third request about the parcel")
    desk.tickets.merge(middle.id, last.id, agent, "Merged again.")
    with desk.db.session() as session:
        row = session.get(Ticket, first.id)
        assert row is not None and TicketStore.live_ticket(session, row).id == last.id
    reply = desk.tickets.customer_reply_with_files(first.reference, "Where is it now?")
    assert (reply.ticket_id, reply.merged_from, reply.follow_up_of) == (last.id, first.reference, None)
    received = desk.mail_in.receive(plain_mail("And now?", f"Re: Parcel [#mz-{token_of(desk, first.id)}]",
                                               sender="omar@example.com"))
    assert (received.outcome, received.ticket_id) == ("continued", last.id)
    assert bodies(desk, last.id)[-2:] == ["Where is it now?", "And now?"]


def test_a_closed_target_gets_a_follow_up_of_its_own(desk: Desk) -> None:
    target, duplicate = merged(desk, close_target=True)
    reply = desk.tickets.customer_reply_with_files(duplicate.reference, "It broke again", "web:visit:page-2")
    new = desk.tickets.get(reply.ticket_id)
    assert new is not None and new.id not in (target.id, duplicate.id)
    assert (reply.follow_up_of, reply.follow_up_of_id, reply.merged_from) == (
        target.reference, target.id, duplicate.reference)
    assert new.context["follow_up_of"] == target.reference and bodies(desk, new.id) == ["It broke again"]
    assert [t.id for t in desk.tickets.follow_up_links(target).later] == [new.id]
    assert desk.tickets.follow_up_links(duplicate).later == []
    # Posted again: the follow-up's message, found though the post addressed the duplicate.
    again = desk.tickets.customer_reply_with_files(duplicate.reference, "It broke again", "web:visit:page-2")
    assert (again.message.id, again.ticket_id, again.follow_up_of) == (reply.message.id, new.id, target.reference)
    # By mail: a follow-up of the target too.
    received = desk.mail_in.receive(plain_mail("Photo attached", f"Re: Parcel [#mz-{token_of(desk, duplicate.id)}]",
                                               sender="omar@example.com"))
    assert received.outcome == "follow_up" and received.ticket_id not in (target.id, duplicate.id, new.id)
    by_mail = desk.tickets.get(received.ticket_id or 0)
    assert by_mail is not None and by_mail.context["follow_up_of"] == target.reference


def test_a_cycle_of_merges_ends(desk: Desk) -> None:
    """A into B, then B into A (a row from before merges refused it, tests/desk/test_closed_final.py): the walk stops
    before a ticket seen twice."""
    target, duplicate = merged(desk)
    with desk.db.session() as session:
        row = session.get(Ticket, target.id)
        assert row is not None
        row.merged_into_id, row.status = duplicate.id, "closed"  # as that merge left it
    with desk.db.session() as session:
        row = session.get(Ticket, duplicate.id)
        assert row is not None and TicketStore.live_ticket(session, row).id == target.id
    reply = desk.tickets.customer_reply_with_files(duplicate.reference, "Hello?")
    assert reply.follow_up_of == target.reference and reply.merged_from == duplicate.reference
    assert reply.ticket_id not in (target.id, duplicate.id) and bodies(desk, reply.ticket_id) == ["Hello?"]
