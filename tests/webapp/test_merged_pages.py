"""A customer's message to a merged duplicate goes where the conversation now lives (as in Freshdesk, Help Scout,
Chatwoot): on the duplicate's page it lands on the ticket it was merged into and the customer is taken to that page,
told why (Arabic through the catalog), the page posted twice storing one message; through the API the 201 names the
landing ticket and `merged_from` (in the OpenAPI document), and a closed target gets the follow-up. The real app
under waitress; SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

from html import unescape

import requests
from flask import Flask

from desk.desk import Desk
from desk.tickets import NewTicket
from tests.smtp_sink import sink  # noqa: F401
from tests.webapp.light_app import light_settings  # noqa: F401
from tests.webapp.test_customer_files import stored
from tests.webapp.test_follow_up_pages import reply_form
from tests.webapp.test_reply_files import app, base_url  # noqa: F401


def merged(desk: Desk) -> tuple[int, str, int, str]:
    """Omar's Arabic duplicate merged into his first ticket: (target id, reference, duplicate id, reference)."""
    target, duplicate = (desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي",
                                                       body=body, lang="ar"))
                         for body in ("طلبي لم يصل", "ما زال طلبي لم يصل"))
    agent = desk.accounts.agents()[0].id
    desk.tickets.merge(duplicate.id, target.id, agent, "دمجنا طلبيك في طلب واحد.")
    return target.id, target.reference, duplicate.id, duplicate.reference


def test_a_reply_on_a_merged_tickets_page_lands_on_the_target_and_goes_there(
    app: Flask, base_url: str  # noqa: F811
) -> None:
    desk: Desk = app.extensions["desk"]
    target_id, target_reference, duplicate_id, duplicate_reference = merged(desk)
    customer = requests.Session()
    url = f"{base_url}/ar/tickets/{duplicate_reference}"
    opened = customer.get(url, timeout=30)  # the duplicate's page: the conversation where it lives, told why
    assert opened.url == f"{base_url}/ar/tickets/{target_reference}" and "closed-hint" not in opened.text
    assert f'دُمج طلبك السابق <bdi class="keep-whole" dir="ltr">{duplicate_reference}</bdi> في هذا الطلب' in unescape(
        opened.text)  # the reference isolated, on one line (webapp.help.naming_reference)
    data = {**reply_form(customer, url), "message": "هل من جديد؟"}
    counted = stored(app)
    sent = customer.post(url, timeout=30, data=data)
    assert sent.status_code == 200 and sent.url == f"{base_url}/ar/tickets/{target_reference}"
    assert 'id="ticket-created">دُمج ذلك الطلب في هذا الطلب</p>' in unescape(sent.text)
    target = desk.tickets.get(target_id)
    assert target is not None and target.messages[-1].body == "هل من جديد؟" and target.status == "open"
    assert stored(app)[:2] == (counted[0], counted[1] + 1)  # no follow-up of the empty duplicate
    # The same page posted again (a reload, a double click): the same landing, nothing stored twice.
    again = customer.post(url, timeout=30, data=data)
    assert again.status_code == 200 and again.url == sent.url and stored(app)[:2] == (counted[0], counted[1] + 1)
    duplicate = desk.tickets.get(duplicate_id)
    assert duplicate is not None and duplicate.messages == [] and duplicate.status == "closed"


def test_the_api_lands_a_message_to_a_merged_ticket_on_the_target_and_names_it(
    app: Flask, base_url: str  # noqa: F811
) -> None:
    desk: Desk = app.extensions["desk"]
    target_id, target_reference, duplicate_id, _ = merged(desk)
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('partner')}"}
    path = f"{base_url}/api/v1/tickets/{duplicate_id}/messages"
    sent = requests.post(path, timeout=30, headers=auth, json={"body": "Any news?"})
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    assert (answer["ticket_id"], answer["ticket_reference"], answer["merged_from"], answer["follow_up_of"],
            answer["ticket_status"]) == (target_id, target_reference, duplicate_id, None, "open")
    target = desk.tickets.get(target_id)
    assert target is not None and target.messages[-1].id == answer["id"]
    # The target itself: nothing merged.
    direct = requests.post(f"{base_url}/api/v1/tickets/{target_id}/messages", timeout=30, headers=auth,
                           json={"body": "Hello?"}).json()
    assert (direct["ticket_id"], direct["merged_from"], direct["follow_up_of"]) == (target_id, None, None)
    # The target closed: the message starts a follow-up of the target, not of the duplicate.
    desk.tickets.update(target_id, status="closed")
    later = requests.post(path, timeout=30, headers=auth, json={"body": "It broke again"})
    assert later.status_code == 201, later.text
    body = later.json()
    assert (body["merged_from"], body["follow_up_of"]) == (duplicate_id, target_id)
    assert body["ticket_id"] not in (target_id, duplicate_id)
    follow_up = desk.tickets.get(body["ticket_id"])
    assert follow_up is not None and follow_up.context["follow_up_of"] == target_reference
    # The document names the field.
    document = requests.get(f"{base_url}/api/v1/openapi.json", timeout=30).json()
    created = document["paths"]["/api/v1/tickets/{ticket_id}/messages"]["post"]["responses"]["201"]
    schema = created["content"]["application/json"]["schema"]
    assert "merged_from" in schema["required"] and schema["properties"]["merged_from"]["nullable"] is True
