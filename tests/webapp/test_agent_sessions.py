"""Issue #12 items 2 and 3: the login page redirects only within the site, and logout or a new
password ends the session server-side (copied session and remember-me cookies stop working);
cookies are HttpOnly, SameSite=Lax, Secure over https, remembered for two weeks, not a year.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from kb.settings import Settings
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings, login  # noqa: F401
from webapp.security import safe_next

EVIL = [
    "/\t/evil.example", "/%09/evil.example", "//evil.example", "///evil.example", "/\\evil.example",
    "\\/evil.example", "/%2F%2Fevil.example", "%2F%2Fevil.example", "/%252F%252Fevil.example",
    "https://evil.example", "javascript:alert(1)", "http:/evil.example", "/\nevil", " /agent/",
    "evil.example", "/%5Cevil.example", "/\u3000/evil.example",
]


@pytest.mark.parametrize("target", EVIL)
def test_login_never_redirects_off_site(light_app: Guarded, target: str) -> None:  # noqa: F811
    assert safe_next(target) is None
    response = login(light_app.app.test_client(), "agent@example.com", query="?next=" + quote(target, safe=""))
    assert response.status_code == 302 and response.headers["Location"] == "/agent/"


def test_login_follows_a_same_site_path(light_app: Guarded) -> None:  # noqa: F811
    response = login(light_app.app.test_client(), "agent@example.com", query="?next=" + quote("/agent/?status=all"))
    assert response.headers["Location"] == "/agent/?status=all"


def logout(client: FlaskClient) -> None:
    token = csrf(client.get("/agent/").get_data(as_text=True))
    assert client.post("/agent/logout", data={"csrf_token": token}).status_code == 302


def with_cookie(guarded: Guarded, name: str, value: str) -> FlaskClient:
    client = guarded.app.test_client()
    client.set_cookie(name, value)
    return client


def test_a_copied_session_cookie_stops_working_after_logout(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    login(client, "agent@example.com")
    copied = client.get_cookie("session")
    assert copied is not None
    assert with_cookie(light_app, "session", copied.value).get("/agent/").status_code == 200  # a working copy
    logout(client)
    assert with_cookie(light_app, "session", copied.value).get("/agent/").status_code == 302
    assert client.get("/agent/").status_code == 302


def test_a_remember_cookie_alone_stops_working_after_logout(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    login(client, "admin@example.com", remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    assert with_cookie(light_app, "remember_token", remember.value).get("/agent/admin").status_code == 200
    logout(client)
    assert with_cookie(light_app, "remember_token", remember.value).get("/agent/admin").status_code == 302
    login(client, "admin@example.com", remember=True)
    again = client.get_cookie("remember_token")
    assert again is not None and again.value != remember.value  # a new login is not the old cookie


def test_a_new_password_ends_every_session(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    login(client, "agent@example.com", remember=True)
    accounts = light_app.app.extensions["desk"].accounts
    agent = accounts.find("agent@example.com")
    assert agent is not None
    accounts.set_password(agent.id, "another long password")
    assert client.get("/agent/").status_code == 302
    assert login(light_app.app.test_client(), "agent@example.com").status_code == 401
    assert login(light_app.app.test_client(), "agent@example.com", "another long password").status_code == 302


def test_an_admins_password_reset_ends_every_session_too(light_app: Guarded) -> None:  # noqa: F811
    """The admin page's reset is the way a stolen password is dealt with: the thief's cookies, remembered ones too,
    must stop working as they do after `kb agents password`."""
    client = light_app.app.test_client()
    login(client, "agent@example.com", remember=True)
    assert client.get("/agent/").status_code == 200
    admin = light_app.app.test_client()
    login(admin, "admin@example.com")
    agent = light_app.app.extensions["desk"].accounts.find("agent@example.com")
    assert agent is not None
    assert admin.post("/agent/admin", data={"action": "password", "agent_id": agent.id, "password": "reset by admin!",
                                            "csrf_token": csrf(admin.get("/agent/admin").get_data(as_text=True))}
                      ).status_code == 200
    assert client.get("/agent/").status_code == 302
    assert login(light_app.app.test_client(), "agent@example.com", "reset by admin!").status_code == 302


def test_kb_agents_password_changes_it_and_logs_the_agent_out(
    light_app: Guarded, light_settings: Settings  # noqa: F811
) -> None:
    from click.testing import CliRunner

    from webapp.cli import main

    client = light_app.app.test_client()
    login(client, "agent@example.com")
    location = ["--content", str(light_settings.content_dir), "--data", str(light_settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": light_settings.database_url or ""})
    short = runner.invoke(main, ["agents", "password", *location, "agent@example.com", "--password-stdin"], input="x\n")
    assert short.exit_code == 1 and "password: must be at least" in short.output
    done = runner.invoke(main, ["agents", "password", *location, "agent@example.com", "--password-stdin"],
                         input="a brand new password\n")
    assert done.exit_code == 0, done.output
    assert client.get("/agent/").status_code == 302
    assert login(light_app.app.test_client(), "agent@example.com", "a brand new password").status_code == 302


def set_cookies(client: FlaskClient, base_url: str) -> dict[str, str]:
    token = csrf(client.get("/agent/login", base_url=base_url).get_data(as_text=True))
    # Over https flask-wtf also checks that the form came from this site (Referer).
    response = client.post("/agent/login", base_url=base_url, headers={"Referer": base_url + "/agent/login"}, data={
        "email": "agent@example.com", "password": "a long enough password", "csrf_token": token, "remember": "y"})
    assert response.status_code == 302
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


def test_cookies_are_httponly_lax_two_weeks_and_secure_on_https(light_app: Guarded) -> None:  # noqa: F811
    plain = set_cookies(light_app.app.test_client(), "http://localhost")
    assert {"session", "remember_token"} <= set(plain)
    for cookie in plain.values():
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    expires = datetime.strptime(plain["remember_token"].split("Expires=")[1].split(";")[0],
                                "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(days=13) < expires - datetime.now(UTC) <= timedelta(days=14)
    secure = set_cookies(light_app.app.test_client(), "https://localhost")
    assert {"session", "remember_token"} <= set(secure)
    assert all("Secure" in cookie for cookie in secure.values())
    visitor = light_app.app.test_client().get("/en/contact", base_url="https://localhost")
    assert all("; Secure" in cookie for cookie in visitor.headers.getlist("Set-Cookie"))
