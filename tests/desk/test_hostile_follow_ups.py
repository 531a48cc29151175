"""Follow-ups of closed tickets under hostile sequences (session 28): a customer writing again and again, by the
ticket's page, the API and mail, to tickets that agents meanwhile solve, close and merge, so that messages reach a
closed follow-up of a closed ticket (a chain), a merged duplicate, or a ticket whose follow-up is itself closed;
and the mail loops a follow-up's confirmation could start (an auto-reply, the desk's own address).

hypothesis draws the sequence. After each step: a message to a merged duplicate is a message to the ticket its
conversation lives on (`TicketStore.live_ticket`), and that ticket is the one addressed below. A message to a ticket
that is not closed is on that ticket; one to a closed ticket is the first message of a new, open follow-up of the
same customer that names the closed ticket (`follow_up_of`, linked both ways); the same words sent again at once give
back the message already stored; no message is lost or written twice; an auto-reply or a mail from the desk itself
never starts a ticket. A merge of a closed ticket is refused, nothing written (session 29: a closed ticket is final),
and one goes into the newest other ticket neither merged nor closed. A real Desk on SQLite, and PostgreSQL with
`--postgresql`. KB_FUZZ_EXAMPLES (default 40) examples.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from desk.desk import Desk
from desk.models import Customer, Message, Ticket
from desk.tickets import FOLLOW_UP_OF, ClosedTicketError, NewTicket, TicketStore
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.desk.test_mail_in import confirmed, plain_mail, token_of

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
# (what, which ticket: an index into the tickets made so far, counted from the newest)
STEP = st.tuples(st.sampled_from(["page", "api", "mail", "again", "auto", "own", "solve", "close", "merge"]),
                 st.integers(min_value=0, max_value=6))


def messages(desk: Desk) -> int:
    with desk.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Message)) or 0)


def every_ticket(desk: Desk, customer: str) -> list[Ticket]:
    """The customer's tickets, oldest first (each example writes as a customer of its own)."""
    with desk.db.session() as session:
        return list(session.scalars(select(Ticket).join(Customer).where(Customer.email == customer)
                                    .order_by(Ticket.id)))


def live(desk: Desk, ticket: Ticket) -> Ticket:
    """Where a customer's message to `ticket` belongs (`TicketStore.live_ticket`)."""
    with desk.db.session() as session:
        row = session.get(Ticket, ticket.id)
        assert row is not None
        return TicketStore.live_ticket(session, row)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests())) as opened:
        opened.accounts.create_agent("agent@example.com", "a long enough password", name="Agent")
        yield opened


@FUZZ
@given(steps=st.lists(STEP, min_size=1, max_size=12))
# A closed follow-up of a closed ticket, written to at both ends of the chain, by the page and by mail.
@example(steps=[("close", 0), ("page", 0), ("close", 0), ("page", 0), ("mail", 1), ("mail", 2), ("again", 0)])
# A merged duplicate written to (on the merge's target), the merge's target closed and written to.
@example(steps=[("close", 0), ("page", 0), ("page", 1), ("merge", 0), ("page", 0), ("close", 1), ("api", 0)])
# A follow-up's confirmation answered by an out-of-office and by the desk's own address: no ticket, no reopening.
@example(steps=[("close", 0), ("mail", 0), ("auto", 0), ("own", 0), ("solve", 0), ("auto", 0), ("own", 1)])
def test_a_message_lands_on_an_open_ticket_once_whatever_the_chain(desk: Desk, steps: list[tuple[str, int]]
                                                                    ) -> None:
    customer = f"lina.{secrets.token_hex(4)}@example.com"
    agent_row = desk.accounts.find("agent@example.com")
    assert agent_row is not None
    agent = agent_row.id
    desk.tickets.create(NewTicket(email=customer, subject="Parcel", body="Where is my parcel?"))
    last_words: dict[int, str] = {}
    for number, (what, back) in enumerate(steps):
        tickets = every_ticket(desk, customer)
        addressed = tickets[-1 - back % len(tickets)]
        ticket = live(desk, addressed)
        before, count = messages(desk), len(tickets)
        words = f"Message {number}"
        if what in ("page", "api", "again"):
            if what == "again" and ticket.id in last_words:
                words = last_words[ticket.id]  # the same words at once: a resend
            reply = desk.tickets.customer_reply_with_files(addressed.reference, words,
                                                           channel="api" if what == "api" else "web")
            landed = desk.tickets.get(reply.ticket_id)
            assert landed is not None and landed.customer_id == ticket.customer_id
            assert reply.merged_from == (addressed.reference if addressed.id != ticket.id else None)
            if what == "again" and ticket.id in last_words and messages(desk) == before:
                continue  # a resend: the message stored moments ago given back, wherever it is now
            assert messages(desk) == before + 1 and landed.status != "closed"
            if ticket.status == "closed" and messages(desk) == before + 1:
                assert reply.ticket_id != ticket.id and landed.context[FOLLOW_UP_OF] == ticket.reference
                assert len(every_ticket(desk, customer)) == count + 1
                links = desk.tickets.follow_up_links(landed)
                assert links.of is not None and links.of.id == ticket.id
            elif ticket.status != "closed":
                assert reply.ticket_id == ticket.id and len(every_ticket(desk, customer)) == count
            last_words[ticket.id] = words
            last_words[reply.ticket_id] = words
        elif what in ("mail", "auto", "own"):
            confirmed(desk, addressed.id)
            token = token_of(desk, addressed.id)
            sender = "support@manzil.example" if what == "own" else customer
            extra = {"Auto_Submitted": "auto-replied"} if what == "auto" else {}
            received = desk.mail_in.receive(plain_mail(words, f"Re: Parcel [#mz-{token}]", sender=sender, **extra))
            if what == "mail":
                assert received.outcome == ("follow_up" if ticket.status == "closed" else "continued")
                landed = desk.tickets.get(received.ticket_id or 0)
                assert landed is not None and landed.status != "closed"
                assert len(every_ticket(desk, customer)) == count + (ticket.status == "closed")
            else:  # an out-of-office or the desk's own mail: never a ticket, never a reopened one
                assert received.outcome in ("automatic", "loop"), received
                assert len(every_ticket(desk, customer)) == count
                assert [t.status for t in every_ticket(desk, customer)] == [t.status for t in tickets]
        elif what in ("solve", "close"):  # the agents' side: the ticket addressed, merged or not
            if addressed.status != "closed":
                desk.tickets.update(addressed.id, status="solved" if what == "solve" else "closed", agent_id=agent)
        elif what == "merge" and addressed.merged_into_id is None:
            # Into the newest other ticket that is neither merged away nor closed: the only targets a merge takes.
            targets = [t for t in tickets if t.id != addressed.id and t.merged_into_id is None and t.status != "closed"]
            if targets and addressed.status == "closed":  # final: refused, nothing written
                with pytest.raises(ClosedTicketError):
                    desk.tickets.merge(addressed.id, targets[-1].id, agent, "Merged into your other ticket.")
                assert messages(desk) == before
            elif targets:
                desk.tickets.merge(addressed.id, targets[-1].id, agent, "Merged into your other ticket.")
                assert messages(desk) == before + 1  # the notice; the duplicate's messages moved, none lost
    # Every follow-up names a ticket of the same customer, and nothing is left between two tickets.
    tickets = every_ticket(desk, customer)
    references = {t.reference: t for t in tickets}
    for ticket in tickets:
        earlier = (ticket.context or {}).get(FOLLOW_UP_OF)
        if earlier is not None:
            assert earlier in references and references[earlier].customer_id == ticket.customer_id
            assert references[earlier].id < ticket.id
