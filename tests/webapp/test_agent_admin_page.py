"""One page per agent for the admin (webapp.agent_admin.admin_agent) and agents over the token API
(webapp.api_agents), through the real app on both engines (`--postgresql`).

Zendesk and Chatwoot open an agent's profile from the admin's list; before, everything sat in a 13-column table
unusable on a phone, and an agent's email notifications were theirs alone to see. Zendesk's /api/v2/users?role=agent
and Chatwoot's /agents list, invite and change agents; this API had none.
"""

from __future__ import annotations

from html import unescape
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from desk.desk import Desk
from desk.models import Agent, AgentTeam, AuditEvent, OutboxMail
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, csrf, light_settings, signed_in  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.create_agent("agent@example.com", PASSWORD, name="Amal")
    accounts.create_agent("light@example.com", PASSWORD, name="Lina", role="light")
    return app


def _desk(app: Flask) -> Desk:
    return app.extensions["desk"]  # type: ignore[no-any-return]


def _id(app: Flask, email: str) -> int:
    found = _desk(app).accounts.find(email)
    assert found is not None
    return found.id


def _audit(app: Flask, agent_id: int) -> list[tuple[str, str, object, object]]:
    with _desk(app).db.session() as session:
        return [(e.actor, e.action, e.before, e.after) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == "agent", AuditEvent.subject == str(agent_id))
            .order_by(AuditEvent.id))]


def _rows(app: Flask) -> tuple[object, ...]:
    """What a GET must not change: the agents, the audit log, the outbox, the team memberships."""
    with _desk(app).db.session() as session:
        agents = [(a.id, a.email, a.name, a.role, a.active, a.notify_assigned, a.notify_mentioned, a.time_zone,
                   a.session_token, a.invited_at) for a in session.scalars(select(Agent).order_by(Agent.id))]
        return (agents, session.scalar(select(func.count()).select_from(AuditEvent)),
                session.scalar(select(func.count()).select_from(OutboxMail)),
                session.scalar(select(func.count()).select_from(AgentTeam)))


def test_the_agent_page_shows_what_the_admin_manages_and_a_get_never_writes(app: Flask) -> None:
    """Failed before: /agent/admin/agents/<id> was a 404 and the table's names were no links."""
    admin, _ = signed_in(app, "admin@example.com")
    amal = _id(app, "agent@example.com")
    table = admin.get("/agent/admin").get_data(as_text=True)
    assert f'href="/agent/admin/agents/{amal}"' in table
    before = _rows(app)
    page = admin.get(f"/agent/admin/agents/{amal}")
    text = unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "agent@example.com" in text and 'id="agent-role-help"' in text
    assert "answers customers and works tickets" in text
    for form in ("role", "teams", "languages", "signature", "notifications", "time_zone", "password", "deactivate"):
        assert f'value="{form}"' in text, form
    assert 'id="agent-notify-assigned" checked' in text and 'id="agent-notify-mentioned" checked' in text
    assert _rows(app) == before


def test_the_admin_changes_the_agents_notifications_and_role_there_audited(app: Flask) -> None:
    """Failed before: only the agent could change their notifications (desk.accounts.set_notifications took no actor
    and audited nothing)."""
    admin, token = signed_in(app, "admin@example.com")
    amal = _id(app, "agent@example.com")
    url = f"/agent/admin/agents/{amal}"
    saved = admin.post(url, data={"csrf_token": token, "action": "notifications", "notify_mentioned": "1"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(url)
    found = _desk(app).accounts.agent(amal)
    assert found is not None and (found.notify_assigned, found.notify_mentioned) == (False, True)
    assert _audit(app, amal)[-1] == ("agent", "notifications_changed", {"notify_assigned": True},
                                     {"notify_assigned": False})
    assert admin.post(url, data={"csrf_token": token, "action": "role", "role": "lead"}).status_code == 303
    assert _desk(app).accounts.agent(amal).role == "lead"  # type: ignore[union-attr]
    assert _audit(app, amal)[-1][1] == "role_changed"
    # The agent's own change on their profile stays unaudited, as before.
    own, own_token = signed_in(app, "agent@example.com")
    own.post("/agent/profile", data={"csrf_token": own_token, "part": "notifications", "notify_assigned": "1",
                                     "notify_mentioned": "1"})
    assert _desk(app).accounts.agent(amal).notify_assigned is True  # type: ignore[union-attr]
    assert _audit(app, amal)[-1][1] == "role_changed"


def test_a_refused_form_keeps_what_was_typed_beside_its_field(app: Flask) -> None:
    admin, token = signed_in(app, "admin@example.com")
    amal = _id(app, "agent@example.com")
    url = f"/agent/admin/agents/{amal}"
    before = _rows(app)
    zone = admin.post(url, data={"csrf_token": token, "action": "time_zone", "time_zone": "Mars/Olympus"})
    text = unescape(zone.get_data(as_text=True))
    assert zone.status_code == 400
    assert 'value="Mars/Olympus" placeholder' in text and 'aria-describedby="time_zone-error"' in text
    assert 'id="time_zone-error" role="alert">' in text and "Mars/Olympus" in text.split('id="time_zone-error"')[1]
    teams = admin.post(url, data={"csrf_token": token, "action": "teams", "team": ["no-such-team"]})
    assert teams.status_code == 400 and 'id="teams-error"' in teams.get_data(as_text=True)
    bad = admin.post(url, data={"csrf_token": token, "action": "notifications", "notify_mentioned": "yes"})
    assert bad.status_code == 400 and 'id="notifications-error"' in bad.get_data(as_text=True)
    password = admin.post(url, data={"csrf_token": token, "action": "password", "password": "short"})
    assert password.status_code == 400 and 'id="password-error"' in password.get_data(as_text=True)
    assert "short" not in password.get_data(as_text=True).split('id="agent-password"')[1].split(">")[0]
    assert _rows(app) == before


def test_the_admin_corrects_the_name_and_email_audited_and_a_taken_email_is_refused_as_typed(app: Flask) -> None:
    """Failed before: no page or desk helper changed an agent's name or email (a typo stayed)."""
    admin, token = signed_in(app, "admin@example.com")
    amal = _id(app, "agent@example.com")
    url = f"/agent/admin/agents/{amal}"
    saved = admin.post(url, data={"csrf_token": token, "action": "identity", "name": "Amal Saeed",
                                  "email": "Amal.Saeed@Example.com"})
    assert saved.status_code == 303
    found = _desk(app).accounts.agent(amal)
    assert found is not None and (found.name, found.email) == ("Amal Saeed", "amal.saeed@example.com")
    assert _audit(app, amal)[-1] == ("agent", "agent_edited", {"email": "agent@example.com", "name": "Amal"},
                                     {"email": "amal.saeed@example.com", "name": "Amal Saeed"})
    before = _rows(app)
    taken = admin.post(url, data={"csrf_token": token, "action": "identity", "name": "Typed name",
                                  "email": "light@example.com"})
    text = unescape(taken.get_data(as_text=True))
    assert taken.status_code == 400 and 'value="Typed name"' in text and 'value="light@example.com"' in text
    assert 'id="identity-error" role="alert">' in text
    assert _rows(app) == before and _desk(app).accounts.agent(amal).name == "Amal Saeed"  # type: ignore[union-attr]


def test_the_invitation_is_resent_and_revoked_from_the_agents_page(app: Flask) -> None:
    admin, token = signed_in(app, "admin@example.com")
    admin.post("/agent/admin", data={"csrf_token": token, "action": "agent", "setup": "invite",
                                     "email": "nadia@example.com", "name": "Nadia", "role": "agent", "lang": "en"})
    nadia = _id(app, "nadia@example.com")
    url = f"/agent/admin/agents/{nadia}"
    assert "Invited, not yet accepted" in admin.get(url).get_data(as_text=True)
    assert admin.post(url, data={"csrf_token": token, "action": "invite_resend"}).status_code == 303
    assert admin.post(url, data={"csrf_token": token, "action": "invite_revoke"}).status_code == 303
    assert [a for _, a, _, _ in _audit(app, nadia)][-2:] == ["invitation_resent", "invitation_revoked"]
    assert "Reactivate" in admin.get(url).get_data(as_text=True)


def test_light_agents_and_agents_get_403_and_an_unknown_agent_404(app: Flask) -> None:
    amal = _id(app, "agent@example.com")
    for email in ("agent@example.com", "light@example.com"):
        client, token = signed_in(app, email)
        assert client.get(f"/agent/admin/agents/{amal}").status_code == 403
        assert client.post(f"/agent/admin/agents/{amal}", data={"csrf_token": token, "action": "role",
                                                                "role": "admin"}).status_code == 403
    assert _desk(app).accounts.agent(amal).role == "agent"  # type: ignore[union-attr]
    admin, _ = signed_in(app, "admin@example.com")
    assert admin.get("/agent/admin/agents/999999").status_code == 404


# The API.

def _api(app: Flask, token: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def test_the_api_lists_agents_a_page_at_a_time_with_next_url_and_link(app: Flask) -> None:
    """Failed before: GET /api/v1/agents was a 404 (no agents over the API)."""
    call = _api(app, _desk(app).accounts.create_token("reader", scopes=["agents:read"]))
    first = call("GET", "/api/v1/agents?limit=2")
    body = first.get_json()
    assert first.status_code == 200 and body["total"] == 3 and body["pages"] == 2
    assert [a["email"] for a in body["agents"]] == ["admin@example.com", "agent@example.com"]
    assert first.headers["Link"] == f'<{body["next_url"]}>; rel="next"'
    following = call("GET", "{0.path}?{0.query}".format(urlsplit(body["next_url"])))
    assert [a["email"] for a in following.get_json()["agents"]] == ["light@example.com"]
    assert following.get_json()["next_url"] is None and "Link" not in following.headers
    light = call("GET", "/api/v1/agents?role=light").get_json()
    assert light["total"] == 1 and light["agents"][0]["role"] == "light"
    one = call("GET", f"/api/v1/agents/{_id(app, 'agent@example.com')}").get_json()
    assert one["notifications"] == {"assigned": True, "mentioned": True} and "password_hash" not in one
    assert call("GET", "/api/v1/agents?role=boss").get_json()["error"].startswith("role:")
    assert call("GET", "/api/v1/agents/999999").status_code == 404


def test_the_api_invites_an_agent_409_for_an_existing_email_and_400_naming_the_field(app: Flask) -> None:
    call = _api(app, _desk(app).accounts.create_token("hr", scopes=["agents:write"]))
    made = call("POST", "/api/v1/agents", json={"email": "Nadia@Example.com", "name": "Nadia", "role": "lead"})
    assert made.status_code == 201, made.get_json()
    nadia = made.get_json()
    assert (nadia["email"], nadia["role"], nadia["invited"]) == ("nadia@example.com", "lead", True)
    with _desk(app).db.session() as session:
        assert session.scalar(select(OutboxMail.kind).where(OutboxMail.to_address == "nadia@example.com")) \
            == "agent_invitation"
    assert [(actor, action) for actor, action, _, _ in _audit(app, nadia["id"])] == [
        ("api", "agent_created"), ("api", "agent_invited")]
    again = call("POST", "/api/v1/agents", json={"email": "nadia@example.com"})
    assert again.status_code == 409 and again.get_json()["error"].startswith("email:")
    for body, field in (({"name": "No email"}, "email"), ({"email": "x@example.com", "role": "boss"}, "role"),
                        ({"email": "x@example.com", "lang": "fr"}, "lang"), ({"email": 5}, "email"),
                        ({"email": "x@example.com", "password": "secret"}, "password")):
        refused = call("POST", "/api/v1/agents", json=body)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(field), (body, refused.get_json())
    assert _desk(app).accounts.find("x@example.com") is None


def test_the_api_changes_role_teams_state_and_notifications_audited_and_refuses_before_writing(app: Flask) -> None:
    desk = _desk(app)
    call = _api(app, desk.accounts.create_token("hr", scopes=["agents:write", "agents:read"]))
    amal = _id(app, "agent@example.com")
    team = next(iter(desk.hours.teams))
    changed = call("PATCH", f"/api/v1/agents/{amal}", json={
        "role": "lead", "teams": [team], "notifications": {"mentioned": False}})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["role"], body["teams"], body["notifications"]) == ("lead", [team],
                                                                     {"assigned": True, "mentioned": False})
    actions = [(actor, action) for actor, action, _, _ in _audit(app, amal)]
    assert {("api", "role_changed"), ("api", "notifications_changed")} <= set(actions)
    before = _rows(app)
    for patch, field in (({"role": "boss", "active": False}, "role"), ({"active": "no"}, "active"),
                         ({"teams": ["no-such-team"], "role": "admin"}, "teams"),
                         ({"notifications": {"assigned": "1"}}, "notifications"), ({"name": "x"}, "name")):
        refused = call("PATCH", f"/api/v1/agents/{amal}", json=patch)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(field), refused.get_json()
    assert _rows(app) == before
    assert call("PATCH", f"/api/v1/agents/{amal}", json={"active": False}).get_json()["active"] is False
    assert call("PATCH", "/api/v1/agents/999999", json={}).status_code == 404
    reader = _api(app, desk.accounts.create_token("reader", scopes=["agents:read"]))
    assert reader("PATCH", f"/api/v1/agents/{amal}", json={"active": True}).status_code == 403
