"""When each agent last signed in (agents.last_sign_in_at, desk.accounts.signed_in, webapp.agent.sign_in_session):
stamped once a sign-in completes (a password alone, a password then the second step's code, a password link that
signs the agent in; passkeys and single sign-on in their own modules' tests), never on a refused password, a
half-done sign-in or a GET; shown on the admin's agent page, in the agents table and in the API. The real app on
both engines (`--postgresql`).

Zendesk's and Chatwoot's agent lists show it (an admin finds unused seats and a sign-in they did not expect); the desk
recorded no successful sign-in at all before.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
from babel.dates import format_datetime
from flask import Flask
from sqlalchemy import update

from desk.models import Agent, as_utc
from tests.conftest import agents_column_up_and_down
from tests.webapp.light_app import csrf, light_settings, login, signed_in  # noqa: F401
from tests.webapp.test_agent_admin_page import _desk, app  # noqa: F401
from tests.webapp.test_two_factor_pages import enrol


def last_sign_in(app: Flask, email: str) -> datetime | None:  # noqa: F811
    found = _desk(app).accounts.find(email)
    assert found is not None
    return as_utc(found.last_sign_in_at) if found.last_sign_in_at else None


def test_a_password_sign_in_stamps_it_and_a_wrong_password_or_a_get_does_not(app: Flask) -> None:  # noqa: F811
    """Failed before: agents had no last_sign_in_at."""
    client = app.test_client()
    assert login(client, "agent@example.com", "not the password").status_code == 401
    client.get("/agent/login")
    assert last_sign_in(app, "agent@example.com") is None
    before = datetime.now(UTC)
    assert login(client, "agent@example.com").status_code == 302
    stamped = last_sign_in(app, "agent@example.com")
    assert stamped is not None and before - timedelta(seconds=1) <= stamped <= datetime.now(UTC)
    for path in ("/agent/", "/agent/profile"):  # an ordinary request is no sign-in
        assert client.get(path).status_code == 200
    assert last_sign_in(app, "agent@example.com") == stamped


def test_the_password_alone_does_not_stamp_an_agent_with_two_factor_the_code_does(app: Flask) -> None:  # noqa: F811
    """Failed before: nothing stamped the second step (there was no column)."""
    client, _ = signed_in(app, "agent@example.com")
    secret, _ = enrol(client)
    client.post("/agent/logout", data={"csrf_token": csrf(client.get("/agent/profile").get_data(as_text=True))})
    with _desk(app).db.session() as session, session.begin():
        session.execute(update(Agent).where(Agent.email == "agent@example.com").values(last_sign_in_at=None))
    fresh = app.test_client()
    assert login(fresh, "agent@example.com").headers["Location"] == "/agent/login/code"
    token = csrf(fresh.get("/agent/login/code").get_data(as_text=True))
    assert fresh.post("/agent/login/code", data={"csrf_token": token, "code": "000000"}).status_code == 401
    assert last_sign_in(app, "agent@example.com") is None  # a right password, the code still to come
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step's: the enrolment used up this one
    assert fresh.post("/agent/login/code", data={"csrf_token": token, "code": code}).status_code == 302
    assert last_sign_in(app, "agent@example.com") is not None


def test_a_password_link_that_signs_the_agent_in_stamps_it(app: Flask) -> None:  # noqa: F811
    """Failed before: the reset link signed the agent in and nothing recorded it."""
    from webapp.agent_password import RESET, link_maker  # once the app made: imported first, it meets a cycle

    agent = _desk(app).accounts.find("agent@example.com")
    with app.test_request_context():
        path = link_maker(RESET, "en")(agent)
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and last_sign_in(app, "agent@example.com") is None  # a GET writes nothing
    answer = client.post(path, data={"csrf_token": csrf(page.get_data(as_text=True)), "password": "a new long secret"})
    assert answer.status_code == 302 and client.get("/agent/").status_code == 200
    assert last_sign_in(app, "agent@example.com") is not None


def test_the_agent_page_the_table_and_the_api_show_it(app: Flask) -> None:  # noqa: F811
    """Failed before: no "Last signed in" on the page or in the table, no last_sign_in_at in the API's answer."""
    admin, _ = signed_in(app, "admin@example.com")
    amal = _desk(app).accounts.find("agent@example.com")
    assert amal is not None
    page = unescape(admin.get(f"/agent/admin/agents/{amal.id}").get_data(as_text=True))
    assert "Last signed in" in page and '<dd id="agent-last-sign-in">Never</dd>' in page
    table = admin.get("/agent/admin").get_data(as_text=True)
    assert "Last signed in</th>" in table and f'id="last-sign-in-{amal.id}"><span class="muted">Never' in table
    token = _desk(app).accounts.create_token("reader", scopes=["agents:read"])
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get(f"/api/v1/agents/{amal.id}", headers=headers).get_json()["last_sign_in_at"] is None

    three_days = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    with _desk(app).db.session() as session, session.begin():
        session.execute(update(Agent).where(Agent.id == amal.id).values(last_sign_in_at=three_days))
    _desk(app).accounts.set_time_zone(_desk(app).accounts.find("admin@example.com").id, "Asia/Riyadh")
    page = unescape(admin.get(f"/agent/admin/agents/{amal.id}").get_data(as_text=True))
    shown = page.split('id="agent-last-sign-in">', 1)[1].split("</dd>", 1)[0]
    exact = format_datetime(three_days, "short", tzinfo=ZoneInfo("Asia/Riyadh"), locale="en")  # the admin's zone
    assert "3 days ago" in shown and f"({exact})" in shown
    table = unescape(admin.get("/agent/admin").get_data(as_text=True))
    assert "3 days ago" in table.split(f'id="last-sign-in-{amal.id}">', 1)[1].split("</td>", 1)[0]
    answer = app.test_client().get(f"/api/v1/agents/{amal.id}", headers=headers).get_json()
    assert datetime.fromisoformat(answer["last_sign_in_at"]) == three_days
    listed = app.test_client().get("/api/v1/agents", headers=headers).get_json()["agents"]
    assert {a["email"]: a["last_sign_in_at"] is not None for a in listed} == {
        "admin@example.com": True, "agent@example.com": True, "light@example.com": False}  # the admin signed in above

    ar = admin.get(f"/agent/admin/agents/{amal.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "آخر تسجيل دخول" in ar


def test_the_migration_adds_last_sign_in_at_and_goes_down(tmp_path: Path) -> None:
    """Failed before: no migration agent_last_sign_in."""
    agents_column_up_and_down(tmp_path, "agent_invitations", "agent_last_sign_in", "last_sign_in_at")
