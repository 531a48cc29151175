"""The token API's ticket list for an integrator (task api41; Zendesk's and Chatwoot's list APIs): filtered by the
ticket's customer's fields (`customer.<key>=`, as the inbox and saved views name them, checked as `field.<key>=`
is), the customers' values sideloaded on request (`include=customer_fields`), sorted by a customer or ticket field
(keyset-paged by the value, tickets without one last), and each page with the total and the next page's address.
The real app; SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from desk.audit import SYSTEM
from desk.customer_fields import set_values
from desk.desk import Desk
from desk.models import CustomerFieldValue, Ticket
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.webapp.light_app import light_settings  # noqa: F401
from tests.webapp.test_customer_fields import FIELDS
from webapp import create_app

TICKET_FIELDS = """\
- key: amount
  type: number
  label: {en: Refund amount, ar: مبلغ الاسترداد}
"""


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    (light_settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    (light_settings.content_dir / FIELDS_FILE).write_text(TICKET_FIELDS, encoding="utf-8")
    return create_app(light_settings)


def customer_ticket(app: Flask, email: str, **values: str) -> int:
    """A new ticket of `email`, whose customer then holds `values` (through the profile's own helper)."""
    desk: Desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email=email, subject="Invoice", body="Where is it?", lang="en"))
    if values:
        set_values(desk.db, desk.customer_fields, ticket.customer_id, values, "en", SYSTEM)
    return ticket.id


def auth(app: Flask) -> dict[str, str]:
    """A token's header (one token for the test's app)."""
    if "token" not in app.config:
        app.config["token"] = app.extensions["desk"].accounts.create_token("crm sync")
    return {"Authorization": f"Bearer {app.config['token']}"}


def get(app: Flask, url: str = "/api/v1/tickets", **args: str) -> TestResponse:
    return app.test_client().get(url, headers=auth(app), query_string=args or None)


def listed(app: Flask, **args: str) -> dict[str, Any]:
    answer = get(app, **args)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def refusal(app: Flask, **args: str) -> str:
    answer = get(app, **args)
    assert answer.status_code == 400, answer.get_json()
    return answer.get_json()["error"]  # type: ignore[no-any-return]


def test_the_list_filters_by_the_customers_fields_refusing_an_unknown_key_or_bad_value_by_name(
        app: Flask) -> None:
    business = customer_ticket(app, "vip@example.com", plan="business", vip="true")
    free = customer_ticket(app, "free@example.com", plan="free")
    bare = customer_ticket(app, "bare@example.com")

    def ids(**args: str) -> list[int]:
        return sorted(t["id"] for t in listed(app, **args)["tickets"])

    assert ids(**{"customer.plan": "business"}) == [business]
    assert ids(**{"customer.vip": "1"}) == [business]  # normalised as stored ("true"), as `field.vip=1`
    assert ids(**{"customer.plan": "free", "customer.vip": "true"}) == []
    assert ids(**{"customer.plan": "free", "lang": "en"}) == [free]
    assert ids() == [business, free, bare]
    assert refusal(app, **{"customer.colour": "red"}) == (
        "customer.colour: no customer field 'colour'; the fields are plan, vip, account_id, seats")
    assert refusal(app, **{"customer.plan": "gold"}) == "customer.plan: not one of free, business, not 'gold'"
    assert refusal(app, **{"customer.seats": "many"}).startswith("customer.seats: ")
    assert refusal(app, **{"customer.plan": " "}) == "customer.plan: a value to match"
    # `customer` (an id) is still the customer's own filter.
    customer = app.extensions["desk"].tickets.get(free).customer_id
    assert ids(customer=str(customer)) == [free]


def test_include_customer_fields_sideloads_each_tickets_customers_values(
        app: Flask) -> None:
    business = customer_ticket(app, "vip@example.com", plan="business", vip="true", seats="40")
    bare = customer_ticket(app, "bare@example.com")
    plain = listed(app)["tickets"]
    assert all("customer_fields" not in t for t in plain)  # the item as GET /tickets/<id> gives it, unless asked
    items = {t["id"]: t for t in listed(app, include="customer_fields")["tickets"]}
    assert items[business]["customer_fields"] == {"plan": "business", "seats": "40", "vip": True}
    assert items[bare]["customer_fields"] == {}
    customer = items[business]["customer"]
    assert app.test_client().get(f"/api/v1/customers/{customer}", headers={
        "Authorization": f"Bearer {app.extensions['desk'].accounts.create_token('c', scopes=('customers:read',))}"
    }).get_json()["fields"] == items[business]["customer_fields"]  # as the customer's own answer
    assert refusal(app, include="users") == "include: must be one of customer_fields, not 'users'"
    # The ticket's own answer takes it too, so an item of the list is still the ticket as GET /tickets/<id> gives it.
    one = get(app, f"/api/v1/tickets/{business}", include="customer_fields").get_json()
    assert one["customer_fields"] == items[business]["customer_fields"] and "messages" in one
    assert "customer_fields" not in get(app, f"/api/v1/tickets/{business}").get_json()
    refused = get(app, f"/api/v1/tickets/{business}", include="customer_fields,users")
    assert refused.status_code == 400 and refused.get_json()["error"].startswith("include: ")


def test_a_customer_field_sort_pages_by_the_value_numbers_as_numbers_and_tickets_without_one_last(
        app: Flask) -> None:
    nine = customer_ticket(app, "nine@example.com", seats="9")
    hundred = customer_ticket(app, "hundred@example.com", seats="100")
    bare = customer_ticket(app, "bare@example.com")
    forty = customer_ticket(app, "forty@example.com", seats="40")
    forty_too = customer_ticket(app, "forty@example.com")  # the same customer's second ticket

    def paged(**args: str) -> list[int]:
        seen: list[int] = []
        body = listed(app, limit="2", **args)
        while True:
            seen.extend(t["id"] for t in body["tickets"])
            if body["next_cursor"] is None:
                return seen
            body = listed(app, limit="2", cursor=body["next_cursor"], **args)

    assert paged(sort="customer.seats") == [nine, forty, forty_too, hundred, bare]
    assert paged(sort="customer.seats", direction="desc") == [hundred, forty_too, forty, nine, bare]
    assert paged(sort="customer.seats", direction="asc", **{"customer.seats": "40"}) == [forty, forty_too]
    for ticket, amount in ((hundred, 7), (nine, 12.5)):
        assert app.test_client().patch(f"/api/v1/tickets/{ticket}", headers=auth(app),
                                       json={"fields": {"amount": amount}}).status_code == 200
    assert paged(sort="field.amount") == [hundred, nine, bare, forty, forty_too]
    assert refusal(app, sort="customer.colour") == (
        "sort: no customer field 'colour'; the sorts are updated, created, field.<key>, customer.<key>")
    assert refusal(app, sort="field.colour").startswith("sort: no ticket field 'colour'")
    assert refusal(app, sort="priority").startswith("sort: must be one of updated, created, field.<key>")
    first = listed(app, limit="2", sort="customer.seats")
    assert refusal(app, limit="2", sort="created", cursor=first["next_cursor"]).startswith("cursor: ")


def test_each_page_says_the_total_and_the_next_pages_address(app: Flask) -> None:
    tickets = [customer_ticket(app, f"c{n}@example.com", plan="free") for n in range(3)]
    customer_ticket(app, "other@example.com", plan="business")
    first = listed(app, limit="2", **{"customer.plan": "free"})
    assert first["total"] == 3 and len(first["tickets"]) == 2
    assert first["next_url"].startswith("http://localhost/api/v1/tickets?")
    assert get(app, limit="2", **{"customer.plan": "free"}).headers["Link"] == f'<{first["next_url"]}>; rel="next"'
    answer = get(app, first["next_url"])
    second = answer.get_json()
    assert second["total"] == 3 and second["next_url"] is None and second["next_cursor"] is None
    assert sorted(t["id"] for t in first["tickets"] + second["tickets"]) == tickets
    assert "Link" not in answer.headers  # the last page links nowhere


def forged_cursor(args: list[tuple[str, str]], value: object, ticket_id: int = 1) -> str:
    """A cursor bound to `args` as the API binds one (its filters' digest is no secret), holding `value`."""
    key = hashlib.sha256(json.dumps(sorted(args)).encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(json.dumps([key, value, ticket_id]).encode()).decode().rstrip("=")


def test_a_forged_cursor_or_a_parameter_named_as_url_fors_keywords_is_no_500(app: Flask) -> None:
    tickets = [customer_ticket(app, f"c{n}@example.com", seats=str(n + 1)) for n in range(3)]
    sort = [("sort", "customer.seats")]
    # PostgreSQL casts a number field's cursor value to compare it: "abc" was a 500 there.
    for value in ("abc", "1e999999", " 2", "x" * 2000, 7, ["2"]):
        assert refusal(app, sort="customer.seats", cursor=forged_cursor(sort, value)).startswith("cursor: "), value
    after_two = listed(app, sort="customer.seats", include="customer_fields",
                       cursor=forged_cursor(sort, "2", tickets[1]))
    assert [t["customer_fields"]["seats"] for t in after_two["tickets"]] == ["3"]
    assert listed(app, sort="customer.seats", cursor=forged_cursor(sort, None, 0))["tickets"] == []
    # The next page's address is the query's own parameters: url_for read `_scheme` as its keyword (a 500).
    body = listed(app, limit="1", _scheme="javascript", _anchor="x")
    assert "_scheme=javascript" in body["next_url"] and "_anchor=x" in body["next_url"]
    assert listed(app, **dict(parse_qsl(urlsplit(body["next_url"]).query)))["tickets"]


def test_a_number_sort_pages_past_values_stored_as_text_as_tickets_without_one(app: Flask) -> None:
    """api41's API sort beside hostile41's inbox fix (merged together): a number field's text values left from before
    the file made it a number ("abc", "") sort with the tickets without a value, and a page ending on one hands out a
    cursor among those, never the text that PostgreSQL would have to cast (a 500 on the next page)."""
    desk: Desk = app.extensions["desk"]
    two = customer_ticket(app, "two@example.com", seats="2")
    texts = [customer_ticket(app, f"t{n}@example.com") for n in range(3)]
    one = customer_ticket(app, "one@example.com", seats="1")
    with desk.db.session() as session:
        for ticket_id, value in zip(texts, ("abc", "", "x1"), strict=True):
            customer = session.get(Ticket, ticket_id).customer_id  # type: ignore[union-attr]
            session.add(CustomerFieldValue(customer_id=customer, key="seats", value=value))
        session.commit()
    for direction in ("asc", "desc"):
        seen: list[int] = []
        body = listed(app, limit="2", sort="customer.seats", direction=direction)
        while True:
            seen.extend(t["id"] for t in body["tickets"])
            if body["next_cursor"] is None:
                break
            body = listed(app, limit="2", sort="customer.seats", direction=direction, cursor=body["next_cursor"])
        numbers = [one, two] if direction == "asc" else [two, one]
        assert seen == numbers + (texts if direction == "asc" else texts[::-1]), direction
