"""Hostile input against session 34's surfaces (hostile34): side conversations (their API, pages and mail), agent
single sign-on (a provider answering junk, tokens signed the wrong way), passkeys (malformed ceremonies, a `next` of
any JSON type), webhook endpoint URLs, and the rule files followed while the desk runs.

Concrete cases first (each a fault found and fixed, or a rule pinned), then hypothesis campaigns. The real app, a real
OpenID provider and a real SMTP listener; SQLite and (`--postgresql`) PostgreSQL; KB_FUZZ_EXAMPLES (default 40)
examples per property.
"""

from __future__ import annotations

import json
import os
import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from desk.audit import SYSTEM
from desk.business_hours import CONFIG_FILE
from desk.desk import Desk
from desk.mail.compose import MAIL_POLICY, compose
from desk.mail.listener import start_listener
from desk.models import InboundMail, OutboxMail, SideConversation
from desk.tickets import InputError, NewTicket
from desk.webhooks import public_addresses
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from kb.triggers import TRIGGERS_FILE
from tests.conftest import copy_slice, database_url_for_tests
from tests.desk.test_mail_out import deliver
from tests.desk.test_rules_reload import reloading_desk
from tests.desk.test_teams import hours_file
from tests.smtp_sink import SmtpSink, free_port, sink  # noqa: F401
from tests.soft_authenticator import SoftPasskey
from tests.webapp.light_app import PASSWORD, client_for, csrf, login
from tests.webapp.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from webapp import create_app
from webapp.cli import main
from webapp.mail_templates import EmailTemplates

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
ORIGIN = "http://localhost"  # the test client's
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)


# --- webhooks: a URL the parser cannot read ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://[::1", "http://[::1", "https://[x]/", "https://]/", "https://[93.184.215.14]/"])
def test_a_url_with_broken_brackets_is_refused_naming_the_field(url: str) -> None:
    """Fault: urlsplit's ValueError ("Invalid IPv6 URL") came out of the check: creating or editing an endpoint with
    such a URL on the admin page was a 500."""
    with pytest.raises(InputError) as refused:
        public_addresses(url, allow_private=False)
    assert refused.value.field == "url" and "brackets" in str(refused.value)


def test_the_admin_page_names_a_broken_url_on_create_and_edit(tmp_path: Path, content_dir: Path) -> None:
    app = create_app(Settings(content_dir=content_dir, data_dir=tmp_path, database_url=database_url_for_tests(),
                              webhook_allow_private=True))
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    endpoint, _ = desk.webhooks.create("crm", "http://127.0.0.1:9/hook", ["ticket.created"])
    admin = client_for(app, "admin@example.com")
    token = csrf(admin.get("/agent/admin/webhooks").get_data(as_text=True))
    for form in ({"action": "create", "name": "n", "url": "https://[::1", "events": ["ticket.created"]},
                 {"action": "edit", "webhook_id": str(endpoint.id), "url": "https://[x]/",
                  "events": ["ticket.created"]}):
        page = admin.post("/agent/admin/webhooks", data={**form, "csrf_token": token})
        assert page.status_code == 200 and "check the brackets around its host" in page.get_data(as_text=True)
    assert [e.url for e in desk.webhooks.endpoints()] == ["http://127.0.0.1:9/hook"]


@pytest.mark.parametrize("args", [["deliveries", "99999999999999999999"], ["deliveries", "--", "-1"],
                                  ["replay", "99999999999999999999"], ["edit", "99999999999999999999", "--url",
                                                                       "https://[::1"]])
def test_kb_webhooks_with_an_id_out_of_range_answers_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                args: list[str]) -> None:
    """Fault: `kb webhooks deliveries 99999999999999999999` ended in a traceback (OverflowError from the driver)."""
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path))
    if database_url_for_tests():
        monkeypatch.setenv("DATABASE_URL", str(database_url_for_tests()))
    answer = CliRunner().invoke(main, ["webhooks", *args])
    assert answer.exception is None or isinstance(answer.exception, SystemExit), answer.output
    assert "Traceback" not in answer.output and answer.output.strip() in (
        "", "Error: delivery: no webhook delivery 99999999999999999999",
        "Error: url: the address cannot be read: check the brackets around its host"), answer.output


# --- a subject with a line break: every mail of it was never composed -------------------------------------------------


@pytest.fixture
def mail_desk(tmp_path: Path, sink: SmtpSink) -> Iterator[Desk]:  # noqa: F811
    opened = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests(), mail_from="support@manzil.example",
                           base_url="https://help.manzil.example", smtp_url=sink.url))
    yield opened
    opened.close()


@pytest.mark.parametrize("subject", ["Parcel\r\nBcc: evil@attacker.example", "Parcel\u2028late", "Parcel\u2029\x0bx"])
def test_a_subject_with_a_line_break_is_mailed_on_one_line(mail_desk: Desk, sink: SmtpSink, subject: str) -> None:  # noqa: F811
    """Fault: a side conversation's subject (or a ticket's, typed through the API or mailed in) holding a line break
    ("\\n", but also U+2028, which the email package splits on) was stored, and its mail then failed to compose at
    every try: the third party never got the agent's message, the customer never got the confirmation. No header
    is injected either way."""
    ticket = mail_desk.tickets.create(NewTicket(email="lina@example.com", subject=subject, body="Where is it?"))
    mail_desk.side_conversations.start(ticket.id, "desk@courier.example", subject, "Please trace it.", SYSTEM)
    assert deliver(mail_desk, mail_desk.settings) == 2
    with mail_desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))) == 0
    assert sorted(sink.handler.envelopes[i][1][0] for i in range(2)) == ["desk@courier.example", "lina@example.com"]
    for mail in sink.messages:
        assert "\n" not in str(mail["Subject"]) and "\u2028" not in str(mail["Subject"]) and mail["Bcc"] is None
        assert "Parcel" in str(mail["Subject"])
    assert all(b"evil@attacker.example>" not in raw and b"\r\nBcc:" not in raw for raw in sink.raw)


@FUZZ
@given(subject=st.text(max_size=80))
def test_property_any_side_conversation_subject_is_refused_or_composes_on_one_line(mail_desk: Desk,
                                                                                   subject: str) -> None:
    """Whatever an API client sends as the subject: refused naming `subject`, or a mail that composes, its Subject
    one line ending with the conversation's tag."""
    ticket_id = mail_desk.tickets.create(NewTicket(email="lina@example.com", subject="Parcel", body="b",
                                                   notify=False)).id if not mail_desk.tickets.get(1) else 1
    try:
        side = mail_desk.side_conversations.start(ticket_id, ["desk@courier.example"], subject, "Trace it.", SYSTEM)
    except InputError as error:
        assert error.field == "subject"
        return
    with mail_desk.db.session() as session:
        row = session.scalars(select(OutboxMail).where(OutboxMail.side_message_id == side.messages[0].id)).one()
        token = session.scalar(select(SideConversation.token).where(SideConversation.id == side.id))
        composed = compose(session, row, mail_desk.settings, EmailTemplates(mail_desk.settings))
        header = str(composed["Subject"])
        composed.as_string(policy=MAIL_POLICY)
    assert not any(c in header for c in "\r\n\u2028\u2029\x0b\x0c") and header.endswith(f"[#mz-{token}]"), header


def test_hostile_side_conversation_mail_through_the_smtp_listener(mail_desk: Desk) -> None:
    """Pinned, through the real SMTP listener: a participant's reply with an encoded, huge To, 8-bit junk and a
    Reply-To of our own address is the side conversation's (never the customer's thread); the same participant
    writing to another ticket's side conversation token, and the customer writing to the token, are held; our own
    address as the sender is a loop. Nothing reaches the ticket's public thread, nothing is lost (each is a row)."""
    first = mail_desk.tickets.create(NewTicket(email="lina@example.com", subject="Parcel", body="Where?",
                                               notify=False))
    other = mail_desk.tickets.create(NewTicket(email="omar@example.com", subject="Refund", body="When?", notify=False))
    side = mail_desk.side_conversations.start(first.id, "desk@courier.example", "", "Trace it.", SYSTEM)
    foreign = mail_desk.side_conversations.start(other.id, "bank@example.net", "", "Refund it.", SYSTEM)
    with mail_desk.db.session() as session:
        token = session.scalar(select(SideConversation.token).where(SideConversation.id == side.id))
        foreign_token = session.scalar(select(SideConversation.token).where(SideConversation.id == foreign.id))
    many = ",\r\n ".join(f"=?utf-8?b?2YXYsdit2KjYpw==?= <x{i}@example.org>" for i in range(400))  # folded
    mails = [
        ("desk@courier.example", f"To: {many}, support+{token}@manzil.example\r\nReply-To: support@manzil.example\r\n"
         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
         "Re: \xff\xfe Parcel".encode("latin-1"), b"It is in Jeddah \xff\xc3(\x00"),
        ("desk@courier.example", f"To: support+{foreign_token}@manzil.example\r\n", b"Re: Refund", b"Peek"),
        ("lina@example.com", f"To: support+{token}@manzil.example\r\n", b"Re: Parcel", b"Me too"),
        ("support@manzil.example", f"To: support+{token}@manzil.example\r\n", b"Re: Parcel", b"Echo"),
    ]
    port = free_port()
    controller = start_listener(mail_desk.mail_in, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            for number, (sender, headers, subject, body) in enumerate(mails):
                raw = (f"From: {sender}\r\n{headers}Message-ID: <h34-{number}@example.org>\r\n".encode()
                       + b"Subject: " + subject + b"\r\n\r\n" + body + b"\r\n")
                client.sendmail(sender, [f"support+{foreign_token if number == 1 else token}@manzil.example"], raw)
    finally:
        controller.stop()
    [mine] = mail_desk.side_conversations.for_ticket(first.id)
    assert [(m.author, m.from_address) for m in mine.messages] == [("agent", ""), ("third_party",
                                                                                   "desk@courier.example")]
    assert "It is in Jeddah" in mine.messages[1].body and "\x00" not in mine.messages[1].body
    [theirs] = mail_desk.side_conversations.for_ticket(other.id)
    assert len(theirs.messages) == 1
    assert [m.body for m in mail_desk.tickets.get(first.id).messages] == ["Where?"]  # type: ignore[union-attr]
    with mail_desk.db.session() as session:
        outcomes = session.execute(select(InboundMail.mail_message_id, InboundMail.outcome, InboundMail.reason_code)
                                   .order_by(InboundMail.id)).all()
    assert [tuple(row) for row in outcomes] == [
        ("<h34-0@example.org>", "side_reply", None), ("<h34-1@example.org>", "rejected", "side_stranger"),
        ("<h34-2@example.org>", "rejected", "side_stranger"), ("<h34-3@example.org>", "loop", "loop")]


@pytest.mark.parametrize("mine_first", [True, False])
def test_a_mail_naming_two_side_conversations_goes_by_the_first_named_on_every_engine(mail_desk: Desk,
                                                                                     mine_first: bool) -> None:
    """Fault: with two side conversations' tokens in its addresses, the database's row order chose which one a mail
    answered, and SQLite and PostgreSQL answered differently (one took the participant's mail as their reply, the other
    held it as a stranger's). Now the first token named decides, on both."""
    first = mail_desk.tickets.create(NewTicket(email="lina@example.com", subject="Parcel", body="Where?",
                                               notify=False))
    other = mail_desk.tickets.create(NewTicket(email="omar@example.com", subject="Refund", body="When?", notify=False))
    side = mail_desk.side_conversations.start(first.id, "desk@courier.example", "", "Trace it.", SYSTEM)
    foreign = mail_desk.side_conversations.start(other.id, "bank@example.net", "", "Refund it.", SYSTEM)
    with mail_desk.db.session() as session:
        tokens = [session.scalar(select(SideConversation.token).where(SideConversation.id == s.id))
                  for s in ((side, foreign) if mine_first else (foreign, side))]
    to = ", ".join(f"support+{token}@manzil.example" for token in tokens)
    raw = (f"From: desk@courier.example\r\nTo: {to}\r\nSubject: Re: Parcel\r\nMessage-ID: <two@example.org>\r\n"
           "\r\nIt is in Jeddah.\r\n").encode()
    received = mail_desk.mail_in.receive(raw)
    assert (received.outcome, received.side_conversation_id) == (("side_reply", side.id) if mine_first else
                                                                 ("rejected", None))


# --- single sign-on: what a provider can answer -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def sso_app(tmp_path_factory: pytest.TempPathFactory, provider: Provider) -> Flask:
    root = tmp_path_factory.mktemp("sso34")
    (root / "data").mkdir()
    app = create_app(Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data",
                              database_url=database_url_for_tests(), oidc_issuer=provider.issuer,
                              oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET, rate_limits=False))
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    return app


def back_from_provider(app: Flask, provider: Provider, email: object = "agent@example.com",
                       fault: str | None = None) -> tuple[FlaskClient, str]:
    """A browser sent to the provider and the callback path it comes back with (not yet followed)."""
    client = app.test_client()
    provider.sign_in_as("agent@example.com", fault=fault)
    provider.identity["email"] = email
    went = client.get("/agent/login/sso")
    back = requests.get(went.headers["Location"], allow_redirects=False, timeout=10)
    location = back.headers["Location"]
    return client, location[location.index("/agent/"):]


def signed_in(client: FlaskClient) -> bool:
    return client.get("/agent/").status_code == 200


@pytest.mark.parametrize("answer", [b"<html>Bad gateway</html>", b"[1, 2]", b"null", b'"token"', b"\xff\xfe"])
def test_a_token_endpoint_answering_no_json_object_signs_nobody_in(sso_app: Flask, provider: Provider,
                                                                   answer: bytes) -> None:
    """Fault: Authlib's ValueError ("Token endpoint response is not a JSON object") was a 500 at the callback."""
    client, callback = back_from_provider(sso_app, provider)
    provider.token_answer = (answer, "application/json")
    page = client.get(callback)
    assert page.status_code == 401 and "could not be checked" in page.get_data(as_text=True)
    assert not signed_in(client)


@pytest.mark.parametrize("fault", ["alg_none", "hs256_public"])
def test_an_unsigned_or_hmac_signed_id_token_signs_nobody_in(sso_app: Flask, provider: Provider, fault: str) -> None:
    """Pinned: "alg": "none", and HS256 keyed by the provider's public key (the algorithm confusion), are refused."""
    client, callback = back_from_provider(sso_app, provider, fault=fault)
    assert client.get(callback).status_code == 401 and not signed_in(client)


@pytest.mark.parametrize("email", ["agent\x00@example.com", "agent@example.com\x00", {"email": "agent@example.com"},
                                   ["agent@example.com"], "a" * 5000, "AGENT@EXAMPLE.COM\u200b"])
def test_an_email_claim_no_agent_can_have_is_refused(sso_app: Flask, provider: Provider, email: object) -> None:
    """Fault: an email claim holding NUL was a 500 on PostgreSQL (its text takes no NUL) as the agent was looked up."""
    client, callback = back_from_provider(sso_app, provider, email=email)
    assert client.get(callback).status_code == 401 and not signed_in(client)


@pytest.mark.parametrize("query", ["state=" + "x" * 1500, "state=a&state=b&code=c&code=d", "error=access_denied",
                                   "error=%ff%00&error_description=%ff&state=x", "code=%ff&state=%ff", "code=&state="])
def test_a_hostile_callback_query_signs_nobody_in(sso_app: Flask, provider: Provider, query: str) -> None:
    """Pinned: refused (a query that is not UTF-8: 400, as on every page), nobody signed in."""
    client, _ = back_from_provider(sso_app, provider)  # a real state waits in the session
    assert client.get("/agent/login/sso/callback?" + query).status_code in (400, 401) and not signed_in(client)


# --- passkeys ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def passkey_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    root = tmp_path_factory.mktemp("passkeys34")
    made = create_app(Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data",
                               database_url=database_url_for_tests(), passkey_origins=(ORIGIN,), rate_limits=False))
    made.extensions["desk"].accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    made.extensions["desk"].accounts.create_agent("omar@example.com", PASSWORD, name="Omar")  # no passkey: one step
    return made


@pytest.fixture(scope="module")
def sara_key(passkey_app: Flask) -> SoftPasskey:
    client = passkey_app.test_client()
    assert login(client, "sara@example.com").status_code == 302
    key = SoftPasskey("localhost", ORIGIN)
    token = csrf(client.get("/agent/profile").get_data(as_text=True))
    options = client.post("/agent/profile/passkeys/options", headers={"X-CSRFToken": token}).get_json()
    assert client.post("/agent/profile/passkeys", json={"name": "Laptop", "credential": key.register(options)},
                       headers={"X-CSRFToken": token}).status_code == 200
    return key


def meta_token(client: FlaskClient) -> str:
    html = client.get("/agent/login").get_data(as_text=True)
    return html.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("target", [{"a": 1}, ["/agent/profile"], 5, True])
def test_a_next_of_another_json_type_signs_in_to_the_inbox(passkey_app: Flask, sara_key: SoftPasskey,
                                                           target: object) -> None:
    """Fault: `"next": {...}` beside a good assertion was a 500 (safe_next called .split on it) after the agent was
    already signed in."""
    client = passkey_app.test_client()
    token = meta_token(client)
    options = client.post("/agent/login/passkey/options", json={}, headers={"X-CSRFToken": token}).get_json()
    answer = client.post("/agent/login/passkey", json={"credential": sara_key.assert_(options), "next": target},
                         headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json() == {"redirect": "/agent/"}
    assert signed_in(client)


@pytest.mark.parametrize("name", ["\x00", "\x00\x01 ", "\x07\n\x1b"])
def test_a_passkey_name_of_control_characters_is_refused_naming_it(passkey_app: Flask, name: str) -> None:
    """Fault: a name "\\x00" was stored on SQLite and a 500 on PostgreSQL; it is no name."""
    client, desk = passkey_app.test_client(), passkey_app.extensions["desk"]
    assert login(client, "omar@example.com").status_code == 302
    token = csrf(client.get("/agent/profile").get_data(as_text=True))
    options = client.post("/agent/profile/passkeys/options", headers={"X-CSRFToken": token}).get_json()
    omar = desk.accounts.find("omar@example.com").id
    key, before = SoftPasskey("localhost", ORIGIN), len(desk.passkeys.list(omar))
    refused = client.post("/agent/profile/passkeys", json={"name": name, "credential": key.register(options)},
                          headers={"X-CSRFToken": token})
    assert refused.status_code == 400 and refused.get_json()["field"] == "name", refused.get_data()
    assert len(desk.passkeys.list(omar)) == before  # nothing added


@FUZZ
@given(body=JSON, swap=st.sampled_from(["", "id", "rawId", "response", "clientDataJSON", "authenticatorData",
                                        "signature", "userHandle", "type"]))
# Found by CI-time fuzzing (session 41): a userHandle that is not base64url (one character, a non-ASCII digit) was
# py_webauthn's binascii/ValueError, not a WebAuthnException, and the sign-in a 500.
@example(body="a", swap="userHandle")
@example(body="\u0660", swap="userHandle")
@example(body="abcde", swap="rawId")
def test_property_a_passkey_sign_in_body_is_refused_or_signs_in_never_a_500(passkey_app: Flask,
                                                                           sara_key: SoftPasskey, body: Any,
                                                                           swap: str) -> None:
    """Any JSON as the body, or a good assertion with one part replaced by any JSON value: 200 (signed in: only the
    untouched assertion), 400 or 401; never a 500."""
    client = passkey_app.test_client()
    token = meta_token(client)
    options = client.post("/agent/login/passkey/options", json=body, headers={"X-CSRFToken": token})
    assert options.status_code == 200
    if swap:
        credential = sara_key.assert_(options.get_json())
        (credential["response"] if swap in credential["response"] else credential)[swap] = body
        body = {"credential": credential, "next": body}
    answer = client.post("/agent/login/passkey", data=json.dumps(body), headers={"X-CSRFToken": token,
                                                                                 "Content-Type": "application/json"})
    assert answer.status_code in (200, 400, 401), (answer.status_code, answer.get_data()[:200])
    assert (answer.status_code == 200) == signed_in(client)


# --- side conversations through the API -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, dict[str, str]]:
    root = tmp_path_factory.mktemp("side34")
    app = create_app(Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data",
                              database_url=database_url_for_tests(), mail_from="support@manzil.example",
                              rate_limits=False))
    desk: Desk = app.extensions["desk"]
    desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject="Parcel", body="Where is it?",
                                  notify=False))
    return app, {"Authorization": f"Bearer {desk.accounts.create_token('crm')}", "Content-Type": "application/json"}


def side_count(app: Flask) -> tuple[int, int]:
    with app.extensions["desk"].db.session() as session:
        return (session.scalar(select(func.count()).select_from(SideConversation)) or 0,
                session.scalar(select(func.count()).select_from(OutboxMail)) or 0)


@FUZZ
@given(to=JSON | st.lists(st.emails(), min_size=1, max_size=3), body=JSON, subject=JSON, files=JSON,
       twice=st.booleans())
def test_property_an_api_side_conversation_body_is_refused_whole_or_started(api_app: tuple[Flask, dict[str, str]],
                                                                           to: Any, body: Any, subject: Any,
                                                                           files: Any, twice: bool) -> None:
    """Any JSON types for to, body, subject and attachments (a key given twice too): 201, or 400 naming the field
    with nothing written; never a 500."""
    app, headers = api_app
    before = side_count(app)
    text = json.dumps({"to": to, "body": body, "subject": subject, "attachments": files})
    if twice:
        text = text[:-1] + ', "to": "x@example.com"}'
    answer = app.test_client().post("/api/v1/tickets/1/side_conversations", data=text, headers=headers)
    assert answer.status_code in (201, 400), (answer.status_code, answer.get_data()[:300])
    if answer.status_code == 400:
        assert side_count(app) == before and answer.get_json()["error"].startswith(
            ("to", "body", "subject", "attachments", "send a JSON object")), answer.get_json()
    else:
        assert side_count(app) == (before[0] + 1, before[1] + 1)


# --- rule files changed while the desk runs ---------------------------------------------------------------------------

HOSTILE_YAML = {
    "deep flow": "[" * 1500,
    "deep block": "".join(" " * i + "- \n" for i in range(1200)),
    "list as a key": "? [a, b]\n: c\n",
    "mapping as a key": "{a: 1}: 2\n",
    "an impossible date": "a: 2020-02-30\n",
    "an int of 5,000 digits": "a: " + "9" * 5000 + "\n",
}


@pytest.fixture(scope="module")
def rules_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    opened = reloading_desk(tmp_path_factory.mktemp("rules34"))
    yield opened
    opened.close()


GOOD_TRIGGER = "- name: Tag new\n  on: created\n  then: {add_tags: [kept]}\n"


def good_rules(desk: Desk) -> None:
    hours_file(desk.settings.content_dir)
    (desk.settings.content_dir / TRIGGERS_FILE).write_text(GOOD_TRIGGER, encoding="utf-8")
    (desk.settings.content_dir / FIELDS_FILE).unlink(missing_ok=True)
    desk.follow_rules()
    assert desk.rules_problem is None and [t.name for t in desk.triggers.rules] == ["Tag new"]


@pytest.mark.parametrize("name", [TRIGGERS_FILE, FIELDS_FILE, CONFIG_FILE])
@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_a_rule_file_the_yaml_reader_cannot_build_keeps_the_last_good_rules(rules_desk: Desk, name: str,
                                                                            kind: str) -> None:
    """Fault: a list or mapping as a key (TypeError), nesting deeper than Python's recursion (RecursionError), a date
    or int Python cannot build (ValueError) escaped `reload_rules`: the check between requests raised instead of
    keeping the last good rules and saying why."""
    good_rules(rules_desk)
    (rules_desk.settings.content_dir / name).write_text(HOSTILE_YAML[kind], encoding="utf-8")
    assert rules_desk.follow_rules() is False
    assert name in str(rules_desk.rules_problem)
    assert [t.name for t in rules_desk.triggers.rules] == ["Tag new"]


YAML_ALPHABET = st.sampled_from([*"[]{}:-?,&*!|>#'\"\n ab1", "2020-02-30", "99999", "<<", "!!set", "\t", "\x00"])


@FUZZ
@given(text=st.lists(YAML_ALPHABET, max_size=60).map("".join) | st.binary(max_size=40).map(
    lambda b: b.decode("latin-1")), name=st.sampled_from([TRIGGERS_FILE, FIELDS_FILE, CONFIG_FILE]))
def test_property_any_rule_file_text_is_taken_or_refused_keeping_the_last_good_rules(rules_desk: Desk, text: str,
                                                                                    name: str) -> None:
    good_rules(rules_desk)
    (rules_desk.settings.content_dir / name).write_text(text, encoding="utf-8")
    if not rules_desk.follow_rules():
        assert [t.name for t in rules_desk.triggers.rules] == ["Tag new"]
