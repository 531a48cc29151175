"""The workspace's "Held mail" page on the real app (SQLite, `--postgresql`): listed with counts in the inbox's views,
in English and Arabic (RTL), GETs that never write, CSRF-protected recover and delete, a confirmation for mail
refused on purpose; and end to end, a broken mail refused by the real loopback SMTP listener, then listed and
recovered over HTTP from the app under a real server (waitress)."""

from __future__ import annotations

import contextlib
import re
import smtplib

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from desk.desk import Desk
from desk.mail.listener import start_listener
from desk.mail.receive import UnparseableMail
from desk.models import InboundMail
from tests.desk.test_held_mail import NO_SENDER, inbound
from tests.desk.test_mail_in import plain_mail
from tests.smtp_sink import free_port
from tests.webapp.light_app import PASSWORD, Guarded, csrf, light_app, light_settings, login  # noqa: F401
from webapp.background import serving


def agent_client(app: Flask, locale: str | None = None) -> FlaskClient:
    desk: Desk = app.extensions["desk"]
    agent = desk.accounts.find("agent@example.com")
    assert agent is not None
    desk.accounts.set_locale(agent.id, locale)
    client = app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    return client


def held_rows(desk: Desk) -> list[tuple[int, str | None, str | None]]:
    with desk.db.session() as session:
        return [(r.id, r.settled, r.reason) for r in session.scalars(select(InboundMail).order_by(InboundMail.id))]


def refuse(desk: Desk, raw: bytes) -> int:
    with contextlib.suppress(UnparseableMail):
        desk.mail_in.receive(raw)
    return held_rows(desk)[-1][0]


def test_held_mail_is_listed_with_its_count_and_reason_and_a_get_never_writes(light_app: Guarded) -> None:  # noqa: F811
    desk: Desk = light_app.app.extensions["desk"]
    refused = refuse(desk, NO_SENDER)
    looped = desk.mail_in.receive(plain_mail("copy", "Our own reply", sender="support@manzil.example")).inbound_id
    client = agent_client(light_app.app)
    before = held_rows(desk)
    inbox = client.get("/agent/").get_data(as_text=True)
    assert re.search(r'id="view-held">Held mail <span class="count">2</span>', inbox)
    listing = client.get("/agent/held/").get_data(as_text=True)
    assert "(2 mails)" in listing and "Refund for order 5512" in listing and "no sender address (From)" in listing
    assert listing.index(f'data-id="{looped}"') < listing.index(f'data-id="{refused}"')  # newest first
    assert "our own mail came back" in listing and "refused on purpose" in listing
    page = client.get(f"/agent/held/{refused}").get_data(as_text=True)
    assert "My refund for order 5512 never came." in page
    assert 'name="sender" type="email" dir="ltr" maxlength="320" required' in page  # the mail names no sender
    assert 'name="confirm"' not in page
    assert 'name="confirm"' in client.get(f"/agent/held/{looped}").get_data(as_text=True)
    assert client.get("/agent/held/999999").status_code == 404
    assert held_rows(desk) == before


def test_the_page_in_arabic_is_right_to_left_and_says_why_in_arabic(light_app: Guarded) -> None:  # noqa: F811
    desk: Desk = light_app.app.extensions["desk"]
    refused = refuse(desk, NO_SENDER)
    bulk = desk.mail_in.receive(plain_mail("Offers", "Newsletter", Precedence="bulk")).inbound_id
    invalid = desk.mail_in.receive(plain_mail("Hello", "Hi", sender="lina@localhost")).inbound_id
    older = desk.mail_in.receive(plain_mail("copy", "Old loop", sender="support@manzil.example")).inbound_id
    with desk.db.session() as session:  # held before reasons had codes: only the English sentence
        session.execute(update(InboundMail).where(InboundMail.id == older)
                        .values(reason="our own mail came back (old wording)", reason_code=None, reason_params=None))
    client = agent_client(light_app.app, "ar")
    listing = client.get("/agent/held/").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in listing and "البريد المحتجز" in listing and "Held mail" not in listing
    assert "لا عنوان للمرسل (From)" in listing and "no sender address" not in listing
    assert "بريد جماعي (Precedence: \u2068bulk\u2069)" in listing
    # a desk error, its value isolated in the Arabic sentence
    assert "البريد الإلكتروني: \u2068&#39;lina@localhost&#39;\u2069 ليس عنوان بريد إلكتروني صحيحًا" in listing
    assert "our own mail came back (old wording)" in listing  # shown as it was written
    page = client.get(f"/agent/held/{refused}").get_data(as_text=True)
    assert "استعادة كتذكرة" in page and "Recover as a ticket" not in page and "لا عنوان للمرسل (From)" in page
    assert "البريد المحتجز" in client.get("/agent/").get_data(as_text=True)
    english = agent_client(light_app.app, "en").get(f"/agent/held/{bulk}").get_data(as_text=True)
    assert "Precedence: \u2068bulk\u2069" in english and invalid


def test_recover_and_delete_are_csrf_protected_posts_and_a_loop_needs_confirmation(light_app: Guarded) -> None:  # noqa: F811
    desk: Desk = light_app.app.extensions["desk"]
    bulk = desk.mail_in.receive(plain_mail("Call me back please", "Call me", Precedence="bulk")).inbound_id
    refused = refuse(desk, NO_SENDER)
    client = agent_client(light_app.app)
    token = csrf(client.get(f"/agent/held/{bulk}").get_data(as_text=True))
    assert client.post(f"/agent/held/{bulk}/recover", data={"confirm": "yes"}).status_code == 400  # no CSRF token
    unconfirmed = client.post(f"/agent/held/{bulk}/recover", data={"csrf_token": token}, follow_redirects=True)
    # The reason as the page says it (the header's value isolated): the desk's English is the CLI's.
    assert "confirm: this mail was refused on purpose (Precedence: \u2068bulk\u2069)" in unconfirmed.get_data(
        as_text=True)
    assert desk.held_mail.count() == 2 and desk.tickets.inbox()[1] == 0
    recovered = client.post(f"/agent/held/{bulk}/recover", data={"csrf_token": token, "confirm": "yes"})
    assert recovered.status_code == 302 and "/agent/tickets/" in recovered.headers["Location"]
    ticket = desk.tickets.get(int(recovered.headers["Location"].rsplit("/", 1)[1]))
    assert ticket is not None and ticket.messages[0].body == "Call me back please"
    assert client.post(f"/agent/held/{refused}/delete").status_code == 400
    original = light_app.app.extensions["settings"].data_dir / inbound(desk, refused).raw_path
    assert original.is_file()
    deleted = client.post(f"/agent/held/{refused}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "Mail deleted." in deleted.get_data(as_text=True) and not original.exists()
    agent = desk.accounts.find("agent@example.com")
    assert held_rows(desk)[-1] == (refused, "deleted", "no sender address (From)") and agent is not None
    assert inbound(desk, refused).settled_by_id == agent.id
    assert desk.held_mail.count() == 0


def test_the_confirmation_a_loop_needs_names_why_in_the_agents_language(light_app: Guarded) -> None:  # noqa: F811
    """The desk raises the confirmation with the reason as its code and values; an Arabic agent reads the whole
    sentence in Arabic, the reason too (it embedded the desk's English "Precedence: bulk", "our own mail came
    back")."""
    desk: Desk = light_app.app.extensions["desk"]
    bulk = desk.mail_in.receive(plain_mail("Call me back please", "Call me", Precedence="bulk")).inbound_id
    looped = desk.mail_in.receive(plain_mail("copy", "Our own reply", sender="support@manzil.example")).inbound_id
    client = agent_client(light_app.app, "ar")
    token = csrf(client.get(f"/agent/held/{bulk}").get_data(as_text=True))
    bulk_page = client.post(f"/agent/held/{bulk}/recover", data={"csrf_token": token}, follow_redirects=True)
    text = bulk_page.get_data(as_text=True)
    assert "التأكيد: رُفض هذا البريد عمدًا (بريد جماعي (Precedence: \u2068bulk\u2069)): أكّد لاستعادته" in text
    loop_page = client.post(f"/agent/held/{looped}/recover", data={"csrf_token": token}, follow_redirects=True)
    text = loop_page.get_data(as_text=True)
    assert "رُفض هذا البريد عمدًا (عاد إلينا بريد أرسلناه نحن)" in text and "our own mail came back" not in text
    assert desk.held_mail.count() == 2 and desk.tickets.inbox()[1] == 0


def test_a_delete_whose_file_removal_fails_is_done_and_logged_never_a_500(
    light_app: Guarded, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    desk: Desk = light_app.app.extensions["desk"]
    refused = refuse(desk, NO_SENDER)
    original = light_app.app.extensions["settings"].data_dir / inbound(desk, refused).raw_path
    original.unlink()
    original.mkdir()  # unlink() refuses a directory (the tests run as root: permissions refuse nothing)
    (original / "x").write_bytes(b"x")
    client = agent_client(light_app.app)
    token = csrf(client.get(f"/agent/held/{refused}").get_data(as_text=True))
    deleted = client.post(f"/agent/held/{refused}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("/agent/held/")
    assert "Mail deleted." in client.get("/agent/held/").get_data(as_text=True)
    assert inbound(desk, refused).settled == "deleted" and original.is_dir()
    assert "was not removed" in caplog.text


def test_a_broken_mail_over_smtp_is_held_listed_and_recovered_into_a_ticket_over_http(light_app: Guarded) -> None:  # noqa: F811
    desk: Desk = light_app.app.extensions["desk"]
    port = free_port()
    controller = start_listener(desk.mail_in, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            try:
                smtp.sendmail("lina@example.com", ["support@manzil.example"], NO_SENDER)
                raise AssertionError("the listener took a mail with no From")
            except smtplib.SMTPDataError as refused:
                assert refused.smtp_code == 554
    finally:
        controller.stop()
    with serving(light_app.app) as base, requests.Session() as browser:
        form = browser.get(f"{base}/agent/login", timeout=30).text
        browser.post(f"{base}/agent/login", timeout=30,
                     data={"email": "agent@example.com", "password": PASSWORD, "csrf_token": csrf(form)})
        listing = browser.get(f"{base}/agent/held/", timeout=30).text
        held = re.search(r'<tr data-id="(\d+)">\s*<td dir="auto"><a href="(/agent/held/\d+)">Refund for order 5512',
                         listing)
        assert held is not None, listing
        page = browser.get(base + held.group(2), timeout=30).text
        assert '<dd id="held-envelope"><bdi dir="ltr">support@manzil.example</bdi></dd>' in page  # RCPT TO, kept
        done = browser.post(f"{base}/agent/held/{held.group(1)}/recover", timeout=30,
                            data={"csrf_token": csrf(page), "sender": "lina@example.com"})
        assert done.status_code == 200 and "/agent/tickets/" in done.url
        assert "Mail recovered." in done.text and "My refund for order 5512 never came." in done.text
    ticket = desk.tickets.get(int(done.url.rsplit("/", 1)[1]))
    assert ticket is not None and ticket.customer.email == "lina@example.com" and ticket.channel == "email"
    assert desk.held_mail.count() == 0
