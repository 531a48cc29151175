"""The sign-in's second step locked per agent (webapp.two_factor_pages over desk.two_factor, task tfalock32): wrong
codes counted on the server, so a replayed copy of the sign-in's cookie no longer resets the count; the lock's page
(429, Retry-After, its end in the agent's time zone) for any browser, a right code refused during it, a GET writing
nothing, the audit page's label, an admin's reset ending it. The real app and database: SQLite and (`--postgresql`)
PostgreSQL."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from desk.models import Agent, AuditEvent, as_utc
from desk.two_factor import MAX_FAILURES
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings, login  # noqa: F401
from tests.webapp.test_two_factor_pages import enrol, next_code

AGENT = "agent@example.com"


def lock_state(app: Flask) -> tuple[object, ...]:
    with app.extensions["desk"].db.session() as session:
        rows = session.execute(select(Agent.two_factor_failures, Agent.two_factor_locked_until,
                                      Agent.two_factor_last_step).where(Agent.email == AGENT))
        return (*rows, session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)))


def wrong_for(secret: str) -> str:
    return f"{(int(next_code(secret)) + 500_000) % 1_000_000:06d}"


def post(client: FlaskClient, token: str, code: str):  # type: ignore[no-untyped-def]
    return client.post("/agent/login/code", data={"csrf_token": token, "code": code})


def test_wrong_codes_lock_the_agent_even_with_a_fresh_copy_of_the_first_cookie(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    desk = app.extensions["desk"]
    owner = app.test_client()
    login(owner, AGENT)
    secret, codes = enrol(owner)
    agent_id = desk.accounts.find(AGENT).id
    desk.accounts.set_time_zone(agent_id, "Asia/Riyadh")
    attacker = app.test_client()
    assert login(attacker, AGENT).headers["Location"] == "/agent/login/code"
    token = csrf(attacker.get("/agent/login/code").get_data(as_text=True))
    first = attacker.get_cookie("session")
    assert first is not None
    answers = []
    for _ in range(MAX_FAILURES):
        attacker.set_cookie("session", first.value)  # the replay that reset the cookie's own count
        answers.append(post(attacker, token, wrong_for(secret)))
    assert [answer.status_code for answer in answers] == [401] * (MAX_FAILURES - 1) + [429]
    with desk.db.session() as session:
        row = session.scalar(select(Agent).where(Agent.id == agent_id))
        until = as_utc(row.two_factor_locked_until)
        assert row.two_factor_failures == MAX_FAILURES
    locked = answers[-1]
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    local = until.astimezone(ZoneInfo("Asia/Riyadh"))  # the agent's zone, as their workspace pages show times
    shown = f"{local.hour % 12 or 12}:{local.minute:02d}"
    page = locked.get_data(as_text=True)
    assert "two-factor sign-in is locked for your account until" in page and shown in page, (shown, page)
    # A right code during the lock, from a fresh copy of the cookie or another browser with the password: refused.
    attacker.set_cookie("session", first.value)
    assert post(attacker, token, next_code(secret)).status_code == 429
    other = app.test_client()
    assert login(other, AGENT).headers["Location"] == "/agent/login/code"
    before = lock_state(app)
    again = other.get("/agent/login/code")  # the lock said at once; a GET writes nothing
    assert again.status_code == 429 and shown in again.get_data(as_text=True) and lock_state(app) == before
    assert post(other, csrf(again.get_data(as_text=True)), codes[0]).status_code == 429
    assert other.get("/agent/").status_code == 302 and desk.two_factor.codes_left(agent_id) == 10
    arabic = other.get("/agent/login/code", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "two-factor sign-in is locked" not in arabic and re.search("[\u0600-\u06ff]", arabic)
    # The audit page names the lock; an admin's reset of the agent's 2FA ends it.
    admin = app.test_client()
    login(admin, "admin@example.com")
    audit = admin.get("/agent/admin/audit?action=two_factor_locked").get_data(as_text=True)
    assert "Two-factor sign-in locked (too many wrong codes)" in audit
    page = admin.get("/agent/admin").get_data(as_text=True)
    assert admin.post("/agent/admin", data={"csrf_token": csrf(page), "action": "two_factor_reset",
                                            "agent_id": agent_id}).status_code == 200
    assert lock_state(app)[0][:2] == (0, None)
    assert login(app.test_client(), AGENT).headers["Location"] == "/agent/"


def test_a_right_code_clears_the_count(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    owner = app.test_client()
    login(owner, AGENT)
    secret, _ = enrol(owner)
    client = app.test_client()
    login(client, AGENT)
    token = csrf(client.get("/agent/login/code").get_data(as_text=True))
    for _ in range(MAX_FAILURES - 1):
        assert post(client, token, wrong_for(secret)).status_code == 401
    assert lock_state(app)[0][0] == MAX_FAILURES - 1
    assert post(client, token, next_code(secret)).status_code == 302
    assert lock_state(app)[0][:2] == (0, None) and client.get("/agent/").status_code == 200
