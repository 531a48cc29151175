"""The customer list, the email and country edit and their audit events through the real app (a light one, no models;
`--postgresql` runs it on PostgreSQL), task customers29: /agent/customers lists every customer 25 a page (the one
?page= rule) with their counts, searched by name or email in both scripts (Arabic folded as the inbox search folds),
sorted three ways, linked from the workspace's nav; the profile's email and country are refused by field (a clash
names the other customer) with what was typed kept and nothing written; each edit is an event on the audit page,
filterable by kind, never with the notes' text; GET /api/v1/customers answers the same list; a GET writes nothing."""

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
    for email, role in (("agent@example.com", "agent"), ("admin@example.com", "admin")):
        desk.accounts.create_agent(email, PASSWORD, name=role.title(), role=role)
    for number in range(25):  # 25 customers of one ticket each, the older ones first
        desk.tickets.create(NewTicket(email=f"c{number:02}@example.com", name=f"Customer {number:02}",
                                      subject=f"Question {number}", body="Hello?", notify=False,
                                      created=START + timedelta(hours=number)))
    for number in range(3):  # Ahmad: three tickets, the newest contact, Arabic
        desk.tickets.create(NewTicket(email="ahmad@example.com", name="أحمد الهاشمي", subject=f"استرجاع {number}",
                                      body="أين المبلغ؟", lang="ar", notify=False,
                                      created=START + timedelta(days=3, hours=number)))
    return app



def rows(page: str) -> list[str]:
    return re.findall(r'class="customer-link" href="/agent/customers/\d+">([^<]+)<', unescape(page))


def ahmad(app: Flask) -> int:
    return app.extensions["desk"].tickets.get(26).customer_id


def test_the_list_pages_sorts_and_counts_and_the_nav_links_it(app: Flask) -> None:
    agent = client_for(app, "agent@example.com")
    first = agent.get("/agent/customers").get_data(as_text=True)
    assert rows(first)[:3] == ["أحمد الهاشمي", "Customer 24", "Customer 23"]  # last contact, newest first
    assert len(rows(first)) == 25 and "26 customers" in first and 'href="/agent/customers?page=2"' in first
    assert rows(agent.get("/agent/customers?page=2").get_data(as_text=True)) == ["Customer 00"]
    assert 'id="customers-link"' in agent.get("/agent/").get_data(as_text=True)  # in the workspace's nav
    row = re.search(rf'data-id="{ahmad(app)}">.*?</tr>', first, re.S)
    assert row is not None
    assert '<td class="open-count">3</td>' in row.group(0) and '<td class="all-count">3</td>' in row.group(0)
    assert '<span class="lang-badge">ar</span>' in row.group(0) and "ahmad@example.com" in row.group(0)
    assert re.search(r'class="last-contact"><time datetime="2026-11-04T11:00:00\+00:00"', row.group(0))
    by_name = agent.get("/agent/customers?sort=name").get_data(as_text=True)
    assert rows(by_name)[:2] == ["Customer 00", "Customer 01"] and 'value="name" selected' in by_name
    assert 'href="/agent/customers?sort=name&amp;page=2"' in by_name  # the pager keeps the sort
    assert rows(agent.get("/agent/customers?sort=tickets").get_data(as_text=True))[0] == "أحمد الهاشمي"
    refused = agent.get("/agent/customers?sort=email")  # named, the default order shown
    assert refused.status_code == 400 and "sort: must be one of last_contact, name, tickets" in unescape(
        refused.get_data(as_text=True))
    for bad in ("0", "abc"):  # the one ?page= rule
        page = agent.get("/agent/customers", query_string={"page": bad})
        assert page.status_code == 400 and 'data-reason="page"' in page.get_data(as_text=True)
    past = agent.get("/agent/customers?page=7").get_data(as_text=True)
    assert 'id="page-clamped"' in past and rows(past) == ["Customer 00"]
    anonymous = app.test_client().get("/agent/customers")
    assert anonymous.status_code == 302 and "/agent/login?next=" in anonymous.headers["Location"]


def test_the_search_finds_names_and_emails_in_both_scripts(app: Flask) -> None:
    agent = client_for(app, "agent@example.com")

    def search(q: str, **args: str) -> list[str]:
        return rows(agent.get("/agent/customers", query_string={"q": q, **args}).get_data(as_text=True))

    assert search("احمد") == ["أحمد الهاشمي"]  # without the hamza, as the inbox search folds
    assert search("الهاشمى") == ["أحمد الهاشمي"]  # alef maqsura typed for the final ya
    assert search("محمد") == []
    assert search("AHMAD@") == ["أحمد الهاشمي"]  # the email, any case
    assert search("customer 07") == ["Customer 07"]
    assert search("c1", sort="name") == [f"Customer {n}" for n in range(10, 20)]  # c10..c19 by email
    empty = agent.get("/agent/customers?q=nobody").get_data(as_text=True)
    assert "No customers match this search." in empty and "0 customers" in empty


def test_arabic_agents_read_the_list_in_arabic(app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.accounts.set_locale(desk.accounts.find("agent@example.com").id, "ar")
    page = client_for(app, "agent@example.com").get("/agent/customers").get_data(as_text=True)
    assert "<h1>العملاء" in page and "26 عميلًا" in page and "الاسم أو البريد الإلكتروني" in page
    assert 'dir="rtl"' in page


def test_a_get_writes_nothing(app: Flask) -> None:
    agent = client_for(app, "agent@example.com")
    headers = {"Authorization": f"Bearer {app.extensions['desk'].accounts.create_token('crm')}"}
    with writes(app) as seen:
        for path in ("/agent/customers", "/agent/customers?q=احمد&sort=name&page=1", "/agent/customers?sort=x"):
            assert agent.get(path).status_code in (200, 400)
        assert app.test_client().get("/api/v1/customers?query=a", headers=headers).status_code == 200
    assert [w for w in seen if "api_tokens" not in w] == []  # only the token's last use is recorded


def test_email_and_country_are_edited_refused_by_field_and_audited(app: Flask) -> None:
    desk = app.extensions["desk"]
    customer = ahmad(app)
    other = desk.tickets.get(1).customer_id  # c00@example.com, "Customer 00"
    agent = client_for(app, "agent@example.com")
    page = agent.get(f"/agent/customers/{customer}").get_data(as_text=True)
    assert "mailed to this address from the next reply on" in page and '<option value="SA">' in page
    token = csrf(page)
    form = {"name": "أحمد الهاشمي", "notes": "Secret: calls after 5 pm", "csrf_token": token}
    for email, country, field, error in (
            ("not-an-address", "SA", "email", "email: 'not-an-address' is not an email address"),
            ("C00@example.com", "SA", "email",
             f"email: c00@example.com is already the email of customer #{other} (Customer 00)"),
            ("ahmad.h@example.com", "Saudi", "country",
             "country: 'Saudi' is not a two-letter country code (ISO 3166-1)")):
        with writes(app) as seen:
            refused = agent.post(f"/agent/customers/{customer}", data={**form, "email": email, "country": country})
        assert refused.status_code == 400 and seen == []
        shown = unescape(refused.get_data(as_text=True))
        assert f'id="{field}-error" role="alert">{error}<' in shown
        assert f'value="{email}"' in shown and ">Secret: calls after 5 pm</textarea>" in shown  # typed, kept
    saved = agent.post(f"/agent/customers/{customer}", data={**form, "email": "Ahmad.H@example.com", "country": "ae"})
    assert saved.status_code == 302
    row = desk.customers.get(customer)
    assert (row.email, row.country, row.notes) == ("ahmad.h@example.com", "AE", "Secret: calls after 5 pm")
    admin = client_for(app, "admin@example.com")
    audit = unescape(admin.get("/agent/admin/audit?action=customer_edited").get_data(as_text=True))
    assert audit.count('data-action="customer_edited"') == 1 and "Customer edited" in audit
    assert f'data-subject="customer:{customer}"' in audit and f'href="/agent/customers/{customer}"' in audit
    assert "email=ahmad@example.com" in audit and "email=ahmad.h@example.com" in audit and "notes=added" in audit
    assert "country=AE" in audit and "Secret" not in audit
    assert 'data-action="agent_created"' not in audit  # filtered by kind
    csv = admin.get(f"/agent/admin/audit.csv?subject=customer:{customer}").get_data(as_text=True)
    assert "customer_edited" in csv and "Secret" not in csv


def test_the_api_lists_searches_and_pages_customers(app: Flask) -> None:
    headers = {"Authorization": f"Bearer {app.extensions['desk'].accounts.create_token('crm')}"}
    client = app.test_client()
    first = client.get("/api/v1/customers", headers=headers).get_json()
    assert (first["total"], first["page"], first["pages"], len(first["customers"])) == (26, 1, 2, 25)
    assert first["customers"][0] == {
        "id": ahmad(app), "name": "أحمد الهاشمي", "email": "ahmad@example.com", "country": None, "languages": ["ar"],
        "counts": {"open": 3, "all": 3}, "last_contact": "2026-11-04T11:00:00+00:00"}
    second = client.get("/api/v1/customers?page=2", headers=headers).get_json()
    assert [c["name"] for c in second["customers"]] == ["Customer 00"] and second["page"] == 2
    found = client.get("/api/v1/customers", query_string={"query": "احمد"}, headers=headers).get_json()
    assert [c["email"] for c in found["customers"]] == ["ahmad@example.com"] and found["total"] == 1
    by_name = client.get("/api/v1/customers?sort=name", headers=headers).get_json()
    assert by_name["customers"][0]["name"] == "Customer 00"
    bad_page = client.get("/api/v1/customers?page=0", headers=headers)
    assert bad_page.status_code == 400 and bad_page.get_json()["error"].startswith("page: must be a whole number")
    bad_sort = client.get("/api/v1/customers?sort=email", headers=headers)
    assert bad_sort.status_code == 400 and bad_sort.get_json()["error"].startswith("sort: must be one of")
    assert client.get("/api/v1/customers").status_code == 401
