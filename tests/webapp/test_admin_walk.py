"""What a new company's admin walking the admin pages on day one found (session 41, Chromium, Arabic and English):
a refused "Add an agent" or "Create token" form came back empty (the email, the name, the role, the token's name,
ticked scopes and expiry typed again), its error only in a flash at the top of a long page, never beside the field;
an agent's refused time zone was dropped from its row; and the webhooks page, before the first one, showed a filter of
events that cannot exist and no word that there are none."""

from __future__ import annotations

import re
import shutil

from tests.desk.test_teams import ROOT, hours_file
from tests.webapp.light_app import PASSWORD, Guarded, light_app, light_settings, signed_in  # noqa: F401


def field(page: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    found = re.search(rf'<(?:input|select|fieldset|textarea)[^>]*\bid="{element_id}"[^>]*>', page)
    assert found, element_id
    return found.group(0)


def test_a_refused_new_agent_keeps_what_was_typed_and_says_why_beside_the_field(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    client, token = signed_in(app, "admin@example.com")
    before = len(app.extensions["desk"].accounts.everyone())
    page = client.post("/agent/admin", data={"csrf_token": token, "action": "agent", "email": "agent@example.com",
                                             "name": "Sara Ali", "password": PASSWORD, "role": "lead"}
                       ).get_data(as_text=True)
    assert 'value="agent@example.com"' in field(page, "new-email")
    assert 'aria-invalid="true"' in field(page, "new-email")
    assert 'value="Sara Ali"' in field(page, "new-name")
    assert re.search(r'<option value="lead" selected>', page.split('id="new-role"')[1].split("</select>")[0])
    assert re.search(r'<p class="field-error" id="new-agent-error" role="alert">email: an agent agent@example.com '
                     r"already exists</p>", page)
    assert PASSWORD not in page  # a password is never sent back
    short = client.post("/agent/admin", data={"csrf_token": token, "action": "agent", "email": "omar@example.com",
                                              "name": "Omar", "password": "short", "role": "agent"}
                        ).get_data(as_text=True)
    assert 'aria-invalid="true"' in field(short, "new-password")
    assert 'aria-invalid' not in field(short, "new-email") and 'value="omar@example.com"' in field(short, "new-email")
    assert len(app.extensions["desk"].accounts.everyone()) == before
    done = client.post("/agent/admin", data={"csrf_token": token, "action": "agent", "email": "omar@example.com",
                                             "name": "Omar", "password": PASSWORD, "role": "agent"},
                       follow_redirects=True).get_data(as_text=True)
    assert 'value="omar@example.com"' not in field(done, "new-email") and "new-agent-error" not in done


def test_a_refused_token_keeps_its_name_scopes_and_expiry_and_says_why_beside_the_field(
        light_app: Guarded) -> None:  # noqa: F811
    client, token = signed_in(light_app.app, "admin@example.com")
    page = client.post("/agent/admin", data={"csrf_token": token, "action": "token", "name": "Zapier",
                                             "scopes": ["tickets:read", "search"], "expires_days": "0"}
                       ).get_data(as_text=True)
    assert 'value="Zapier"' in field(page, "token-name")
    assert 'value="0"' in field(page, "token-expires") and 'aria-invalid="true"' in field(page, "token-expires")
    ticked = re.findall(r'<input type="checkbox" name="scopes" value="([^"]+)" checked>', page)
    assert ticked == ["tickets:read", "search"]
    assert re.search(r'<p class="field-error" id="new-token-error" role="alert">expires in \(days\): ', page)
    none = client.post("/agent/admin", data={"csrf_token": token, "action": "token", "name": "Zapier"}
                       ).get_data(as_text=True)
    assert 'aria-invalid="true"' in field(none, "token-scopes") and 'value="Zapier"' in field(none, "token-name")


def test_a_refused_time_zone_stays_in_its_row(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    client, token = signed_in(app, "admin@example.com")
    agent = app.extensions["desk"].accounts.find("agent@example.com")
    page = client.post("/agent/admin", data={"csrf_token": token, "action": "time_zone", "agent_id": agent.id,
                                             "time_zone": "Mars/Olympus"}).get_data(as_text=True)
    assert "time zone: &#39;Mars/Olympus&#39; is not a time zone name" in page
    assert 'value="Mars/Olympus"' in field(page, f"zone-{agent.id}")
    assert 'aria-invalid="true"' in field(page, f"zone-{agent.id}")


def test_the_webhooks_page_says_there_are_none_yet_and_shows_no_event_filter(light_app: Guarded) -> None:  # noqa: F811
    client, _ = signed_in(light_app.app, "admin@example.com")
    page = client.get("/agent/admin/webhooks").get_data(as_text=True)
    assert 'id="no-webhooks"' in page and "No webhooks yet" in page
    assert 'id="delivery-filter"' not in page


def row(page: str, key: str) -> str:
    found = re.search(rf'<div data-setup="{key}">(.*?)</div>', page, re.S)
    assert found, key
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_the_admin_page_says_where_the_brand_and_the_rules_live_and_what_they_say_now(
        light_app: Guarded) -> None:  # noqa: F811
    """The brand, teams, hours, due times, fields, triggers and macros are files beside the articles: a new admin
    found no word of them on the admin page (only their problems, when a file was wrong)."""
    app = light_app.app
    content = app.extensions["desk"].settings.content_dir
    hours_file(content)
    shutil.copy2(ROOT / "content" / "_ticket_fields.yml", content / "_ticket_fields.yml")
    (content / "_macros" / "en").mkdir(parents=True)
    (content / "_macros" / "en" / "thanks.md").write_text("---\ntitle: Thanks\n---\nThank you.\n", encoding="utf-8")
    client, _ = signed_in(app, "admin@example.com")
    page = client.get("/agent/admin").get_data(as_text=True)
    assert 'href="#setup"' in page
    brand = row(page, "brand")
    assert "_theme.yml" in brand and "Manzil Help Center" in brand and "manzil-logo.svg" in brand
    teams = row(page, "teams")
    assert "_business_hours.yml" in teams and "KSA support" in teams and "Asia/Riyadh" in teams
    assert "Sun, Mon, Tue, Wed, Thu" in teams and "09:00–17:00" in teams and "2 holidays" in teams
    assert "Urgent: 2 h" in row(page, "due") and "Low: 24 h" in row(page, "due")
    assert "Order number" in row(page, "ticket-fields") and "Reason" in row(page, "ticket-fields")
    assert "None yet" in row(page, "triggers") and "None yet" in row(page, "customer-fields")
    assert "1 macro" in row(page, "macros")
    (content / "_ticket_fields.yml").write_text("- key: a\n  type: colour\n", encoding="utf-8")
    wrong = client.get("/agent/admin").get_data(as_text=True)
    assert "Refused: see the problem at the top of the page" in row(wrong, "ticket-fields")
    arabic = client.get("/agent/admin", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "أحد، اثنين" in row(arabic, "teams") or "الأحد" in row(arabic, "teams")


def test_the_new_agent_form_says_what_each_role_may_do(light_app: Guarded) -> None:  # noqa: F811
    """Agent, light agent, lead, admin: a new admin chose among four names with nothing to tell them apart."""
    client, _ = signed_in(light_app.app, "admin@example.com")
    page = client.get("/agent/admin").get_data(as_text=True)
    assert 'aria-describedby="new-role-help"' in field(page, "new-role")
    help_list = page.split('id="new-role-help"')[1].split("</ul>")[0]
    for role, what in (("Agent", "answers customers"), ("Light agent", "internal notes"), ("Lead", "dashboard"),
                       ("Admin", "API tokens")):
        assert f"<strong>{role}</strong>: " in help_list and what in help_list
