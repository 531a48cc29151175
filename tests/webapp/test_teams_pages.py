"""Teams through the real app (a light one: no models; `--postgresql` runs it on PostgreSQL): an admin puts agents
in teams, new tickets from the contact form and the API are routed by the business-hours file's rules (the API's
JSON carries the team), an agent moves a ticket to another team from its page or in bulk, and the inbox filters by
team and has "My teams' tickets". Every assignee change is in the ticket's history; the assignee picker lists the
ticket's team's agents first, and an agent of another team may be assigned (said, not refused). The contact form's
"Topic" and the API's `category` store the ticket's category, which routing rules match. A team the file no longer
has is shown as unknown, never an error; a bad routing rule stops the app at start, naming the file and the rule."""

from __future__ import annotations

import pytest
from flask import Flask

from desk.business_hours import BusinessHoursError
from desk.models import AgentTeam, Ticket, TicketAssigneeChange, TicketTeamChange
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import hours_file
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings, login  # noqa: F401
from tests.webapp.test_contact_resubmits import form_data
from webapp import create_app

ROUTING = [{"domain": "acme.ae", "team": "uae"}, {"channel": "api", "lang": "ar", "team": "uae"},
           {"category": "payments", "team": "uae"}]


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """The demo's teams (KSA, the default, and UAE) with two routing rules; an admin, Sara (KSA) and Omar (UAE)."""
    hours_file(light_settings.content_dir, routing=ROUTING)
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    desk.teams.set_teams(desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara").id, ["ksa"])
    desk.teams.set_teams(desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id, ["uae"])
    return app



def agent_id(app: Flask, email: str) -> int:
    return app.extensions["desk"].accounts.find(email).id


def new_ticket(app: Flask, **overrides: object) -> Ticket:
    fields = {"email": "khalid@example.com", "name": "Khalid", "subject": "Refund late", "body": "Where is my refund?",
              "lang": "en"}
    return app.extensions["desk"].tickets.create(NewTicket(**(fields | overrides)))  # type: ignore[arg-type]


def test_an_admin_puts_agents_in_teams_and_an_unknown_team_is_refused_by_field(app: Flask) -> None:
    desk, sara = app.extensions["desk"], agent_id(app, "sara@example.com")
    admin = client_for(app, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    form = page.split(f'id="teams-{sara}"')[1].split("</form>")[0]
    assert "KSA support" in form and "UAE support" in form and 'value="ksa" checked' in form
    token = csrf(page)
    saved = admin.post("/agent/admin", data={"action": "teams", "agent_id": sara, "team": ["ksa", "uae"],
                                             "csrf_token": token}, follow_redirects=True)
    assert saved.status_code == 200 and desk.teams.of(sara) == ["ksa", "uae"]
    refused = admin.post("/agent/admin", data={"action": "teams", "agent_id": sara, "team": ["uae", "qatar"],
                                               "csrf_token": token}).get_data(as_text=True)
    assert "teams: no team &#39;qatar&#39;; the teams are ksa, uae" in refused
    assert desk.teams.of(sara) == ["ksa", "uae"]  # nothing written
    arabic = admin.post("/agent/admin", data={"action": "teams", "agent_id": sara, "team": ["qatar"],
                                              "csrf_token": token}, headers={"Accept-Language": "ar"})
    assert "الفرق" in arabic.get_data(as_text=True)  # the field, named in Arabic
    # Only admins manage teams.
    agent = client_for(app, "omar@example.com")
    assert agent.post("/agent/admin", data={"action": "teams", "agent_id": sara, "team": ["uae"],
                                            "csrf_token": csrf(agent.get("/agent/").get_data(as_text=True))}
                      ).status_code == 403


def test_a_team_gone_from_the_file_is_shown_as_unknown_everywhere(app: Flask) -> None:
    desk, sara = app.extensions["desk"], agent_id(app, "sara@example.com")
    ticket = new_ticket(app)
    with desk.db.session() as session:  # as the file once had a Qatar team
        session.add(AgentTeam(agent_id=sara, team="qatar"))
        session.get(Ticket, ticket.id).team = "qatar"
    admin = client_for(app, "admin@example.com")
    page = admin.get("/agent/admin")
    assert page.status_code == 200 and "qatar (not in the teams file)" in page.get_data(as_text=True)
    inbox = admin.get("/agent/?team=qatar")
    assert inbox.status_code == 200 and f'data-id="{ticket.id}"' in inbox.get_data(as_text=True)
    assert "qatar (not in the teams file)" in inbox.get_data(as_text=True)
    shown = admin.get(f"/agent/tickets/{ticket.id}")
    assert shown.status_code == 200 and "qatar (not in the teams file)" in shown.get_data(as_text=True)
    # The admin may drop it (or keep it) with the teams the file has.
    token = csrf(page.get_data(as_text=True))
    admin.post("/agent/admin", data={"action": "teams", "agent_id": sara, "team": ["ksa", "qatar"],
                                     "csrf_token": token})
    assert desk.teams.of(sara) == ["ksa", "qatar"]
    admin.post("/agent/admin", data={"action": "teams", "agent_id": sara, "team": ["ksa"], "csrf_token": token})
    assert desk.teams.of(sara) == ["ksa"]


def test_contact_form_and_api_tickets_are_routed_and_the_api_says_the_team(app: Flask) -> None:
    desk = app.extensions["desk"]
    client = app.test_client()
    for email, team in [("lina@acme.ae", "uae"), ("sam@example.com", "ksa")]:
        data = {**form_data(client), "email": email}
        assert client.post("/en/contact", data=data).status_code == 302
        [found] = [t for t in desk.tickets.by_customer_email(email)]
        assert found.team == team, email
    token = desk.accounts.create_token("partner")
    headers = {"Authorization": f"Bearer {token}"}
    for lang, team in [("ar", "uae"), ("en", "ksa")]:
        created = client.post("/api/v1/tickets", headers=headers, json={
            "email": "partner@example.com", "subject": "طلبي" if lang == "ar" else "My order",
            "body": "أين طلبي؟" if lang == "ar" else "Where is it?", "lang": lang})
        assert created.status_code == 201 and created.get_json()["team"] == team
        assert client.get(f"/api/v1/tickets/{created.get_json()['id']}", headers=headers).get_json()["team"] == team


def test_an_agent_moves_a_ticket_to_a_team_and_an_assignee_outside_it_is_unassigned(app: Flask) -> None:
    desk, sara = app.extensions["desk"], agent_id(app, "sara@example.com")
    ticket = new_ticket(app)
    desk.tickets.update(ticket.id, assignee_id=sara, agent_id=sara)
    client = client_for(app, "sara@example.com")
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert '<span id="ticket-team" dir="auto">KSA support</span>' in page
    assert '<option value="ksa" selected>KSA support</option>' in page.split('id="team-form"')[1]
    moved = client.post(f"/agent/tickets/{ticket.id}/team", data={"team": "uae", "csrf_token": csrf(page)},
                        follow_redirects=True).get_data(as_text=True)
    assert "Moved to UAE support; the assignee is not in it, so the ticket is unassigned." in moved
    found = desk.tickets.get(ticket.id)
    assert (found.team, found.assignee_id) == ("uae", None)
    due = desk.hours.due_at(ticket.created_at, "normal", "uae")  # counted again in UAE's hours
    assert found.due_at.replace(tzinfo=None) == due.replace(tzinfo=None) != ticket.due_at.replace(tzinfo=None)
    history = moved.split('id="history"')[1]
    assert "team" in history and "KSA support" in history and "UAE support" in history
    refused = client.post(f"/agent/tickets/{ticket.id}/team", data={"team": "qatar", "csrf_token": csrf(page)},
                          follow_redirects=True, headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "الفريق" in refused and "qatar" in refused
    assert desk.tickets.get(ticket.id).team == "uae"
    with desk.db.session() as session:
        assert session.query(TicketTeamChange).count() == 1
    arabic = client.get(f"/agent/tickets/{ticket.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "نقل إلى فريق" in arabic and "UAE support" in arabic  # the file's names, as written


def test_the_inbox_filters_by_team_shows_my_teams_and_moves_in_bulk(app: Flask) -> None:
    desk = app.extensions["desk"]
    ksa, uae = new_ticket(app), new_ticket(app, email="lina@acme.ae")
    sara = client_for(app, "sara@example.com")
    page = sara.get("/agent/").get_data(as_text=True)
    assert '<label for="team">Team</label>' in page and '<option value="uae">UAE support</option>' in page
    assert 'id="view-my_teams"' in page and "My teams&#39; tickets" in page
    assert '<td dir="auto" class="team">UAE support</td>' in page
    filtered = sara.get("/agent/?team=uae").get_data(as_text=True)
    assert f'data-id="{uae.id}"' in filtered and f'data-id="{ksa.id}"' not in filtered
    assert '<option value="uae" selected>UAE support</option>' in filtered
    mine = sara.get("/agent/?view=my_teams").get_data(as_text=True)
    assert f'data-id="{ksa.id}"' in mine and f'data-id="{uae.id}"' not in mine
    moved = sara.post("/agent/bulk", data={"ticket": [ksa.id, uae.id], "action": "team", "value": "uae",
                                           "back": "/agent/?view=my_teams", "csrf_token": csrf(page)},
                      follow_redirects=True).get_data(as_text=True)
    assert "2 tickets updated." in moved and f'data-id="{ksa.id}"' not in moved
    assert {desk.tickets.get(ksa.id).team, desk.tickets.get(uae.id).team} == {"uae"}
    refused = sara.post("/agent/bulk", data={"ticket": [ksa.id], "action": "team", "value": "qatar",
                                             "csrf_token": csrf(page)}, follow_redirects=True)
    assert "team: must be one of ksa, uae, not &#39;qatar&#39;" in refused.get_data(as_text=True)
    arabic = sara.get("/agent/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "تذاكر فرقي" in arabic and "الفريق" in arabic


def test_a_bad_routing_rule_stops_the_app_naming_the_file_and_the_rule(light_settings: Settings) -> None:  # noqa: F811
    hours_file(light_settings.content_dir, routing=[{"lang": "ar", "team": "ksa"}, {"lang": "en", "team": "kas"}])
    with pytest.raises(BusinessHoursError, match=r"_business_hours\.yml: routing rule 2: team: no team 'kas'"):
        create_app(light_settings)


def test_the_assignee_picker_lists_the_team_first_and_an_outsider_may_be_assigned_with_every_change_in_history(
        app: Flask) -> None:
    desk = app.extensions["desk"]
    sara, omar = agent_id(app, "sara@example.com"), agent_id(app, "omar@example.com")
    ticket = new_ticket(app)  # the default team, KSA: Sara's
    client = client_for(app, "sara@example.com")
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    picker = page.split('id="assign"')[1].split("</select>")[0]
    team, others = picker.split('id="assign-team"')[1].split("</optgroup>")[0], picker.split('id="assign-others"')[1]
    assert 'label="KSA support"' in picker.split('id="assign-team"')[0]
    assert f'value="{sara}">Sara<' in team and f'value="{omar}"' not in team
    assert f'value="{omar}">Omar<' in others and ">Admin<" in others and 'label="Other agents"' in picker
    # Omar is in UAE only: assigned all the same, and the page says he is outside the ticket's team.
    assigned = client.post(f"/agent/tickets/{ticket.id}/update", data={"assignee": omar, "csrf_token": csrf(page)},
                           follow_redirects=True)
    text = assigned.get_data(as_text=True)
    assert assigned.status_code == 200 and 'class="flash error"' not in text
    assert "Omar is not in KSA support; the ticket stays in that team and is assigned to them." in text
    assert desk.tickets.get(ticket.id).assignee_id == omar
    again = client.post(f"/agent/tickets/{ticket.id}/update", data={"assignee": omar, "status": "open",
                                                                      "csrf_token": csrf(page)}, follow_redirects=True)
    assert "is not in KSA support" not in again.get_data(as_text=True)  # said once, when assigned
    # A move to UAE keeps Omar; back to KSA unassigns him, and the history says so beside the move.
    client.post(f"/agent/tickets/{ticket.id}/team", data={"team": "uae", "csrf_token": csrf(page)})
    moved = client.post(f"/agent/tickets/{ticket.id}/team", data={"team": "ksa", "csrf_token": csrf(page)},
                        follow_redirects=True).get_data(as_text=True)
    history = moved.split('id="history"')[1].split("</section>")[0]
    rows = [row for row in history.split("<li>")[1:] if "assignee" in row]
    assert len(rows) == 2
    assert '<span dir="auto">unassigned</span> → <span dir="auto">Omar</span>' in rows[0]
    assert '<span dir="auto">Omar</span> → <span dir="auto">unassigned</span>' in rows[1]
    last_two = history.split("<li>")[-2:]  # the move, then the unassignment it caused
    assert "UAE support" in last_two[0] and "KSA support" in last_two[0] and last_two[1] == rows[1]
    with desk.db.session() as session:
        assert [(c.agent_id, c.old_assignee_id, c.new_assignee_id) for c in session.query(TicketAssigneeChange)
                .order_by(TicketAssigneeChange.id)] == [(sara, None, omar), (sara, omar, None)]
    arabic = client.get(f"/agent/tickets/{ticket.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'label="موظفون آخرون"' in arabic and "المسؤول" in arabic.split('id="history"')[1].split("</section>")[0]
    # In bulk from the inbox: recorded too.
    inbox = client.get("/agent/").get_data(as_text=True)
    client.post("/agent/bulk", data={"ticket": [ticket.id], "action": "assign", "value": "me",
                                     "csrf_token": csrf(inbox)})
    assert desk.tickets.get(ticket.id).assignee_id == sara
    assert [c.new_assignee_id for c in desk.tickets.changes(ticket.id) if isinstance(c, TicketAssigneeChange)] == [
        omar, None, sara]


def test_the_contact_form_topic_and_the_api_category_are_stored_and_routed(app: Flask) -> None:
    desk = app.extensions["desk"]
    client = app.test_client()
    page = client.get("/en/contact").get_data(as_text=True)
    topic = page.split('<select id="category" name="category"')[1].split("</select>")[0]
    assert '<option value="" selected>' not in topic and '<option value="payments">Payments</option>' in topic
    assert '<option value="returns">Returns and refunds</option>' in topic
    assert "agent-procedures" not in topic  # an internal category is not the customer's to choose
    arabic = client.get("/ar/contact").get_data(as_text=True).split('<select id="category"')[1].split("</select>")[0]
    assert '<option value="payments">الدفع</option>' in arabic
    # The category page the customer came from, else the article's, is the default topic.
    client.get("/en/categories/payments")
    assert '<option value="payments" selected>' in client.get("/en/contact").get_data(as_text=True)
    about = client.get("/en/contact?article=refund-timing").get_data(as_text=True)
    assert '<option value="returns" selected>' in about
    sent = client.post("/en/contact", data={**form_data(client), "email": "mona@example.com", "category": "payments"})
    assert sent.status_code == 302
    [found] = desk.tickets.by_customer_email("mona@example.com")
    assert (found.category, found.team) == ("payments", "uae")  # the rule for payments matched a form ticket
    refused = client.post("/en/contact", data={**form_data(client), "email": "nour@example.com", "category": "bogus"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="category-error"' in text and "no category &#39;bogus&#39;" in text
    assert desk.tickets.by_customer_email("nour@example.com") == []
    # The API: `category` stored, routed, answered; another is refused naming the field, nothing stored.
    headers = {"Authorization": f"Bearer {desk.accounts.create_token('partner')}"}
    fields = {"email": "partner@example.com", "subject": "Card refused", "body": "My card was refused.", "lang": "en"}
    created = client.post("/api/v1/tickets", headers=headers, json={**fields, "category": "payments"})
    assert created.status_code == 201 and created.get_json()["category"] == "payments"
    assert created.get_json()["team"] == "uae"
    shown = client.get(f"/api/v1/tickets/{created.get_json()['id']}", headers=headers).get_json()
    assert (shown["category"], shown["team"]) == ("payments", "uae")
    plain = client.post("/api/v1/tickets", headers=headers, json=fields)
    assert plain.status_code == 201 and (plain.get_json()["category"], plain.get_json()["team"]) == (None, "ksa")
    bad = client.post("/api/v1/tickets", headers=headers, json={**fields, "category": "bogus"})
    assert bad.status_code == 400
    assert bad.get_json()["error"].startswith("category: no category 'bogus'; the categories are account, delivery")
    assert len(desk.tickets.by_customer_email("partner@example.com")) == 2
    document = client.get("/api/v1/openapi.json").get_json()
    field = document["paths"]["/api/v1/tickets"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert field["properties"]["category"]["enum"] == ["account", "delivery", "orders", "payments", "returns", None]
