"""Agents hear by email when someone else assigns them a ticket or a note @mentions them (desk.agent_notices; Zendesk's
"Notify assignee of assignment" trigger and @mention email, Chatwoot's per-agent email notifications): queued with
the change, sent by the outbox over real SMTP on loopback, in the agent's language, one per ticket (a bulk assignment
of three is three), threaded per ticket (the same subject, In-Reply-To and References to the earlier notices), marked
Auto-Submitted, outside the customer's thread; never to the agent who did it, an inactive agent or one who turned it
off; a light agent mentioned gets it, an agent set away too. The profile's two checkboxes (on by default), a bad value
refused by its field with nothing written; and the migration up and down. `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import inspect, select

from desk.audit import SYSTEM, Actor
from desk.desk import Desk
from desk.mail.parse import parse_mail
from desk.mail.receive import find_ticket
from desk.models import Agent, OutboxMail
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_at, migrate
from tests.desk.test_auto_assign import agent, open_desk
from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from webapp import create_app
from webapp.mail_commands import deliver_pending_mail

BASE = "https://help.manzil.example"
BEFORE = "follow_up_starts"  # agent_notify_mail's down_revision


@pytest.fixture
def app(light_settings: Settings, sink: SmtpSink) -> Flask:  # noqa: F811
    app = create_app(replace(light_settings, smtp_url=sink.url, base_url=BASE))
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("huda@example.com", PASSWORD, name="Huda", role="lead")
    accounts.create_agent("amal@example.com", PASSWORD, name="Amal")
    accounts.create_agent("lina@example.com", PASSWORD, name="Lina", role="light")
    return app


def desk_of(app: Flask) -> Desk:
    return app.extensions["desk"]


def agent_id(app: Flask, email: str) -> int:
    return desk_of(app).accounts.find(email).id


def deliver(app: Flask, sink: SmtpSink, to: str) -> list[EmailMessage]:  # noqa: F811
    """Send what is queued; the mails `to` received, in order."""
    deliver_pending_mail(desk_of(app), app.extensions["settings"])
    return [m for m in sink.messages if m["To"] == to]


def notices(app: Flask) -> list[OutboxMail]:
    with desk_of(app).db.session() as session:
        return list(session.scalars(select(OutboxMail).where(OutboxMail.kind.in_(("assigned", "mentioned")))
                                    .order_by(OutboxMail.id)))


def texts(mail: EmailMessage) -> tuple[str, str]:
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def new_ticket(app: Flask, number: int = 1) -> int:
    made = NewTicket(email=f"c{number}@example.com", name="Noor", subject=f"Refund {number}",
                     body="Where is my refund?", lang="en")
    return desk_of(app).tickets.create(made).id


def test_an_assignment_and_a_mention_reach_the_agent_by_mail_threaded_per_ticket(
        app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    desk = desk_of(app)
    huda, amal = agent_id(app, "huda@example.com"), agent_id(app, "amal@example.com")
    ticket_id = new_ticket(app)
    reference = desk.tickets.get(ticket_id).reference  # type: ignore[union-attr]
    desk.tickets.update(ticket_id, assignee_id=amal, agent_id=huda)
    [assigned] = deliver(app, sink, "amal@example.com")
    text, html = texts(assigned)
    assert str(assigned["Subject"]) == f"Ticket {reference}: Refund 1"
    assert assigned["Auto-Submitted"] == "auto-generated" and assigned["Content-Language"] == "en"
    assert assigned["Reply-To"] is None and assigned["In-Reply-To"] is None  # the first notice of the ticket
    assert "Hello Amal," in text and "Huda assigned you this ticket." in text and "Huda assigned you" in html
    link = f"{BASE}/agent/tickets/{ticket_id}"
    assert link in text and f'href="{link}"' in html and "/my-tickets" not in text + html
    assert "internal note" not in text
    # A note by Huda mentioning Amal (and Huda herself: never her own mail): the same thread.
    desk.notes.add(ticket_id, huda, "@amal @huda the customer paid twice <b>check</b>, refund one")
    mails = deliver(app, sink, "amal@example.com")
    assert len(mails) == 2 and [m["To"] for m in sink.messages].count("huda@example.com") == 0
    mention = mails[1]
    text, html = texts(mention)
    assert str(mention["Subject"]) == str(assigned["Subject"])  # one conversation per ticket in a mail client
    assert mention["In-Reply-To"] == assigned["Message-ID"] and mention["References"] == assigned["Message-ID"]
    assert "Huda mentioned you in an internal note on this ticket:" in text
    assert "the customer paid twice <b>check</b>, refund one" in text and "&lt;b&gt;check&lt;/b&gt;" in html
    assert "This is an internal note: only agents see it; the customer was not sent it." in text
    # The customer's thread knows nothing of them: the ticket's delivery states, the reply's References, a reply to
    # the notice (matched to no ticket).
    assert {state.kind for state in desk.outbox.states_for_ticket(ticket_id).values()} == {"confirmation"}
    desk.tickets.reply(ticket_id, huda, "We are on it.")
    [confirmation, reply] = deliver(app, sink, "c1@example.com")
    assert assigned["Message-ID"] not in str(reply["References"]) and mention["Message-ID"] not in str(
        reply["References"])
    assert confirmation["Message-ID"] in str(reply["References"])
    assert "paid twice" not in texts(reply)[0] + texts(confirmation)[0]
    answer = parse_mail(f"From: amal@example.com\r\nTo: help@example.com\r\nSubject: Re: x\r\n"
                             f"In-Reply-To: {mention['Message-ID']}\r\n\r\nok\r\n".encode())
    with desk.db.session() as session:
        assert find_ticket(session, answer, []) is None


def test_self_assignment_inactive_turned_off_and_bulk(app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    desk = desk_of(app)
    huda, amal = agent_id(app, "huda@example.com"), agent_id(app, "amal@example.com")
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
    first, second, third = new_ticket(app, 1), new_ticket(app, 2), new_ticket(app, 3)
    desk.tickets.update(first, assignee_id=amal, agent_id=amal)  # took it herself
    assert notices(app) == []
    desk.accounts.set_availability(amal, False, Actor.agent(amal))  # away: still mailed
    desk.tickets.bulk_update([first, second, third], assignee_id=huda, agent_id=amal)
    desk.tickets.bulk_update([first, second, third], assignee_id=amal, agent_id=huda)
    mails = deliver(app, sink, "amal@example.com")
    assert len(mails) == 3 and len(deliver(app, sink, "huda@example.com")) == 3  # one mail per ticket, each way
    assert sorted(str(m["Subject"]).rsplit(": ", 1)[1] for m in mails) == ["Refund 1", "Refund 2", "Refund 3"]
    assert all(m["In-Reply-To"] is None for m in mails)  # three tickets, three threads
    desk.accounts.set_notifications(amal, "", "1")  # assignment mail off
    desk.accounts.manage(omar, SYSTEM, active=False)
    before = len(notices(app))
    desk.tickets.update(first, assignee_id=None, agent_id=huda)
    desk.tickets.update(first, assignee_id=amal, agent_id=huda)
    desk.notes.add(second, huda, "@omar are you back?")  # deactivated: not even mentioned
    assert len(notices(app)) == before
    desk.notes.add(second, huda, "@amal see this")  # mentions still on
    assert [row.kind for row in notices(app)[before:]] == ["mentioned"]


def test_a_light_agent_is_mailed_a_mention_in_their_language(
        app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    desk = desk_of(app)
    huda, lina = agent_id(app, "huda@example.com"), agent_id(app, "lina@example.com")
    desk.accounts.set_locale(lina, "ar")
    ticket_id = new_ticket(app)
    reference = desk.tickets.get(ticket_id).reference  # type: ignore[union-attr]
    desk.notes.add(ticket_id, huda, "@lina هل يمكنك التحقق من الفاتورة؟")
    [mail] = deliver(app, sink, "lina@example.com")
    text, html = texts(mail)
    assert mail["Content-Language"] == "ar" and '<html lang="ar" dir="rtl">' in html
    # From in the brand's Arabic name, as customer mail (mailtext41's set_sender; the merge wired it in here)
    assert any("\u0600" <= c <= "\u06ff" for c in mail["From"].addresses[0].display_name), mail["From"]
    assert str(mail["Subject"]) == f"التذكرة \u2068{reference}\u2069: \u2068Refund 1\u2069"
    assert "أشار إليك \u2068Huda\u2069 في ملاحظة داخلية على هذه التذكرة:" in text
    assert "هل يمكنك التحقق من الفاتورة؟" in text and "ولم تُرسل إلى العميل" in text
    assert f"{BASE}/agent/tickets/{ticket_id}" in text and "Hello" not in text


def test_an_assignment_by_a_trigger_says_so(light_settings: Settings, sink: SmtpSink) -> None:  # noqa: F811
    with Desk(light_settings) as first:  # the trigger's assignee exists before the desk reads the rules
        first.accounts.create_agent("amal@example.com", PASSWORD, name="Amal")
    (light_settings.content_dir / "_triggers.yml").write_text(
        "- {name: VIP, on: created, if: {domain: vip.sa}, then: {assignee: amal@example.com}}\n", encoding="utf-8")
    app = create_app(replace(light_settings, smtp_url=sink.url, base_url=BASE))
    desk_of(app).tickets.create(NewTicket(email="k@vip.sa", subject="Gold", body="Hello", lang="en"))
    [mail] = deliver(app, sink, "amal@example.com")
    assert "The trigger «VIP» assigned you this ticket." in texts(mail)[0]


def test_an_assignment_by_routing_says_so(tmp_path: Path, sink: SmtpSink) -> None:  # noqa: F811
    with open_desk(tmp_path, mode="balanced") as desk:
        sara = agent(desk, "Sara")  # available, in the team whose rule hands out new tickets
        ticket = desk.tickets.create(NewTicket(email="k@example.com", subject="Late", body="Hello", lang="en"))
        assert ticket.assignee_id == sara
        assert deliver_pending_mail(desk, replace(desk.settings, smtp_url=sink.url)) == 2  # the customer's, Sara's
        [mail] = [m for m in sink.messages if m["To"] == "sara@example.com"]
        assert "Assigned automatically: balanced" in texts(mail)[0]


def test_the_profile_turns_each_mail_off_and_refuses_a_bad_value_by_its_field(app: Flask) -> None:
    client = client_for(app, "amal@example.com")
    page = client.get("/agent/profile").get_data(as_text=True)
    assert 'id="notifications-form"' in page
    assert 'name="notify_assigned" value="1" checked' in page and 'name="notify_mentioned" value="1" checked' in page
    token = csrf(page)
    refused = client.post("/agent/profile", data={"csrf_token": token, "part": "notifications",
                                                 "notify_assigned": "yes", "notify_mentioned": "1"})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "email me when a ticket is assigned to me: must be 1 (on) or empty (off), not &#39;yes&#39;" in body
    assert 'name="notify_assigned" value="1">' in body and 'name="notify_mentioned" value="1" checked' in body
    row = desk_of(app).accounts.find("amal@example.com")
    assert (row.notify_assigned, row.notify_mentioned) == (True, True)  # nothing written
    saved = client.post("/agent/profile", data={"csrf_token": token, "part": "notifications", "notify_mentioned": "1"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/agent/profile#notifications")
    row = desk_of(app).accounts.find("amal@example.com")
    assert (row.notify_assigned, row.notify_mentioned) == (False, True)
    # A light agent is offered the mention mail only; their post leaves the other as it was.
    light = client_for(app, "lina@example.com")
    page = light.get("/agent/profile").get_data(as_text=True)
    assert 'name="notify_mentioned"' in page and 'name="notify_assigned"' not in page
    assert light.post("/agent/profile", data={"csrf_token": csrf(page), "part": "notifications"}).status_code == 302
    row = desk_of(app).accounts.find("lina@example.com")
    assert (row.notify_assigned, row.notify_mentioned) == (True, False)


def test_the_migration_adds_the_two_columns_on_and_goes_down(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, BEFORE)
    with db.engine.begin() as connection:  # an agent from before: both on
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                   "VALUES ('old@example.com', 'Old', 'x', 'agent', true, CURRENT_TIMESTAMP)")

    def columns() -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns("agents")} & {"notify_assigned", "notify_mentioned"}

    migrate(db, command.upgrade, "agent_notify_mail")
    assert columns() == {"notify_assigned", "notify_mentioned"}
    with db.session() as session:
        # Only the two columns: the model has columns of later revisions (invite41's invited_at).
        assert tuple(session.execute(select(Agent.notify_assigned, Agent.notify_mentioned)).one()) == (True, True)
    migrate(db, command.downgrade, BEFORE)
    assert columns() == set()
    migrate(db, command.upgrade, "head")
    db.close()
