"""Automatic assignment through the real app (a light one; `--postgresql` runs it on PostgreSQL): the header's
"Available" / "Away" toggle (not audited), the profile's, an admin setting another agent away (audited, shown on the
admin page), a contact-form ticket handed to the available member of a team with `assignment:`, and its history
naming the rule in both languages."""

from __future__ import annotations

import pytest
import yaml
from flask import Flask
from sqlalchemy import select

from desk.models import AuditEvent
from kb.settings import Settings
from tests.desk.test_teams import ROOT, hours_file
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_contact_resubmits import form_data
from webapp import create_app
from webapp.worker import JOBS, WorkerContext, run_pass


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """KSA (the default) hands tickets out balanced; an admin and Sara (KSA), both away."""
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["ksa"]["assignment"] = {"mode": "balanced", "max_open": 5}
    hours_file(light_settings.content_dir, teams=raw["teams"])
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    desk.teams.set_teams(desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara").id, ["ksa"])
    return app


def available(app: Flask, email: str) -> bool:
    return bool(app.extensions["desk"].accounts.find(email).available)


def availability_events(app: Flask) -> list[AuditEvent]:
    with app.extensions["desk"].db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "availability_changed")))


def test_the_header_toggle_sets_the_agent_available_and_a_contact_ticket_lands_on_them(app: Flask) -> None:
    sara = client_for(app, "sara@example.com")
    page = sara.get("/agent/").get_data(as_text=True)
    header = page.split('id="availability-form"')[1].split("</form>")[0]
    assert "Away" in header and 'name="available" value="1"' in header  # a new agent starts away
    contact = app.test_client()
    assert contact.post("/en/contact", data={**form_data(contact), "email": "k1@example.com"}).status_code == 302
    [waiting] = app.extensions["desk"].tickets.by_customer_email("k1@example.com")
    assert waiting.assignee_id is None  # nobody available
    done = sara.post("/agent/availability", data={"available": "1", "back": "/agent/", "csrf_token": csrf(page)})
    assert done.status_code == 303 and available(app, "sara@example.com")
    assert availability_events(app) == []  # one's own toggle is not audited
    ctx = WorkerContext(app.extensions["desk"].settings)
    ctx.__dict__["desk"] = app.extensions["desk"]
    assert run_pass(ctx, [job for job in JOBS if job.name == "auto-assign"]) == {"auto-assign": 1}  # the worker's
    assert contact.post("/en/contact", data={**form_data(contact), "email": "k2@example.com"}).status_code == 302
    [ticket] = app.extensions["desk"].tickets.by_customer_email("k2@example.com")
    assert ticket.assignee_id == app.extensions["desk"].accounts.find("sara@example.com").id
    shown = sara.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Assigned automatically (balanced, KSA support)" in shown
    sara_id = app.extensions["desk"].accounts.find("sara@example.com").id
    assert f'value="{sara_id}" selected>Sara · Available<' in shown  # the picker says who is available
    arabic = sara.get(f"/agent/tickets/{ticket.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "أُسندت تلقائيًا (بالتوازن، KSA support)" in arabic
    refused = sara.post("/agent/availability", data={"available": "yes", "back": "/agent/profile",
                                                     "csrf_token": csrf(page)}, follow_redirects=True)
    assert "must be 1 (available) or 0 (away)" in refused.get_data(as_text=True)
    assert available(app, "sara@example.com")  # nothing written


def test_an_admin_sets_another_agent_away_audited_and_an_agent_cannot(app: Flask) -> None:
    sara = client_for(app, "sara@example.com")
    profile = sara.get("/agent/profile").get_data(as_text=True)
    assert 'id="profile-availability"' in profile
    sara.post("/agent/availability", data={"available": "1", "back": "/agent/profile", "csrf_token": csrf(profile)})
    sara_id = app.extensions["desk"].accounts.find("sara@example.com").id
    admin = client_for(app, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    assert "Available" in page.split(f'id="availability-{sara_id}"')[1].split("</td>")[0]
    assert sara.post("/agent/admin", data={"action": "away", "agent_id": sara_id, "csrf_token": csrf(profile)}
                     ).status_code == 403
    admin.post("/agent/admin", data={"action": "away", "agent_id": sara_id, "csrf_token": csrf(page)})
    assert not available(app, "sara@example.com")
    [event] = availability_events(app)
    assert event.subject == str(sara_id) and event.actor_id == app.extensions["desk"].accounts.find(
        "admin@example.com").id
    audit = admin.get("/agent/admin/audit").get_data(as_text=True)
    assert "Availability changed" in audit


def test_a_bad_assignment_stops_the_app_at_start(light_settings: Settings) -> None:  # noqa: F811
    from desk.business_hours import BusinessHoursError

    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["uae"]["assignment"] = {"mode": "round-robin"}
    hours_file(light_settings.content_dir, teams=raw["teams"])
    with pytest.raises(BusinessHoursError, match=r"_business_hours.yml: teams.uae.assignment.mode: 'round-robin'"):
        create_app(light_settings)
