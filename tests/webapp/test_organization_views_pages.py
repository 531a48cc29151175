"""Organizations in saved views and the public mail domain guard through the real app (`--postgresql` runs it on
PostgreSQL): the inbox filtered by an organization saves as a view that keeps it (the old "cannot save" note gone);
a view whose organization was deleted opens, names it "organization N (deleted)" and lists nothing; gmail.com on the
organization form is refused under `domains` with an "add it anyway" box, and saved once it is ticked; the API's
`confirm_broad`."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask

from desk.audit import CLI
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings, login  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    for email, role in (("agent@example.com", "agent"), ("lead@example.com", "lead")):
        desk.accounts.create_agent(email, PASSWORD, name=role.title(), role=role)
    for email, subject in (("sara@acme.sa", "Invoice missing"), ("lina@gmail.com", "Lost parcel")):
        desk.tickets.create(NewTicket(email=email, name="X", subject=subject, body="Where?", notify=False))
    return app


def text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def test_an_organization_filter_saves_as_a_view_that_outlives_the_organization(app: Flask) -> None:
    desk = app.extensions["desk"]
    acme = desk.organizations.create("Acme", ["acme.sa"], by=CLI)
    agent = client_for(app, "agent@example.com")
    inbox = agent.get(f"/agent/?view=all&organization={acme.id}").get_data(as_text=True)
    assert "cannot save the organization filter" not in inbox and 'id="save-view"' in inbox
    assert f'<input type="hidden" name="organization" value="{acme.id}">' in inbox
    saved = agent.post("/agent/views", data={"csrf_token": csrf(inbox), "name": "Acme", "view": "all",
                                             "organization": str(acme.id)})
    assert saved.status_code == 302, text(agent.get("/agent/"))
    view = text(agent.get(saved.headers["Location"]))
    assert "Invoice missing" in view and "Lost parcel" not in view
    assert re.search(rf'<option value="{acme.id}" selected>Acme</option>', view)
    refused = agent.post("/agent/views", data={"csrf_token": csrf(inbox), "name": "Gone", "view": "all",
                                               "organization": "99999"})
    assert refused.status_code == 302
    assert "organization: no organization #99999" in text(agent.get("/agent/"))
    desk.organizations.delete(acme.id, by=CLI)
    gone = text(agent.get(saved.headers["Location"]))
    assert f"organization {acme.id} (deleted)" in gone and 'id="deleted-organization-filter"' in gone
    assert "Invoice missing" not in gone and "(0 tickets)" in gone
    agent.post("/agent/preferences", data={"csrf_token": csrf(inbox), "locale": "ar", "back": "/agent/"})
    arabic = text(agent.get(saved.headers["Location"]))
    assert 'lang="ar"' in arabic and f"المؤسسة {acme.id} (محذوفة)" in arabic


def test_a_public_mail_domain_on_the_form_needs_the_box_ticked(app: Flask) -> None:
    lead = client_for(app, "lead@example.com")
    token = csrf(lead.get("/agent/organizations").get_data(as_text=True))
    refused = lead.post("/agent/organizations", data={"csrf_token": token, "name": "Mail", "domains": "gmail.com"})
    page = text(refused)
    assert refused.status_code == 400
    assert re.search(r'id="domains-error" role="alert">domains: gmail.com is a public mail domain', page)
    assert 'id="confirm-broad" name="confirm_broad"' in page
    assert 'id="confirm-broad"' not in text(lead.get("/agent/organizations"))  # only after a refusal
    made = lead.post("/agent/organizations", data={"csrf_token": token, "name": "Mail", "domains": "gmail.com",
                                                   "confirm_broad": "on"})
    assert made.status_code == 302
    org_id = int(made.headers["Location"].rsplit("/", 1)[1])
    assert "Lost parcel" in text(lead.get(f"/agent/organizations/{org_id}"))
    edited = lead.post(f"/agent/organizations/{org_id}", data={"csrf_token": token, "name": "Mail",
                                                               "domains": "gmail.com hotmail.com"})
    assert edited.status_code == 400 and "hotmail.com is a public mail domain" in text(edited)


def test_the_api_takes_confirm_broad(app: Flask) -> None:
    desk = app.extensions["desk"]
    writer = desk.accounts.create_token("writer", scopes=["organizations:write"])
    client = app.test_client()

    def call(method: str, path: str, body: object):  # type: ignore[no-untyped-def]
        return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {writer}"})

    refused = call("POST", "/api/v1/organizations", {"name": "Mail", "domains": ["gmail.com"]})
    assert refused.status_code == 400 and refused.get_json()["error"].startswith("domains: gmail.com is a public")
    bad = call("POST", "/api/v1/organizations", {"name": "Mail", "domains": ["gmail.com"], "confirm_broad": "yes"})
    assert bad.status_code == 400 and bad.get_json()["error"].startswith("confirm_broad: must be true or false")
    made = call("POST", "/api/v1/organizations", {"name": "Mail", "domains": ["gmail.com"], "confirm_broad": True})
    assert made.status_code == 201 and [m["email"] for m in made.get_json()["members"]] == ["lina@gmail.com"]
    org = made.get_json()["id"]
    assert call("PATCH", f"/api/v1/organizations/{org}", {"domains": ["gmail.com", "yahoo.com"]}).status_code == 400
    assert call("PATCH", f"/api/v1/organizations/{org}", {"domains": ["gmail.com", "yahoo.com"],
                                                          "confirm_broad": True}).status_code == 200
