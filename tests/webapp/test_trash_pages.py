"""Deleting tickets and marking spam through the real app (task trash36): a deleted ticket is absent from every surface
that reads tickets (one parametrised test over them), the Deleted tickets page lists it for leads and admins (agents
403) and restores it, any working agent marks spam (a light agent 403) from the ticket page and in bulk, the admin
page blocks and unblocks, the API lists deleted tickets for a token with `tickets:deleted`, and the contact form's
honeypot and a blocked sender's form get the ordinary thank-you with their ticket stored as deleted spam and nothing
mailed. SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk import metrics
from desk.desk import Desk
from desk.models import Agent, OutboxMail
from desk.tickets import NewTicket
from tests.webapp.light_app import PASSWORD, Guarded, csrf, light_app, light_settings, signed_in  # noqa: F401


@dataclass
class Scene:
    guarded: Guarded
    desk: Desk
    kept: int
    gone: int
    gone_reference: str
    kept_reference: str
    admin: FlaskClient
    admin_csrf: str
    saved: int | None = None


@pytest.fixture
def scene(light_app: Guarded) -> Scene:  # noqa: F811
    desk: Desk = light_app.app.extensions["desk"]
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    desk.accounts.create_agent("light@example.com", PASSWORD, name="Light", role="light")
    kept = desk.tickets.create(NewTicket(email="sam@example.com", subject="Keptparcel refund", body="Where is it?"))
    gone = desk.tickets.create(NewTicket(email="sam@example.com", subject="Zebraspam offer", body="Zebraspam now"))
    admin, token = signed_in(light_app.app, "admin@example.com")
    return Scene(light_app, desk, kept.id, gone.id, gone.reference, kept.reference, admin, token)


def delete(scene: Scene) -> None:
    response = scene.admin.post(f"/agent/tickets/{scene.gone}/delete", data={"csrf_token": scene.admin_csrf})
    assert response.status_code == 302


def api(scene: Scene, path: str):  # type: ignore[no-untyped-def]
    return scene.guarded.app.test_client().get(path, headers={"Authorization": f"Bearer {scene.guarded.token}"})


def saved_view(scene: Scene) -> str:
    if scene.saved is None:
        with scene.desk.db.session() as session:
            agent_id = session.scalar(select(Agent.id).where(Agent.email == "admin@example.com"))
        scene.saved = scene.desk.saved_views.save(agent_id or 0, "sam's", {"view": "all", "q": "sam@example.com"}).id
    return scene.admin.get(f"/agent/?saved={scene.saved}").get_data(as_text=True)


def dashboard_count(scene: Scene) -> str:
    today = date.today()
    facts = metrics.ticket_facts(scene.desk.db, metrics.Filters.for_days(today, today))
    return " ".join(f"ticket{row.id}" for row in facts.rows)


# Each surface's text, which must name the kept ticket and never the deleted one (by subject, or "ticket<id>").
SURFACES: dict[str, Callable[[Scene], str]] = {
    "inbox": lambda s: s.admin.get("/agent/?view=all").get_data(as_text=True),
    "inbox unsolved": lambda s: s.admin.get("/agent/?view=unsolved").get_data(as_text=True),
    "inbox search": lambda s: s.admin.get("/agent/?view=all&q=sam%40example.com").get_data(as_text=True),
    "saved view": saved_view,
    "customer profile": lambda s: s.admin.get("/agent/customers/1").get_data(as_text=True),
    "api list": lambda s: api(s, "/api/v1/tickets").get_data(as_text=True),
    "my tickets": lambda s: " ".join(t.subject for t in s.desk.tickets.by_customer_email("sam@example.com")),
    "dashboard figures": dashboard_count,
    "inbox counts": lambda s: f"Keptparcel {s.desk.tickets.inbox()[1]}",
}


# Each item's page or answer: the deleted ticket's is a 404, as if it never existed (no leak).
ITEMS: dict[str, Callable[[Scene, int, str], int]] = {
    "agent ticket page": lambda s, i, r: s.admin.get(f"/agent/tickets/{i}").status_code,
    "customer ticket page": lambda s, i, r: s.guarded.app.test_client().get(f"/en/tickets/{r}").status_code,
    "api item": lambda s, i, r: api(s, f"/api/v1/tickets/{i}").status_code,
}


def test_a_deleted_ticket_is_absent_from_every_surface(scene: Scene) -> None:
    """Every surface in SURFACES names both tickets before the delete and only the kept one after it; every item in
    ITEMS answers the deleted one 404 and the kept one 200. One app for all of them (the failures name the surface)."""
    def names(shown: str, ticket_id: int, word: str) -> bool:
        return word in shown or f"ticket{ticket_id}" in shown

    failures = []
    for surface, read in SURFACES.items():
        shown = read(scene)
        if not names(shown, scene.kept, "Keptparcel") or (
                surface != "inbox counts" and not names(shown, scene.gone, "Zebraspam")):
            failures.append(f"{surface}: both tickets before the delete")
    assert SURFACES["inbox counts"](scene).endswith(" 2")
    delete(scene)
    for surface, read in SURFACES.items():
        shown = read(scene)
        if not names(shown, scene.kept, "Keptparcel") or names(shown, scene.gone, "Zebraspam"):
            failures.append(f"{surface}: the kept ticket only after the delete")
    assert SURFACES["inbox counts"](scene).endswith(" 1")
    for item, status in ITEMS.items():
        answers = (status(scene, scene.kept, scene.kept_reference), status(scene, scene.gone, scene.gone_reference))
        if answers != (200, 404):
            failures.append(f"{item}: {answers}, not (200, 404)")
    assert not failures, "\n".join(failures)


def test_the_deleted_page_is_a_leads_and_restores_the_ticket(scene: Scene) -> None:
    delete(scene)
    agent, _ = signed_in(scene.guarded.app, "agent@example.com")
    assert agent.get("/agent/deleted").status_code == 403
    assert agent.post(f"/agent/tickets/{scene.kept}/delete", data={"csrf_token": csrf(
        agent.get("/agent/").get_data(as_text=True))}).status_code == 403
    lead, token = signed_in(scene.guarded.app, "lead@example.com")
    page = lead.get("/agent/deleted").get_data(as_text=True)
    assert "Zebraspam offer" in page and "Admin" in page and "Keptparcel" not in page
    assert "purge-button" not in page  # "Delete permanently" is an admin's
    response = lead.post(f"/agent/deleted/{scene.gone}/restore", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/agent/tickets/{scene.gone}")
    ticket = lead.get(f"/agent/tickets/{scene.gone}").get_data(as_text=True)
    assert "Zebraspam offer" in ticket and "restored" in ticket and "deleted" in ticket  # the history
    assert "Zebraspam" not in lead.get("/agent/deleted").get_data(as_text=True)


def test_spam_from_the_page_and_in_bulk_blocks_the_senders_and_a_light_agent_may_not(scene: Scene) -> None:
    light, light_token = signed_in(scene.guarded.app, "light@example.com")
    assert light.post(f"/agent/tickets/{scene.gone}/spam", data={"csrf_token": light_token}).status_code == 403
    other = scene.desk.tickets.create(NewTicket(email="bot@junk.example", subject="Zebraspam two", body="More"))
    agent, token = signed_in(scene.guarded.app, "agent@example.com")
    assert agent.post(f"/agent/tickets/{scene.gone}/spam", data={"csrf_token": token}).status_code == 302
    refused = agent.post("/agent/bulk", data={"csrf_token": token, "action": "delete", "ticket": [str(other.id)]})
    assert refused.status_code == 403  # delete is a lead's, in bulk too
    bulk = agent.post("/agent/bulk", data={"csrf_token": token, "action": "spam", "ticket": [str(other.id)]})
    assert bulk.status_code == 302
    assert [b.address for b in scene.desk.trash.blocked().rows] == ["bot@junk.example", "sam@example.com"]
    page = scene.admin.get("/agent/deleted").get_data(as_text=True)
    assert page.count("not-spam-button") == 2
    scene.admin.post(f"/agent/deleted/{other.id}/restore", data={"csrf_token": scene.admin_csrf, "not_spam": "1"})
    assert [b.address for b in scene.desk.trash.blocked().rows] == ["sam@example.com"]


def test_the_blocked_senders_page_is_paged_as_the_other_long_lists(scene: Scene) -> None:
    """It listed every blocked sender on one page, however many (webapp.paging: 25 a page, ?page= as the inbox's)."""
    for n in range(27):
        scene.desk.trash.block(f"spam{n:02d}@junk.example")
    first = scene.admin.get("/agent/blocked").get_data(as_text=True)
    second = scene.admin.get("/agent/blocked", query_string={"page": "2"}).get_data(as_text=True)
    assert first.count('class="blocked-row"') == 25 and "spam00@junk.example" in first and "Page 1 of 2" in first
    assert second.count('class="blocked-row"') == 2 and "spam26@junk.example" in second
    assert 'id="blocked-total">(27)' in second and 'rel="prev"' in second
    assert scene.admin.get("/agent/blocked", query_string={"page": "x"}).status_code == 400
    assert "There is no page" in scene.admin.get("/agent/blocked", query_string={"page": "9"}).get_data(as_text=True)


def test_the_admin_blocks_and_unblocks_addresses_and_domains(scene: Scene) -> None:
    lead, _ = signed_in(scene.guarded.app, "lead@example.com")
    assert lead.get("/agent/blocked").status_code == 403
    refused = scene.admin.post("/agent/blocked", data={"csrf_token": scene.admin_csrf, "address": "not an address"})
    refused_page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'value="not an address"' in refused_page  # kept
    # named beside the field it is about (walk37: the top flash), which says so to assistive tech
    assert 'aria-invalid="true" aria-describedby="block-address-error"' in refused_page
    assert re.search(r'<p class="field-error" id="block-address-error" role="alert">[^<]*address', refused_page)
    assert scene.admin.post("/agent/blocked", data={"csrf_token": scene.admin_csrf,
                                                    "address": "@Junk.Example"}).status_code == 302
    [row] = scene.desk.trash.blocked().rows
    assert row.address == "@junk.example" and "@junk.example" in scene.admin.get("/agent/blocked").get_data(
        as_text=True)
    scene.admin.post(f"/agent/blocked/{row.id}/remove", data={"csrf_token": scene.admin_csrf})
    assert scene.desk.trash.blocked().rows == []
    purge = scene.admin.post(f"/agent/deleted/{scene.kept}/purge", data={"csrf_token": scene.admin_csrf})
    assert purge.status_code == 302 and scene.desk.tickets.get(scene.kept) is not None  # not deleted: refused
    delete(scene)
    scene.admin.post(f"/agent/deleted/{scene.gone}/purge", data={"csrf_token": scene.admin_csrf})
    assert scene.desk.trash.deleted().total == 0


def test_the_api_lists_deleted_tickets_for_a_token_with_the_scope(scene: Scene) -> None:
    delete(scene)
    listed = api(scene, "/api/v1/deleted_tickets").get_json()
    assert [(t["id"], t["reason"], t["requester"]) for t in listed["deleted_tickets"]] == [
        (scene.gone, "deleted", "sam@example.com")]
    assert (listed["total"], listed["page"], listed["pages"]) == (1, 1, 1)
    reader = scene.desk.accounts.create_token("reader", scopes=["tickets:read"])
    refused = scene.guarded.app.test_client().get("/api/v1/deleted_tickets",
                                                  headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403 and refused.get_json()["scope"] == "tickets:deleted"


HONEYPOT = "kb_hp"
# The words browsers' autofill and password managers match in a field's name or id (Chromium's autofill regexes,
# 1Password's and Bitwarden's field heuristics): a honeypot named so is filled for a real customer, whose ticket is
# then stored as deleted spam.
AUTOFILL_WORDS = re.compile(r"web|url|site|home|page|link|name|mail|phone|tel|mobile|company|org|addr|street|city|zip"
                            r"|post|country|state|region|card|user|login|account|pass|search|comment|note|subject",
                            re.IGNORECASE)


def test_the_honeypot_is_a_field_no_autofill_fills(scene: Scene) -> None:
    """It was named `website`: a browser's or a password manager's autofill could fill it for a real customer."""
    form = scene.guarded.app.test_client().get("/en/contact").get_data(as_text=True)
    trap = re.search(r'<div class="contact-extra" aria-hidden="true">\s*<label for="([^"]+)">[^<]*</label>\s*'
                     r'<input ([^>]*)>', form)
    assert trap is not None
    attributes = dict(re.findall(r'([a-z0-9-]+)="([^"]*)"', trap.group(2)))
    assert attributes["id"] == trap.group(1) and attributes["name"] == HONEYPOT
    assert not AUTOFILL_WORDS.search(attributes["name"]) and not AUTOFILL_WORDS.search(attributes["id"])
    assert (attributes["autocomplete"], attributes["tabindex"], attributes["type"]) == ("off", "-1", "text")
    assert attributes["data-1p-ignore"] == attributes["data-lpignore"] == attributes["data-bwignore"] == "true"


def contact_form(client: FlaskClient, email: str, honeypot: str = "") -> dict[str, str]:
    """The contact page's form filled in, as a browser would post it (its CSRF token and submission key)."""
    page = client.get("/en/contact").get_data(as_text=True)
    submission = page.split('name="submission" type="hidden" value="')[1].split('"')[0]
    return {"csrf_token": csrf(page), "name": "Bot", "email": email, "subject": "Offer", "message": "Cheap things",
            "submission": submission, HONEYPOT: honeypot}


@pytest.mark.parametrize("way", ["honeypot", "blocked sender"])
def test_the_contact_forms_spam_gets_the_thank_you_and_is_stored_deleted(scene: Scene, way: str) -> None:
    if way == "blocked sender":
        scene.desk.trash.block("bot@junk.example")
    client = scene.guarded.app.test_client()
    form = client.get("/en/contact").get_data(as_text=True)
    assert f'name="{HONEYPOT}"' in form and 'type="hidden" value="" tabindex' not in form  # hidden by CSS, not type
    filled = contact_form(client, "bot@junk.example", "http://spam.example" if way == "honeypot" else "")
    sent = client.post("/en/contact", data=filled)
    assert sent.status_code == 302 and "/tickets/" not in sent.headers["Location"]
    assert "We received your request" in client.get(sent.headers["Location"]).get_data(as_text=True)
    again = client.post("/en/contact", data=filled)  # the same page sent twice: the same (deleted) ticket, no 500
    assert again.status_code == 302 and "/tickets/" not in again.headers["Location"]
    [row] = scene.desk.trash.deleted().rows
    assert (row.reason, row.requester, row.deleted_by) == ("spam", "bot@junk.example", None)
    with scene.desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 2  # the two tickets' before, no more
