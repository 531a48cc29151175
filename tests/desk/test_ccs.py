"""CCs on tickets (desk.ccs): a mail's Cc:/To: copy people on its ticket (never our addresses, never the requester,
capped), a CC's mail on the thread is their message and reopens a solved ticket, an agent's reply reaches a real SMTP
server on loopback with them in Cc: (the survey only to the requester), a CC removed gets nothing more even from a mail
queued before, erasure and merge, and the migration. SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from desk.audit import Actor, AuditQuery
from desk.desk import Desk
from desk.models import Customer, Message, OutboxMail, Ticket, TicketCc, TicketCcChange
from desk.tickets import InputError
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.desk.test_mail_out import deliver
from tests.smtp_sink import SmtpSink


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url_for_tests(), base_url="https://help.manzil.example",
                    mail_from="support@manzil.example", max_ccs=3)


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    opened = Desk(settings)
    yield opened
    opened.close()


def mail(body: str, sender: str = "lina@example.com", to: str = "support@manzil.example", cc: str = "",
         subject: str = "Invoice question", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def cc_emails(desk: Desk, ticket_id: int) -> list[str]:
    return [person.email for person in desk.ccs.of(ticket_id)]


def token_of(desk: Desk, ticket_id: int) -> str:
    from desk.mail.addresses import thread_token

    with desk.db.session() as session:
        return thread_token(session, session.get(Ticket, ticket_id))  # type: ignore[arg-type]


def test_a_mails_cc_and_other_to_addresses_become_ccs_never_ours_nor_the_requester_and_capped(desk: Desk) -> None:
    received = desk.mail_in.receive(mail(
        "Please copy my colleagues.",
        to="Support <support@manzil.example>, Sam Boss <Sam@Example.com>",
        cc="lina@example.com, support+abcdefghijklmnop@manzil.example, SAM@example.com, Rami <rami@example.com>, "
           "nour@example.com, huda@example.com",
    ))
    assert received.outcome == "created" and received.ticket_id is not None
    # Ours and the requester skipped, Sam once (case folded), three at most (KB_MAX_CCS=3 here): Huda is left out.
    assert cc_emails(desk, received.ticket_id) == ["sam@example.com", "rami@example.com", "nour@example.com"]
    people = {p.email: p.name for p in desk.ccs.of(received.ticket_id)}
    assert people["sam@example.com"] == "Sam Boss" and people["rami@example.com"] == "Rami"
    with desk.db.session() as session:  # each a customer record, found or created as a requester is
        assert session.scalar(select(Customer.id).where(Customer.email == "rami@example.com")) is not None
        assert session.scalar(select(Customer.id).where(Customer.email == "huda@example.com")) is None
        changes = session.scalars(select(TicketCcChange.kind).where(TicketCcChange.ticket_id == received.ticket_id))
        assert list(changes) == ["added"] * 3


def test_a_ccs_mail_on_the_thread_is_their_message_reopens_and_a_strangers_is_the_customers(desk: Desk) -> None:
    first = desk.mail_in.receive(mail("Help", cc="Rami <rami@example.com>"))
    assert first.ticket_id is not None
    ticket_id = first.ticket_id
    desk.tickets.update(ticket_id, status="solved")
    token = token_of(desk, ticket_id)
    again = desk.mail_in.receive(mail("I am Lina's manager; it is still wrong.", sender="rami@example.com",
                                            to=f"support+{token}@manzil.example", cc="lina@example.com"))
    assert again.outcome == "continued" and again.ticket_id == ticket_id
    stranger = desk.mail_in.receive(mail("Forwarded to me.", sender="zaid@example.com",
                                               to=f"support+{token}@manzil.example"))
    assert stranger.outcome == "continued"
    with desk.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status == "open"  # reopened as the requester's mail would
        rami = session.scalar(select(Customer.id).where(Customer.email == "rami@example.com"))
        authors = [(m.body, m.cc_customer_id) for m in session.scalars(
            select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id))]
    assert authors == [("Help", None), ("I am Lina's manager; it is still wrong.", rami), ("Forwarded to me.", None)]
    assert cc_emails(desk, ticket_id) == ["rami@example.com"]  # Lina (the requester) in the CC's Cc: is not a CC


def test_an_agents_reply_carries_the_ccs_and_the_survey_goes_to_the_requester_alone(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    settings = replace(settings, smtp_url=sink.url)
    ticket_id = desk.mail_in.receive(mail("Help", cc="Rami <rami@example.com>, nour@example.com")).ticket_id
    assert ticket_id is not None
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.reply(ticket_id, agent.id, "Looking into it.")
    desk.notes.add(ticket_id, agent.id, "Internal: check the invoice.")
    desk.tickets.reply(ticket_id, agent.id, "Fixed: the invoice is corrected.", status="solved")
    assert deliver(desk, settings) == 4  # confirmation, reply, reply, solved (with the survey)
    confirmation, reply, solving, solved = sink.messages
    assert confirmation["Cc"] is None and solved["Cc"] is None
    for sent in (reply, solving):
        assert sent["To"] == "lina@example.com" and sent["Cc"] == "rami@example.com, nour@example.com"
    assert sorted(sink.handler.envelopes[1][1]) == ["lina@example.com", "nour@example.com", "rami@example.com"]
    assert sink.handler.envelopes[3][1] == ["lina@example.com"]
    survey = desk.surveys.latest_for_ticket(ticket_id)
    assert survey is not None and survey.token in solved.get_body(("html",)).get_content()
    assert not any(survey.token in m.as_string() for m in (reply, solving))
    assert not any("Internal: check" in m.as_string() for m in sink.messages)


def test_a_removed_cc_gets_nothing_more_even_from_a_mail_queued_before(desk: Desk, settings: Settings,
                                                                        sink: SmtpSink) -> None:
    settings = replace(settings, smtp_url=sink.url)
    ticket_id = desk.mail_in.receive(mail("Help", cc="rami@example.com, nour@example.com")).ticket_id
    assert ticket_id is not None
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.reply(ticket_id, agent.id, "First answer.")
    with desk.db.session() as session:  # composed once already (a send that failed keeps its text for the retry)
        from desk.mail.compose import MAIL_POLICY, compose
        from webapp.mail_templates import EmailTemplates

        row = session.scalars(select(OutboxMail).where(OutboxMail.kind == "reply")).one()
        row.raw = compose(session, row, settings, EmailTemplates(settings)).as_string(policy=MAIL_POLICY)
        assert "rami@example.com" in row.raw
    assert desk.ccs.remove(ticket_id, "Rami@Example.com", Actor.agent(agent.id))
    assert deliver(desk, settings) == 2
    assert sink.messages[1]["Cc"] == "nour@example.com"
    assert "rami@example.com" not in sink.handler.envelopes[1][1]


def test_adding_refuses_by_field_and_records_history_and_audit(desk: Desk) -> None:
    ticket_id = desk.mail_in.receive(mail("Help")).ticket_id
    assert ticket_id is not None
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    by = Actor.agent(agent.id)
    for bad, problem in (("not an address", "is not an email address"), ("support@manzil.example", "own address"),
                         ("support+x@manzil.example", "own address"), ("LINA@example.com", "ticket's customer")):
        with pytest.raises(InputError) as refused:
            desk.ccs.add(ticket_id, bad, by)
        assert refused.value.field == "email" and problem in str(refused.value)
    assert desk.ccs.add(ticket_id, "rami@example.com", by) and not desk.ccs.add(ticket_id, "RAMI@example.com", by)
    for n in range(2):
        desk.ccs.add(ticket_id, f"c{n}@example.com", by)
    with pytest.raises(InputError, match="at most 3"):
        desk.ccs.add(ticket_id, "one.more@example.com", by)
    assert desk.ccs.remove(ticket_id, "rami@example.com", by) and not desk.ccs.remove(ticket_id, "rami@example.com", by)
    history = [(c.kind, c.email, c.agent_id) for c in desk.tickets.changes(ticket_id) if isinstance(c, TicketCcChange)]
    assert history == [("added", "rami@example.com", agent.id), ("added", "c0@example.com", agent.id),
                       ("added", "c1@example.com", agent.id), ("removed", "rami@example.com", agent.id)]
    events = desk.audit.page(AuditQuery(action="ticket_ccs_changed"), 0, 50).events
    assert len(events) == 4 and all(e.subject == str(ticket_id) and e.actor_id == agent.id for e in events)
    assert "rami" not in repr([(e.before, e.after) for e in events])  # customer ids, never addresses


def test_erasing_a_cc_takes_them_off_every_list_and_empties_what_they_wrote(desk: Desk) -> None:
    ticket_id = desk.mail_in.receive(mail("Help", cc="rami@example.com")).ticket_id
    assert ticket_id is not None
    token = token_of(desk, ticket_id)
    desk.mail_in.receive(mail("My phone is 0500000000", sender="rami@example.com",
                                    to=f"support+{token}@manzil.example"))
    rami = desk.erasure.by_email("rami@example.com")
    assert rami is not None
    result = desk.erasure.erase(rami.id, "rami@example.com")
    assert result.counts["ccs"] == 1
    assert cc_emails(desk, ticket_id) == []
    with desk.db.session() as session:
        bodies = list(session.scalars(select(Message.body).where(Message.ticket_id == ticket_id)))
        assert "Help" in bodies and not any("0500000000" in b for b in bodies)
        assert list(session.scalars(select(TicketCcChange.email).where(TicketCcChange.ticket_id == ticket_id))) == [""]


def test_merging_customers_moves_cc_rows(desk: Desk) -> None:
    ticket_id = desk.mail_in.receive(mail("Help", cc="rami.home@example.com")).ticket_id
    other = desk.mail_in.receive(mail("Another", sender="nour@example.com",
                                            cc="rami.home@example.com, rami@example.com")).ticket_id
    own = desk.mail_in.receive(mail("Mine", sender="rami@example.com", cc="rami.home@example.com")).ticket_id
    assert ticket_id and other and own
    duplicate, kept = desk.erasure.by_email("rami.home@example.com"), desk.erasure.by_email("rami@example.com")
    assert duplicate is not None and kept is not None
    desk.customers.merge(duplicate.id, kept.id)
    assert cc_emails(desk, ticket_id) == ["rami@example.com"]
    assert cc_emails(desk, other) == ["rami@example.com"]  # copied twice: one row
    assert cc_emails(desk, own) == []  # the kept customer's own ticket: not a CC of it
    with desk.db.session() as session:
        assert session.scalar(select(TicketCc).where(TicketCc.customer_id == duplicate.id)) is None


def test_the_ccs_migration_upgrades_ticket_triggers_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "ticket_triggers")
    migrate(db, command.upgrade, "ticket_ccs")
    tables = set(inspect(db.engine).get_table_names())
    assert {"ticket_ccs", "ticket_cc_changes"} <= tables
    assert "cc_customer_id" in {c["name"] for c in inspect(db.engine).get_columns("messages")}
    migrate(db, command.downgrade, "ticket_triggers")
    assert not {"ticket_ccs", "ticket_cc_changes"} & set(inspect(db.engine).get_table_names())
    assert "cc_customer_id" not in {c["name"] for c in inspect(db.engine).get_columns("messages")}
    db.close()
    assert url is None or url
