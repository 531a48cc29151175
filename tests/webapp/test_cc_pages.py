"""CCs on the pages and the API (desk.ccs): the agent's ticket page lists them under the customer, adds one (a bad one
refused naming the field, nothing written) and removes one, each in the ticket's history and the audit log; the
customer's page says who is copied and shows a CC's message as theirs; a CC's "My tickets" lists the tickets they are
copied on; the API's ticket item carries `ccs` and PATCH takes `ccs` / `add_ccs` / `remove_ccs`. The real app; SQLite,
and PostgreSQL with `--postgresql`."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask

from desk.audit import AuditQuery
from desk.desk import Desk
from desk.mail.addresses import thread_token
from desk.models import Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject="Invoice", body="Wrong total.",
                                  notify=False))
    return app


def plain(html: str) -> str:
    return unescape(html).replace("\u2068", "").replace("\u2069", "")


def test_agents_add_and_remove_ccs_on_the_ticket_page_with_history_and_audit(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    agent = client_for(app, "agent@example.com")
    page = agent.get("/agent/tickets/1").get_data(as_text=True)
    assert 'id="cc-form"' in page and "No one is copied." in page
    token = csrf(page)
    refused = agent.post("/agent/tickets/1/ccs", data={"email": "rami at example", "csrf_token": token})
    assert refused.status_code == 400 and "email: 'rami at example' is not an email address" in plain(
        refused.get_data(as_text=True))
    assert desk.ccs.of(1) == []
    own = agent.post("/agent/tickets/1/ccs", data={"email": "support@manzil.example", "csrf_token": token})
    assert own.status_code == 400 and "the help desk's own address" in plain(own.get_data(as_text=True))
    added = agent.post("/agent/tickets/1/ccs", data={"email": "Rami@Example.com", "csrf_token": token})
    assert added.status_code == 302
    page = plain(agent.get("/agent/tickets/1").get_data(as_text=True))
    assert re.search(r'id="ccs"><li><a href="/agent/customers/\d+" dir="auto">rami@example.com</a>', page)
    assert "CC added: rami@example.com" in page  # the history
    assert agent.post("/agent/tickets/1/ccs", data={"remove": "rami@example.com", "csrf_token": token}
                      ).status_code == 302
    page = plain(agent.get("/agent/tickets/1").get_data(as_text=True))
    assert "CC removed: rami@example.com" in page and "No one is copied." in page
    events = desk.audit.page(AuditQuery(action="ticket_ccs_changed"), 0, 10).events
    assert [(e.before, e.after) for e in reversed(events)] == [({"ccs": []}, {"ccs": [events[0].before["ccs"][0]]}),
                                                               ({"ccs": events[0].before["ccs"]}, {"ccs": []})]
    audit = client_for(app, "agent@example.com")
    assert audit.post("/agent/tickets/1/ccs", data={"email": "x@example.com"}).status_code == 400  # no CSRF token
    assert app.test_client().post("/agent/tickets/1/ccs", data={"email": "x@example.com"}).status_code != 302
    assert desk.ccs.of(1) == []


def test_the_customers_page_says_who_is_copied_and_a_ccs_message_is_theirs(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    with desk.db.session() as session:
        token = thread_token(session, session.get(Ticket, 1))  # type: ignore[arg-type]
    desk.ccs.add(1, "rami@example.com", __import__("desk.audit").audit.SYSTEM)
    raw = (f"From: Rami Haddad <rami@example.com>\r\nTo: support+{token}@manzil.example\r\nSubject: Re: Invoice\r\n"
           "Message-ID: <r1@example.com>\r\n\r\nI am her manager: please fix it.\r\n").encode()
    assert desk.mail_in.receive(raw).outcome == "continued"
    reference = desk.tickets.get(1).reference  # type: ignore[union-attr]
    page = plain(app.test_client().get(f"/en/tickets/{reference}").get_data(as_text=True))
    # Added by address alone, Rami's name comes from his mail's display name (desk.ccs.fill_name).
    assert 'id="copied">Copied: <bdi>Rami Haddad</bdi> (<bdi dir="ltr">rami@example.com</bdi>)</p>' in page
    assert re.search(r'<p class="who"><bdi>Rami Haddad</bdi> · ', page)  # not "You"
    agent_page = plain(client_for(app, "agent@example.com").get("/agent/tickets/1").get_data(as_text=True))
    assert '<span dir="auto">Rami Haddad</span> <span class="muted cc-badge">(CC)</span>' in agent_page
    # Rami's "My tickets" lists the ticket he is copied on.
    assert [t.id for t in desk.tickets.by_customer_email("rami@example.com")] == [1]
    assert desk.outbox.queue_magic_link("rami@example.com", "en", "/en/my-tickets/x")


def test_the_api_item_carries_ccs_and_patch_changes_them(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}
    client = app.test_client()
    answer = client.patch("/api/v1/tickets/1", json={"add_ccs": ["Rami@example.com", "nour@example.com"]}, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["ccs"] == [{"email": "rami@example.com", "name": ""},
                                        {"email": "nour@example.com", "name": ""}]
    listed = client.get("/api/v1/tickets", headers=auth).get_json()["tickets"]
    assert listed[0]["ccs"] == answer.get_json()["ccs"]
    bad = client.patch("/api/v1/tickets/1", json={"add_ccs": ["huda@example.com", "nope"]}, headers=auth)
    assert bad.status_code == 400 and "add_ccs[1]" in bad.get_json()["error"]
    assert [p.email for p in desk.ccs.of(1)] == ["rami@example.com", "nour@example.com"]  # nothing half-written
    mixed = client.patch("/api/v1/tickets/1", json={"ccs": ["a@example.com"], "add_ccs": ["b@example.com"]},
                         headers=auth)
    assert mixed.status_code == 400 and mixed.get_json()["error"].startswith("ccs:")
    whole = client.patch("/api/v1/tickets/1", json={"ccs": ["nour@example.com", "huda@example.com"]}, headers=auth)
    assert [c["email"] for c in whole.get_json()["ccs"]] == ["nour@example.com", "huda@example.com"]
    removed = client.patch("/api/v1/tickets/1", json={"remove_ccs": ["NOUR@example.com"]}, headers=auth)
    assert [c["email"] for c in removed.get_json()["ccs"]] == ["huda@example.com"]
    events = desk.audit.page(AuditQuery(action="ticket_updated"), 0, 10).events
    assert len(events) == 3 and all(set(e.after or {}) == {"ccs", "token"} for e in events)
    assert client.patch("/api/v1/tickets/1", json={"add_ccs": ["x@example.com"]}).status_code == 401
