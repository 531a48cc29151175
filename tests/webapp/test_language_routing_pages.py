"""Language routing through the real app (a light one; `--postgresql` runs it on PostgreSQL): an agent ticks the
languages they answer in on /agent/profile and an admin on the admin page (audited); a language the site does not have
is refused naming the field, what was ticked kept and nothing written; a light agent has no such form; the team status
page shows each member's languages and the tickets waiting for a language nobody available answers; the ticket's
history says when one was assigned without its language."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import yaml
from flask import Flask
from sqlalchemy import select

from desk.audit import Actor
from desk.models import AuditEvent
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import ROOT, hours_file
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """KSA (the default team) assigns round robin, the fallback after 30 minutes: Emma answers in English, available;
    the admin and Lina (a light agent) in no team."""
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["ksa"]["assignment"] = {"mode": "round_robin"}
    hours_file(light_settings.content_dir, teams=raw["teams"])
    app = create_app(replace(light_settings, routing_language_fallback_minutes=30))
    desk = app.extensions["desk"]
    accounts = desk.accounts
    ids = {"admin": accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin").id,
           "lina": accounts.create_agent("lina@example.com", PASSWORD, name="Lina", role="light").id,
           "emma": accounts.create_agent("emma@example.com", PASSWORD, name="Emma").id}
    desk.teams.set_teams(ids["emma"], ["ksa"])
    accounts.set_languages(ids["emma"], ["en"], ("en", "ar"), Actor.agent(ids["emma"]))
    accounts.set_availability(ids["emma"], True, Actor.agent(ids["emma"]))
    app.config["ids"] = ids
    return app


def languages_of(app: Flask, email: str) -> list[str] | None:
    return app.extensions["desk"].accounts.find(email).languages


def test_an_agent_sets_their_languages_on_the_profile(app: Flask) -> None:
    emma = client_for(app, "emma@example.com")
    page = emma.get("/agent/profile").get_data(as_text=True)
    assert 'id="languages-form"' in page and 'value="en" checked' in page and 'value="ar" checked' not in page
    done = emma.post("/agent/profile", data={"part": "languages", "languages": ["ar", "en"], "csrf_token": csrf(page)})
    assert done.status_code == 302 and languages_of(app, "emma@example.com") == ["en", "ar"]
    assert "Languages saved." in emma.get("/agent/profile").get_data(as_text=True)
    with writes(app) as seen:
        refused = emma.post("/agent/profile", data={"part": "languages", "languages": ["ar", "fr"],
                                                    "csrf_token": csrf(page)})
    assert refused.status_code == 400 and seen == []
    html = refused.get_data(as_text=True)
    assert 'id="languages-error"' in html and "languages answered in: must be one of en, ar, not &#39;fr&#39;" in html
    assert 'value="ar" checked' in html and 'value="en" checked' not in html  # what was ticked, not what is kept
    assert languages_of(app, "emma@example.com") == ["en", "ar"]
    arabic = emma.post("/agent/profile", data={"part": "languages", "languages": "fr", "csrf_token": csrf(page)},
                       headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "اللغات التي يجيب بها" in arabic
    cleared = emma.post("/agent/profile", data={"part": "languages", "csrf_token": csrf(page)})
    assert cleared.status_code == 302 and languages_of(app, "emma@example.com") is None  # none ticked: every one
    with app.extensions["desk"].db.session() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "languages_changed")).all() == []


def test_a_light_agent_has_no_languages_form(app: Flask) -> None:
    lina = client_for(app, "lina@example.com")
    page = lina.get("/agent/profile").get_data(as_text=True)
    assert 'id="languages-form"' not in page
    assert lina.post("/agent/profile", data={"part": "languages", "languages": "ar", "csrf_token": csrf(page)}
                     ).status_code == 403


def test_an_admin_sets_an_agents_languages_audited(app: Flask) -> None:
    ids = app.config["ids"]
    admin = client_for(app, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    assert f'id="languages-{ids["emma"]}"' in page and f'id="languages-{ids["lina"]}"' not in page
    done = admin.post("/agent/admin", data={"action": "languages", "agent_id": ids["emma"], "languages": "ar",
                                            "csrf_token": csrf(page)}, follow_redirects=True)
    assert "Agent updated." in done.get_data(as_text=True) and languages_of(app, "emma@example.com") == ["ar"]
    refused = admin.post("/agent/admin", data={"action": "languages", "agent_id": ids["emma"],
                                               "languages": ["en", "xx"], "csrf_token": csrf(page)})
    assert "languages answered in: must be one of en, ar, not &#39;xx&#39;" in refused.get_data(as_text=True)
    assert languages_of(app, "emma@example.com") == ["ar"]
    for junk in ({"agent_id": "999999", "languages": "ar"}, {"agent_id": "x" * 5000, "languages": "\x00" * 5000},
                 {"agent_id": str(ids["lina"]), "languages": "ar"}):  # no agent; junk; a light agent
        answer = admin.post("/agent/admin", data={"action": "languages", "csrf_token": csrf(page), **junk})
        assert answer.status_code == 200 and 'class="flash error"' in answer.get_data(as_text=True), junk
    assert languages_of(app, "lina@example.com") is None
    with app.extensions["desk"].db.session() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "languages_changed"))
        assert (event.actor_id, event.subject, event.before, event.after) == (
            ids["admin"], str(ids["emma"]), {"languages": ["en"]}, {"languages": ["ar"]})
    audit = admin.get("/agent/admin/audit?action=languages_changed").get_data(as_text=True)
    assert "Languages changed" in audit


def test_the_team_status_page_and_the_history_name_the_language(app: Flask) -> None:
    ids = app.config["ids"]
    desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="c@example.com", subject="استرداد", body="أين المبلغ؟", lang="ar"))
    assert ticket.assignee_id is None  # Emma answers in English only
    lead = client_for(app, "admin@example.com")
    page = lead.get("/agent/team-status").get_data(as_text=True)
    ksa = page.split('id="team-ksa"')[1].split("</section>")[0]
    assert 'class="why-language" data-lang="ar"' in ksa
    assert "1 waits for an agent who answers Arabic." in ksa
    assert "After waiting 30 minutes, a ticket goes to any available member." in ksa
    assert "Someone can take them" not in ksa
    assert 'data-lang="en">English</span>' in ksa.split(f'id="member-ksa-{ids["emma"]}"')[1]
    assert "وكيلًا يجيب باللغة العربية" in lead.get("/agent/team-status", headers={"Accept-Language": "ar"}
                                                      ).get_data(as_text=True)
    assert desk.tickets.hand_out(now=ticket.created_at + timedelta(minutes=30)) == 1
    history = lead.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert ("assigned without the language: nobody answering Arabic was available for 30 minutes" in history)


def test_the_team_status_page_names_a_language_whose_speakers_are_at_max_open(light_settings: Settings) -> None:  # noqa: F811
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["ksa"]["assignment"] = {"mode": "balanced", "max_open": 1}
    hours_file(light_settings.content_dir, teams=raw["teams"])
    app = create_app(replace(light_settings, routing_language_fallback_minutes=30))
    desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    for email, lang in (("emma@example.com", "en"), ("huda@example.com", "ar")):
        made = desk.accounts.create_agent(email, PASSWORD, name=email.split("@")[0].title()).id
        desk.teams.set_teams(made, ["ksa"])
        desk.accounts.set_languages(made, [lang], ("en", "ar"), Actor.agent(made))
        desk.accounts.set_availability(made, True, Actor.agent(made))
    tickets = [desk.tickets.create(NewTicket(email=f"c{n}@example.com", subject="استرداد", body="أين المبلغ؟",
                                             lang="ar")) for n in range(3)]
    assert [t.assignee_id is None for t in tickets] == [False, True, True]  # Huda took one: at max_open
    lead = client_for(app, "admin@example.com")
    ksa = lead.get("/agent/team-status").get_data(as_text=True).split('id="team-ksa"')[1].split("</section>")[0]
    assert 'class="why-language" data-lang="ar" data-reason="all_at_max_open"' in ksa
    assert ("2 wait for an agent who answers Arabic with room: every available one who does is at the limit of open "
            "tickets. After waiting 30 minutes, a ticket goes to any available member.") in ksa
    assert "Someone can take them" not in ksa
    arabic = lead.get("/agent/team-status", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "ولديه متسع: كل عضو متاح يجيب بها بلغ حد التذاكر المفتوحة" in arabic
