"""The customer's profile through the real app (a light one, no models; `--postgresql` runs it on PostgreSQL): the page
lists exactly the customer's tickets (never another's), 25 a page newest first, with their counts; its times are the
agent's zone's; any agent role reads it, anonymous goes to login, an unknown id is a 404; the name and notes form is
refused by field with what was typed kept and nothing written; the notes show on the ticket page's customer card and
never on the customer's own page; a GET writes nothing; the API's JSON carries the customer and their tickets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from flask import Flask

from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings, login  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from webapp import create_app

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    for email, role in (("agent@example.com", "agent"), ("lead@example.com", "lead"), ("admin@example.com", "admin")):
        desk.accounts.create_agent(email, PASSWORD, name=role.title(), role=role)
    for number in range(27):  # lina's 27: two pages
        desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject=f"Lina's refund {number}",
                                      body="Where is it?", lang="ar" if number % 2 else "en", notify=False,
                                      created=START + timedelta(hours=number)))
    desk.tickets.create(NewTicket(email="omar@example.com", name="Omar", subject="Omar's parcel", body="Lost.",
                                  lang="en", notify=False, created=START + timedelta(days=5)))
    return app



def omar_id(app: Flask) -> int:
    """Omar's id: 2 on SQLite, later on PostgreSQL (each of Lina's tickets' insert-if-absent takes a sequence value)."""
    return app.extensions["desk"].tickets.get(28).customer_id


def listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="ticket-row" data-id="(\d+)"', page)]


def test_the_page_lists_exactly_the_customers_tickets_newest_first_in_pages_of_25(app: Flask) -> None:
    desk = app.extensions["desk"]
    lina = desk.tickets.get(1).customer_id
    omar = desk.tickets.get(28).customer_id
    agent = client_for(app, "agent@example.com")
    first = unescape(agent.get(f"/agent/customers/{lina}").get_data(as_text=True))
    second = unescape(agent.get(f"/agent/customers/{lina}?page=2").get_data(as_text=True))
    assert listed(first) == list(range(27, 2, -1)) and listed(second) == [2, 1]  # newest first, 25 then 2
    assert "Omar's parcel" not in first + second
    assert f'href="/agent/customers/{lina}?page=2"' in first and 'rel="prev"' in second
    assert "lina@example.com" in first and "27 tickets" in first and "27 open, 0 solved, 27 in all" in first
    badges = '<span class="lang-badge">en</span> <span class="lang-badge">ar</span>'  # 14 English, 13 Arabic
    assert f'id="customer-languages">{badges}' in first
    assert 'dir="auto" id="customer-name">Lina<' in first
    omar_page = agent.get(f"/agent/customers/{omar}").get_data(as_text=True)
    assert listed(omar_page) == [28]
    card = agent.get("/agent/tickets/28").get_data(as_text=True)  # the ticket page's card links to the profile
    assert f'id="customer-profile-link" href="/agent/customers/{omar}"' in card


def test_the_page_parameter_keeps_the_one_rule(app: Flask) -> None:
    agent = client_for(app, "agent@example.com")
    for bad in ("0", "-1", "abc", "1.5"):  # a 400 naming page, as on every paged list (webapp.paging)
        refused = agent.get("/agent/customers/1", query_string={"page": bad})
        assert refused.status_code == 400 and 'data-reason="page"' in refused.get_data(as_text=True)
    past = agent.get("/agent/customers/1", query_string={"page": "9"}).get_data(as_text=True)
    assert 'id="page-clamped"' in past and listed(past) == [2, 1]  # the last page, saying 9 was asked for


def test_times_are_in_the_agents_zone_and_arabic_agents_read_arabic(app: Flask) -> None:
    desk = app.extensions["desk"]
    agent = desk.accounts.find("agent@example.com")
    desk.accounts.set_time_zone(agent.id, "Asia/Riyadh")
    desk.accounts.set_locale(agent.id, "ar")
    page = client_for(app, "agent@example.com").get("/agent/customers/1").get_data(as_text=True)
    assert "أول تواصل" in page and "ملاحظات عن هذا العميل" in page and 'dir="rtl"' in page
    # Ticket 1 was created at 09:00 UTC: 12:00 in Riyadh, on the "first contact" line.
    assert re.search(r'id="first-contact"><time datetime="2026-11-01T09:00:00\+00:00"><bdi>1 نوفمبر 2026، 12:00', page)


def test_any_agent_role_may_view_anonymous_goes_to_login_and_an_unknown_id_is_404(app: Flask) -> None:
    for email in ("agent@example.com", "lead@example.com", "admin@example.com"):
        assert client_for(app, email).get("/agent/customers/1").status_code == 200
    anonymous = app.test_client().get("/agent/customers/1")
    assert anonymous.status_code == 302 and "/agent/login?next=" in anonymous.headers["Location"]
    agent = client_for(app, "agent@example.com")
    unknown = omar_id(app) + 1
    for number in (unknown, 0, 2147483648, 99999999999999999999):
        assert agent.get(f"/agent/customers/{number}").status_code == 404
    token = csrf(agent.get("/agent/customers/1").get_data(as_text=True))
    posted = agent.post(f"/agent/customers/{unknown}", data={"name": "X", "notes": "", "csrf_token": token})
    assert posted.status_code == 404


def test_a_get_writes_nothing(app: Flask) -> None:
    agent = client_for(app, "agent@example.com")
    omar = omar_id(app)
    with writes(app) as seen:
        for path in ("/agent/customers/1", "/agent/customers/1?page=2", f"/agent/customers/{omar}",
                     f"/agent/customers/{omar + 1}", "/agent/tickets/1"):
            agent.get(path)
    assert seen == []


def test_editing_refuses_by_field_keeps_the_typed_text_and_the_notes_show_on_the_card(app: Flask) -> None:
    desk = app.extensions["desk"]
    agent = client_for(app, "agent@example.com")
    token = csrf(agent.get("/agent/customers/1").get_data(as_text=True))
    assert agent.post("/agent/customers/1", data={"name": "Lina H", "notes": "VIP"}).status_code == 400  # no CSRF
    typed = "Prefers Arabic.\nCalls after 5 pm."
    for name, notes, error in (("Lina\x1b[31m", typed, "name: contains a control character"),
                               ("L" * 201, typed, "name: is 201 characters long; the limit is 200"),
                               ("Lina H", "n" * 5001, "notes: is 5,001 characters long; the limit is 5,000")):
        with writes(app) as seen:
            refused = agent.post("/agent/customers/1", data={"name": name, "notes": notes, "csrf_token": token})
        page = unescape(refused.get_data(as_text=True))
        assert refused.status_code == 400 and error in page and seen == []
        field_id = "name-error" if error.startswith("name") else "notes-error"
        assert f'id="{field_id}" role="alert">{error}' in page
        assert f'>{notes}</textarea>' in page  # what was typed stays
        assert f'name="name" value="{name}"' in page
    assert (desk.customers.get(1).name, desk.customers.get(1).notes) == ("Lina", None)
    saved = agent.post("/agent/customers/1", data={"name": "لينا حداد", "notes": typed, "csrf_token": token},
                       follow_redirects=True)
    assert saved.status_code == 200 and "Customer saved." in saved.get_data(as_text=True)
    assert (desk.customers.get(1).name, desk.customers.get(1).notes) == ("لينا حداد", typed)
    card = unescape(agent.get("/agent/tickets/1").get_data(as_text=True))
    assert f'id="customer-notes" dir="auto">{typed}</p>' in card and "لينا حداد" in card
    customers_own = unescape(app.test_client().get(f"/en/tickets/{desk.tickets.get(1).reference}")
                             .get_data(as_text=True))
    assert "Calls after 5 pm" not in customers_own  # internal: never on the customer's page


def test_the_api_answers_the_customer_with_their_tickets(app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.customers.edit(1, "Lina", "VIP")
    client = app.test_client()
    assert client.get("/api/v1/customers/1").status_code == 401
    headers = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}
    with writes(app) as seen:
        answered = client.get("/api/v1/customers/1", headers=headers)
    body = answered.get_json()
    assert answered.status_code == 200, body
    assert [w for w in seen if "api_tokens" not in w] == []  # only the token's last use is recorded
    assert {k: body[k] for k in ("id", "name", "email", "country", "notes", "languages", "counts")} == {
        "id": 1, "name": "Lina", "email": "lina@example.com", "country": None, "notes": "VIP",
        "languages": ["en", "ar"], "counts": {"open": 27, "solved": 0, "all": 27}}
    assert [t["id"] for t in body["tickets"]] == list(range(27, 0, -1))
    assert body["tickets"][0]["reference"] == desk.tickets.get(27).reference
    assert body["first_contact"] == START.isoformat()
    omar = client.get(f"/api/v1/customers/{omar_id(app)}", headers=headers).get_json()
    assert [t["id"] for t in omar["tickets"]] == [28] and omar["notes"] is None
    missing = client.get(f"/api/v1/customers/{omar_id(app) + 1}", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"] == f"customer: no customer {omar_id(app) + 1}"
