"""Held mail (desk.mail.held): what `receive` refused, looped or took for a machine's is listed to agents, previewed,
recovered from the kept original or deleted, each in one transaction. Real MIME from the email package, the real
receiver, SQLite and (`--postgresql`) PostgreSQL, the real `kb mail held` command."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from desk.desk import Desk
from desk.mail.listener import start_listener
from desk.mail.receive import UnparseableMail
from desk.models import Customer, InboundMail, Ticket, utcnow
from desk.tickets import InputError
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.desk.test_mail_in import confirmed, plain_mail, token_of
from tests.smtp_sink import free_port
from webapp.cli import main

NO_SENDER = b"To: support@manzil.example\nSubject: Refund for order 5512\n\nMy refund for order 5512 never came.\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests())


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    opened = Desk(settings)
    yield opened
    opened.close()


def agent_id(desk: Desk) -> int:
    return desk.accounts.create_agent("agent@example.com", "a long enough password", name="Agent").id


def refuse(desk: Desk, raw: bytes) -> int:
    with pytest.raises(UnparseableMail):
        desk.mail_in.receive(raw)
    with desk.db.session() as session:
        return session.scalar(select(func.max(InboundMail.id))) or 0


def inbound(desk: Desk, inbound_id: int) -> InboundMail:
    with desk.db.session() as session:
        row = session.get(InboundMail, inbound_id)
        assert row is not None
        return row


def test_refused_looped_and_ticketless_machine_mail_is_listed_newest_first_with_its_reason(desk: Desk) -> None:
    first = desk.mail_in.receive(plain_mail("Where is my order?"))
    token = confirmed(desk, first.ticket_id or 0) and token_of(desk, first.ticket_id or 0)
    noted = desk.mail_in.receive(plain_mail("Away", f"Auto: [#mz-{token}]", Auto_Submitted="auto-replied"))
    assert noted.ticket_id == first.ticket_id  # a note on its ticket: seen there, not held
    refused = refuse(desk, NO_SENDER)
    looped = desk.mail_in.receive(plain_mail("copy", sender="support@manzil.example"))
    bulk = desk.mail_in.receive(plain_mail("Offers", "Newsletter", Precedence="bulk"))
    invalid = desk.mail_in.receive(plain_mail("Hello", sender="lina@localhost"))
    assert invalid.outcome == "rejected"
    with desk.db.session() as session:  # the refused mail arrived first: it is listed last
        session.execute(update(InboundMail).where(InboundMail.id == refused)
                        .values(received_at=utcnow() - timedelta(hours=1)))
    page = desk.held_mail.page()
    assert [m.id for m in page.rows] == [invalid.inbound_id, bulk.inbound_id, looped.inbound_id, refused]
    assert page.total == desk.held_mail.count() == 4
    reasons = [(m.reason, m.on_purpose) for m in page.rows]
    assert reasons == [("email: 'lina@localhost' is not an email address", False), ("Precedence: bulk", True),
                       ("our own mail came back", True), ("no sender address (From)", False)]
    second = desk.held_mail.page(limit=2, offset=2)
    assert [m.id for m in second.rows] == [looped.inbound_id, refused] and second.total == 4


def test_recover_makes_the_ticket_receive_would_have_and_says_who_and_when(desk: Desk, settings: Settings) -> None:
    agent = agent_id(desk)
    held = refuse(desk, NO_SENDER)
    assert "My refund for order 5512 never came." in desk.held_mail.preview(held)
    with pytest.raises(InputError, match="email"):
        desk.held_mail.recover(held, agent, sender="not an address")
    received = desk.held_mail.recover(held, agent, sender="Lina@Example.com")
    assert received.outcome == "created" and received.inbound_id == held
    ticket = desk.tickets.get(received.ticket_id or 0)
    assert ticket is not None and ticket.subject == "Refund for order 5512"
    assert ticket.customer.email == "lina@example.com"
    assert ticket.messages[0].body == "My refund for order 5512 never came."
    row = inbound(desk, held)
    assert (row.settled, row.settled_by_id, row.outcome, row.ticket_id) == ("recovered", agent, "created", ticket.id)
    assert row.settled_at is not None and desk.held_mail.count() == 0
    assert (settings.data_dir / row.raw_path).exists()
    with pytest.raises(InputError, match="mail: is not held"):
        desk.held_mail.recover(held, agent, sender="lina@example.com")
    assert desk.tickets.inbox()[1] == 1


def test_a_recovered_reply_continues_the_thread_it_answers(desk: Desk) -> None:
    first = desk.mail_in.receive(plain_mail("Where is my order?"))
    token = confirmed(desk, first.ticket_id or 0) and token_of(desk, first.ticket_id or 0)
    held = refuse(desk, f"Subject: Re: Where [#mz-{token}]\n\nIt came today, thanks.\n".encode())
    received = desk.held_mail.recover(held, None, sender="lina@example.com")
    assert received.outcome == "continued" and received.ticket_id == first.ticket_id
    ticket = desk.tickets.get(first.ticket_id or 0)
    assert ticket is not None and ticket.messages[-1].body == "It came today, thanks."
    assert desk.tickets.inbox()[1] == 1


def test_loops_and_auto_replies_are_recovered_only_when_confirmed(desk: Desk) -> None:
    bulk = desk.mail_in.receive(plain_mail("Please call me back about my order", "Call me", Precedence="bulk"))
    with pytest.raises(InputError, match=r"confirm: this mail was refused on purpose \(Precedence: bulk\)"):
        desk.held_mail.recover(bulk.inbound_id or 0, None)
    assert desk.held_mail.count() == 1 and desk.tickets.inbox()[1] == 0
    received = desk.held_mail.recover(bulk.inbound_id or 0, None, confirm=True)
    assert received.outcome == "created" and inbound(desk, bulk.inbound_id or 0).settled == "recovered"
    ticket = desk.tickets.get(received.ticket_id or 0)
    assert ticket is not None and ticket.messages[0].body == "Please call me back about my order"


def test_a_recover_that_fails_again_writes_nothing_and_keeps_the_mail_held_with_the_new_reason(
    desk: Desk, settings: Settings
) -> None:
    invalid = desk.mail_in.receive(plain_mail("Hello", sender="lina@localhost")).inbound_id or 0
    with desk.db.session() as session:  # as an older version of the desk worded it
        session.execute(update(InboundMail).where(InboundMail.id == invalid).values(reason="an old reason"))
    again = desk.held_mail.recover(invalid, agent_id(desk))
    assert again.outcome == "rejected" and again.reason == "email: 'lina@localhost' is not an email address"
    row = inbound(desk, invalid)
    assert (row.settled, row.settled_by_id, row.reason, row.ticket_id) == (None, None, again.reason, None)
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
    gone = refuse(desk, NO_SENDER.replace(b"5512", b"5513"))
    (settings.data_dir / inbound(desk, gone).raw_path).unlink()
    lost = desk.held_mail.recover(gone, None, sender="lina@example.com")
    assert lost.outcome == "rejected" and (lost.reason or "").startswith("the original is not readable")
    assert inbound(desk, gone).reason == lost.reason and desk.held_mail.count() == 2


def test_delete_keeps_the_row_and_the_original_and_says_who(desk: Desk, settings: Settings) -> None:
    agent = agent_id(desk)
    held = refuse(desk, NO_SENDER)
    desk.held_mail.delete(held, agent)
    row = inbound(desk, held)
    assert (row.settled, row.settled_by_id, row.outcome) == ("deleted", agent, "rejected")
    assert (settings.data_dir / row.raw_path).exists() and desk.held_mail.count() == 0
    with pytest.raises(InputError, match="mail: is not held"):
        desk.held_mail.recover(held, agent, sender="lina@example.com")
    with pytest.raises(InputError, match="mail: is not held"):
        desk.held_mail.delete(held, agent)
    assert desk.held_mail.get(held) is None and desk.tickets.inbox()[1] == 0


def test_kb_mail_held_lists_what_the_page_lists(tmp_path: Path) -> None:
    where = ["--data", str(tmp_path / "data")]
    runner = CliRunner()
    assert runner.invoke(main, ["mail", "receive", *where], input=NO_SENDER).exit_code == 65
    listed = runner.invoke(main, ["mail", "held", *where])
    assert listed.exit_code == 0, listed.output
    line, total = listed.output.splitlines()
    assert line.split("\t")[2:] == ["rejected", "-", "Refund for order 5512", "no sender address (From)"]
    assert total == "1 held"


def test_mail_refused_over_smtp_is_held_then_recovered_into_a_ticket_with_its_text(desk: Desk) -> None:
    """End to end on the loopback SMTP listener the mail tests use: the relay is told 554, the mail is kept."""
    port = free_port()
    controller = start_listener(desk.mail_in, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("lina@example.com", ["support@manzil.example"], NO_SENDER)
        assert refused.value.smtp_code // 100 == 5
    finally:
        controller.stop()
    (held,) = desk.held_mail.page().rows
    assert held.channel == "smtp" and held.subject == "Refund for order 5512"
    received = desk.held_mail.recover(held.id, None, sender="lina@example.com")
    ticket = desk.tickets.get(received.ticket_id or 0)
    assert ticket is not None and ticket.messages[0].body == "My refund for order 5512 never came."
