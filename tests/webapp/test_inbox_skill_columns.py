"""The inbox's customer field columns and skill filter (task views40; Zendesk views' requester-field columns and
"Skills" condition, Chatwoot's queue filters), through the real app: `column=customer.<key>` shows the ticket's
customer's value under "Plan (customer)" (both languages) and `sort=customer.<key>` orders by it; `skill=<id>`
narrows to the tickets requiring it; a saved view keeps both, a bad one flashed naming its field with nothing saved
and the inbox's filters kept; a deleted skill's view says so and lists nothing; the token API's list takes `?skill=`
(a skill's name), an unknown one a 400 naming it. SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from desk import customer_fields
from desk.audit import CLI
from desk.desk import Desk
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from tests.webapp.conftest import csrf, login
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from tests.webapp.test_customer_fields import FIELDS
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    (light_settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    app = create_app(light_settings)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    return app


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    return client


def tickets(desk: Desk) -> dict[str, int]:
    """Business with 40 seats, free with 9, one with no values; the free one requires VIP."""
    made = {}
    for name, values in {"b40": {"plan": "business", "seats": "40"}, "f9": {"plan": "free", "seats": "9"},
                         "none": {}}.items():
        ticket = desk.tickets.create(NewTicket(email=f"{name}@example.com", subject=f"subject {name}", body="Hi",
                                               lang="en"))
        if values:
            customer_fields.set_values(desk.db, desk.customer_fields, ticket.customer_id, values, "en", CLI)
        made[name] = ticket.id
    made["vip"] = desk.skills.create("VIP", by=CLI)
    desk.skills.create("Billing", by=CLI)
    desk.skills.set_ticket(made["f9"], [str(made["vip"])], None)
    return made


def order(page: str, made: dict[str, int]) -> list[str]:
    names = {f'data-id="{ticket}"': name for name, ticket in made.items() if name != "vip"}
    return [name for _, name in sorted((page.index(mark), name) for mark, name in names.items() if mark in page)]


def test_customer_fields_show_as_columns_and_sort_the_inbox_in_both_languages(app: Flask) -> None:
    made = tickets(app.extensions["desk"])
    agent = signed_in(app)
    page = agent.get("/agent/?view=all").get_data(as_text=True)  # the picker and the sort offer them
    assert 'id="column-customer-plan" name="column" value="customer.plan"' in page
    assert '<option value="customer.seats">Seats (customer)</option>' in page
    page = agent.get("/agent/?view=all&column=customer.seats&column=reason&column=customer.plan"
                     "&sort=customer.seats").get_data(as_text=True)
    assert order(page, made) == ["f9", "b40", "none"]  # 9 before 40: as numbers; no value last
    head = page[page.index("<thead>"):page.index("</thead>")]
    assert head.index("Plan (customer)") < head.index("Seats (customer)")  # the file's order
    row = page[page.index(f'data-id="{made["b40"]}"'):]
    row = row[:row.index("</tr>")]
    assert '<td dir="auto" class="field-column">Business</td>' in row and ">40</td>" in row
    assert 'value="customer.plan,customer.seats"' in page  # the save form keeps them
    arabic = agent.get("/agent/?view=all&column=customer.plan",
                       headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "الخطة (العميل)" in arabic and "الأعمال" in arabic
    assert '<label for="skill-filter">المهارة</label>' in arabic


def test_a_saved_view_keeps_customer_columns_and_a_bad_one_is_refused_keeping_the_filters(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    made = tickets(desk)
    agent = signed_in(app)
    token = csrf(agent.get("/agent/").get_data(as_text=True))
    saved = agent.post("/agent/views", data={"csrf_token": token, "name": "By plan", "view": "all",
                                            "columns": "customer.plan", "sort": "customer.plan"})
    assert saved.status_code == 302
    (view,) = desk.saved_views.visible(desk.accounts.find("agent@example.com").id)  # type: ignore[union-attr]
    assert view.query.columns == ("customer.plan",) and view.query.sort == "customer.plan"
    page = agent.get(f"/agent/?saved={view.id}").get_data(as_text=True)
    assert '<th scope="col" class="field-column">Plan (customer)</th>' in page
    assert order(page, made) == ["b40", "f9", "none"]
    back = "/agent/?view=all&column=customer.plan&q=invoice"
    refused = agent.post("/agent/views", data={"csrf_token": token, "name": "Bad", "view": "all", "back": back,
                                              "columns": "customer.colour"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(back)  # the filters kept
    shown = unescape(agent.get(back).get_data(as_text=True))
    assert "columns: no customer field 'colour'" in shown
    assert len(desk.saved_views.visible(view.agent_id)) == 1


def test_the_inbox_filters_by_skill_and_a_saved_view_keeps_it_until_the_skill_goes(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    made = tickets(desk)
    agent = signed_in(app)
    page = agent.get(f"/agent/?view=all&skill={made['vip']}").get_data(as_text=True)
    assert '<label for="skill-filter">Skill</label>' in page
    assert f'<option value="{made["vip"]}" selected>VIP</option>' in page
    assert order(page, made) == ["f9"] and f'name="skill" value="{made["vip"]}"' in page
    assert sorted(order(agent.get("/agent/?view=all&skill=nine").get_data(as_text=True), made)) == ["b40", "f9",
                                                                                                  "none"]
    token = csrf(page)
    refused = agent.post("/agent/views", data={"csrf_token": token, "name": "Gone", "view": "all",
                                              "skill": "999999"}, follow_redirects=True)
    assert "skill: no skill 999999" in unescape(refused.get_data(as_text=True))
    saved = agent.post("/agent/views", data={"csrf_token": token, "name": "VIP", "view": "all",
                                            "skill": str(made["vip"])})
    view_id = int(parse_qs(urlsplit(saved.headers["Location"]).query)["saved"][0])
    page = agent.get(f"/agent/?saved={view_id}").get_data(as_text=True)
    assert order(page, made) == ["f9"]
    arabic = str(made["vip"]).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))  # an Arabic phone's digits
    assert order(agent.get(f"/agent/?view=all&skill={arabic}").get_data(as_text=True), made) == ["f9"]
    devanagari = str(made["vip"]).translate(str.maketrans("0123456789", "०१२३४५६७८९"))  # no id, as everywhere
    assert sorted(order(agent.get(f"/agent/?view=all&skill={devanagari}").get_data(as_text=True), made)) == [
        "b40", "f9", "none"]
    typed = agent.post("/agent/views", data={"csrf_token": token, "name": "VIP typed", "view": "all",
                                            "skill": arabic})  # it was refused: "is not a skill's number"
    typed_id = int(parse_qs(urlsplit(typed.headers["Location"]).query)["saved"][0])
    assert order(agent.get(f"/agent/?saved={typed_id}").get_data(as_text=True), made) == ["f9"]
    desk.skills.delete(made["vip"], by=CLI)
    page = agent.get(f"/agent/?saved={view_id}").get_data(as_text=True)
    assert order(page, made) == [] and f"skill {made['vip']} (deleted)" in page
    assert 'id="deleted-skill-filter"' in page


def test_the_api_lists_the_tickets_requiring_a_skill(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    made = tickets(desk)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('crm', scopes=('tickets:read',))}"}
    listed = client.get("/api/v1/tickets?skill=vip", headers=auth)
    assert listed.status_code == 200 and [t["id"] for t in listed.get_json()["tickets"]] == [made["f9"]]
    assert [t["id"] for t in client.get("/api/v1/tickets?skill=Billing", headers=auth).get_json()["tickets"]] == []
    unknown = client.get("/api/v1/tickets?skill=gold", headers=auth)
    assert unknown.status_code == 400 and unknown.get_json()["error"].startswith("skill: no skill 'gold'")
    for hostile in ("%00", "VIP%00x", "x" * 300, "%D9%A3"):  # a name, not an id: "٣" is no skill here
        refused = client.get(f"/api/v1/tickets?skill={hostile}", headers=auth)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith("skill: "), hostile
    spaced = client.get("/api/v1/tickets?skill=%20Vip%E2%80%8B", headers=auth)  # tidied as a stored name is
    assert [t["id"] for t in spaced.get_json()["tickets"]] == [made["f9"]]
