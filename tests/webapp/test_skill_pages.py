"""Skills through the real app (a light one; `--postgresql` runs it on PostgreSQL): an admin adds, renames and deletes
skills and ticks an agent's on the admin page (audited; a refused name keeps what was typed beside its error, nothing
written); an agent ticks a ticket's required skills on its page (in its history; a light agent may not); the team
status page says what waits for which skill and the history what an assignment went without; the API's ticket JSON
carries `skills` and a PATCH sets them (a name that is no skill refused naming `skills[N]`, nothing written; a token
without tickets:write refused)."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select

from desk.models import AuditEvent, WebhookDelivery, as_utc
from desk.tickets import NewTicket
from tests.webapp.light_app import client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from tests.webapp.test_language_routing_pages import app  # noqa: F401


@pytest.fixture
def site(app: Flask) -> Flask:  # noqa: F811
    """The language routing's app (KSA assigns round robin, the fallback after 30 minutes; Emma available in it,
    answering in English; the admin and Lina, a light agent, in no team) with the skills Billing and VIP."""
    skills = app.extensions["desk"].skills
    app.config["ids"] |= {"billing": skills.create("Billing"), "vip": skills.create("VIP")}
    return app


def waiting_ticket(site: Flask, *skills: int) -> int:
    """A ticket Emma was given, unassigned again and requiring `skills` (by her, on the desk)."""
    desk, emma = site.extensions["desk"], site.config["ids"]["emma"]
    ticket = desk.tickets.create(NewTicket(email="c@example.com", name="C", subject="Invoice", body="Invoice?",
                                           lang="en"))
    desk.tickets.update(ticket.id, assignee_id=None, agent_id=emma)
    desk.skills.set_ticket(ticket.id, [str(s) for s in skills], emma)
    return ticket.id


def test_an_admin_adds_renames_deletes_skills_and_ticks_an_agents(site: Flask) -> None:
    ids, desk = site.config["ids"], site.extensions["desk"]
    admin = client_for(site, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    token = csrf(page)
    assert 'id="skills-' + str(ids["emma"]) + '"' in page and 'id="skills-' + str(ids["lina"]) + '"' not in page
    with writes(site) as seen:
        refused = admin.post("/agent/admin", data={"action": "skill_create", "name": "billing", "csrf_token": token})
    html = unescape(refused.get_data(as_text=True))
    assert seen == [] and 'id="skill-error"' in html and "name: a skill named 'billing' exists already" in html
    assert 'id="new-skill" name="name" dir="auto" maxlength="40" required value="billing"' in html  # kept
    long = admin.post("/agent/admin", data={"action": "skill_create", "name": "x" * 41, "csrf_token": token})
    assert "at most 40 characters, not 41" in unescape(long.get_data(as_text=True))
    assert admin.post("/agent/admin", data={"action": "skill_create", "name": " iOS ", "csrf_token": token}
                      ).status_code == 200
    assert [s.name for s in desk.skills.all()] == ["Billing", "iOS", "VIP"]
    admin.post("/agent/admin", data={"action": "skill_rename", "skill_id": ids["vip"], "name": "VIP customers",
                                     "csrf_token": token})
    admin.post("/agent/admin", data={"action": "agent_skills", "agent_id": ids["emma"],
                                     "skills": [ids["billing"], ids["vip"]], "csrf_token": token})
    assert sorted(desk.skills.of_agents()[ids["emma"]]) == sorted([ids["billing"], ids["vip"]])
    with writes(site) as seen:
        gone = admin.post("/agent/admin", data={"action": "agent_skills", "agent_id": ids["emma"],
                                                "skills": [ids["billing"], "999"], "csrf_token": token})
    assert seen == [] and "skills: no skill &#39;999&#39;" in gone.get_data(as_text=True)
    arabic = admin.post("/agent/admin", data={"action": "agent_skills", "agent_id": ids["emma"], "skills": "999",
                                              "csrf_token": token}, headers={"Accept-Language": "ar"})
    assert "المهارات" in arabic.get_data(as_text=True)
    deleted = admin.post("/agent/admin", data={"action": "skill_delete", "skill_id": ids["billing"],
                                               "csrf_token": token}).get_data(as_text=True)
    assert "Skill Billing deleted" in deleted
    assert desk.skills.of_agents() == {ids["emma"]: [ids["vip"]]}
    with desk.db.session() as session:
        actions = [(e.action, e.actor_id) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(("skill_created", "skill_renamed", "skill_deleted",
                                                            "skills_changed"))).order_by(AuditEvent.id))]
    assert actions[2:] == [("skill_created", ids["admin"]), ("skill_renamed", ids["admin"]),
                           ("skills_changed", ids["admin"]), ("skill_deleted", ids["admin"])]
    audit = admin.get("/agent/admin/audit").get_data(as_text=True)
    assert "Skill renamed" in audit and "Skills changed" in audit


def test_an_agent_ticks_a_tickets_skills_and_a_light_agent_may_not(site: Flask) -> None:
    ids = site.config["ids"]
    ticket_id = waiting_ticket(site)
    emma = client_for(site, "emma@example.com")
    page = emma.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert 'id="skills-form"' in page
    done = emma.post(f"/agent/tickets/{ticket_id}/skills", data={"skills": [ids["vip"]], "csrf_token": csrf(page)})
    assert done.status_code == 302
    shown = emma.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert f'value="{ids["vip"]}" checked' in shown and "required skills added: «<bdi>VIP</bdi>»" in shown
    with writes(site) as seen:
        refused = emma.post(f"/agent/tickets/{ticket_id}/skills",
                            data={"skills": [ids["billing"], "x"], "csrf_token": csrf(page)})
    assert refused.status_code == 400 and seen == []
    assert "skills: no skill &#39;x&#39;" in refused.get_data(as_text=True)
    lina = client_for(site, "lina@example.com")
    light = lina.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert 'name="skills"' not in light and 'id="skills-form"' not in light
    # Read-only: the skills the ticket requires, as the history names them (Zendesk's light agents see them too).
    assert '<p class="meta" id="required-skills">Required skills: <span class="skill-badge" dir="auto">VIP</span>' \
        in light
    arabic = lina.get(f"/agent/tickets/{ticket_id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'id="required-skills">المهارات المطلوبة:' in arabic
    assert 'id="required-skills"' not in shown  # the ticks say it to an agent who works the ticket
    assert lina.post(f"/agent/tickets/{ticket_id}/skills", data={"skills": [ids["billing"]],
                                                                 "csrf_token": csrf(light)}).status_code == 403


def test_the_team_status_page_and_the_history_name_the_skill(site: Flask) -> None:
    ids, desk = site.config["ids"], site.extensions["desk"]
    ticket_id = waiting_ticket(site, ids["vip"])
    admin = client_for(site, "admin@example.com")
    page = admin.get("/agent/team-status").get_data(as_text=True)
    assert "1 waits for an agent with the skill VIP." in page
    assert "After waiting 30 minutes, a ticket goes to any available member." in page
    arrived = as_utc(desk.tickets.get(ticket_id).created_at)
    assert desk.tickets.hand_out(now=arrived + timedelta(minutes=30)) == 1
    history = admin.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert "assigned without the skills VIP: nobody having them was available for 30 minutes" in history


def test_the_api_reads_and_sets_a_tickets_skills(site: Flask) -> None:
    ids, desk = site.config["ids"], site.extensions["desk"]
    ticket_id = waiting_ticket(site, ids["vip"])
    client = site.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('partner')}"}
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()["skills"] == ["VIP"]
    listed = client.get("/api/v1/tickets", headers=auth).get_json()["tickets"]
    assert [t["skills"] for t in listed if t["id"] == ticket_id] == [["VIP"]]
    desk.webhooks.allow_private = True  # the receiver on this machine
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.updated"])
    done = client.patch(f"/api/v1/tickets/{ticket_id}", json={"skills": ["billing", "VIP"]}, headers=auth)
    assert done.status_code == 200 and done.get_json()["skills"] == ["Billing", "VIP"]
    with desk.db.session() as session:  # the outbound webhooks hear it: the change and the ticket as it left it
        [event] = session.scalars(select(WebhookDelivery)).all()
    assert (event.event_type, event.data["changes"], event.data["ticket"]["skills"]) == (
        "ticket.updated", {"skills": {"old": ["VIP"], "new": ["Billing", "VIP"]}}, ["Billing", "VIP"])
    with writes(site) as seen:
        refused = client.patch(f"/api/v1/tickets/{ticket_id}", json={"status": "pending", "skills": ["VIP", "Nope"]},
                               headers=auth)
    assert refused.status_code == 400 and seen == []
    assert refused.get_json()["error"].startswith("skills[1]: no skill 'Nope'; the skills are Billing, VIP")
    assert client.patch(f"/api/v1/tickets/{ticket_id}", json={"skills": "VIP"}, headers=auth).status_code == 400
    reader = {"Authorization": f"Bearer {desk.accounts.create_token('reader', scopes=['tickets:read'])}"}
    assert client.patch(f"/api/v1/tickets/{ticket_id}", json={"skills": []}, headers=reader).status_code == 403
    assert client.patch(f"/api/v1/tickets/{ticket_id}", json={"skills": []}, headers=auth).get_json()["skills"] == []
    with desk.db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket_updated")
                                .order_by(AuditEvent.id)).all()[-1]
    assert (event.before, event.after["skills"]) == ({"skills": ["Billing", "VIP"]}, [])


def test_a_follow_ups_history_says_what_it_started_with_in_both_languages(site: Flask) -> None:
    ids, desk = site.config["ids"], site.extensions["desk"]
    closed = desk.tickets.create(NewTicket(email="c@example.com", name="C", subject="Invoice", body="Invoice?",
                                           lang="en"))
    desk.tags.add([closed.id], ["refund"])
    desk.skills.set_ticket(closed.id, [str(ids["vip"]), str(ids["billing"])], ids["emma"])
    desk.tickets.update(closed.id, status="closed", agent_id=ids["emma"])
    follow_up = desk.tickets.customer_reply_with_files(closed.reference, "It broke again").ticket_id
    admin = client_for(site, "admin@example.com")
    page = unescape(admin.get(f"/agent/tickets/{follow_up}").get_data(as_text=True))
    assert (f"Started with skills «<bdi>Billing</bdi>» and «<bdi>VIP</bdi>» from #{closed.id} · "
            f"Started with tags refund from #{closed.id}") in page
    arabic = unescape(admin.get(f"/agent/tickets/{follow_up}", headers={"Accept-Language": "ar"}).get_data(
        as_text=True))
    assert (f"بدأت بالمهارات «<bdi>Billing</bdi>» و«<bdi>VIP</bdi>» من #{closed.id} · "
            f"بدأت بالوسوم refund من #{closed.id}") in arabic
    assert "Started with" not in unescape(admin.get(f"/agent/tickets/{closed.id}").get_data(as_text=True))


def test_a_skill_named_with_a_comma_stays_one_name_in_the_history(site: Flask) -> None:
    """"Billing, VIP" is one skill: the history listed names joined with commas ("Started with skills Billing, VIP,
    iOS"), one skill read as two; each name now in «» and its own <bdi>, listed as the reader's language lists."""
    ids, desk = site.config["ids"], site.extensions["desk"]
    both, ios = desk.skills.create("Billing, VIP"), desk.skills.create("iOS")
    closed = desk.tickets.create(NewTicket(email="c@example.com", name="C", subject="Invoice", body="Invoice?",
                                           lang="en"))
    desk.skills.set_ticket(closed.id, [str(both), str(ios)], ids["emma"])
    desk.skills.set_ticket(closed.id, [str(both)], ids["emma"])
    desk.tickets.update(closed.id, status="closed", agent_id=ids["emma"])
    follow_up = desk.tickets.customer_reply_with_files(closed.reference, "It broke again").ticket_id
    admin = client_for(site, "admin@example.com")
    history = unescape(admin.get(f"/agent/tickets/{closed.id}").get_data(as_text=True))
    assert "required skills added: «<bdi>Billing, VIP</bdi>» and «<bdi>iOS</bdi>»" in history
    assert "required skills removed: «<bdi>iOS</bdi>»" in history
    page = unescape(admin.get(f"/agent/tickets/{follow_up}", headers={"Accept-Language": "ar"}).get_data(as_text=True))
    assert f"بدأت بالمهارات «<bdi>Billing, VIP</bdi>» من #{closed.id}" in page
