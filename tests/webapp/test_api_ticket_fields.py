"""Custom ticket fields through the token API (task fields33): items carry `fields`, POST and PATCH accept them (an
unknown key or bad value a 400 naming `fields.<key>`, nothing written), `field.<key>=` filters the list, and a
`required_to_solve` field refuses a solve until set. The real app; SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

from desk.desk import Desk
from desk.models import AuditEvent, TicketFieldValue
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE, TicketFieldsError
from tests.conftest import database_at, migrate
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from webapp import create_app

FIELDS = """\
- key: order_number
  type: text
  label: {en: Order number, ar: رقم الطلب}
  required_to_solve: true
- key: amount
  type: number
  label: {en: Refund amount, ar: مبلغ الاسترداد}
- key: reason
  type: dropdown
  label: {en: Reason, ar: السبب}
  options:
    - {key: refund, label: {en: Refund, ar: استرداد}}
    - {key: delivery, label: {en: Delivery, ar: التوصيل}}
- key: vip
  type: checkbox
  label: {en: VIP, ar: مميز}
"""


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    (light_settings.content_dir / FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    app = create_app(light_settings)
    app.extensions["desk"].accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.extensions['desk'].accounts.create_token('crm sync')}"}


def new(app: Flask, subject: str = "Refund") -> int:
    return app.extensions["desk"].tickets.create(NewTicket(email="omar@example.com", subject=subject,
                                                           body="Where is my refund?", lang="en")).id


def stored(app: Flask, ticket_id: int) -> dict[str, str]:
    with app.extensions["desk"].db.session() as session:
        return {row.key: row.value for row in session.scalars(
            select(TicketFieldValue).where(TicketFieldValue.ticket_id == ticket_id))}


def test_patch_sets_fields_normalised_and_the_items_carry_them(app: Flask, client: FlaskClient,
                                                                auth: dict[str, str]) -> None:
    ticket = new(app)
    answer = client.patch(f"/api/v1/tickets/{ticket}", headers=auth, json={"fields": {
        "order_number": " A-1001 ", "amount": "12.50", "reason": "refund", "vip": True}})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["fields"] == {"amount": "12.5", "order_number": "A-1001", "reason": "refund",
                                           "vip": True}
    assert stored(app, ticket) == {"amount": "12.5", "order_number": "A-1001", "reason": "refund", "vip": "true"}
    [item] = client.get("/api/v1/tickets", headers=auth).get_json()["tickets"]
    assert item["fields"]["reason"] == "refund"
    assert client.get(f"/api/v1/tickets/{ticket}", headers=auth).status_code == 200
    with app.extensions["desk"].db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket_fields_changed")).one()
        assert event.subject == str(ticket) and event.actor == "api" and event.after["vip"] == "true"
    cleared = client.patch(f"/api/v1/tickets/{ticket}", headers=auth, json={"fields": {"amount": None,
                                                                                       "vip": ""}})
    assert cleared.status_code == 200 and set(cleared.get_json()["fields"]) == {"order_number", "reason"}


@pytest.mark.parametrize(("fields", "named"), [
    ({"amount": "12 dollars"}, "fields.amount: Refund amount: not a number"),
    ({"reason": "Refund"}, "fields.reason: Reason: not one of Refund, Delivery"),
    ({"colour": "red"}, "fields.colour: no ticket field 'colour'"),
    ({"vip": "maybe"}, "fields.vip: VIP: not true or false"),
])
def test_a_bad_value_is_a_400_naming_it_and_nothing_is_written(app: Flask, client: FlaskClient,
                                                               auth: dict[str, str], fields: dict[str, object],
                                                               named: str) -> None:
    ticket = new(app)
    assert app.extensions["desk"].tickets.get(ticket).status == "open"
    answer = client.patch(f"/api/v1/tickets/{ticket}", headers=auth,
                          json={"status": "pending", "fields": {"order_number": "A-1", **fields}})
    assert answer.status_code == 400 and named in answer.get_json()["error"], answer.get_json()
    assert stored(app, ticket) == {}
    assert app.extensions["desk"].tickets.get(ticket).status == "open"


def test_create_with_fields_and_a_bad_one_creates_nothing(app: Flask, client: FlaskClient,
                                                          auth: dict[str, str]) -> None:
    body = {"email": "huda@example.com", "subject": "Late", "body": "My parcel is late", "lang": "en"}
    refused = client.post("/api/v1/tickets", headers=auth, json={**body, "fields": {"amount": "lots"}})
    assert refused.status_code == 400 and "fields.amount" in refused.get_json()["error"]
    assert client.get("/api/v1/tickets", headers=auth).get_json()["tickets"] == []
    created = client.post("/api/v1/tickets", headers=auth, json={**body, "fields": {"reason": "delivery"}})
    assert created.status_code == 201, created.get_json()
    assert stored(app, created.get_json()["id"]) == {"reason": "delivery"}


def test_a_multipart_create_takes_fields_as_a_json_part(app: Flask, client: FlaskClient,
                                                       auth: dict[str, str]) -> None:
    """The multipart form (a ticket with files) carries `fields` as the JSON object's own part, as the OpenAPI
    document says; text that is not a JSON object is refused naming `fields`, nothing created."""
    form = {"email": "huda@example.com", "subject": "Late", "body": "My parcel is late", "lang": "en"}
    for bad in ("lots", "[1]", '{"amount": "lots"}'):
        refused = client.post("/api/v1/tickets", headers=auth, data={**form, "fields": bad},
                              content_type="multipart/form-data")
        assert refused.status_code == 400 and "fields" in refused.get_json()["error"], bad
    assert client.get("/api/v1/tickets", headers=auth).get_json()["tickets"] == []
    created = client.post("/api/v1/tickets", headers=auth, content_type="multipart/form-data",
                          data={**form, "fields": '{"reason": "delivery", "amount": "12"}'})
    assert created.status_code == 201, created.get_json()
    assert stored(app, created.get_json()["id"]) == {"reason": "delivery", "amount": "12"}


def test_the_list_filters_by_a_field(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    refund, delivery, none = new(app, "one"), new(app, "two"), new(app, "three")
    desk: Desk = app.extensions["desk"]
    for ticket, reason, vip in ((refund, "refund", True), (delivery, "delivery", False)):
        assert client.patch(f"/api/v1/tickets/{ticket}", headers=auth,
                            json={"fields": {"reason": reason, "vip": vip}}).status_code == 200

    def ids(**args: str) -> list[int]:
        answer = client.get("/api/v1/tickets", headers=auth, query_string=args)
        assert answer.status_code == 200, answer.get_json()
        return sorted(t["id"] for t in answer.get_json()["tickets"])

    assert ids(**{"field.reason": "refund"}) == [refund]
    assert ids(**{"field.vip": "false"}) == [delivery] and ids(**{"field.vip": "1"}) == [refund]
    assert ids(**{"field.reason": "delivery", "field.vip": "true"}) == []
    assert none in ids()
    bad = client.get("/api/v1/tickets", headers=auth, query_string={"field.colour": "red"})
    assert bad.status_code == 400 and "field.colour: no ticket field" in bad.get_json()["error"]
    bad = client.get("/api/v1/tickets", headers=auth, query_string={"field.reason": "Refunds"})
    assert bad.status_code == 400 and "field.reason" in bad.get_json()["error"]
    assert desk.fields.keys == ("order_number", "amount", "reason", "vip")


def test_a_required_field_blocks_solving_until_set(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    desk: Desk = app.extensions["desk"]
    ticket, other = new(app), new(app, "other")
    refused = client.patch(f"/api/v1/tickets/{ticket}", headers=auth, json={"status": "solved"})
    assert refused.status_code == 400
    assert "cannot be solved before Order number / رقم الطلب is set" in refused.get_json()["error"]
    with pytest.raises(InputError, match="Order number"):
        desk.tickets.update(ticket, status="solved")
    with pytest.raises(InputError, match="Order number"):  # the inbox's bulk solve: all or none
        desk.tickets.bulk_update([other, ticket], status="solved")
    assert desk.tickets.get(other).status == "open"
    solved = client.patch(f"/api/v1/tickets/{ticket}", headers=auth,
                          json={"status": "solved", "fields": {"order_number": "A-7"}})
    assert solved.status_code == 200 and solved.get_json()["status"] == "solved"


def test_a_removed_field_keeps_its_values_and_may_be_cleared_not_set(app: Flask, client: FlaskClient,
                                                                      auth: dict[str, str],
                                                                      light_settings: Settings) -> None:  # noqa: F811
    ticket = new(app)
    assert client.patch(f"/api/v1/tickets/{ticket}", headers=auth,
                        json={"fields": {"vip": True}}).status_code == 200
    (light_settings.content_dir / FIELDS_FILE).write_text(FIELDS.split("- key: vip")[0], encoding="utf-8")
    reopened = create_app(light_settings)
    client = reopened.test_client()
    assert client.get("/api/v1/tickets?limit=5", headers=auth).get_json()["tickets"][0]["fields"] == {
        "vip": "true"}
    assert client.patch(f"/api/v1/tickets/{ticket}", headers=auth,
                        json={"fields": {"vip": "false"}}).status_code == 400
    assert client.patch(f"/api/v1/tickets/{ticket}", headers=auth,
                        json={"fields": {"vip": None}}).status_code == 200
    assert stored(reopened, ticket) == {}


def test_a_bad_fields_file_stops_the_app_naming_file_and_line(light_settings: Settings) -> None:  # noqa: F811
    (light_settings.content_dir / FIELDS_FILE).write_text("- key: a\n  type: text\n  label: {en: A}\n",
                                                          encoding="utf-8")
    with pytest.raises(TicketFieldsError, match=r"_ticket_fields.yml:3: field a.label: no 'ar' label"):
        create_app(light_settings)


def test_the_migration_upgrades_two_factor_lock_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "api_token_scopes")
    migrate(db, command.upgrade, "ticket_fields")
    assert "ticket_field_values" in inspect(db.engine).get_table_names()
    indexes = {index["name"] for index in inspect(db.engine).get_indexes("ticket_field_values")}
    assert "ix_ticket_field_values_key_value" in indexes
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url))
    migrate(opened.db, command.downgrade, "api_token_scopes")
    assert "ticket_field_values" not in inspect(opened.db.engine).get_table_names()
    opened.close()


def test_a_merge_keeps_the_targets_values_and_fills_its_blanks(app: Flask, client: FlaskClient,
                                                               auth: dict[str, str]) -> None:
    desk: Desk = app.extensions["desk"]
    source, target = new(app, "duplicate"), new(app, "kept")
    for ticket, fields in ((source, {"order_number": "FROM-SOURCE", "reason": "delivery", "amount": "3"}),
                           (target, {"order_number": "KEPT", "vip": True})):
        assert client.patch(f"/api/v1/tickets/{ticket}", headers=auth, json={"fields": fields}).status_code == 200
    agent = next(a.id for a in desk.accounts.agents())
    desk.tickets.merge(source, target, agent, "Merged.")
    assert stored(app, target) == {"order_number": "KEPT", "vip": "true", "reason": "delivery", "amount": "3"}
    assert stored(app, source)["order_number"] == "FROM-SOURCE"


def test_an_erased_customers_text_fields_are_cleared(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    desk: Desk = app.extensions["desk"]
    ticket = new(app)
    other = desk.tickets.create(NewTicket(email="huda@example.com", subject="Hi", body="Hello there", lang="en")).id
    for each in (ticket, other):
        assert client.patch(f"/api/v1/tickets/{each}", headers=auth, json={"fields": {
            "order_number": "Omar, 12 Palm St", "reason": "refund", "amount": "9"}}).status_code == 200
    customer = desk.tickets.get(ticket).customer_id
    result = desk.erasure.erase(customer, "omar@example.com")
    assert result.counts["field_values"] == 1
    assert stored(app, ticket) == {"reason": "refund", "amount": "9"}
    assert stored(app, other)["order_number"] == "Omar, 12 Palm St"  # another customer's: untouched
    with desk.db.session() as session:
        events = {e.subject: e for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "ticket_fields_changed"))}
        assert events[str(ticket)].after == {"amount": "9", "order_number": None, "reason": "refund",
                                             "token": events[str(other)].after["token"]}
        assert events[str(other)].after["order_number"] == "Omar, 12 Palm St"
