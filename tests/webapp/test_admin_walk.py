"""What a new company's admin walking the admin pages on day one found (session 41, Chromium, Arabic and English):
a refused "Add an agent" or "Create token" form came back empty (the email, the name, the role, the token's name,
ticked scopes and expiry typed again), its error only in a flash at the top of a long page, never beside the field;
an agent's refused time zone was dropped from its row; and the webhooks page, before the first one, showed a filter of
events that cannot exist and no word that there are none."""

from __future__ import annotations

import re

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
