"""CCs follow the ticket (desk.ccs, Zendesk's behaviour): a merge copies the duplicate's CCs on the target, a
follow-up of a closed ticket inherits its CCs, a CC's mail to a closed ticket starts the follow-up as their words, and
a CC added by address alone takes the display name of a later mail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from desk.audit import Actor
from desk.desk import Desk
from desk.models import Customer, Message, Ticket, TicketCcChange
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.desk.test_ccs import cc_emails, mail, token_of


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url_for_tests(), base_url="https://help.manzil.example",
                    mail_from="support@manzil.example", max_ccs=3)


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    opened = Desk(settings)
    yield opened
    opened.close()


def history(desk: Desk, ticket_id: int) -> list[tuple[str, str, int | None]]:
    with desk.db.session() as session:
        return [(c.kind, c.email, c.agent_id) for c in session.scalars(
            select(TicketCcChange).where(TicketCcChange.ticket_id == ticket_id).order_by(TicketCcChange.id))]


def test_a_merge_copies_the_duplicates_ccs_on_the_target_and_names_those_over_the_cap(desk: Desk) -> None:
    target = desk.mail_in.receive(mail("Help", subject="Invoice", cc="sam@example.com, rami@example.com")).ticket_id
    source = desk.mail_in.receive(mail("Again", subject="Invoice again",
                                       cc="Rami@example.com, Nour <nour@example.com>, huda@example.com")).ticket_id
    assert target and source and target != source
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.merge(source, target, agent.id, "Merged.", over_cap="#%(source)s, at most %(limit)s: %(emails)s")
    # Rami once, Nour added, Huda over the cap of 3: named in an internal note on the target.
    assert cc_emails(desk, target) == ["sam@example.com", "rami@example.com", "nour@example.com"]
    assert history(desk, target)[2:] == [("added", "nour@example.com", agent.id)]
    with desk.db.session() as session:
        notes = [(m.body, m.agent_id) for m in session.scalars(
            select(Message).where(Message.ticket_id == target, Message.internal.is_(True)))]
    assert notes == [(f"#{source}, at most 3: huda@example.com", agent.id)]
    assert cc_emails(desk, source) == ["rami@example.com", "nour@example.com", "huda@example.com"]  # its own kept


def test_a_merge_never_copies_the_targets_requester_and_writes_no_note_within_the_cap(desk: Desk) -> None:
    target = desk.mail_in.receive(mail("Help", subject="Invoice")).ticket_id
    source = desk.mail_in.receive(mail("Again", subject="Invoice again", cc="rami@example.com")).ticket_id
    assert target and source
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    with desk.db.session() as session:  # as a customer merge leaves it (the requester copied on another ticket)
        lina = session.scalar(select(Customer.id).where(Customer.email == "lina@example.com"))
        from desk.models import TicketCc
        session.add(TicketCc(ticket_id=source, customer_id=lina))
    desk.tickets.merge(source, target, agent.id, "Merged.")
    assert cc_emails(desk, target) == ["rami@example.com"]
    with desk.db.session() as session:
        assert session.scalar(select(Message.id).where(Message.ticket_id == target, Message.internal.is_(True))) \
            is None


def test_a_follow_up_inherits_the_closed_tickets_ccs_with_history(desk: Desk) -> None:
    closed = desk.mail_in.receive(mail("Help", cc="Rami <rami@example.com>, nour@example.com")).ticket_id
    assert closed
    desk.tickets.update(closed, status="closed")
    token = token_of(desk, closed)
    later = desk.mail_in.receive(mail("It broke again.", to=f"support+{token}@manzil.example"))
    assert later.outcome == "follow_up" and later.ticket_id and later.ticket_id != closed
    assert cc_emails(desk, later.ticket_id) == ["rami@example.com", "nour@example.com"]
    assert history(desk, later.ticket_id) == [("added", "rami@example.com", None), ("added", "nour@example.com", None)]
    # An agent's follow-up too, the history rows theirs.
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.update(later.ticket_id, status="closed")
    sent = desk.tickets.agent_follow_up(later.ticket_id, agent.id, "We fixed it for good.")
    assert sent.message.ticket_id != later.ticket_id
    assert cc_emails(desk, sent.message.ticket_id) == ["rami@example.com", "nour@example.com"]
    assert {row[2] for row in history(desk, sent.message.ticket_id)} == {agent.id}


def test_a_ccs_mail_to_a_closed_ticket_starts_the_follow_up_as_their_words(desk: Desk) -> None:
    closed = desk.mail_in.receive(mail("Help", cc="rami@example.com")).ticket_id
    assert closed
    desk.tickets.update(closed, status="closed")
    token = token_of(desk, closed)
    later = desk.mail_in.receive(mail("Still wrong, says the manager.", sender="Rami <rami@example.com>",
                                      to=f"support+{token}@manzil.example"))
    assert later.outcome == "follow_up" and later.ticket_id
    with desk.db.session() as session:
        ticket = session.get(Ticket, later.ticket_id)
        rami = session.scalar(select(Customer.id).where(Customer.email == "rami@example.com"))
        assert ticket is not None and ticket.customer.email == "lina@example.com"  # the requester stays
        assert [(m.body, m.cc_customer_id) for m in ticket.messages] == [("Still wrong, says the manager.", rami)]
    assert cc_emails(desk, later.ticket_id) == ["rami@example.com"]  # the CC stays a CC


def test_a_cc_added_by_address_takes_a_later_mails_display_name_never_overwriting_one(desk: Desk) -> None:
    ticket_id = desk.mail_in.receive(mail("Help")).ticket_id
    assert ticket_id
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.ccs.add(ticket_id, "rami@example.com", Actor.agent(agent.id))
    desk.ccs.add(ticket_id, "nour@example.com", Actor.agent(agent.id))
    token = token_of(desk, ticket_id)
    desk.mail_in.receive(mail("Copying Nour again.", to=f"support+{token}@manzil.example",
                              cc="Nour Haddad <nour@example.com>"))
    desk.mail_in.receive(mail("From Rami.", sender="Rami Saleh <rami@example.com>",
                              to=f"support+{token}@manzil.example"))
    desk.mail_in.receive(mail("Again.", sender="Someone Else <rami@example.com>", to=f"support+{token}@manzil.example",
                              cc="Other Name <nour@example.com>"))
    assert {p.email: p.name for p in desk.ccs.of(ticket_id)} == {"rami@example.com": "Rami Saleh",
                                                                  "nour@example.com": "Nour Haddad"}
