"""Agents' single sign-on (webapp.single_sign_on): the desk's real app against a real OpenID provider on loopback
(tests/webapp/oidc_provider.py, served by waitress, signing RS256 ID tokens). A success signs the agent in as a password
does; a wrong nonce, a wrong audience, an expired token, a bad signature, an unverified email, an unknown email, a
deactivated agent and a replayed state are each refused and sign nobody in; KB_PASSWORD_SIGN_IN=off refuses agents'
passwords and keeps admins'. One app and one provider for the module (each test signs in from its own address, as the
login's rate limit counts per address); SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from desk.models import Agent, AuditEvent
from kb.settings import Settings, SettingsError
from tests.conftest import copy_slice, database_url_for_tests
from tests.webapp.light_app import PASSWORD, csrf, login
from tests.webapp.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from webapp import create_app

_ADDRESSES = itertools.count(10)


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, provider: Provider) -> Settings:
    root = tmp_path_factory.mktemp("sso")
    (root / "data").mkdir()
    return Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data",
                    database_url=database_url_for_tests(), oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                    oidc_client_secret=CLIENT_SECRET, oidc_name="Okta")


@pytest.fixture(scope="module")
def app(settings: Settings) -> Flask:
    app = create_app(settings)
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    accounts.create_agent("gone@example.com", PASSWORD, name="Gone")
    gone = accounts.find("gone@example.com")
    admin = accounts.find("admin@example.com")
    from desk.audit import Actor

    accounts.manage(gone.id, by=Actor.agent(admin.id), active=False)
    return app


def browser(app: Flask) -> FlaskClient:
    """A test client from an address of its own (the login's rate limit is per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"127.0.1.{next(_ADDRESSES)}"
    return client


def at_provider(client: FlaskClient, start: str = "/agent/login/sso") -> str:
    """Follow the login button to the provider and its redirect back: the callback's path and query."""
    went = client.get(start)
    assert went.status_code == 302, went.get_data(as_text=True)
    back = requests.get(went.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    parts = urlsplit(back.headers["Location"])
    return f"{parts.path}?{parts.query}"


def sign_on(client: FlaskClient, provider: Provider, email: str, **identity: object):  # type: ignore[no-untyped-def]
    provider.sign_in_as(email, **identity)  # type: ignore[arg-type]
    return client.get(at_provider(client))


def signed_in(client: FlaskClient) -> bool:
    return client.get("/agent/").status_code == 200


def sign_in_rows(app: Flask, email: str) -> list[AuditEvent]:
    with app.extensions["desk"].db.session() as session:
        agent_id = session.scalar(select(Agent.id).where(Agent.email == email))
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.subject_type == "agent", AuditEvent.subject == str(agent_id),
            AuditEvent.action.in_(("sign_in_succeeded", "sign_in_failed"))).order_by(AuditEvent.id)))


def test_an_agent_signs_in_through_the_provider_with_pkce(app: Flask, provider: Provider) -> None:
    page = browser(app).get("/agent/login?next=/agent/profile").get_data(as_text=True)
    assert 'id="sso-button"' in page and "Sign in with Okta" in page and "next=/agent/profile" in page
    client = browser(app)
    provider.sign_in_as("Agent@Example.COM", name="Agent")  # the address as the provider spells it
    answer = client.get(at_provider(client, "/agent/login/sso?next=/agent/profile"))
    assert answer.status_code == 302 and answer.headers["Location"] == "/agent/profile"
    assert signed_in(client)
    sent = provider.requests[-1]
    assert sent["code_challenge_method"] == "S256" and sent["nonce"] and sent["state"]
    assert sent["redirect_uri"] == "http://localhost/agent/login/sso/callback"
    rows = sign_in_rows(app, "agent@example.com")
    assert rows[-1].action == "sign_in_succeeded" and rows[-1].after == {"method": "oidc"}
    assert rows[-1].ip is not None and rows[-1].ip.startswith("127.0.1.")
    # The session is a password sign-in's: signing out ends it everywhere.
    profile = client.get("/agent/profile").get_data(as_text=True)
    assert 'data-way="oidc"' in profile and 'data-way="password"' in profile and 'id="sso-two-factor-note"' in profile
    copy = browser(app)
    copy.set_cookie("session", client.get_cookie("session").value, domain="localhost")  # type: ignore[union-attr]
    assert signed_in(copy)
    client.post("/agent/logout", data={"csrf_token": csrf(profile)})
    assert not signed_in(copy)


def test_a_single_sign_on_stamps_the_last_sign_in_and_a_refused_one_does_not(app: Flask, provider: Provider) -> None:
    """The agents' last sign-in (webapp.agent.sign_in_session). Failed before: agents had no last_sign_in_at."""
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("rana@example.com", PASSWORD, name="Rana")
    assert sign_on(browser(app), provider, "rana@example.com", fault="nonce").status_code == 401
    assert sign_on(browser(app), provider, "rana@example.com", verified=False).status_code == 401
    assert accounts.find("rana@example.com").last_sign_in_at is None
    assert sign_on(browser(app), provider, "rana@example.com").status_code == 302
    assert accounts.find("rana@example.com").last_sign_in_at is not None


@pytest.mark.parametrize("fault", ["nonce", "audience", "expired", "other_key"])
def test_a_token_that_fails_a_check_signs_nobody_in(app: Flask, provider: Provider, fault: str) -> None:
    client = browser(app)
    before = len(sign_in_rows(app, "agent@example.com"))
    answer = sign_on(client, provider, "agent@example.com", fault=fault)
    assert answer.status_code == 401
    assert "could not be checked" in answer.get_data(as_text=True)
    assert not signed_in(client)
    assert len(sign_in_rows(app, "agent@example.com")) == before  # nothing is the agent's: the token is not trusted


def test_an_unverified_email_is_refused(app: Flask, provider: Provider) -> None:
    for verified in (False, "false", None):
        client = browser(app)
        answer = sign_on(client, provider, "agent@example.com", verified=verified)
        assert answer.status_code == 401 and "did not confirm that your email address is verified" in \
            answer.get_data(as_text=True)
        assert not signed_in(client)
    failed = sign_in_rows(app, "agent@example.com")[-1]  # the provider signed it: the agent's failure, with why
    assert failed.action == "sign_in_failed" and failed.after is not None
    assert (failed.after["method"], failed.after["reason"], failed.count) == ("oidc", "email_not_verified", 3)
    client = browser(app)
    assert sign_on(client, provider, "agent@example.com", verified="true").status_code == 302


def test_an_unknown_email_and_a_deactivated_agent_are_refused(app: Flask, provider: Provider) -> None:
    client = browser(app)
    unknown = sign_on(client, provider, "stranger@example.com")
    assert unknown.status_code == 401 and "is not an agent&#39;s here" in unknown.get_data(as_text=True)
    assert not signed_in(client) and app.extensions["desk"].accounts.find("stranger@example.com") is None
    gone = sign_on(client, provider, "gone@example.com")
    assert gone.status_code == 403 and "deactivated" in gone.get_data(as_text=True)
    assert not signed_in(client)
    failed = sign_in_rows(app, "gone@example.com")[-1]
    assert failed.action == "sign_in_failed" and failed.after is not None
    assert failed.after["method"] == "oidc" and failed.after["reason"] == "deactivated"


def test_a_replayed_callback_is_refused(app: Flask, provider: Provider) -> None:
    client = browser(app)
    provider.sign_in_as("agent@example.com")
    callback = at_provider(client)
    cookie = client.get_cookie("session").value  # type: ignore[union-attr]  # the state is in it
    assert client.get(callback).status_code == 302
    client.post("/agent/logout", data={"csrf_token": csrf(client.get("/agent/profile").get_data(as_text=True))})
    again = client.get(callback)  # the same browser: its state was used
    assert again.status_code == 401 and "used already or has expired" in again.get_data(as_text=True)
    assert not signed_in(client)
    # The cookie from before the first use, replayed with the code: the provider takes a code once.
    thief = browser(app)
    thief.set_cookie("session", cookie, domain="localhost")
    assert thief.get(callback).status_code == 401 and not signed_in(thief)
    # A state the session never had.
    forged = browser(app)
    query = parse_qs(urlsplit(callback).query)
    assert forged.get(f"/agent/login/sso/callback?code={query['code'][0]}&state=made-up").status_code == 401


def test_password_sign_in_off_keeps_only_admins_passwords(settings: Settings, app: Flask, provider: Provider) -> None:
    off = create_app(replace(settings, password_sign_in=False))
    client = browser(off)
    page = client.get("/agent/login").get_data(as_text=True)
    assert 'id="sso-button"' in page and "Admins: sign in with your password" in page
    refused = login(client, "agent@example.com")
    assert refused.status_code == 403 and "password sign-in is kept for admins only" in refused.get_data(as_text=True)
    assert not signed_in(client)
    assert sign_in_rows(off, "agent@example.com")[-1].after["reason"] == "password_off"  # type: ignore[index]
    assert login(client, "agent@example.com", password="wrong password!").status_code == 401  # as before
    admin = browser(off)
    assert login(admin, "admin@example.com").status_code == 302 and signed_in(admin)
    table = admin.get("/agent/admin").get_data(as_text=True)
    agent_row = table.split('data-agent="agent@example.com"')[1].split("</tr>")[0]
    admin_row = table.split('data-agent="admin@example.com"')[1].split("</tr>")[0]
    assert 'data-way="oidc"' in agent_row and 'data-way="password"' not in agent_row
    assert 'data-way="oidc"' in admin_row and 'data-way="password"' in admin_row
    sso = browser(off)
    assert sign_on(sso, provider, "agent@example.com").status_code == 302 and signed_in(sso)
    profile = sso.get("/agent/profile").get_data(as_text=True)
    assert 'data-way="password"' not in profile and "kept for admins only" in profile


def test_unknown_emails_of_an_allowed_domain_become_agents_when_allowed(
        settings: Settings, app: Flask, provider: Provider) -> None:
    creating = create_app(replace(settings, oidc_create_agents=True, oidc_domains=("example.com",)))
    client = browser(creating)
    assert sign_on(client, provider, "Newcomer@example.com", name="Nour").status_code == 302 and signed_in(client)
    agent = creating.extensions["desk"].accounts.find("newcomer@example.com")
    assert agent is not None and agent.role == "agent" and agent.name == "Nour" and agent.active
    with creating.extensions["desk"].db.session() as session:
        created = session.scalar(select(AuditEvent).where(AuditEvent.action == "agent_created",
                                                          AuditEvent.subject == str(agent.id)))
        assert created is not None and created.actor == "system" and created.after["method"] == "oidc"
    # Another domain is refused, for new emails and agents alike.
    other = browser(creating)
    answer = sign_on(other, provider, "someone@elsewhere.org")
    assert answer.status_code == 401 and "email domain is not one" in answer.get_data(as_text=True)
    assert creating.extensions["desk"].accounts.find("someone@elsewhere.org") is None


def test_the_desks_two_factor_step_is_left_to_the_provider_unless_asked(
        settings: Settings, app: Flask, provider: Provider) -> None:
    secret = pyotp.random_base32()
    with app.extensions["desk"].db.session() as session:
        agent = session.scalar(select(Agent).where(Agent.email == "agent@example.com"))
        assert agent is not None
        agent.two_factor_secret, agent.two_factor_enabled_at = secret, datetime(2026, 1, 1)
    try:
        required = create_app(replace(settings, require_two_factor=True))
        client = browser(required)
        assert sign_on(client, provider, "agent@example.com").status_code == 302 and signed_in(client)
        asked = create_app(replace(settings, oidc_two_factor=True))
        client = browser(asked)
        last = asked.extensions["desk"].accounts.find("agent@example.com").last_sign_in_at
        step = sign_on(client, provider, "agent@example.com")
        assert step.status_code == 302 and step.headers["Location"] == "/agent/login/code"
        assert not signed_in(client)
        # The provider's half stamps no sign-in (the agents' last sign-in); the desk's code completes it.
        assert asked.extensions["desk"].accounts.find("agent@example.com").last_sign_in_at == last
        token = csrf(client.get("/agent/login/code").get_data(as_text=True))
        code = pyotp.TOTP(secret).now()
        assert client.post("/agent/login/code", data={"csrf_token": token, "code": code}).status_code == 302
        assert asked.extensions["desk"].accounts.find("agent@example.com").last_sign_in_at != last
        # KB_REQUIRE_TWO_FACTOR still holds an SSO agent without 2FA at the enrolment when the desk's code is asked.
        both = create_app(replace(settings, oidc_two_factor=True, require_two_factor=True))
        client = browser(both)
        assert sign_on(client, provider, "admin@example.com").status_code == 302
        assert client.get("/agent/").headers["Location"] == "/agent/profile"
    finally:
        with app.extensions["desk"].db.session() as session:
            agent = session.scalar(select(Agent).where(Agent.email == "agent@example.com"))
            agent.two_factor_secret, agent.two_factor_enabled_at = None, None  # type: ignore[union-attr]


def test_the_login_rate_limit_counts_callbacks(app: Flask) -> None:
    client = browser(app)
    answers = [client.get("/agent/login/sso/callback?code=x&state=y").status_code for _ in range(11)]
    assert answers[:10] == [401] * 10 and answers[10] == 429


@pytest.mark.parametrize(("changes", "named"), [
    ({"oidc_issuer": "http://idp.example.com"}, "KB_OIDC_ISSUER"),
    ({"oidc_issuer": "accounts.google.com"}, "KB_OIDC_ISSUER"),
    ({"oidc_issuer": "https://accounts.google.com"}, "KB_OIDC_CLIENT_ID"),
    ({"oidc_issuer": "https://accounts.google.com", "oidc_client_id": "x", "oidc_create_agents": True},
     "KB_OIDC_DOMAINS"),
    ({"password_sign_in": False}, "KB_PASSWORD_SIGN_IN"),
])
def test_settings_that_cannot_work_stop_the_start_naming_themselves(tmp_path: Path, changes: dict[str, object],
                                                                     named: str) -> None:
    from webapp.single_sign_on import check_settings

    with pytest.raises(SettingsError, match=named):
        check_settings(replace(Settings(data_dir=tmp_path), **changes))  # type: ignore[arg-type]
    check_settings(Settings(data_dir=tmp_path, oidc_issuer="http://idp.example.com", oidc_client_id="x",
                            oidc_allow_http=True))
    with pytest.raises(SettingsError, match="KB_OIDC_DOMAINS"):
        Settings.from_env({"KB_OIDC_DOMAINS": "example.com, not a domain"})
    assert Settings.from_env({"KB_OIDC_DOMAINS": "@Example.com,example.sa"}).oidc_domains == ("example.com",
                                                                                              "example.sa")
