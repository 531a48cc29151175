"""The lead's team status page (/agent/team-status) through the real app (a light one; `--postgresql` runs it on
PostgreSQL): per team the rule, the unassigned unsolved tickets waiting and the oldest's age, why they wait (the
decision desk.auto_assign makes: someone can take them, nobody available, everyone available at max_open), each
member's availability since when (in the viewer's zone), load beside max_open and last automatic assignment; agents
in no team apart, deactivated ones nowhere; a lead sets a member away (audited), an agent gets 403; a GET writes
nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from flask import Flask
from sqlalchemy import select, update

from desk.audit import SYSTEM, Actor
from desk.models import Agent, AgentTeam, AuditEvent, Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import ROOT, hours_file
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from webapp import create_app

CHANGED = datetime(2026, 3, 1, 9, 5, tzinfo=UTC)  # 12:05 in Riyadh, 13:05 in Dubai


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """KSA (the default) assigns balanced, max_open 2: Sara (1 unsolved), Omar (2: at the limit), Huda (away), Gone
    (deactivated); UAE assigns by hand: Lina, the lead. Noor, an agent, and the admin are in no team. KSA has three
    tickets waiting (one from before routing, no team stored), UAE one; a solved ticket of Sara's counts nowhere."""
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["ksa"]["assignment"] = {"mode": "balanced", "max_open": 2}
    hours_file(light_settings.content_dir, teams=raw["teams"])
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    accounts = desk.accounts
    ids = {"admin": accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin").id,
           "lina": accounts.create_agent("lina@example.com", PASSWORD, name="Lina", role="lead").id,
           "noor": accounts.create_agent("noor@example.com", PASSWORD, name="Noor").id}
    accounts.set_time_zone(ids["lina"], "Asia/Dubai")
    for name in ("Sara", "Omar", "Huda", "Gone"):
        ids[name.lower()] = accounts.create_agent(f"{name.lower()}@example.com", PASSWORD, name=name).id
        desk.teams.set_teams(ids[name.lower()], ["ksa"])
    desk.teams.set_teams(ids["lina"], ["uae"])
    tickets = [desk.tickets.create(NewTicket(email=f"c{n}@example.com", subject=f"Refund {n}", body="Where is it?",
                                             lang="en")).id for n in range(8)]
    start = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    with desk.db.session() as session:
        for n, ticket_id in enumerate(tickets):
            session.execute(update(Ticket).where(Ticket.id == ticket_id).values(created_at=start + timedelta(hours=n)))
        owners = {tickets[0]: ids["omar"], tickets[1]: ids["omar"], tickets[2]: ids["sara"], tickets[3]: ids["sara"]}
        for ticket_id, owner in owners.items():
            session.execute(update(Ticket).where(Ticket.id == ticket_id).values(assignee_id=owner))
        session.execute(update(Ticket).where(Ticket.id == tickets[3]).values(status="solved"))
        session.execute(update(Ticket).where(Ticket.id == tickets[4]).values(team=None))  # from before routing
        session.execute(update(Ticket).where(Ticket.id == tickets[7]).values(team="uae"))
        session.execute(update(AgentTeam).where(AgentTeam.agent_id == ids["omar"])
                        .values(last_auto_assigned_at=start))
    for name in ("sara", "omar", "gone", "lina"):
        accounts.set_availability(ids[name], True, Actor.agent(ids[name]))
    accounts.manage(ids["gone"], SYSTEM, active=False)
    with desk.db.session() as session:
        session.execute(update(Agent).where(Agent.id == ids["sara"]).values(available_changed_at=CHANGED))
    app.config["ids"] = ids
    return app


def section(page: str, key: str) -> str:
    return page.split(f'id="team-{key}"')[1].split("</section>")[0]


def row(page: str, key: str, agent_id: int) -> str:
    return page.split(f'id="member-{key}-{agent_id}"')[1].split("</tr>")[0]


def reason(page: str) -> str | None:
    found = re.search(r'class="why" data-reason="([a-z_]+)"', section(page, "ksa"))
    return found.group(1) if found else None


def cell(html: str, name: str) -> str:
    return re.sub(r"<[^>]+>", "", html.split(f'class="{name}"')[1].split("</td>")[0]).strip(" >")


def test_the_figures_of_each_team_and_member(app: Flask) -> None:
    ids = app.config["ids"]
    page = client_for(app, "lina@example.com").get("/agent/team-status").get_data(as_text=True)
    ksa, uae, none = section(page, "ksa"), section(page, "uae"), section(page, "none")
    assert "Assigned automatically: balanced, up to 2 open each" in ksa
    assert "Assigned by hand" in uae
    assert "3 unsolved tickets wait unassigned" in ksa  # the one without a team stored is the default team's
    assert "1 unsolved ticket waits unassigned" in uae
    assert 'The oldest arrived <time datetime="2026-02-01T12:00:00' in ksa  # the one without a team: 12:00 UTC
    assert 'The oldest arrived <time datetime="2026-02-01T15:00:00' in uae
    assert "view=unassigned" in ksa and "team=ksa" in ksa
    assert cell(row(page, "ksa", ids["sara"]), "load") == "1 / 2"  # the solved one is not counted
    assert cell(row(page, "ksa", ids["omar"]), "load") == "2 / 2 at the limit"
    assert "Available" in row(page, "ksa", ids["omar"]) and "Away" in row(page, "ksa", ids["huda"])
    assert "Never" in cell(row(page, "ksa", ids["sara"]), "last-auto")
    assert "ago" in cell(row(page, "ksa", ids["omar"]), "last-auto")
    since = cell(row(page, "ksa", ids["sara"]), "since")
    assert "1:05" in since and "9:05" not in since and "12:05" not in since  # the lead's zone: Dubai
    assert "Never changed" in row(page, "ksa", ids["huda"])  # a new agent's is stamped only when they change it
    assert f'id="member-ksa-{ids["gone"]}"' not in page and "gone@example.com" not in page  # deactivated
    assert f'id="member-uae-{ids["lina"]}"' in uae and cell(row(page, "uae", ids["lina"]), "load") == "0"
    assert f'id="member-none-{ids["noor"]}"' in none and f'id="member-none-{ids["admin"]}"' in none
    assert f'id="member-none-{ids["sara"]}"' not in none


def test_why_tickets_wait_is_the_decision_auto_assignment_makes(app: Flask) -> None:
    ids = app.config["ids"]
    accounts = app.extensions["desk"].accounts
    lead = client_for(app, "lina@example.com")
    assert reason(lead.get("/agent/team-status").get_data(as_text=True)) == "handing_out"  # Sara has room
    accounts.set_availability(ids["sara"], False, SYSTEM)
    page = lead.get("/agent/team-status").get_data(as_text=True)
    assert reason(page) == "all_at_max_open"  # Omar alone, at 2 of 2
    assert "every available member is at the limit of open tickets" in page
    accounts.set_availability(ids["omar"], False, SYSTEM)
    page = lead.get("/agent/team-status").get_data(as_text=True)
    assert reason(page) == "nobody_available" and "no member is available" in page
    assert 'class="why"' not in section(page, "uae")  # assigned by hand: no reason to give
    arabic = lead.get("/agent/team-status", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "حالة الفرق" in arabic and "لا أحد من الأعضاء متاح" in arabic


def test_agents_get_403_leads_and_admins_the_page(app: Flask) -> None:
    ids = app.config["ids"]
    agent = client_for(app, "noor@example.com")
    page = agent.get("/agent/").get_data(as_text=True)
    assert 'id="team-status-link"' not in page
    assert agent.get("/agent/team-status").status_code == 403
    assert agent.post("/agent/team-status", data={"agent_id": ids["sara"], "csrf_token": csrf(page)}
                      ).status_code == 403
    assert app.extensions["desk"].accounts.find("sara@example.com").available
    for email in ("lina@example.com", "admin@example.com"):
        client = client_for(app, email)
        assert 'id="team-status-link"' in client.get("/agent/").get_data(as_text=True)
        assert client.get("/agent/team-status").status_code == 200


def test_a_lead_sets_a_member_away_audited(app: Flask) -> None:
    ids = app.config["ids"]
    desk = app.extensions["desk"]
    lead = client_for(app, "lina@example.com")
    page = lead.get("/agent/team-status").get_data(as_text=True)
    assert "Set away" in row(page, "ksa", ids["sara"]) and "Set away" not in row(page, "uae", ids["lina"])  # own
    done = lead.post("/agent/team-status", data={"agent_id": ids["sara"], "csrf_token": csrf(page)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/agent/team-status")
    assert not desk.accounts.find("sara@example.com").available
    with desk.db.session() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "availability_changed"))
        assert (event.subject, event.actor_id, event.after) == (str(ids["sara"]), ids["lina"], {"available": False})
    after = lead.get("/agent/team-status").get_data(as_text=True)
    assert "Away" in row(after, "ksa", ids["sara"]) and "Agent set away" in after
    refused = lead.post("/agent/team-status", data={"agent_id": "999999", "csrf_token": csrf(page)})
    assert refused.status_code == 400 and "no agent 999999" in refused.get_data(as_text=True)


def test_a_get_writes_nothing(app: Flask) -> None:
    lead = client_for(app, "lina@example.com")
    with writes(app) as seen:
        assert lead.get("/agent/team-status").status_code == 200
    assert seen == []
