"""Two-factor sign-in in the workspace (webapp.two_factor_pages): enrolment on the profile (a QR code and the key,
only a right code turns it on, recovery codes shown once), the sign-in's second step bound to the password, a code
used once, a recovery code, an admin's reset, KB_REQUIRE_TWO_FACTOR, the CLI, and GETs that write nothing. The real
app and database: SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pyotp
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.models import Agent, AuditEvent, RecoveryCode
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, Guarded, csrf, light_app, light_settings, login  # noqa: F401
from webapp import create_app
from webapp.cli import main


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Turn 2FA on through the profile's forms; the secret (read off the page) and the recovery codes."""
    token = csrf(client.get("/agent/profile").get_data(as_text=True))
    assert client.post("/agent/profile/two-factor", data={"csrf_token": token, "action": "start"}).status_code == 302
    page = client.get("/agent/profile").get_data(as_text=True)
    assert "<svg" in page and 'id="two-factor-qr"' in page
    shown = re.search(r'id="two-factor-secret" dir="ltr">([A-Z2-7 ]+)<', page)
    assert shown is not None and re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", shown.group(1))
    secret = shown.group(1).replace(" ", "")
    answer = client.post("/agent/profile/two-factor",
                         data={"csrf_token": token, "action": "confirm", "code": pyotp.TOTP(secret).now()})
    assert answer.status_code == 200
    codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", answer.get_data(as_text=True))
    assert len(set(codes)) == 10
    return secret, sorted(set(codes))


def next_code(secret: str) -> str:
    """The next step's code (accepted: one step of drift), so it is not the one the enrolment used up."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def state_of(app: Flask) -> tuple[object, ...]:
    with app.extensions["desk"].db.session() as session:
        agents = tuple(session.execute(select(Agent.two_factor_secret, Agent.two_factor_enabled_at,
                                              Agent.two_factor_last_step, Agent.session_token).order_by(Agent.id)))
        return (agents, session.scalar(select(func.count()).select_from(AuditEvent)),
                tuple(session.execute(select(RecoveryCode.code_hash, RecoveryCode.used_at).order_by(RecoveryCode.id))))


def test_a_wrong_code_enables_nothing_and_the_secret_leaves_the_pages(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    login(client, "agent@example.com")
    token = csrf(client.get("/agent/profile").get_data(as_text=True))
    client.post("/agent/profile/two-factor", data={"csrf_token": token, "action": "start"})
    page = client.get("/agent/profile").get_data(as_text=True)
    secret = re.search(r'id="two-factor-secret" dir="ltr">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000:06d}"
    refused = client.post("/agent/profile/two-factor", data={"csrf_token": token, "action": "confirm", "code": wrong})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="two-factor-code-error"' in html and 'aria-invalid="true"' in html
    agent = light_app.app.extensions["desk"].accounts.find("agent@example.com")
    assert agent is not None and not agent.two_factor
    # The QR code's issuer is the site's name, its account the agent's email.
    assert "otpauth" not in html  # the URI is in the picture, not the page's text
    digits = pyotp.TOTP(secret).now().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    done = client.post("/agent/profile/two-factor", data={"csrf_token": token, "action": "confirm",
                                                          "code": f"{digits[:3]} {digits[3:]}"})
    assert done.status_code == 200 and 'id="recovery-codes"' in done.get_data(as_text=True)
    after = client.get("/agent/profile").get_data(as_text=True)
    assert secret not in after.replace(" ", "") and 'id="recovery-codes"' not in after
    assert 'id="two-factor-off"' in after


def test_sign_in_asks_for_a_code_after_the_password_and_a_code_works_once(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    first = app.test_client()
    login(first, "agent@example.com")
    secret, codes = enrol(first)
    client = app.test_client()
    step = login(client, "agent@example.com", query="?next=/agent/profile")
    assert step.status_code == 302 and step.headers["Location"] == "/agent/login/code"
    assert client.get("/agent/").status_code == 302  # not signed in before the code
    page = client.get("/agent/login/code").get_data(as_text=True)
    assert 'inputmode="numeric"' in page and 'autocomplete="one-time-code"' in page
    token = csrf(page)
    wrong = client.post("/agent/login/code", data={"csrf_token": token, "code": "12345"})
    assert wrong.status_code == 401 and client.get("/agent/").status_code == 302
    with app.extensions["desk"].db.session() as session:
        failed = session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in_failed"))
        assert failed is not None and failed.after is not None and failed.after["step"] == "two_factor"
    code = next_code(secret)
    passed = client.post("/agent/login/code", data={"csrf_token": token, "code": code})
    assert passed.status_code == 302 and passed.headers["Location"] == "/agent/profile"
    assert client.get("/agent/").status_code == 200
    # The same code again, from another browser with the password: refused (replay in its window).
    other = app.test_client()
    login(other, "agent@example.com")
    replay = other.post("/agent/login/code", data={"csrf_token": csrf(other.get("/agent/login/code").get_data(
        as_text=True)), "code": code})
    assert replay.status_code == 401 and other.get("/agent/").status_code == 302
    # A recovery code signs in once.
    used = other.post("/agent/login/code", data={"csrf_token": csrf(replay.get_data(as_text=True)), "code": codes[0]})
    assert used.status_code == 302 and other.get("/agent/").status_code == 200
    again = app.test_client()
    login(again, "agent@example.com")
    assert again.post("/agent/login/code", data={"csrf_token": csrf(again.get("/agent/login/code").get_data(
        as_text=True)), "code": codes[0]}).status_code == 401


def test_the_second_step_without_the_password_is_refused(
        light_app: Guarded, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    app = light_app.app
    enrolled = app.test_client()
    login(enrolled, "agent@example.com")
    secret, _ = enrol(enrolled)
    stranger = app.test_client()
    token = csrf(stranger.get("/agent/login").get_data(as_text=True))
    answer = stranger.post("/agent/login/code", data={"csrf_token": token, "code": next_code(secret)})
    assert answer.status_code == 302 and answer.headers["Location"] == "/agent/login"
    assert stranger.get("/agent/").status_code == 302
    # A wrong password gives no second step either.
    assert login(stranger, "agent@example.com", password="not the password").status_code == 401
    assert stranger.post("/agent/login/code", data={"csrf_token": token, "code": next_code(secret)}).status_code == 302
    assert stranger.get("/agent/").status_code == 302
    # The marker lives MARKER_AGE (5 minutes): after it the code form sends the agent back to the password.
    late = app.test_client()
    login(late, "agent@example.com")
    token = csrf(late.get("/agent/login/code").get_data(as_text=True))
    monkeypatch.setattr("webapp.two_factor_pages.MARKER_AGE", 0)
    answer = late.post("/agent/login/code", data={"csrf_token": token, "code": next_code(secret)})
    assert answer.status_code == 302 and answer.headers["Location"] == "/agent/login"
    monkeypatch.undo()
    assert late.get("/agent/").status_code == 302


def test_gets_write_nothing(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    client = app.test_client()
    login(client, "agent@example.com")
    token = csrf(client.get("/agent/profile").get_data(as_text=True))
    client.post("/agent/profile/two-factor", data={"csrf_token": token, "action": "start"})
    before = state_of(app)
    for path in ("/agent/profile", "/agent/login/code", "/agent/admin"):
        client.get(path)
    admin = app.test_client()
    login(admin, "admin@example.com")
    admin.get("/agent/admin")
    assert state_of(app)[0][1] == before[0][1] and state_of(app)[2] == before[2]  # the agent's row, the codes


def test_an_admin_resets_an_agents_2fa_from_the_admin_page(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    agent = app.test_client()
    login(agent, "agent@example.com")
    enrol(agent)
    admin = app.test_client()
    login(admin, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    row = re.search(r'<tr data-agent="agent@example.com".*?</tr>', page, re.S)
    assert row is not None and 'value="two_factor_reset"' in row.group(0)
    agent_id = app.extensions["desk"].accounts.find("agent@example.com").id  # type: ignore[union-attr]
    answer = admin.post("/agent/admin", data={"csrf_token": csrf(page), "action": "two_factor_reset",
                                              "agent_id": agent_id})
    assert answer.status_code == 200
    assert agent.get("/agent/").status_code == 302  # their sessions ended
    assert login(app.test_client(), "agent@example.com").headers["Location"] == "/agent/"  # the password alone
    with app.extensions["desk"].db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_reset"))
        assert event is not None and event.subject == str(agent_id)


def test_the_cli_resets_and_says_a_new_password_keeps_2fa(light_app: Guarded,  # noqa: F811
                                                          light_settings: Settings) -> None:  # noqa: F811
    app = light_app.app
    agent = app.test_client()
    login(agent, "agent@example.com")
    enrol(agent)
    location = ["--content", str(light_settings.content_dir), "--data", str(light_settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": light_settings.database_url or ""})
    changed = runner.invoke(main, ["agents", "password", *location, "agent@example.com", "--password-stdin"],
                            input="a brand new password\n")
    assert changed.exit_code == 0 and "two-factor sign-in stays on" in changed.output
    assert login(app.test_client(), "agent@example.com", "a brand new password").headers["Location"] == (
        "/agent/login/code")
    done = runner.invoke(main, ["agents", "2fa-reset", *location, "agent@example.com"])
    assert done.exit_code == 0, done.output
    assert login(app.test_client(), "agent@example.com", "a brand new password").headers["Location"] == "/agent/"
    again = runner.invoke(main, ["agents", "2fa-reset", *location, "agent@example.com"])
    assert again.exit_code == 1 and "has no two-factor sign-in" in again.output
    with app.extensions["desk"].db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_reset"))
        assert event is not None and event.actor == "cli"


def test_require_two_factor_holds_an_agent_at_the_enrolment(light_settings: Settings) -> None:  # noqa: F811
    app = create_app(replace(light_settings, require_two_factor=True))
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    api_token = accounts.create_token("partner")
    client = app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    for path in ("/agent/", "/agent/dashboard/", "/agent/admin"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == "/agent/profile", path
    assert client.get("/agent/profile").status_code == 200
    # API tokens are not agents' sessions.
    assert app.test_client().get("/api/v1/customers?q=x", headers={"Authorization": f"Bearer {api_token}"}
                                 ).status_code == 200
    enrol(client)
    assert client.get("/agent/").status_code == 200
