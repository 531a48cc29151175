"""Passkeys in the workspace (webapp.passkey_pages) through the test client with a software authenticator
(tests/soft_authenticator.py): added on the profile and listed, the second step after the password ("Use a passkey",
no code form for an agent without the app), passwordless sign-in from the login page, a refused answer signing nobody
in, removal only with the password, passkeys off without KB_PASSKEY_ORIGINS; plain two-factor secrets sealed when the
app starts. The real app and database: SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from desk.models import Agent
from kb.settings import Settings
from tests.conftest import copy_slice, database_url_for_tests
from tests.soft_authenticator import SoftPasskey
from tests.webapp.light_app import PASSWORD, csrf, login
from webapp import create_app

ORIGIN = "http://localhost"  # the test client's


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    root = tmp_path_factory.mktemp("passkey_pages")
    made = create_app(Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data",
                               database_url=database_url_for_tests(), passkey_origins=(ORIGIN,), rate_limits=False))
    made.extensions["desk"].accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    return made


def meta_token(html: str) -> str:
    """The CSRF token passkeys.js sends (the page's meta tag: a passkey-only second step has no form)."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "page has no CSRF meta tag"
    return found.group(1)


def signed_in(app: Flask, email: str = "sara@example.com") -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def add_passkey(client: FlaskClient, name: str = "Laptop") -> SoftPasskey:
    key = SoftPasskey("localhost", ORIGIN)
    token = csrf(client.get("/agent/profile").get_data(as_text=True))
    options = client.post("/agent/profile/passkeys/options", headers={"X-CSRFToken": token})
    assert options.status_code == 200 and options.headers["Cache-Control"] == "no-store"
    added = client.post("/agent/profile/passkeys", json={"name": name, "credential": key.register(options.get_json())},
                        headers={"X-CSRFToken": token})
    assert added.status_code == 200 and added.get_json() == {"redirect": "/agent/profile"}, added.get_data()
    return key


def passkey_sign_in(client: FlaskClient, key: SoftPasskey, step: str = "", origin: str | None = None):  # type: ignore[no-untyped-def]
    page = client.get("/agent/login/code" if step else "/agent/login").get_data(as_text=True)
    token = meta_token(page)
    options = client.post("/agent/login/passkey/options", json={"step": step}, headers={"X-CSRFToken": token})
    assert options.status_code == 200, options.get_data()
    return client.post("/agent/login/passkey", json={"step": step, "credential": key.assert_(options.get_json(),
                                                                                            origin=origin)},
                       headers={"X-CSRFToken": token})


def test_a_passkey_added_on_the_profile_signs_in_as_the_second_step_and_alone(app: Flask) -> None:
    client = signed_in(app)
    key = add_passkey(client, "Work laptop")
    profile = client.get("/agent/profile").get_data(as_text=True)
    assert 'id="passkey-list"' in profile and "Work laptop" in profile and "passkeys.js" in profile
    client.post("/agent/logout", data={"csrf_token": csrf(profile)})

    # The password now leads to the second step: a passkey, and no code form (no authenticator app).
    fresh = app.test_client()
    answer = login(fresh, "sara@example.com")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/agent/login/code")
    step = fresh.get("/agent/login/code").get_data(as_text=True)
    assert "Use a passkey" in step and 'id="code-form"' not in step
    refused = passkey_sign_in(fresh, key, "second", origin="http://evil.localhost")
    assert refused.status_code == 401 and fresh.get("/agent/").status_code == 302  # not signed in
    login(fresh, "sara@example.com")
    signed = passkey_sign_in(fresh, key, "second")
    assert signed.status_code == 200 and signed.get_json() == {"redirect": "/agent/"}
    assert fresh.get("/agent/").status_code == 200

    # Passwordless, from the login page.
    alone = app.test_client()
    assert "Sign in with a passkey" in alone.get("/agent/login").get_data(as_text=True)
    assert passkey_sign_in(alone, key).status_code == 200 and alone.get("/agent/").status_code == 200
    # The same answer again (its challenge used up, and gone from the session): refused.
    token = csrf(alone.get("/agent/login").get_data(as_text=True))
    assert alone.post("/agent/login/passkey", json={"credential": key.assert_({"challenge": "AAAA"})},
                      headers={"X-CSRFToken": token}).status_code == 400


def test_a_passkey_sign_in_stamps_the_last_sign_in_and_the_password_before_it_does_not(app: Flask) -> None:
    """The agents' last sign-in (webapp.agent.sign_in_session). Failed before: agents had no last_sign_in_at."""
    desk = app.extensions["desk"]
    desk.accounts.create_agent("hana@example.com", PASSWORD, name="Hana")
    key = add_passkey(signed_in(app, "hana@example.com"))

    def forgotten() -> None:
        with desk.db.session() as session, session.begin():
            session.execute(update(Agent).where(Agent.email == "hana@example.com").values(last_sign_in_at=None))

    def stamped() -> bool:
        return desk.accounts.find("hana@example.com").last_sign_in_at is not None

    forgotten()
    client = app.test_client()
    assert login(client, "hana@example.com").headers["Location"].endswith("/agent/login/code")
    assert passkey_sign_in(client, key, "second", origin="http://evil.localhost").status_code == 401
    assert not stamped()  # the password right, the passkey refused: half done
    assert passkey_sign_in(client, key, "second").status_code == 200 and stamped()
    forgotten()
    assert passkey_sign_in(app.test_client(), key).status_code == 200 and stamped()  # passwordless


def test_a_passkey_meets_a_required_second_factor(app: Flask) -> None:
    """KB_REQUIRE_TWO_FACTOR: an agent with neither app nor passkey is held at the profile, can add a passkey from
    there, and with it reaches the workspace (a second app with that setting on the module's database)."""
    strict = create_app(replace(app.extensions["desk"].settings, require_two_factor=True))
    strict.extensions["desk"].accounts.create_agent("nadia@example.com", PASSWORD, name="Nadia")
    client = signed_in(strict, "nadia@example.com")
    held = client.get("/agent/")
    assert held.status_code == 302 and held.headers["Location"].endswith("/agent/profile")
    add_passkey(client)
    assert client.get("/agent/").status_code == 200


def test_removing_a_passkey_needs_the_password_and_renaming_does_not(app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar")
    client = signed_in(app, "omar@example.com")
    add_passkey(client, "Phone")
    agent = desk.accounts.find("omar@example.com")
    assert agent is not None
    phone = next(p for p in desk.passkeys.list(agent.id) if p.name == "Phone")
    token = csrf(client.get("/agent/profile").get_data(as_text=True))
    renamed = client.post(f"/agent/profile/passkeys/{phone.id}", data={"csrf_token": token, "action": "rename",
                                                                      "name": "Old phone"})
    assert renamed.status_code == 302
    wrong = client.post(f"/agent/profile/passkeys/{phone.id}", data={"csrf_token": token, "action": "remove",
                                                                    "proof": "not my password"})
    assert wrong.status_code == 400 and 'id="passkey-proof-error"' in wrong.get_data(as_text=True)
    assert "Old phone" in [p.name for p in desk.passkeys.list(agent.id)]
    removed = client.post(f"/agent/profile/passkeys/{phone.id}", data={"csrf_token": token, "action": "remove",
                                                                      "proof": PASSWORD})
    assert removed.status_code == 302 and "Old phone" not in [p.name for p in desk.passkeys.list(agent.id)]


def test_without_origins_passkeys_are_off(app: Flask, tmp_path: Path) -> None:
    off = create_app(replace(app.extensions["desk"].settings, passkey_origins=(), data_dir=tmp_path))
    client = off.test_client()
    page = client.get("/agent/login").get_data(as_text=True)
    assert "passkey" not in page.lower()
    assert client.post("/agent/login/passkey/options", json={}, headers={"X-CSRFToken": csrf(page)}).status_code \
        == 404


def test_a_plain_two_factor_secret_is_sealed_when_the_app_starts(app: Flask) -> None:
    desk = app.extensions["desk"]
    agent = desk.accounts.create_agent("old@example.com", PASSWORD)
    secret = pyotp.random_base32()
    with desk.db.session() as session:  # as a release before this one stored it
        session.execute(update(Agent).where(Agent.id == agent.id).values(two_factor_secret=secret))
    create_app(desk.settings)
    with desk.db.session() as session:
        stored = session.scalar(select(Agent.two_factor_secret).where(Agent.id == agent.id))
    assert stored is not None and stored != secret and secret not in stored
    assert desk.two_factor.box.open(agent.id, stored) == secret
