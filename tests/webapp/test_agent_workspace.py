"""The agents' workspace and the token API end to end: real models, qdrant-edge, Flask, SQLite."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from desk.tickets import NewTicket
from tests.webapp.conftest import csrf, login


def arabic_ticket(app: Flask) -> int:
    ticket = app.extensions["desk"].tickets.create(
        NewTicket(email="khalid@example.com", name="خالد العتيبي", subject="نسيت كلمة السر",
                  body="السلام عليكم، نسيت كلمة المرور ورابط الاستعادة انتهت صلاحيته. كيف أدخل حسابي؟", channel="chat")
    )
    return ticket.id


def test_pages_need_login_and_wrong_passwords_are_refused(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/agent/").status_code == 302
    assert "/agent/login" in client.get("/agent/tickets/1").headers["Location"]
    assert login(client, "agent@example.com", "wrong password").status_code == 401
    assert client.get("/agent/").status_code == 302


def test_arabic_ticket_gets_arabic_suggestions_and_a_cited_arabic_draft(app: Flask, agent: FlaskClient) -> None:
    ticket_id = arabic_ticket(app)
    inbox = agent.get("/agent/", query_string={"lang": "ar"}).get_data(as_text=True)
    assert f"/agent/tickets/{ticket_id}" in inbox and "نسيت كلمة السر" in inbox
    html = agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert 'data-article="ar/reset-password"' in html.split('class="insert-passage"', 2)[1]
    assert "مرحبًا خالد" in html and "/ar/articles/reset-password" in html


def test_insert_edit_and_send_are_recorded_with_the_edit_distance(app: Flask, agent: FlaskClient) -> None:
    ticket_id = arabic_ticket(app)
    html = agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    token = csrf(html)
    headers = {"X-CSRFToken": token}
    url, inserted = f"/agent/tickets/{ticket_id}/events", {"kind": "inserted", "what": "draft"}
    assert agent.post(url, json=inserted).status_code == 400  # no CSRF token
    ok = agent.post(url, json=inserted, headers=headers)
    assert ok.status_code == 200
    refused = agent.post(url, json={"kind": "rejected"}, headers=headers)
    assert refused.status_code == 400 and "reason" in refused.get_json()["error"]
    draft = "مرحبًا خالد،\nاتبع الخطوات."
    sent = agent.post(f"/agent/tickets/{ticket_id}/reply", data={
        "body": draft + " شكرًا", "inserted_draft": draft, "status": "pending", "csrf_token": token,
        "citation": ["/ar/articles/reset-password"],
    })
    assert sent.status_code == 302
    desk = app.extensions["desk"]
    kinds = [(e.kind, e.edit_distance) for e in desk.events.suggestion_events(ticket_id)]
    edits = len(" شكرًا")
    assert kinds == [("inserted", None), ("edited", edits), ("sent", edits)]
    ticket = desk.tickets.get(ticket_id)
    assert ticket.status == "pending" and ticket.first_response_at is not None
    assert ticket.messages[-1].author == "agent" and ticket.assignee.email == "agent@example.com"


def test_only_admins_create_agents_and_tokens_and_tokens_open_the_api(app: Flask, agent: FlaskClient) -> None:
    assert agent.get("/agent/admin").status_code == 403
    admin = app.test_client()
    login(admin, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    created = admin.post("/agent/admin", data={"action": "token", "name": "zendesk",
                                                  "scopes": ["suggest", "tickets:write"], "csrf_token": csrf(page)})
    token = created.get_data(as_text=True).split('id="new-token">', 1)[1].split("<", 1)[0]
    api = app.test_client()
    body = {"subject": "Apple Pay fails", "body": "Apple Pay keeps failing at checkout on my iPhone"}
    assert api.post("/api/v1/suggest", json=body).status_code == 401
    assert api.post("/api/v1/suggest", json=body, headers={"Authorization": "Bearer kb_wrong"}).status_code == 401
    answer = api.post("/api/v1/suggest", json=body, headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer["lang"] == "en" and answer["passages"][0]["id"] == "apple-pay"
    assert set(answer["passages"][0]) == {"id", "lang", "title", "section", "url", "snippet", "score", "internal"}
    assert not answer["draft"]["abstained"] and answer["draft"]["citations"][0].startswith("http://localhost/en/articles/apple-pay")
    ticket = {"email": "x@example.com", "subject": "Apple Pay", "body": "fails", "external_id": "ZD-1"}
    auth = {"Authorization": f"Bearer {token}"}
    made = api.post("/api/v1/tickets", json=ticket, headers=auth)
    assert made.status_code == 201 and made.get_json()["lang"] == "en"
    assert api.post("/api/v1/tickets", json=ticket, headers=auth).status_code == 409
    empty = api.post("/api/v1/tickets", json=ticket | {"body": " ", "external_id": "ZD-2"}, headers=auth)
    assert empty.status_code == 400 and empty.get_json()["error"].startswith("body")
    assert api.post("/api/v1/suggest", json={"subject": "", "body": ""}, headers=auth).status_code == 400


def test_internal_passages_are_flagged_and_linked_to_the_agent_view(app: Flask, agent: FlaskClient) -> None:
    ticket = app.extensions["desk"].tickets.create(NewTicket(
        email="a@example.com", subject="Refund approval limit for agents",
        body="What is the refund approval limit an agent can approve without a supervisor?"))
    html = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert 'data-internal="yes"' in html and "/agent/articles/en/refund-approval-limits" in html
    assert agent.get("/agent/articles/en/refund-approval-limits").status_code == 200
    assert app.test_client().get("/agent/articles/en/refund-approval-limits").status_code == 302
