"""Organizations through the real app (a light one, no models; `--postgresql` runs it on PostgreSQL): leads and admins
create and edit them on /agent/organizations (a plain agent reads, and gets 403 on a post), a domain another has is
refused under its field, the page lists members and open tickets, the profile's hand-made choice, the ticket page's
organization, the inbox filter, both languages, and the API with its scopes."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask

from desk.audit import CLI
from desk.models import AuditEvent
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings, login  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    for email, role in (("agent@example.com", "agent"), ("lead@example.com", "lead"), ("admin@example.com", "admin")):
        desk.accounts.create_agent(email, PASSWORD, name=role.title(), role=role)
    desk.tickets.create(NewTicket(email="sara@acme.sa", name="Sara", subject="Invoice missing", body="Where?",
                                  notify=False))
    desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject="Lost parcel", body="Lost.",
                                  notify=False))
    return app


def post(client, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = csrf(client.get("/agent/organizations").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def test_a_lead_creates_one_and_the_domains_customers_join_a_plain_agent_only_reads(app: Flask) -> None:
    agent, lead = client_for(app, "agent@example.com"), client_for(app, "lead@example.com")
    page = text(agent.get("/agent/organizations"))
    assert 'id="organization-form"' not in page and "No organizations yet." in page
    assert post(agent, "/agent/organizations", {"name": "Acme", "domains": "acme.sa"}).status_code == 403
    made = post(lead, "/agent/organizations", {"name": "Acme", "domains": "acme.sa\n@Acme.example",
                                               "notes": "Pays yearly", "tags": "VIP"})
    assert made.status_code == 302
    org_id = int(made.headers["Location"].rsplit("/", 1)[1])
    listing = text(agent.get("/agent/organizations"))
    assert re.search(rf'data-id="{org_id}">.*?Acme.*?acme.example, acme.sa.*?vip.*?member-count">1<', listing,
                     re.S)
    shown = text(agent.get(f"/agent/organizations/{org_id}"))
    assert "Invoice missing" in shown and "Sara" in shown and "Pays yearly" in shown
    assert "Lost parcel" not in shown and 'id="organization-form"' not in shown
    assert agent.get("/agent/organizations/999999").status_code == 404
    assert post(agent, f"/agent/organizations/{org_id}", {"name": "X"}).status_code == 403


def test_a_domain_another_has_is_refused_under_its_field_with_the_text_kept(app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.organizations.create("Acme", ["acme.sa"], by=CLI)
    admin = client_for(app, "admin@example.com")
    refused = post(admin, "/agent/organizations", {"name": "Beta", "domains": "beta.sa acme.sa", "notes": "kept"})
    page = text(refused)
    assert refused.status_code == 400
    assert re.search(r'id="domains-error" role="alert">domains: acme.sa is a domain of Acme already', page)
    assert ">beta.sa acme.sa</textarea>" in page and ">kept</textarea>" in page
    assert [r.name for r in desk.organizations.page().rows] == ["Acme"]
    arabic = client_for(app, "admin@example.com")
    arabic.post("/agent/preferences", data={"csrf_token": csrf(arabic.get("/agent/").get_data(as_text=True)),
                                            "locale": "ar", "back": "/agent/"})
    ar_page = text(post(arabic, "/agent/organizations", {"name": "Beta", "domains": "acme.sa"}))
    assert 'lang="ar"' in ar_page and 'dir="rtl"' in ar_page and "المؤسسات" in ar_page
    assert "is a domain of" not in ar_page


def test_the_profile_sets_it_by_hand_and_the_ticket_page_and_inbox_show_it(app: Flask) -> None:
    desk = app.extensions["desk"]
    acme = desk.organizations.create("Acme", ["acme.sa"], "Gold support contract", by=CLI)
    beta = desk.organizations.create("Beta", [], by=CLI)
    agent = client_for(app, "agent@example.com")
    card = text(agent.get("/agent/tickets/1"))
    assert f'href="/agent/organizations/{acme.id}" id="organization-link" dir="auto">Acme</a>' in card
    assert "1 open ticket" in card and "Gold support contract" in card
    assert 'id="ticket-organization"' not in text(agent.get("/agent/tickets/2"))
    inbox = text(agent.get(f"/agent/?organization={acme.id}"))
    assert "Invoice missing" in inbox and "Lost parcel" not in inbox
    lina = desk.tickets.get(2).customer_id
    assert post(agent, f"/agent/customers/{lina}/organization", {"organization": str(beta.id)}).status_code == 302
    profile = text(agent.get(f"/agent/customers/{lina}"))
    assert re.search(rf'<option value="{beta.id}" selected>Beta</option>', profile)
    assert 'id="ticket-organization"' in text(agent.get("/agent/tickets/2"))
    bad = post(agent, f"/agent/customers/{lina}/organization", {"organization": "99999"})
    assert bad.status_code == 303
    assert "organization: no organization #99999" in text(agent.get(f"/agent/customers/{lina}"))
    with desk.db.session() as session:
        events = session.query(AuditEvent).filter(AuditEvent.action == "organization_member_changed").all()
        assert [(e.subject, e.actor) for e in events] == [(str(lina), "agent")]


def test_the_api_reads_and_writes_them_with_their_scopes(app: Flask) -> None:
    desk = app.extensions["desk"]
    reader = desk.accounts.create_token("reader", scopes=["organizations:read", "tickets:read", "customers:read"])
    writer = desk.accounts.create_token("writer", scopes=["organizations:write"])
    client = app.test_client()

    def call(method: str, path: str, token: str, body: object = None):  # type: ignore[no-untyped-def]
        return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})

    refused = call("POST", "/api/v1/organizations", reader, {"name": "Acme"})
    assert refused.status_code == 403 and "organizations:write" in refused.get_json()["error"]
    assert call("GET", "/api/v1/organizations", writer).status_code == 403
    made = call("POST", "/api/v1/organizations", writer, {"name": "Acme", "domains": ["acme.sa"], "tags": ["vip"]})
    assert made.status_code == 201
    org = made.get_json()
    assert org["domains"] == ["acme.sa"] and [m["email"] for m in org["members"]] == ["sara@acme.sa"]
    taken = call("POST", "/api/v1/organizations", writer, {"name": "Beta", "domains": ["ACME.sa"]})
    assert taken.status_code == 400 and taken.get_json()["error"].startswith("domains: acme.sa is a domain of Acme")
    unknown = call("POST", "/api/v1/organizations", writer, {"name": "Beta", "website": "x"})
    assert unknown.status_code == 400 and "website" in unknown.get_json()["error"]
    changed = call("PATCH", f"/api/v1/organizations/{org['id']}", writer, {"notes": "Gold", "domains": []})
    assert changed.status_code == 200 and changed.get_json()["members"] == [] and changed.get_json()["notes"] == "Gold"
    assert changed.get_json()["name"] == "Acme" and changed.get_json()["tags"] == ["vip"]
    call("PATCH", f"/api/v1/organizations/{org['id']}", writer, {"domains": ["acme.sa"]})
    listed = call("GET", "/api/v1/organizations?query=acme", reader).get_json()
    assert listed["total"] == 1 and listed["organizations"][0]["counts"] == {"members": 1, "open": 1}
    assert call("GET", "/api/v1/organizations/99999", reader).status_code == 404
    tickets = call("GET", "/api/v1/tickets", reader).get_json()["tickets"]
    assert {t["subject"]: t["organization"] for t in tickets} == {"Invoice missing": org["id"], "Lost parcel": None}
    assert call("GET", "/api/v1/tickets/1", reader).get_json()["organization"] == org["id"]
    sara = org["members"][0]["id"]
    assert call("GET", f"/api/v1/customers/{sara}", reader).get_json()["organization"] == org["id"]
    only = call("GET", f"/api/v1/tickets?organization={org['id']}", reader).get_json()["tickets"]
    assert [t["subject"] for t in only] == ["Invoice missing"]
    assert call("GET", "/api/v1/tickets?organization=x", reader).status_code == 400
    with desk.db.session() as session:
        actions = [(e.action, e.actor) for e in session.query(AuditEvent).filter(AuditEvent.subject_type == "org")
                   .order_by(AuditEvent.id)]
    assert actions == [("organization_created", "api"), ("organization_edited", "api"),
                       ("organization_edited", "api")]
