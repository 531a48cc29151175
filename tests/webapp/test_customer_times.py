"""The times a customer reads (their ticket page, My tickets, the reply mail) are in the help center's zone, the
default team's business-hours zone, with the zone named; a page's `<time datetime>` is the instant in UTC for
static/customer-times.js (tests/browser/test_customer_times_browser.py). They were UTC with no zone named: a customer
in Riyadh read "11:22 م" for a reply sent at 2:22 in the afternoon there. A light app (no models); SQLite, and
PostgreSQL with `--postgresql`."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, datetime
from email.policy import default

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import update

from desk.desk import Desk
from desk.models import Message, Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from webapp import create_app
from webapp.mail_commands import deliver_pending_mail
from webapp.my_tickets import SALT

WINTER = datetime(2026, 12, 6, 11, 22, tzinfo=UTC)
SUMMER = datetime(2026, 7, 6, 11, 22, tzinfo=UTC)  # New York on daylight-saving time, Riyadh has none
HOURS = """default: main
teams:
  main: {{name: Support, timezone: {zone}, days: [mon, tue, wed, thu, fri], hours: ["09:00", "17:00"]}}
due_hours: {{urgent: 2, high: 4, normal: 8, low: 24}}
"""
# (zone, instant, lang, digits) -> what the customer reads, written out by hand from the zone's wall clock.
SHOWN = [
    ("Asia/Riyadh", WINTER, "en", "latn", "Dec 6, 2026, 2:22 PM (GMT+03:00)"),
    ("Asia/Riyadh", WINTER, "ar", "latn", "6 ديسمبر 2026، 2:22 م (غرينتش+03:00)"),
    ("Asia/Riyadh", WINTER, "ar", "arab", "٦ ديسمبر ٢٠٢٦، ٢:٢٢ م (غرينتش+٠٣:٠٠)"),
    ("America/New_York", WINTER, "en", "latn", "Dec 6, 2026, 6:22 AM (GMT-05:00)"),
    ("America/New_York", SUMMER, "en", "latn", "Jul 6, 2026, 7:22 AM (GMT-04:00)"),
    ("America/New_York", SUMMER, "ar", "latn", "6 يوليو 2026، 7:22 ص (غرينتش-04:00)"),
]


def help_center(settings: Settings, zone: str, digits: str) -> Flask:
    (settings.content_dir / "_business_hours.yml").write_text(HOURS.format(zone=zone), encoding="utf-8")
    return create_app(replace(settings, digits=digits))


def ticket_at(desk: Desk, lang: str, moment: datetime) -> tuple[int, str]:
    """A ticket from lina@example.com in `lang` whose first message (and the ticket) were written at `moment`."""
    ticket = desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject="Invoice",
                                           body="Wrong total.", lang=lang, notify=False))
    with desk.db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket.id).values(created_at=moment.replace(tzinfo=None)))
        session.execute(update(Message).where(Message.ticket_id == ticket.id)
                        .values(created_at=moment.replace(tzinfo=None)))
        session.commit()
    return ticket.id, ticket.reference


def time_tag(moment: datetime, digits: str, shown: str) -> str:
    return (f'<time datetime="{moment.strftime("%Y-%m-%dT%H:%M:%SZ")}" data-customer-time data-digits="{digits}">'
            f"<bdi>{shown}</bdi></time>")


@pytest.mark.parametrize(("zone", "moment", "lang", "digits", "shown"), SHOWN)
def test_the_ticket_page_and_my_tickets_show_the_help_centers_wall_time_with_its_zone_named(
        light_settings: Settings, zone: str, moment: datetime, lang: str, digits: str, shown: str) -> None:  # noqa: F811
    app = help_center(light_settings, zone, digits)
    _, reference = ticket_at(app.extensions["desk"], lang, moment)
    client = app.test_client()
    page = client.get(f"/{lang}/tickets/{reference}").get_data(as_text=True)
    assert time_tag(moment, digits, shown) in page, page.split('class="thread"')[1][:600]
    assert "customer-times.js" in page
    signed = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps("lina@example.com")
    mine = client.get(f"/{lang}/my-tickets/{signed}").get_data(as_text=True)
    assert time_tag(moment, digits, shown) in mine, mine.split('class="my-tickets"')[1][:600]
    assert "customer-times.js" in mine


@pytest.mark.parametrize(("zone", "moment", "lang", "digits", "shown"), [SHOWN[1], SHOWN[2], SHOWN[4]])
def test_the_reply_mail_names_the_help_centers_zone_and_shows_its_wall_time(
        light_settings: Settings, zone: str, moment: datetime, lang: str, digits: str, shown: str) -> None:  # noqa: F811
    """Delivered as the worker delivers (webapp.mail_commands, .eml files without KB_SMTP_URL): the reply's time
    under it is the help center's, named; a mail client runs no script."""
    app = help_center(light_settings, zone, digits)
    desk: Desk = app.extensions["desk"]
    ticket_id, _ = ticket_at(desk, lang, moment)
    agent = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    desk.tickets.reply(ticket_id, agent.id, "Fixed.")
    with desk.db.session() as session:
        session.execute(update(Message).where(Message.ticket_id == ticket_id, Message.author == "agent")
                        .values(created_at=moment.replace(tzinfo=None)))
        session.commit()
    assert deliver_pending_mail(desk, app.extensions["settings"]) == 1
    (written,) = (light_settings.data_dir / "outbox-eml").glob("*.eml")
    html = email.message_from_bytes(written.read_bytes(), policy=default).get_body(("html",)).get_content()
    assert f"<time><bdi>{shown}</bdi></time>" in html, html
