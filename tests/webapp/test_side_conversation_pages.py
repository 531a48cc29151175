"""Side conversations on the pages and the API (desk.side_conversations): the agent starts one on the ticket page (bad
input named by field, what was typed kept), sees the third party's reply in its panel with the unread marker and in
the ticket's history, closes and reopens it; the customer's page and the ticket API's messages never show it; the
token API lists, starts and replies (scopes tickets:read / tickets:write). The real app; SQLite, and PostgreSQL with
`--postgresql`."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select

from desk.audit import Actor
from desk.desk import Desk
from desk.models import OutboxMail, SideConversation
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject="Parcel", body="Where is it?",
                                  notify=False))
    return app


def plain(html: str) -> str:
    return unescape(html).replace("\u2068", "").replace("\u2069", "")


def courier_reply(desk: Desk, token: str, text: str) -> None:
    raw = (f"From: Courier <desk@courier.example>\r\nTo: support+{token}@manzil.example\r\nSubject: Re: Parcel\r\n"
           f"Message-ID: <c1@courier.example>\r\n\r\n{text}\r\n").encode()
    assert desk.mail_in.receive(raw).outcome == "side_reply"


def test_an_agent_starts_a_side_conversation_and_reads_the_reply_the_customer_never_sees(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    agent = client_for(app, "agent@example.com")
    page = agent.get("/agent/tickets/1").get_data(as_text=True)
    assert 'id="side-start-form"' in page
    token = csrf(page)
    for data, message in [({"to": "", "body": "Hi"}, "to: enter at least one email address"),
                          ({"to": "courier at example", "body": "Hi"}, "is not an email address"),
                          ({"to": "desk@courier.example", "body": ""}, "body: is empty")]:
        refused = agent.post("/agent/tickets/1/side-conversations", data={**data, "csrf_token": token})
        assert refused.status_code == 400 and message in plain(refused.get_data(as_text=True)), message
    kept = plain(refused.get_data(as_text=True))
    assert 'value="desk@courier.example"' in kept  # what was typed comes back
    assert desk.side_conversations.for_ticket(1) == []
    started = agent.post("/agent/tickets/1/side-conversations", data={
        "to": "desk@courier.example", "subject": "", "body": "Please trace **parcel 881**.", "csrf_token": token})
    assert started.status_code == 302
    [side] = desk.side_conversations.for_ticket(1)
    with desk.db.session() as session:
        mail = session.scalar(select(OutboxMail).where(OutboxMail.side_message_id.is_not(None)))
        assert mail is not None and mail.ticket_id is None and mail.to_address == "desk@courier.example"
        side_token = session.scalar(select(SideConversation.token).where(SideConversation.id == side.id))
    assert side_token
    courier_reply(desk, side_token, "It is in Jeddah.")
    page = plain(agent.get("/agent/tickets/1").get_data(as_text=True))
    assert "It is in Jeddah." in page and "New reply" in page
    assert "Side conversation «Parcel» started with desk@courier.example" in page
    assert "Side conversation «Parcel»: reply from desk@courier.example" in page
    # The customer's page and the API's ticket never show it.
    reference = desk.tickets.get(1).reference  # type: ignore[union-attr]
    customer = plain(app.test_client().get(f"/en/tickets/{reference}").get_data(as_text=True))
    assert "Where is it?" in customer and "Jeddah" not in customer and "parcel 881" not in customer
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}
    item = app.test_client().get("/api/v1/tickets/1", headers=auth).get_data(as_text=True)
    assert "Jeddah" not in item and "parcel 881" not in item
    # Read, closed, reopened.
    assert agent.post(f"/agent/tickets/1/side-conversations/{side.id}/status",
                      data={"read": "1", "csrf_token": token}).status_code == 302
    assert agent.post(f"/agent/tickets/1/side-conversations/{side.id}/status",
                      data={"status": "closed", "csrf_token": token}).status_code == 302
    [side] = desk.side_conversations.for_ticket(1)
    assert side.status == "closed" and not side.unread
    assert agent.post(f"/agent/tickets/1/side-conversations/{side.id}/reply",
                      data={"body": "Thanks!", "csrf_token": token}).status_code == 302
    [side] = desk.side_conversations.for_ticket(1)
    assert side.status == "open" and side.messages[-1].body == "Thanks!"
    # In Arabic: the panel, the history line and a refusal naming the field, translated.
    desk.accounts.set_locale(next(a.id for a in desk.accounts.agents()), "ar")
    arabic = plain(agent.get("/agent/tickets/1").get_data(as_text=True))
    assert 'lang="ar"' in arabic and "المحادثات الجانبية" in arabic
    assert "بدأت المحادثة الجانبية «Parcel» مع desk@courier.example" in arabic
    refused = agent.post("/agent/tickets/1/side-conversations", data={"to": "", "body": "x", "csrf_token": token})
    assert refused.status_code == 400 and "أدخل عنوان بريد إلكتروني واحدًا على الأقل" in plain(
        refused.get_data(as_text=True))
    # Another ticket's path never reaches it.
    assert agent.post(f"/agent/tickets/2/side-conversations/{side.id}/reply",
                      data={"body": "x", "csrf_token": token}).status_code in (404, 409)


def test_the_api_lists_starts_and_replies_with_scopes(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    client = app.test_client()
    write = {"Authorization": f"Bearer {desk.accounts.create_token('w', scopes=['tickets:write'])}"}
    read = {"Authorization": f"Bearer {desk.accounts.create_token('r', scopes=['tickets:read'])}"}
    assert client.get("/api/v1/tickets/1/side_conversations", headers=write).status_code == 403
    assert client.post("/api/v1/tickets/1/side_conversations", json={"to": ["a@x.example"], "body": "Hi"},
                       headers=read).status_code == 403
    for body, field in [({"to": [], "body": "Hi"}, "to:"), ({"to": ["nope"], "body": "Hi"}, "to:"),
                        ({"to": ["a@x.example"], "body": ""}, "body:"),
                        ({"to": ["a@x.example"], "body": "Hi", "attachments": [99]}, "attachments:"),
                        ({"to": ["a@x.example"], "body": "Hi", "cc": []}, "cc:")]:
        refused = client.post("/api/v1/tickets/1/side_conversations", json=body, headers=write)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(field), refused.get_json()
    assert client.post("/api/v1/tickets/9/side_conversations", json={"to": ["a@x.example"], "body": "Hi"},
                       headers=write).status_code == 404
    made = client.post("/api/v1/tickets/1/side_conversations",
                       json={"to": ["Desk@Courier.example"], "body": "Please trace it."}, headers=write)
    assert made.status_code == 201, made.get_json()
    side = made.get_json()
    assert side["participants"] == ["desk@courier.example"] and side["subject"] == "Parcel"
    replied = client.post(f"/api/v1/tickets/1/side_conversations/{side['id']}/messages", json={"body": "Any news?"},
                          headers=write)
    assert replied.status_code == 201 and [m["body"] for m in replied.get_json()["messages"]] == [
        "Please trace it.", "Any news?"]
    assert client.post(f"/api/v1/tickets/1/side_conversations/{side['id'] + 5}/messages", json={"body": "x"},
                       headers=write).status_code == 404
    listed = client.get("/api/v1/tickets/1/side_conversations", headers=read)
    assert listed.status_code == 200 and [s["id"] for s in listed.get_json()["side_conversations"]] == [side["id"]]


def test_the_inbox_shows_an_unread_side_reply_until_a_post_reads_it(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    desk.tickets.create(NewTicket(email="omar@example.com", name="Omar", subject="Other", body="Hello",
                                  notify=False))
    for number in (1, 2):
        desk.tickets.update(number, assignee_id=1, agent_id=1)
    side = desk.side_conversations.start(1, "desk@courier.example", "", "Please trace it.", Actor.agent(1))
    with desk.db.session() as session:
        token = session.scalar(select(SideConversation.token).where(SideConversation.id == side.id))
    assert token
    courier_reply(desk, token, "It is in Jeddah.")
    agent = client_for(app, "agent@example.com")
    inbox = agent.get("/agent/").get_data(as_text=True)
    assert re.search(r'id="view-side-replied"[^>]*>[^<]*<span class="count">1</span>', inbox), inbox[:200]
    rows = re.findall(r'<tr class="ticket-row[^"]*" data-id="(\d+)">(.*?)</tr>', inbox, re.S)
    assert {i: "badge side-reply" in row for i, row in rows} == {"1": True, "2": False}
    filtered = agent.get("/agent/?view=mine&side_replied=1").get_data(as_text=True)
    assert re.findall(r'data-id="(\d+)"', filtered) == ["1"] and 'id="side-replied-filter" name="side_replied"' \
        ' value="1" checked' in filtered
    # Saved with the filter: the view keeps it, its count says so.
    token_csrf = csrf(filtered)
    assert agent.post("/agent/views", data={"name": "Courier answered", "view": "mine", "side_replied": "1",
                                            "csrf_token": token_csrf}).status_code == 302
    [saved] = desk.saved_views.visible(1)
    assert saved.query.side_replied
    # Opening the ticket (a GET) never clears it; the POST "mark as read" does.
    agent.get("/agent/tickets/1")
    assert desk.side_conversations.for_ticket(1)[0].unread
    assert agent.post(f"/agent/tickets/1/side-conversations/{side.id}/status",
                      data={"read": "1", "csrf_token": token_csrf}).status_code == 302
    inbox = agent.get("/agent/").get_data(as_text=True)
    assert re.search(r'id="view-side-replied"[^>]*>[^<]*<span class="count">0</span>', inbox)
    assert "badge side-reply" not in inbox
    assert re.search(rf'id="saved-{saved.id}".*?<span class="count">0</span>', inbox, re.S)


def test_participants_change_on_the_page_and_through_the_api(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    side = desk.side_conversations.start(1, "desk@courier.example", "", "Please trace it.", Actor.agent(1))
    agent = client_for(app, "agent@example.com")
    page = agent.get("/agent/tickets/1").get_data(as_text=True)
    assert f'action="/agent/tickets/1/side-conversations/{side.id}/participants"' in page
    token = csrf(page)
    url = f"/agent/tickets/1/side-conversations/{side.id}/participants"
    refused = agent.post(url, data={"add": "billing at courier", "csrf_token": token})
    assert refused.status_code == 400 and "addresses to add: " in plain(refused.get_data(as_text=True))
    assert 'value="billing at courier"' in plain(refused.get_data(as_text=True))  # what was typed comes back
    refused = agent.post(url, data={"remove": "desk@courier.example", "csrf_token": token})
    assert refused.status_code == 400 and "addresses to remove: a side conversation keeps at least one address" in \
        plain(refused.get_data(as_text=True))
    assert agent.post(url, data={"add": "billing@courier.example", "remove": "desk@courier.example",
                                 "csrf_token": token}).status_code == 302
    assert desk.side_conversations.for_ticket(1)[0].participants == ("billing@courier.example",)
    page = plain(agent.get("/agent/tickets/1").get_data(as_text=True))
    assert "Side conversation «Parcel»: billing@courier.example added" in page
    assert "Side conversation «Parcel»: desk@courier.example removed" in page
    # The API: close and reopen, add and remove, bad fields named, nothing half-written.
    client = app.test_client()
    write = {"Authorization": f"Bearer {desk.accounts.create_token('w', scopes=['tickets:write'])}"}
    read = {"Authorization": f"Bearer {desk.accounts.create_token('r', scopes=['tickets:read'])}"}
    api = f"/api/v1/tickets/1/side_conversations/{side.id}"
    assert client.patch(api, json={"status": "closed"}, headers=read).status_code == 403
    for body, field in [({"status": "shut"}, "status:"), ({"status": 1}, "status:"), ({}, "status, add_"),
                        ({"add_participants": ["nope"]}, "add_participants:"),
                        ({"status": "closed", "remove_participants": ["x@y.example"]}, "remove_participants:"),
                        ({"add_participants": "a@b.example", "cc": []}, "cc:")]:
        refused_api = client.patch(api, json=body, headers=write)
        assert refused_api.status_code == 400 and refused_api.get_json()["error"].startswith(field), \
            (body, refused_api.get_json())
    [still] = desk.side_conversations.for_ticket(1)
    assert still.status == "open" and still.participants == ("billing@courier.example",)
    assert client.patch(f"/api/v1/tickets/1/side_conversations/{side.id + 9}", json={"status": "closed"},
                        headers=write).status_code == 404
    closed = client.patch(api, json={"status": "closed"}, headers=write)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    changed = client.patch(api, json={"status": "open", "add_participants": ["Desk@Courier.example"],
                                      "remove_participants": ["billing@courier.example"]}, headers=write)
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["status"], changed.get_json()["participants"]) == ("open", ["desk@courier.example"])
    assert [(c["added"], c["removed"]) for c in changed.get_json()["participant_changes"]] == [
        (["billing@courier.example"], ["desk@courier.example"]),
        (["desk@courier.example"], ["billing@courier.example"])]
    replied = client.post(f"{api}/messages", json={"body": "The label.", "attachments": [42]}, headers=write)
    assert replied.status_code == 400 and replied.get_json()["error"].startswith("attachments:")
