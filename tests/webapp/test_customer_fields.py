"""Customer fields (task custfields36; Zendesk's user fields, Chatwoot's contact custom attributes): set on the
customer's profile all or nothing (a bad value named by its label beside its input, what was typed kept), read only
for a light agent and on the ticket page's customer card, through the token API (GET carries them, PATCH checks them
naming `fields.<key>`), audited, kept by a merge (the kept one's, blanks filled), dropped by an erasure. The real app;
SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

from desk.desk import Desk
from desk.models import AuditEvent, CustomerFieldValue
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.ticket_fields import TicketFieldsError
from tests.conftest import database_at, migrate
from tests.kb.test_customer_fields import GOOD
from tests.webapp.conftest import csrf, login
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from webapp import create_app

# The kb test's plan (free, business) and VIP, with a text and a number field.
FIELDS = GOOD + """\
- key: account_id
  type: text
  label: {en: Account ID, ar: رقم الحساب}
- key: seats
  type: number
  label: {en: Seats, ar: المقاعد}
"""


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    (light_settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    desk.accounts.create_agent("light@example.com", PASSWORD, name="Lina", role="light")
    return app


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def ticket_of(app: Flask, email: str = "omar@example.com") -> tuple[int, int]:
    ticket = app.extensions["desk"].tickets.create(NewTicket(email=email, subject="Invoice", body="Where is it?",
                                                             lang="en"))
    return ticket.id, ticket.customer_id


def stored(app: Flask, customer_id: int) -> dict[str, str]:
    with app.extensions["desk"].db.session() as session:
        return {row.key: row.value for row in session.scalars(
            select(CustomerFieldValue).where(CustomerFieldValue.customer_id == customer_id))}


def save(client: FlaskClient, customer_id: int, **values: str):  # type: ignore[no-untyped-def]
    token = csrf(client.get(f"/agent/customers/{customer_id}").get_data(as_text=True))
    return client.post(f"/agent/customers/{customer_id}/fields",
                       data={"csrf_token": token, **{f"field.{k}": v for k, v in values.items()}})


def auth(app: Flask, scopes: tuple[str, ...] = ("customers:read", "customers:write")) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.extensions['desk'].accounts.create_token('crm', scopes=scopes)}"}


def test_the_profile_saves_the_fields_audited_and_the_ticket_page_shows_them(app: Flask) -> None:
    ticket, customer = ticket_of(app)
    agent = signed_in(app, "agent@example.com")
    page = agent.get(f"/agent/customers/{customer}").get_data(as_text=True)
    assert 'id="customer-fields-form"' in page and "Account ID" in page
    answer = save(agent, customer, plan="business", account_id="ACME-7", seats="12", vip="true")
    assert answer.status_code == 302
    assert stored(app, customer) == {"plan": "business", "account_id": "ACME-7", "seats": "12", "vip": "true"}
    with app.extensions["desk"].db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer_fields_changed")).one()
        assert (event.actor, event.subject_type, event.subject) == ("agent", "customer", str(customer))
        assert event.before == {"account_id": None, "plan": None, "seats": None, "vip": None}
        assert event.after["plan"] == "business"
    page = agent.get(f"/agent/customers/{customer}").get_data(as_text=True)
    assert "Field changes" in page and "Sara" in page  # the profile's history of the change
    card = agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    shown = card[card.index('id="ticket-customer-fields"'):]
    shown = shown[:shown.index("</dl>")]
    assert "Business" in shown and "ACME-7" in shown and "Yes" in shown and "<input" not in shown


def test_a_bad_value_saves_nothing_named_with_what_was_typed_kept(app: Flask) -> None:
    _, customer = ticket_of(app)
    agent = signed_in(app, "agent@example.com")
    assert save(agent, customer, plan="free", account_id="A-1").status_code == 302
    answer = save(agent, customer, plan="business", account_id="A-2", seats="a dozen")
    assert answer.status_code == 400
    page = unescape(answer.get_data(as_text=True))
    assert "Nothing was saved" in page and "Seats: not a number" in page
    assert 'value="a dozen"' in page and 'value="A-2"' in page  # what the agent typed, kept
    assert stored(app, customer) == {"plan": "free", "account_id": "A-1", "vip": "false"}
    desk: Desk = app.extensions["desk"]
    desk.accounts.set_locale(desk.accounts.find("agent@example.com").id, "ar")  # type: ignore[union-attr]
    page = unescape(save(agent, customer, seats="عشرة").get_data(as_text=True))
    assert "حقول العميل" in page and "مجانية" in page
    assert "\u2068المقاعد\u2069: ليس رقمًا" in page  # the label isolated in the Arabic sentence


def test_a_light_agent_reads_the_fields_and_cannot_save_them(app: Flask) -> None:
    _, customer = ticket_of(app)
    assert save(signed_in(app, "agent@example.com"), customer, plan="business").status_code == 302
    light = signed_in(app, "light@example.com")
    page = light.get(f"/agent/customers/{customer}").get_data(as_text=True)
    assert 'id="customer-field-values"' in page and "Business" in page
    assert 'id="customer-fields-form"' not in page
    token = csrf(light.get("/agent/").get_data(as_text=True))
    answer = light.post(f"/agent/customers/{customer}/fields", data={"csrf_token": token, "field.plan": "free"})
    assert answer.status_code == 403 and stored(app, customer) == {"plan": "business", "vip": "false"}


def test_the_api_reads_and_patches_them_refusing_the_first_bad_one_by_name(app: Flask) -> None:
    _, customer = ticket_of(app)
    client, headers = app.test_client(), auth(app)
    assert client.get(f"/api/v1/customers/{customer}", headers=headers).get_json()["fields"] == {}
    answer = client.patch(f"/api/v1/customers/{customer}", headers=headers,
                          json={"fields": {"plan": "business", "vip": True, "seats": 40}})
    assert answer.status_code == 200
    assert answer.get_json()["fields"] == {"plan": "business", "seats": "40", "vip": True}
    refused = client.patch(f"/api/v1/customers/{customer}", headers=headers,
                           json={"fields": {"account_id": "B-2", "plan": "gold"}})
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "fields.plan: Plan: not one of Free, Business"
    unknown = client.patch(f"/api/v1/customers/{customer}", headers=headers, json={"fields": {"colour": "red"}})
    assert unknown.status_code == 400 and unknown.get_json()["error"].startswith("fields.colour: no customer field")
    assert client.patch(f"/api/v1/customers/{customer}", headers=headers,
                        json={"fields": ["plan"]}).status_code == 400
    assert stored(app, customer) == {"plan": "business", "seats": "40", "vip": "true"}
    read_only = auth(app, ("customers:read",))
    assert client.patch(f"/api/v1/customers/{customer}", headers=read_only,
                        json={"fields": {"plan": "free"}}).status_code == 403
    with app.extensions["desk"].db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer_fields_changed")).one()
        assert event.actor == "api"


def test_a_merge_keeps_the_kept_ones_values_and_fills_their_blanks(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    _, duplicate = ticket_of(app, "omar.old@example.com")
    _, kept = ticket_of(app, "omar@example.com")
    client, headers = app.test_client(), auth(app)
    for customer, fields in ((duplicate, {"plan": "free", "account_id": "OLD-1"}), (kept, {"plan": "business"})):
        assert client.patch(f"/api/v1/customers/{customer}", headers=headers,
                            json={"fields": fields}).status_code == 200
    desk.customers.merge(duplicate, kept)
    assert stored(app, kept) == {"plan": "business", "account_id": "OLD-1"}
    with desk.db.session() as session:
        merged = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer_merged")).one()
        assert merged.after["fields"] == ["account_id"]
        filled = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer_fields_changed",
                                                          AuditEvent.subject == str(kept))
                                 .order_by(AuditEvent.id)).all()[-1]
        assert filled.after == {"account_id": "OLD-1"}


def test_an_erasure_drops_the_values_and_their_audit_values(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    _, customer = ticket_of(app)
    client, headers = app.test_client(), auth(app)
    assert client.patch(f"/api/v1/customers/{customer}", headers=headers,
                        json={"fields": {"account_id": "ACME-7", "plan": "free"}}).status_code == 200
    result = desk.erasure.erase(customer, "omar@example.com")
    assert result.counts["customer_field_values"] == 2 and stored(app, customer) == {}
    with desk.db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer_fields_changed")).one()
        assert "ACME-7" not in str(event.before) + str(event.after) and set(event.before) == {"account_id", "plan"}
    answer = client.patch(f"/api/v1/customers/{customer}", headers=headers, json={"fields": {"plan": "free"}})
    assert answer.status_code == 409 and stored(app, customer) == {}


def test_the_migration_adds_the_table_and_goes_down(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, "agent_signatures")
    migrate(db, command.upgrade, "customer_fields")
    assert "customer_field_values" in inspect(db.engine).get_table_names()
    indexes = {index["name"] for index in inspect(db.engine).get_indexes("customer_field_values")}
    assert "ix_customer_field_values_key_value" in indexes
    migrate(db, command.downgrade, "agent_signatures")
    assert "customer_field_values" not in inspect(db.engine).get_table_names()
    db.close()


def test_the_rules_reload_follows_the_file_and_keeps_the_last_good_one(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    path = desk.settings.content_dir / CUSTOMER_FIELDS_FILE
    path.write_text(FIELDS + "- key: since\n  type: date\n  label: {en: Customer since, ar: عميل منذ}\n",
                    encoding="utf-8")
    assert desk.reload_rules() and desk.customer_fields.keys[-1] == "since"
    path.write_text(FIELDS + "- key: since\n  type: date\n", encoding="utf-8")
    assert not desk.reload_rules() and desk.customer_fields.keys[-1] == "since"
    assert f"{CUSTOMER_FIELDS_FILE}:16: field since.label: missing" in str(desk.rules_problem)


def test_the_inbox_filters_by_a_customer_field_and_a_saved_view_keeps_it(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    vip_ticket, vip = ticket_of(app, "vip@example.com")
    plain_ticket, plain = ticket_of(app, "plain@example.com")
    agent = signed_in(app, "agent@example.com")
    assert save(agent, vip, plan="business", vip="true").status_code == 302
    assert save(agent, plain, plan="free").status_code == 302
    page = agent.get("/agent/?view=all&customer.plan=business").get_data(as_text=True)
    assert 'name="customer.plan"' in page and "Plan (customer)" in page
    assert f'data-id="{vip_ticket}"' in page and f'data-id="{plain_ticket}"' not in page
    page = agent.get("/agent/?view=all&customer.vip=false").get_data(as_text=True)
    assert f'data-id="{plain_ticket}"' in page and f'data-id="{vip_ticket}"' not in page
    token = csrf(page)
    answer = agent.post("/agent/views", data={"csrf_token": token, "name": "Business customers", "view": "all",
                                             "customer.plan": "business"})
    assert answer.status_code == 302
    (view,) = desk.saved_views.visible(desk.accounts.find("agent@example.com").id)  # type: ignore[union-attr]
    assert view.query.customer_fields == (("plan", "business"),) and view.query.fields == ()
    page = agent.get(f"/agent/?saved={view.id}").get_data(as_text=True)
    assert f'data-id="{vip_ticket}"' in page and f'data-id="{plain_ticket}"' not in page
    refused = agent.post("/agent/views", data={"csrf_token": token, "name": "Gold", "view": "all",
                                              "customer.plan": "gold"}, follow_redirects=True)
    assert "customer.plan" in unescape(refused.get_data(as_text=True))
    assert len(desk.saved_views.visible(view.agent_id)) == 1


def test_a_bad_file_stops_the_app_naming_file_and_line(light_settings: Settings) -> None:  # noqa: F811
    (light_settings.content_dir / CUSTOMER_FIELDS_FILE).write_text("- key: plan\n  type: colour\n", encoding="utf-8")
    with pytest.raises(TicketFieldsError, match=r"_customer_fields.yml:2: field plan.type: 'colour' is no type"):
        create_app(light_settings)
