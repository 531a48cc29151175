"""An agent's own password by email (webapp.agent_password, desk.accounts): an admin's invitation and "Forgot your
password?", through the real app, the real outbox and a real SMTP sink on loopback, on both engines.

Zendesk and Chatwoot invite a new agent by email and let an agent reset a forgotten password by email; before, the
admin set each password and passed it on some other way, and an agent who forgot theirs asked an admin.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.audit import SYSTEM
from desk.desk import Desk
from desk.models import Agent, AuditEvent, OutboxMail
from kb.settings import Settings
from tests.conftest import agents_column_up_and_down
from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, csrf, light_settings, login, signed_in  # noqa: F401
from webapp import create_app
from webapp.mail_commands import deliver_pending_mail

NEW_PASSWORD = "my very own password"
LINK = re.compile(r"https?://[^\s\"<>]+/agent/password/[A-Za-z0-9_.\-]+")


@pytest.fixture
def app(light_settings: Settings, sink: SmtpSink) -> Flask:  # noqa: F811
    app = create_app(replace(light_settings, smtp_url=sink.url, languages=("en", "ar")))
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    return app


def _desk(app: Flask) -> Desk:
    return app.extensions["desk"]  # type: ignore[no-any-return]


def _mails(app: Flask, sink: SmtpSink) -> list:  # noqa: F811
    """Every queued mail delivered to the sink; the messages received so far."""
    deliver_pending_mail(_desk(app), app.extensions["settings"])
    return sink.messages


def _link(mail) -> str:  # type: ignore[no-untyped-def]
    text = mail.get_body(("plain",)).get_content()
    found = LINK.search(text)
    assert found, text
    return "/agent/password/" + found.group(0).rsplit("/agent/password/", 1)[1]


def _admin_post(admin: FlaskClient, token: str, **data: str):  # type: ignore[no-untyped-def]
    return admin.post("/agent/admin", data={"csrf_token": token, **data}, follow_redirects=True)


def _invite(admin: FlaskClient, token: str, email: str = "nadia@example.com", lang: str = "ar"):  # type: ignore[no-untyped-def]
    return _admin_post(admin, token, action="agent", setup="invite", email=email, name="Nadia", role="agent",
                       lang=lang, password="")


def _actions(app: Flask, agent_id: int) -> list[str]:
    with _desk(app).db.session() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "agent",
                                                                    AuditEvent.subject == str(agent_id))
                                    .order_by(AuditEvent.id)))


def _rows(app: Flask) -> tuple[object, ...]:
    """What a GET must not change: the agents, the audit log, the outbox."""
    with _desk(app).db.session() as session:
        agents = tuple(session.execute(select(Agent.id, Agent.password_hash, Agent.session_token, Agent.invited_at,
                                              Agent.active).order_by(Agent.id)).all())
        return (agents, session.scalar(select(func.count()).select_from(AuditEvent)),
                session.scalar(select(func.count()).select_from(OutboxMail)))


def _set(client: FlaskClient, link: str, password: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    token = csrf(client.get("/agent/password/forgot").get_data(as_text=True))  # a link gone has no form
    return client.post(link, data={"csrf_token": token, "password": password}, headers={"Accept-Language": lang})


def test_an_invited_agent_chooses_their_password_and_is_signed_in(app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    admin, token = signed_in(app, "admin@example.com")
    page = unescape(_invite(admin, token).get_data(as_text=True))
    assert "Invitation emailed to nadia@example.com." in page
    nadia = _desk(app).accounts.find("nadia@example.com")
    assert nadia is not None and nadia.invited_at is not None and nadia.active and nadia.locale == "ar"
    assert f'id="invited-{nadia.id}"' in page and "Invited, not yet accepted" in page
    assert login(app.test_client(), "nadia@example.com", "").status_code != 302  # no password anyone knows

    [mail] = _mails(app, sink)
    assert mail["To"] == "nadia@example.com" and "مدعو" in str(mail["Subject"])  # the language the admin picked
    assert "اختر كلمة مرورك" in mail.get_body(("plain",)).get_content()
    link = _link(mail)

    client = app.test_client()
    before = _rows(app)
    form = client.get(link)  # the browser speaks English; the link says Arabic
    assert form.status_code == 200 and "nadia@example.com" in form.get_data(as_text=True)
    assert 'lang="ar"' in form.get_data(as_text=True)
    assert _rows(app) == before  # the GET wrote nothing

    short = _set(client, link, "short")
    assert short.status_code == 400
    assert "كلمة المرور" in unescape(short.get_data(as_text=True)) and 'aria-invalid="true"' in short.get_data(
        as_text=True)
    assert _desk(app).accounts.find("nadia@example.com").invited_at is not None  # nothing half-written

    done = _set(client, link, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"].endswith("/agent/")
    assert client.get("/agent/").status_code == 200  # signed in
    nadia = _desk(app).accounts.find("nadia@example.com")
    assert nadia.invited_at is None
    assert _actions(app, nadia.id) == ["agent_created", "agent_invited", "password_changed", "invitation_accepted"]
    assert login(app.test_client(), "nadia@example.com", NEW_PASSWORD).status_code == 302

    again = app.test_client().get(link)  # used: a page saying so, in the link's language
    assert again.status_code == 410 and 'id="link-gone"' in again.get_data(as_text=True)
    assert "هذا الرابط" in unescape(again.get_data(as_text=True))
    assert _set(app.test_client(), link, "another long password").status_code == 410
    assert "Invited, not yet accepted" not in admin.get("/agent/admin").get_data(as_text=True)


def test_resend_replaces_the_link_and_revoke_stops_it(app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    admin, token = signed_in(app, "admin@example.com")
    _invite(admin, token, lang="en")
    nadia = _desk(app).accounts.find("nadia@example.com")
    first = _link(_mails(app, sink)[0])
    page = unescape(_admin_post(admin, token, action="invite_resend", agent_id=str(nadia.id)).get_data(as_text=True))
    assert "Invitation sent again." in page
    second = _link(_mails(app, sink)[1])
    assert "invited to the" in str(sink.messages[1]["Subject"])  # the agent's language, English
    assert app.test_client().get(first).status_code == 410  # the one before stops working
    assert app.test_client().get(second).status_code == 200

    page = unescape(_admin_post(admin, token, action="invite_revoke", agent_id=str(nadia.id)).get_data(as_text=True))
    assert "Invitation revoked" in page
    assert app.test_client().get(second).status_code == 410
    nadia = _desk(app).accounts.find("nadia@example.com")
    assert not nadia.active and nadia.invited_at is None
    refused = unescape(_admin_post(admin, token, action="invite_resend", agent_id=str(nadia.id)).get_data(as_text=True))
    assert "this agent has no invitation waiting" in refused and len(_mails(app, sink)) == 2
    assert _actions(app, nadia.id) == ["agent_created", "agent_invited", "invitation_resent", "invitation_revoked"]


def test_a_refused_invitation_keeps_what_was_typed_and_the_password_route_stays(app: Flask,
                                                                                 sink: SmtpSink) -> None:  # noqa: F811
    admin, token = signed_in(app, "admin@example.com")
    refused = _invite(admin, token, email="agent@example.com")  # taken
    html = unescape(refused.get_data(as_text=True))
    assert "an agent agent@example.com already exists" in html and 'value="agent@example.com"' in html
    assert re.search(r'value="invite" checked', html) and re.search(r'<option value="ar" selected', html)
    with_password = _admin_post(admin, token, action="agent", setup="password", email="omar@example.com", name="Omar",
                                role="agent", password="short")
    assert "password: must be at least 10 characters" in unescape(with_password.get_data(as_text=True))
    _admin_post(admin, token, action="agent", setup="password", email="omar@example.com", name="Omar", role="agent",
                password=PASSWORD)
    assert login(app.test_client(), "omar@example.com").status_code == 302
    assert _mails(app, sink) == []  # no invitation mailed for either


def test_forgot_password_answers_the_same_and_the_link_works_once(app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    desk = _desk(app)
    desk.accounts.create_agent("gone@example.com", PASSWORD, name="Gone")
    desk.accounts.manage(desk.accounts.find("gone@example.com").id, by=SYSTEM, active=False)
    elsewhere, _ = signed_in(app, "agent@example.com")  # the agent's other browser

    client = app.test_client()
    assert 'id="forgot-password"' in client.get("/agent/login").get_data(as_text=True)
    answers = []
    for email in ("Agent@Example.com", "nobody@example.com", "gone@example.com"):
        token = csrf(client.get("/agent/password/forgot").get_data(as_text=True))
        answer = client.post("/agent/password/forgot", data={"csrf_token": token, "email": email},
                             follow_redirects=True)
        # The CSRF token carries the second it was signed: a second passing between the posts is no difference.
        shown = re.sub(r'(csrf-token" content=|csrf_token" type="hidden" value=)"[^"]+', r"\1",
                       answer.get_data(as_text=True))
        answers.append((answer.status_code, shown.replace(email, "")))
    assert len(set(answers)) == 1 and answers[0][0] == 200 and "If this address belongs to an agent" in answers[0][1]
    [mail] = _mails(app, sink)  # the active agent's only
    assert mail["To"] == "agent@example.com" and "new password" in str(mail["Subject"])
    link = _link(mail)

    agent = desk.accounts.find("agent@example.com")
    assert _actions(app, agent.id) == ["agent_created", "password_reset_requested"]
    assert login(app.test_client(), "agent@example.com").status_code == 302  # asking changes nothing yet
    too_long = _set(app.test_client(), link, "p" * 201)  # the login form's bound: it could never sign in
    assert too_long.status_code == 400 and "password: at most 200 characters" in unescape(too_long.get_data(
        as_text=True))
    done = _set(app.test_client(), link, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"].endswith("/agent/")
    assert elsewhere.get("/agent/").status_code == 302  # the other session ended
    assert _actions(app, agent.id)[-1] == "password_changed"
    assert login(app.test_client(), "agent@example.com").status_code != 302  # the old password
    assert app.test_client().get(link).status_code == 410  # once


def test_a_reset_link_of_a_deactivated_or_two_factor_agent(app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    desk = _desk(app)
    agent = desk.accounts.find("agent@example.com")
    secret = desk.two_factor.start(agent.id)
    desk.two_factor.confirm(agent.id, pyotp.TOTP(secret).now(), by=SYSTEM)
    client = app.test_client()
    token = csrf(client.get("/agent/password/forgot").get_data(as_text=True))
    client.post("/agent/password/forgot", data={"csrf_token": token, "email": "agent@example.com"})
    link = _link(_mails(app, sink)[0])
    done = _set(client, link, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"].endswith("/agent/login/code")  # two-factor as usual
    assert client.get("/agent/").status_code == 302  # not signed in before the code

    client.post("/agent/password/forgot", data={"csrf_token": token, "email": "agent@example.com"})
    link = _link(_mails(app, sink)[1])
    desk.accounts.manage(agent.id, by=SYSTEM, active=False)  # deactivated after the mail
    assert app.test_client().get(link).status_code == 410
    assert _set(app.test_client(), link, "another long password").status_code == 410


def test_bad_and_expired_links_are_pages_saying_so(app: Flask, sink: SmtpSink,  # noqa: F811
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.test_client()
    before = _rows(app)
    assert client.get("/agent/password/%00").status_code == 404  # refused before routing, as every NUL path
    for bad in ("not-a-link", "x" * 3000, "WzEsImludml0ZSJd.abc.def", "WzEsImludml0ZSJd"):
        answer = client.get(f"/agent/password/{bad}", headers={"Accept-Language": "ar"})
        assert answer.status_code == 404 and 'data-why="bad"' in answer.get_data(as_text=True)
        assert "هذا الرابط" in unescape(answer.get_data(as_text=True))  # the browser's language
        assert _set(client, f"/agent/password/{bad}", NEW_PASSWORD).status_code == 404
    assert _rows(app) == before

    token = csrf(client.get("/agent/password/forgot").get_data(as_text=True))
    client.post("/agent/password/forgot", data={"csrf_token": token, "email": "agent@example.com"})
    link = _link(_mails(app, sink)[0])
    import webapp.agent_password as agent_password

    later = agent_password.time.time() + agent_password.RESET_MAX_AGE + 5
    monkeypatch.setattr(agent_password.time, "time", lambda: later)
    expired = client.get(link)
    assert expired.status_code == 410 and 'data-why="gone"' in expired.get_data(as_text=True)
    assert "expired" in expired.get_data(as_text=True)
    assert login(app.test_client(), "agent@example.com").status_code == 302  # the password unchanged


def test_forgot_password_is_rate_limited_and_refuses_a_malformed_address(app: Flask) -> None:
    client = app.test_client()
    token = csrf(client.get("/agent/password/forgot").get_data(as_text=True))
    typo = client.post("/agent/password/forgot", data={"csrf_token": token, "email": "agent at example"})
    assert typo.status_code == 400 and 'value="agent at example"' in typo.get_data(as_text=True)
    codes = [client.post("/agent/password/forgot", data={"csrf_token": token, "email": "agent@example.com"}).status_code
             for _ in range(5)]
    assert codes[:4] == [302] * 4 and codes[-1] == 429  # the contact form's limit: 5 a minute, the typo counted


def test_the_migration_adds_invited_at_and_goes_down(tmp_path: Path) -> None:
    agents_column_up_and_down(tmp_path, "agent_notify_mail", "agent_invitations", "invited_at")


def test_one_link_submitted_twice_at_once_sets_one_password(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two tabs posting one link, met after each read the link as good: the row locked and the link checked again in
    the transaction, one sets the password and the other is told the link is gone (on SQLite, or the busy database)."""
    from desk.accounts import Accounts, PasswordLinkGone, link_state
    from desk.database import StorageUnavailableError
    from tests.races import at_once

    accounts = _desk(app).accounts
    agent = accounts.find("agent@example.com")
    state = link_state(agent)

    def submit(password: str) -> object:
        found = accounts.link_agent(agent.id, state)
        assert found is not None
        return accounts.set_password_by_link(found.id, state, password)

    results = at_once([lambda: submit("first long password"), lambda: submit("second long password")],
                      [(Accounts, "link_agent")], monkeypatch)
    assert sum(isinstance(r, Agent) for r in results) == 1, results
    assert sum(isinstance(r, PasswordLinkGone | StorageUnavailableError) for r in results) == 1, results
    assert _actions(app, agent.id).count("password_changed") == 1
