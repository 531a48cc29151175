"""Hostile input against session 33's surfaces (hostile33): outbound webhooks' address checks, CCs, custom ticket
fields, API token scopes and expiry, triggers and the help widget, through the real app and the real desk.

Concrete cases first (each a fault found and fixed, or a rule pinned), then hypothesis campaigns. The light app,
SQLite and (`--postgresql`) PostgreSQL; KB_FUZZ_EXAMPLES (default 40) examples per property.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

import desk.ccs as ccs_module
import desk.ticket_fields as ticket_fields_module
import desk.webhooks as webhooks_module
from desk.audit import SYSTEM
from desk.database import StorageUnavailableError
from desk.desk import Desk
from desk.mail.compose import MAIL_POLICY
from desk.models import (
    Customer,
    OutboxMail,
    Ticket,
    TicketCc,
    TicketCcChange,
    TicketFieldValue,
    WebhookDelivery,
    WebhookEndpoint,
)
from desk.ticket_fields import FieldsRefused, set_fields
from desk.tickets import InputError, NewTicket
from desk.webhooks import public_addresses
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.conftest import database_url_for_tests
from tests.desk.test_mail_out import deliver
from tests.races import MEETING_WAIT, at_once, refused
from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from webapp import create_app
from webapp.webhook_delivery import deliver_webhooks

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
ALL_EVENTS = ["ticket.created", "ticket.updated", "message.created", "note.created", "csat.rated"]
FIELDS = """\
- key: order_number
  type: text
  label: {en: Order number, ar: رقم الطلب}
  required_to_solve: true
- key: amount
  type: number
  label: {en: Refund amount, ar: مبلغ الاسترداد}
- key: shipped
  type: date
  label: {en: Shipped on, ar: تاريخ الشحن}
"""


def resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    """Every host name resolves to `addresses` (a DNS answer the attacker controls)."""

    def answer(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port, 0, 0) if ":" in a else (a, port)) for a in addresses]

    monkeypatch.setattr(webhooks_module.socket, "getaddrinfo", answer)


# --- webhooks: the address check --------------------------------------------------------------------------------------

# IPv6 addresses that stand for a private IPv4 one: NAT64's well-known prefix, 6to4, IPv4-compatible and
# IPv4-translated. Python 3.11's ipaddress calls each of these global.
EMBEDDING_PRIVATE = ["64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:a9fe:a9fe::1", "::127.0.0.1",
                     "::ffff:0:7f00:1", "::a9fe:a9fe", "64:ff9b:1::a00:1"]


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE)
def test_an_ipv6_address_standing_for_a_private_ipv4_one_is_refused(address: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault: 2002:7f00:1::1 (6to4 of 127.0.0.1) or 64:ff9b::a9fe:a9fe (NAT64 of the cloud metadata address) passed
    the check, by literal or as a DNS name's answer."""
    with pytest.raises(InputError) as literal:
        public_addresses(f"https://[{address}]/hook", allow_private=False)
    assert literal.value.field == "url"
    resolving_to(monkeypatch, "93.184.215.14", address)
    with pytest.raises(InputError) as named:
        public_addresses("https://hooks.example.com/hook", allow_private=False)
    assert named.value.field == "url" and address in str(named.value)


@pytest.mark.parametrize("url", ["https://2130706433/", "https://0x7f.1/", "https://0177.0.0.1/", "https://127.1/",
                                 "https://[::ffff:7f00:1]/", "https://a@127.0.0.1/", "https://93.184.215.14@127.0.0.1/",
                                 "https://127.0.0.1%2f@93.184.215.14/", "https://[::1]/", "https://0.0.0.0/",
                                 "https://100.64.0.1/", "https://[fd00::1]/", "https://224.0.0.1/",
                                 "https://localhost/", "https://127.0.0.1.nip.io.invalid/"])
def test_decimal_octal_mapped_userinfo_and_named_loopback_urls_are_refused(url: str) -> None:
    """Pinned: the resolver reads 2130706433, 0x7f.1 and 0177.0.0.1 as 127.0.0.1 and the check reads what it
    answered; user info is refused whatever follows it; a name that does not resolve is refused too."""
    with pytest.raises(InputError) as refused:
        public_addresses(url, allow_private=False)
    assert refused.value.field == "url"


def test_public_ipv6_and_public_embedded_addresses_still_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving_to(monkeypatch, "2606:4700::1111", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1", "::ffff:93.184.215.14")
    host, port, found = public_addresses("https://hooks.example.com:8443/x", allow_private=False)
    assert (host, port) == ("hooks.example.com", 8443) and len(found) == 4


@pytest.fixture
def hook_desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests(), webhook_allow_private=False))
    yield opened
    opened.close()


def test_a_name_that_turns_private_after_saving_is_refused_at_delivery_and_never_connected(
        hook_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: saved while public, answering 2002:7f00:1:: (6to4 of loopback) at delivery. The try is a final
    failure naming the address, and no connection is opened."""
    resolving_to(monkeypatch, "93.184.215.14")
    hook_desk.webhooks.create("crm", "https://hooks.example.com/hook", ["ticket.created"])
    hook_desk.tickets.create(NewTicket(email="lina@example.com", subject="s", body="b", notify=False))
    resolving_to(monkeypatch, "2002:7f00:1::1")
    connected: list[object] = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    assert deliver_webhooks(hook_desk, hook_desk.settings) >= 1
    assert connected == []
    with hook_desk.db.session() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert row.state == "failed" and "2002:7f00:1::1" in (row.last_error or ""), (row.state, row.last_error)


@FUZZ
@given(number=st.integers(0, 2**32 - 1), how=st.sampled_from(["mapped", "6to4", "nat64", "compat", "translated"]))
def test_property_an_ipv6_form_of_an_ipv4_address_is_judged_as_that_address(number: int, how: str) -> None:
    """Any IPv4 address, written in any IPv6 form that carries it, passes exactly when the IPv4 address does."""
    inner = ipaddress.IPv4Address(number)
    outer = ipaddress.IPv6Address({"mapped": (0xFFFF << 32) | number, "6to4": (0x2002 << 112) | (number << 80),
                                   "nat64": (0x64FF9B << 96) | number, "compat": number,
                                   "translated": (0xFFFF << 48) | number}[how])
    expected = inner.is_global and not inner.is_multicast
    if how == "compat" and number <= 1:
        expected = False  # :: and ::1 are not IPv4-compatible addresses but unspecified and loopback
    assert webhooks_module._is_public(outer) is expected, (str(outer), str(inner))


# --- CCs: what a Cc line can carry ------------------------------------------------------------------------------------


@pytest.fixture
def cc_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url_for_tests(), base_url="https://help.manzil.example",
                    mail_from="support@manzil.example", max_ccs=20)


@pytest.fixture
def cc_desk(cc_settings: Settings) -> Iterator[Desk]:
    opened = Desk(cc_settings)
    yield opened
    opened.close()


def mail(body: str, sender: str = "lina@example.com", to: str = "support@manzil.example", cc: str = "",
         **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = "Invoice question"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def cc_emails(desk: Desk, ticket_id: int) -> list[str]:
    return [person.email for person in desk.ccs.of(ticket_id)]


@pytest.mark.parametrize("address", ["a(b@example.com", "x,sam@example.net", 'a"b@example.com', "a:b@example.com",
                                     "a<b>@example.com", "a;b@example.com", "=?utf-8?q?x?=@example.com",
                                     "sam@example.net,x", "sam@ex(ample.net", "لينا@example.com",
                                     "lina@مثال.example"])
def test_an_address_a_cc_line_cannot_carry_is_refused_naming_the_field(cc_desk: Desk, address: str) -> None:
    """Fault: clean_email let these through, and the Cc: line the reply was composed with read them as a comment,
    a second address or a group (`a(b@example.com` first hid every later CC from the reply); a non-ASCII one made
    every reply on the ticket fail at an SMTP server without SMTPUTF8, the requester's copy too."""
    ticket_id = cc_desk.mail_in.receive(mail("Help")).ticket_id
    assert ticket_id is not None
    with pytest.raises(InputError) as refused:
        cc_desk.ccs.add(ticket_id, address, SYSTEM)
    assert refused.value.field == "email"
    assert cc_emails(cc_desk, ticket_id) == []


def test_every_cc_gets_the_reply_and_no_one_else(cc_desk: Desk, cc_settings: Settings, sink: SmtpSink) -> None:  # noqa: F811
    """The reply reaches exactly the requester and the CCs: odd ones were refused, so none swallows the others."""
    settings = replace(cc_settings, smtp_url=sink.url)
    ticket_id = cc_desk.mail_in.receive(mail("Help")).ticket_id
    assert ticket_id is not None
    for address in ("a(b@example.com", "rami@example.com", "x,sam@example.net", "O'Neil@Example.com",
                    "لينا@example.com"):
        with contextlib.suppress(InputError):
            cc_desk.ccs.add(ticket_id, address, SYSTEM)
    agent = cc_desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    cc_desk.tickets.reply(ticket_id, agent.id, "Looking into it.")
    assert deliver(cc_desk, settings) == 2
    stored = cc_emails(cc_desk, ticket_id)
    assert stored == ["rami@example.com", "o'neil@example.com"]
    recipients = sink.handler.envelopes[-1][1]
    assert sorted(recipients) == sorted(["lina@example.com", *stored])


def test_a_mails_odd_cc_is_skipped_and_the_mail_kept(cc_desk: Desk) -> None:
    """A hostile sender's Cc: with quoted local parts, our own address spelled otherwise, encoded words and a
    thousand addresses: the mail is stored, our addresses never become CCs, the cap holds."""
    many = ", ".join(f"p{n}@example.org" for n in range(1000))
    raw = ("From: lina@example.com\r\nTo: support@manzil.example\r\nSubject: Invoice\r\n"
           'Cc: "x,sam"@example.net, "Support" <SUPPORT@Manzil.Example>, support+abc@manzil.example.,\r\n'
           " =?utf-8?q?Evil=0D=0ABcc=3A_x=40evil=2Eexample?= <rami@example.com>,\r\n"
           f" {many}\r\n\r\nHelp\r\n").encode()
    received = cc_desk.mail_in.receive(raw)
    assert received.ticket_id is not None and received.outcome == "created"
    stored = cc_emails(cc_desk, received.ticket_id)
    assert len(stored) == 20 and stored[0] == "rami@example.com"
    assert not any("manzil" in address or '"' in address for address in stored)
    with cc_desk.db.session() as session:
        assert len(session.scalars(select(TicketCc).where(TicketCc.ticket_id == received.ticket_id)).all()) == 20
        rami = session.scalars(select(Customer).where(Customer.email == "rami@example.com")).one()
        assert "\r" not in rami.name and "\n" not in rami.name  # the encoded word's CR LF never reaches a header


# --- custom fields: odd values ----------------------------------------------------------------------------------------


@pytest.fixture
def fields_app(light_settings: Settings) -> Flask:  # noqa: F811
    (light_settings.content_dir / FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    app = create_app(replace(light_settings, rate_limits=False))
    app.extensions["desk"].accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    return app


def api(app: Flask, scopes: tuple[str, ...] | None = None, **kwargs: Any) -> dict[str, str]:
    accounts = app.extensions["desk"].accounts
    token = accounts.create_token("crm", scopes=scopes, **kwargs) if scopes else accounts.create_token("crm", **kwargs)
    return {"Authorization": f"Bearer {token}"}


def new_ticket(app: Flask, subject: str = "Refund") -> int:
    return app.extensions["desk"].tickets.create(NewTicket(email="omar@example.com", subject=subject,
                                                           body="Where is my refund?", lang="en",
                                                           notify=False)).id


def stored_fields(app: Flask, ticket_id: int) -> dict[str, str]:
    with app.extensions["desk"].db.session() as session:
        return {row.key: row.value for row in session.scalars(
            select(TicketFieldValue).where(TicketFieldValue.ticket_id == ticket_id))}


@pytest.mark.parametrize(("raw", "named"), [
    ('{"amount": 1e309}', "fields.amount"), ('{"amount": NaN}', "fields.amount"),
    ('{"amount": Infinity}', "fields.amount"), ('{"amount": "1e5"}', "fields.amount"),
    ('{"amount": 1e16}', "fields.amount"), ('{"amount": "0x10"}', "fields.amount"),
    ('{"amount": "12\\n"}', None), ('{"shipped": "0000-01-01"}', "fields.shipped"),
    ('{"shipped": "2026-02-30"}', "fields.shipped"), ('{"shipped": "20261205"}', "fields.shipped"),
    ('{"order_number": "abc\\u202edcba"}', "fields.order_number"),
    ('{"order_number": "a\\u0000b"}', "fields.order_number"),
])
def test_odd_values_are_refused_naming_the_field_and_nothing_written(fields_app: Flask, raw: str,
                                                                    named: str | None) -> None:
    """JSON's 1e309 reads as infinity and NaN as not-a-number: refused as not a number, never stored as "inf"; a
    right-to-left override in a text value (it would turn the page's text around) refused as a control character."""
    ticket = new_ticket(fields_app)
    answer = fields_app.test_client().patch(f"/api/v1/tickets/{ticket}", headers=api(fields_app),
                                            data='{"status": "pending", "fields": ' + raw + "}",
                                            content_type="application/json")
    if named is None:
        assert answer.status_code == 200 and stored_fields(fields_app, ticket) == {"amount": "12"}
        return
    assert answer.status_code == 400 and named in answer.get_json()["error"], answer.get_json()
    assert stored_fields(fields_app, ticket) == {}
    assert fields_app.extensions["desk"].tickets.get(ticket).status == "open"


@pytest.mark.parametrize(("raw", "kept"), [
    ({"amount": "١٢٫٥"}, {"amount": "12.5"}), ({"amount": "۱۲۳"}, {"amount": "123"}),
    ({"shipped": "٢٠٢٦-١٢-٠٥"}, {"shipped": "2026-12-05"}), ({"shipped": "۲۰۲۶-۱۲-۰۵"}, {"shipped": "2026-12-05"}),
])
def test_arabic_indic_digits_are_read_in_numbers_and_dates_alike(fields_app: Flask, raw: dict[str, str],
                                                                 kept: dict[str, str]) -> None:
    """Fault: a number field read Arabic-Indic digits and a date field refused them ("not a date"): an agent or API
    client writing in Arabic typed one right and the other wrong. Both are stored in ASCII digits."""
    ticket = new_ticket(fields_app)
    answer = fields_app.test_client().patch(f"/api/v1/tickets/{ticket}", headers=api(fields_app),
                                            json={"fields": raw})
    assert answer.status_code == 200, answer.get_json()
    assert stored_fields(fields_app, ticket) == kept


def test_a_ten_megabyte_value_is_refused_without_a_500(fields_app: Flask) -> None:
    ticket = new_ticket(fields_app)
    answer = fields_app.test_client().patch(f"/api/v1/tickets/{ticket}", headers=api(fields_app),
                                            json={"fields": {"order_number": "x" * (10 * 1024 * 1024)}})
    assert answer.status_code in (400, 413)
    assert stored_fields(fields_app, ticket) == {}


@FUZZ
@given(value=st.one_of(st.text(max_size=60), st.floats(), st.integers(), st.booleans(), st.none()),
       key=st.sampled_from(["order_number", "amount", "shipped"]))
def test_property_a_field_value_is_stored_normalised_or_refused_naming_it(fields_app: Flask, value: object,
                                                                         key: str) -> None:
    """Whatever an API client sends as a value: a 200 with the value stored as the item shows it, or a 400 naming
    `fields.<key>` and nothing stored; never a 500."""
    ticket = new_ticket(fields_app)
    answer = fields_app.test_client().patch(f"/api/v1/tickets/{ticket}", headers=api(fields_app),
                                            json={"fields": {key: value}})
    assert answer.status_code in (200, 400), answer.status_code
    if answer.status_code == 400:
        assert f"fields.{key}" in answer.get_json()["error"]
        assert key not in stored_fields(fields_app, ticket)
    else:
        shown = answer.get_json()["fields"].get(key)
        assert stored_fields(fields_app, ticket).get(key) == (None if shown is None else str(shown))


# --- the widget -------------------------------------------------------------------------------------------------------

SHOP = "https://shop.example"
FORM_FIELDS = FIELDS + """\
- key: device
  type: text
  label: {en: Device, ar: الجهاز}
  on_contact_form: true
  required_on_form: true
"""


@pytest.fixture
def widget_app(light_settings: Settings) -> Flask:  # noqa: F811
    (light_settings.content_dir / FIELDS_FILE).write_text(FORM_FIELDS, encoding="utf-8")
    return create_app(replace(light_settings, rate_limits=False, widget_origins=(SHOP,)))


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" (?:type="hidden" )?value="([^"]+)"', html)
    assert found, f"no {name} on the page"
    return found.group(1)


def widget_contact(client: FlaskClient, **extra: str) -> Any:
    html = client.get("/en/widget/contact").get_data(as_text=True)
    data = {"name": "Sam", "email": "sam@example.com", "subject": "Broken", "message": "The app crashes on start.",
            "submission": hidden(html, "submission"), "csrf_token": hidden(html, "csrf_token"), **extra}
    return client.post("/en/widget/contact", data=data)


def test_the_widgets_contact_form_asks_the_sites_custom_fields_and_keeps_them(widget_app: Flask) -> None:
    """Fault: the widget's contact form left out the fields the file puts on the contact form: a `required_on_form`
    field was skipped by every ticket sent through the widget, and none could be given there."""
    client = widget_app.test_client()
    page = client.get("/en/widget/contact").get_data(as_text=True)
    assert 'name="field.device"' in page
    missing = widget_contact(client)
    assert missing.status_code == 400 and "Device: required" in missing.get_data(as_text=True)
    with widget_app.extensions["desk"].db.session() as session:
        assert session.scalars(select(Ticket)).all() == []
    sent = widget_contact(client, **{"field.device": "Pixel 9"})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    with widget_app.extensions["desk"].db.session() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.context["via"] == "widget"
        values = session.scalars(select(TicketFieldValue).where(TicketFieldValue.ticket_id == ticket.id)).all()
        assert [(v.key, v.value) for v in values] == [("device", "Pixel 9")]


@pytest.mark.parametrize("origin", ["https://evil.example", "null", SHOP])
def test_a_spoofed_origin_or_referer_neither_opens_nor_closes_the_widgets_contact_form(widget_app: Flask,
                                                                                      origin: str) -> None:
    """Pinned: the widget's posts are judged by its signed token, never by Origin or Referer (which a script outside
    a browser writes as it likes); without the token they are refused whatever the headers say."""
    client = widget_app.test_client()
    headers = {"Origin": origin, "Referer": f"{origin}/page"}
    bare = client.post("/en/widget/contact", headers=headers, data={"name": "Sam", "email": "sam@example.com",
                                                                    "subject": "x", "message": "y"})
    assert bare.status_code == 400
    html = client.get("/en/widget/contact", headers=headers).get_data(as_text=True)
    sent = client.post("/en/widget/contact", headers=headers, data={
        "name": "Sam", "email": "sam@example.com", "subject": "Broken", "message": "It crashes.", "field.device": "X",
        "submission": hidden(html, "submission"), "csrf_token": hidden(html, "csrf_token")})
    assert sent.status_code == 200


@pytest.mark.parametrize("path", ["/en/", "/en/contact", "/agent/login", "/api/v1/openapi.json", "/widget.js"])
def test_the_main_site_is_never_framable_by_a_listed_origin(widget_app: Flask, path: str) -> None:
    """Clickjacking: only /<lang>/widget pages name the host's origin in frame-ancestors; every other page keeps
    'none', whatever Origin or Sec-Fetch-Dest the request claims."""
    answer = widget_app.test_client().get(path, headers={"Origin": SHOP, "Sec-Fetch-Dest": "iframe"})
    policy = answer.headers.get("Content-Security-Policy", "")
    assert SHOP not in policy
    if answer.mimetype == "text/html":
        assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("path", ["/en/contact", "/en/widget/contact"])
def test_a_busy_database_gives_back_the_custom_fields_typed(widget_app: Flask, path: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault: the site's contact form answered a busy database (503) with the page but without its custom fields, so
    what the customer typed in them was gone; now both forms give every field back as typed."""
    client = widget_app.test_client()
    html = client.get(path).get_data(as_text=True)

    def busy(*args: object, **kwargs: object) -> None:
        raise StorageUnavailableError("busy", "locked")

    monkeypatch.setattr(widget_app.extensions["desk"].tickets, "create", busy)
    answer = client.post(path, data={
        "name": "Sam", "email": "sam@example.com", "subject": "Broken", "message": "It crashes.",
        "field.device": "Pixel 9", "submission": hidden(html, "submission"),
        "csrf_token": hidden(html, "csrf_token")})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and 'value="Pixel 9"' in page


def test_a_right_to_left_override_in_a_contact_field_is_refused_naming_it(widget_app: Flask) -> None:
    """U+202E in a text field would turn the value around on the ticket page ("9 lexiP" shown for an order number):
    refused on the form naming the field's label, nothing created, the text kept for the customer to correct."""
    client = widget_app.test_client()
    html = client.get("/en/contact").get_data(as_text=True)
    answer = client.post("/en/contact", data={
        "name": "Sam", "email": "sam@example.com", "subject": "Broken", "message": "It crashes.",
        "field.device": "\u202ePixel", "submission": hidden(html, "submission"),
        "csrf_token": hidden(html, "csrf_token")})
    assert answer.status_code == 400 and "Device: too long or holds control characters" in answer.get_data(as_text=True)
    with widget_app.extensions["desk"].db.session() as session:
        assert session.scalars(select(Ticket)).all() == []


# --- races ------------------------------------------------------------------------------------------------------------


def test_deleting_an_endpoint_while_the_worker_records_a_try_neither_deadlocks_nor_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault: on PostgreSQL the admin's delete locked the endpoint then waited for its deliveries, while the worker's
    record of a try had locked the delivery and then waited for the endpoint: a deadlock, one side killed with an
    error (the admin's page, or the worker's pass). On SQLite the record read the delivery, the delete committed, and
    its update of the deleted row raised StaleDataError out of the worker's pass. Both now lock the endpoint first."""
    desk = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests(), webhook_allow_private=True))
    try:
        endpoint, _ = desk.webhooks.create("crm", "http://127.0.0.1:9/hook", ["ticket.created"])
        desk.tickets.create(NewTicket(email="lina@example.com", subject="s", body="b", notify=False))
        with desk.db.session() as session:
            delivery = session.scalars(select(WebhookDelivery)).one().id
        meeting = threading.Barrier(2)
        original_get, original_endpoint = Session.get, desk.webhooks._endpoint

        def meet() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                meeting.wait(timeout=MEETING_WAIT)

        def get(self: Session, entity: Any, ident: Any, **kwargs: Any) -> Any:
            found = original_get(self, entity, ident, **kwargs)
            if entity is WebhookDelivery and kwargs.get("with_for_update"):
                meet()  # the worker holds the delivery's lock
            return found

        def endpoint_locked(session: Session, endpoint_id: int) -> Any:
            found = original_endpoint(session, endpoint_id)
            meet()  # the admin holds the endpoint's lock
            return found

        monkeypatch.setattr(Session, "get", get)
        monkeypatch.setattr(desk.webhooks, "_endpoint", endpoint_locked)
        done = at_once([lambda: desk.webhooks.record_try(delivery, "{}", webhooks_module.Outcome(200)),
                        lambda: desk.webhooks.delete(endpoint.id, SYSTEM)], [], monkeypatch)
        assert not any(isinstance(result, Exception) for result in done), done
        monkeypatch.undo()
        with desk.db.session() as session:
            assert session.scalars(select(WebhookDelivery)).all() == []
        assert desk.webhooks.endpoints() == []
    finally:
        desk.close()


def test_clearing_a_required_field_while_solving_never_leaves_a_solved_ticket_without_it(
        fields_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault: both writes lock the ticket (`changeable`), but the clear, waiting for the solve, then cleared the
    required order number of the ticket just solved: solved without it. A solved ticket's required field cannot be
    cleared now, so the pair comes out as one of: solved with the value, or open without it."""
    desk: Desk = fields_app.extensions["desk"]
    ticket = new_ticket(fields_app)
    agent = desk.accounts.find("sara@example.com")
    assert agent is not None
    set_fields(desk.tickets, ticket, {"order_number": "A-1"}, "en", SYSTEM)
    done = at_once([lambda: desk.tickets.update(ticket, status="solved", agent_id=agent.id),
                    lambda: set_fields(desk.tickets, ticket, {"order_number": ""}, "en", SYSTEM)],
                   [(ticket_fields_module, "missing_to_solve"), (ticket_fields_module, "checked_values")], monkeypatch)
    assert not any(isinstance(result, Exception) and not isinstance(result, FieldsRefused) and not refused(result)
                   for result in done), done
    status = desk.tickets.get(ticket).status
    assert (status, stored_fields(fields_app, ticket).get("order_number")) in (("solved", "A-1"), ("open", None)), done


def test_two_adds_at_the_cap_keep_the_cap(cc_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pinned: two agents adding the last CC place at once: one is added, the other refused naming the field."""
    desk = Desk(replace(cc_settings, max_ccs=1))
    try:
        ticket_id = desk.mail_in.receive(mail("Help")).ticket_id
        assert ticket_id is not None
        done = at_once([lambda: desk.ccs.add(ticket_id, "rami@example.com", SYSTEM),
                        lambda: desk.ccs.add(ticket_id, "nour@example.com", SYSTEM)],
                       [(ccs_module, "cc_of")], monkeypatch)
        assert sum(result is True for result in done) == 1 and any(refused(result) for result in done), done
        assert len(cc_emails(desk, ticket_id)) == 1
    finally:
        desk.close()


def test_adding_and_removing_one_cc_at_once_leaves_history_matching_the_list(
        cc_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket_id = cc_desk.mail_in.receive(mail("Help", cc="rami@example.com")).ticket_id
    assert ticket_id is not None
    done = at_once([lambda: cc_desk.ccs.remove(ticket_id, "rami@example.com", SYSTEM),
                    lambda: cc_desk.ccs.add(ticket_id, "Rami@Example.com", SYSTEM)],
                   [(ccs_module, "cc_of")], monkeypatch)
    assert not any(isinstance(result, Exception) and not refused(result) for result in done), done
    with cc_desk.db.session() as session:
        changes = session.scalars(select(TicketCcChange).where(TicketCcChange.ticket_id == ticket_id)
                                  .order_by(TicketCcChange.id)).all()
        on_list = bool(cc_emails(cc_desk, ticket_id))
        assert (changes[-1].kind == "added") is on_list, [c.kind for c in changes]


def test_a_solved_tickets_required_field_cannot_be_cleared_but_reopening_in_the_same_patch_may(
        fields_app: Flask) -> None:
    """The same fault without a race: PATCH {"fields": {"order_number": null}} on a solved ticket is a 400 naming
    the field, nothing written; with "status": "open" in the same request it is taken."""
    desk: Desk = fields_app.extensions["desk"]
    ticket = new_ticket(fields_app)
    set_fields(desk.tickets, ticket, {"order_number": "A-1"}, "en", SYSTEM)
    desk.tickets.update(ticket, status="solved")
    client, auth = fields_app.test_client(), api(fields_app)
    answer = client.patch(f"/api/v1/tickets/{ticket}", headers=auth, json={"fields": {"order_number": None}})
    assert answer.status_code == 400 and "fields.order_number" in answer.get_json()["error"], answer.get_json()
    assert stored_fields(fields_app, ticket) == {"order_number": "A-1"}
    with pytest.raises(FieldsRefused) as page:
        set_fields(desk.tickets, ticket, {"order_number": ""}, "en", SYSTEM)
    assert set(page.value.errors) == {"order_number"}
    assert stored_fields(fields_app, ticket) == {"order_number": "A-1"}
    reopened = client.patch(f"/api/v1/tickets/{ticket}", headers=auth,
                            json={"status": "open", "fields": {"order_number": None}})
    assert reopened.status_code == 200 and stored_fields(fields_app, ticket) == {}


# --- triggers and mail loops ------------------------------------------------------------------------------------------

ANSWERING = """\
- name: Acknowledge every refund word
  on: [created, customer_reply]
  if: {text: [refund]}
  then: {reply_macro: refund-on-its-way}
"""


def test_an_auto_reply_to_a_triggers_reply_fires_no_trigger_and_no_mail(tmp_path: Path) -> None:
    """Mail loops: a trigger answers "refund" on every customer message; the customer's (and a CC's) out-of-office
    answering that reply quotes "refund" back. Each auto-reply is kept as an internal note and fires nothing, so one
    reply is queued, not one per bounce."""
    from tests.desk.test_ccs import token_of
    from tests.desk.test_triggers import open_desk

    desk = open_desk(tmp_path, ANSWERING)  # KB_MAIL_FROM as the default: support@manzil.example
    try:
        first = desk.mail_in.receive(mail("Where is my refund?", cc="rami@example.com"))
        assert first.ticket_id is not None
        token = token_of(desk, first.ticket_id)
        for sender, header in (("lina@example.com", {"Auto_Submitted": "auto-replied"}),
                               ("rami@example.com", {"Precedence": "auto_reply"}),
                               ("lina@example.com", {"X_Autoreply": "yes"})):
            bounced = desk.mail_in.receive(mail("I am away. > Your refund is on its way", sender=sender,
                                                to=f"support+{token}@manzil.example", **header))
            assert bounced.ticket_id == first.ticket_id
        with desk.db.session() as session:
            replies = session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == first.ticket_id,
                                                               OutboxMail.kind == "reply")).all()
            assert len(replies) == 1
    finally:
        desk.close()


# --- CCs: a campaign through the API ----------------------------------------------------------------------------------

LOCAL = st.text(alphabet=st.sampled_from(list("abcXYZ019.+-_'!#%&*/=?^`{|}~,;:<>()[]\\\"@ \r\n\u202eé")), min_size=1,
                max_size=12)


@FUZZ
@given(local=LOCAL, domain=st.sampled_from(["example.com", "ex(ample.com", "example.com,b", "مثال.com", "a..com"]))
def test_property_an_api_cc_is_taken_only_as_a_cc_line_reads_it(fields_app: Flask, local: str, domain: str) -> None:
    """Any address an API client adds as a CC: a 400 naming the CC field, or a 200 with the address stored such that
    the mail parser reads a Cc: line of it back as exactly that one address; never a 500."""
    ticket = new_ticket(fields_app)
    address = f"{local}@{domain}"
    answer = fields_app.test_client().patch(f"/api/v1/tickets/{ticket}", headers=api(fields_app),
                                            json={"add_ccs": [address]})
    assert answer.status_code in (200, 400), answer.status_code
    if answer.status_code == 400:
        assert "ccs" in answer.get_json()["error"] or "email" in answer.get_json()["error"], answer.get_json()
        return
    stored = [cc["email"] for cc in answer.get_json()["ccs"]]
    assert len(stored) == 1
    message = EmailMessage(policy=MAIL_POLICY)
    message["Cc"] = ", ".join([*stored, "ok@example.com"])
    assert [a.addr_spec for a in message["Cc"].addresses] == [*stored, "ok@example.com"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hooks/a b", "http://127.0.0.1:9/a\tb", "http://127.0.0.1:9/é",
                                 "http://127.0.0.1:9/x?q=ü"])
def test_a_url_http_cannot_send_is_refused_at_save_naming_it(tmp_path: Path, url: str) -> None:
    """Fault: a space was saved and every try failed as a network error (retried, the endpoint turned off); a tab
    was dropped by the URL parser (another path than the admin typed); "é" raised out of the worker's pass."""
    desk = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests(), webhook_allow_private=True))
    try:
        with pytest.raises(InputError) as refused:
            desk.webhooks.create("crm", url, ["ticket.created"])
        assert refused.value.field == "url"
        assert desk.webhooks.endpoints() == []
    finally:
        desk.close()


def test_a_url_saved_before_the_check_fails_its_delivery_without_stopping_the_pass(tmp_path: Path) -> None:
    desk = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests(), webhook_allow_private=True))
    try:
        endpoint, _ = desk.webhooks.create("crm", "http://127.0.0.1:9/hook", ["ticket.created"])
        with desk.db.session() as session:  # as a row from before the check, or written by hand
            found = session.get(WebhookEndpoint, endpoint.id)
            assert found is not None
            found.url = "http://127.0.0.1:9/é"
        desk.tickets.create(NewTicket(email="lina@example.com", subject="s", body="b", notify=False))
        assert deliver_webhooks(desk, desk.settings) == 1
        with desk.db.session() as session:
            row = session.scalars(select(WebhookDelivery)).one()
            assert row.state == "failed" and "url" in (row.last_error or "")
    finally:
        desk.close()
