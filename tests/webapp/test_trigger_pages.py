"""Triggers through the real app (a light one; `--postgresql` runs it on PostgreSQL): a ticket from the contact form
and one from the API get the rule's tags and priority, a customer's reply on their ticket's page fires the
customer_reply rules and the API's customer message too, and the agent's ticket page shows each change as "by trigger
«name»", in English and Arabic. A bad file stops the app at start naming the file, line and field."""

from __future__ import annotations

import shutil

import pytest
from flask import Flask

from desk.models import Ticket
from kb.settings import Settings
from kb.triggers import TriggerError
from tests.desk.test_teams import ROOT, hours_file
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_contact_resubmits import form_data
from webapp import create_app

RULES = """\
- name: Lost parcels
  on: created
  if: {text: [never came, لم يصل]}
  then: {add_tags: [parcel], priority: high}
- name: Refund on reply
  on: customer_reply
  if: {text: refund}
  then: {add_tags: refund, status: on_hold}
"""


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    hours_file(light_settings.content_dir)
    shutil.copytree(ROOT / "content" / "_macros", light_settings.content_dir / "_macros")
    (light_settings.content_dir / "_triggers.yml").write_text(RULES, encoding="utf-8")
    app = create_app(light_settings)
    app.extensions["desk"].accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    return app


def only_ticket(app: Flask) -> Ticket:
    desk = app.extensions["desk"]
    with desk.db.session() as session:
        ticket_id = session.query(Ticket.id).order_by(Ticket.id.desc()).limit(1).scalar()
    found = desk.tickets.get(ticket_id)
    assert found is not None
    return found


def test_the_contact_form_and_a_reply_on_the_ticket_page_fire_the_triggers_shown_in_the_history(app: Flask) -> None:
    customer = app.test_client()
    assert customer.post("/en/contact", data=form_data(customer)).status_code == 302  # "It never came."
    ticket = only_ticket(app)
    assert {t.tag for t in ticket.tags} == {"parcel"} and ticket.priority == "high"
    page = customer.get(f"/en/tickets/{ticket.reference}").get_data(as_text=True)
    data = {"message": "I want a refund please", "csrf_token": csrf(page),
            "submission": page.split('name="submission" type="hidden" value="')[1].split('"')[0]}
    assert customer.post(f"/en/tickets/{ticket.reference}", data=data).status_code == 302
    ticket = only_ticket(app)
    assert {t.tag for t in ticket.tags} == {"parcel", "refund"} and ticket.status == "on_hold"
    sara = client_for(app, "sara@example.com")
    history = sara.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True).split('id="history"')[1]
    assert "Trigger «Lost parcels»" in history and "tags added: parcel" in history
    assert "Trigger «Refund on reply»" in history and "tags added: refund" in history
    arabic = sara.get(f"/agent/tickets/{ticket.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "المشغّل «Lost parcels»" in arabic.split('id="history"')[1]


def test_a_ticket_and_a_customer_message_from_the_api_fire_the_triggers(app: Flask) -> None:
    token = app.extensions["desk"].accounts.create_token("partner")
    auth = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    made = client.post("/api/v1/tickets", headers=auth, json={
        "email": "noura@example.com", "subject": "طلبي", "body": "الطلب لم يصل بعد", "lang": "ar"})
    assert made.status_code == 201, made.get_json()
    ticket = only_ticket(app)
    assert {t.tag for t in ticket.tags} == {"parcel"} and ticket.priority == "high"
    added = client.post(f"/api/v1/tickets/{ticket.id}/messages", headers=auth, json={"body": "Refund it"})
    assert added.status_code == 201, added.get_json()
    assert {t.tag for t in only_ticket(app).tags} == {"parcel", "refund"}


def test_a_bad_triggers_file_stops_the_app_naming_file_line_and_field(light_settings: Settings) -> None:  # noqa: F811
    hours_file(light_settings.content_dir)
    (light_settings.content_dir / "_triggers.yml").write_text(
        "- name: A\n  on: created\n  if: {langg: ar}\n  then: {priority: high}\n", encoding="utf-8")
    with pytest.raises(TriggerError, match=r"_triggers\.yml:3: trigger 1 \(A\)\.if\.langg: unknown condition"):
        create_app(light_settings)


def test_an_automations_changes_show_as_by_automation_and_its_webhook_notice(
        light_settings: Settings) -> None:  # noqa: F811
    from dataclasses import replace
    from datetime import timedelta

    from desk.desk import Desk
    from desk.models import utcnow
    from desk.tickets import NewTicket

    hours_file(light_settings.content_dir)
    shutil.copytree(ROOT / "content" / "_macros", light_settings.content_dir / "_macros")
    (light_settings.content_dir / "_triggers.yml").write_text(RULES + """\
- name: Waiting a day
  on: schedule
  if: {status: [new, open], hours_since: {created: 24}}
  then: {add_tags: waiting, notify_webhook: lead}
""", encoding="utf-8")
    settings = replace(light_settings, webhook_allow_private=True)
    with Desk(settings) as first:  # the endpoint exists before the site starts: its start checks the name
        first.webhooks.create("lead", "http://127.0.0.1:9/lead", ["csat.rated"])
    app = create_app(settings)
    desk = app.extensions["desk"]
    desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    ticket = desk.tickets.create(NewTicket(email="c@example.com", subject="Hi", body="Hello", notify=False))
    assert [f.ticket_id for f in desk.automations.run(now=utcnow() + timedelta(hours=25))] == [ticket.id]
    sara = client_for(app, "sara@example.com")
    history = sara.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True).split('id="history"')[1]
    assert "Automation «Waiting a day»" in history and "tags added: waiting" in history
    assert "webhook lead notified" in history and "Trigger «Waiting a day»" not in history
    arabic = sara.get(f"/agent/tickets/{ticket.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "الأتمتة «Waiting a day»" in arabic.split('id="history"')[1]
