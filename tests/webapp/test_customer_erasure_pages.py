"""Erasing a customer through the real app (a light one; `--postgresql` runs it on PostgreSQL), the API and `kb
customers erase`: an admin reads what goes and what stays, types the email (a wrong one is refused naming the field,
nothing written), and the profile URL then says when and by whom (410); the customer's own ticket pages answer 404 and
the inbox search finds nothing; leads and agents see no link and get 403; the API erases with a token and answers the
documented JSON; the CLI asks unless --yes."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from desk.audit import AuditQuery
from desk.desk import Desk
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from webapp import create_app
from webapp.cli import main

MARK = "zqxwebmark"
EMAIL = f"lina.{MARK}@example.com"


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    for email, role in (("agent@example.com", "agent"), ("lead@example.com", "lead"), ("admin@example.com", "admin")):
        desk.accounts.create_agent(email, PASSWORD, name=role.title(), role=role)
    for subject in ("Refund", "Invoice"):
        desk.tickets.create(NewTicket(email=EMAIL, name=f"Lina {MARK}", subject=f"{subject} {MARK}",
                                      body=f"Where is it? {MARK}", notify=False))
    desk.tickets.create(NewTicket(email="omar@example.com", subject="Other", body="keep", notify=False))
    return app


def clean(page: str) -> str:
    return unescape(page).replace("\u2068", "").replace("\u2069", "")


def test_an_admin_erases_from_the_profile_after_typing_the_email(app: Flask) -> None:
    desk = app.extensions["desk"]
    first = desk.tickets.get(1)
    customer, reference = first.customer_id, first.reference
    admin = client_for(app, "admin@example.com")
    assert app.test_client().get(f"/en/tickets/{reference}").status_code == 200
    profile = admin.get(f"/agent/customers/{customer}").get_data(as_text=True)
    assert f'href="/agent/customers/{customer}/erase"' in profile
    with writes(app) as seen:
        confirm = admin.get(f"/agent/customers/{customer}/erase")
    assert seen == []  # the confirmation reads only
    page = clean(confirm.get_data(as_text=True))
    assert confirm.status_code == 200 and "The subjects and every message" in page and "2 tickets" in page
    assert "What stays" in page and "Erased customer #" in page
    wrong = admin.post(f"/agent/customers/{customer}/erase", data={"email": "omar@example.com",
                                                                  "csrf_token": csrf(page)})
    wrong_page = clean(wrong.get_data(as_text=True))
    assert wrong.status_code == 400 and 'id="erase-error">email: type the customer' in wrong_page
    assert desk.customers.get(customer).erased_at is None
    done = admin.post(f"/agent/customers/{customer}/erase", data={"email": EMAIL, "csrf_token": csrf(page)})
    assert done.status_code == 302 and done.headers["Location"] == f"/agent/customers/{customer}"
    gone = admin.get(done.headers["Location"])
    gone_page = clean(gone.get_data(as_text=True))
    assert gone.status_code == 410 and "This customer's data was erased on" in gone_page and "by Admin" in gone_page
    assert MARK not in gone_page
    # The customer's own ticket page is gone; the inbox search finds nothing; the list has them no more
    assert app.test_client().get(f"/en/tickets/{reference}").status_code == 404
    inbox = admin.get("/agent/", query_string={"view": "all", "q": MARK}).get_data(as_text=True)
    assert 'class="ticket-row' not in inbox and "No tickets match these filters." in inbox
    everything = admin.get("/agent/", query_string={"view": "all"}).get_data(as_text=True)
    assert everything.count('class="ticket-row') == 3 and MARK not in everything  # the skeletons stay listed
    assert everything.count(f"Erased customer #{customer}") == 2
    ticket_page = clean(admin.get(f"/agent/tickets/{first.id}").get_data(as_text=True))
    assert ticket_page.count(f"Erased customer #{customer}") >= 2 and MARK not in ticket_page
    assert MARK not in admin.get("/agent/customers").get_data(as_text=True)
    assert admin.get(f"/agent/customers/{customer}/erase").status_code == 410
    assert admin.get(f"/agent/customers/{customer}/merge").status_code == 410
    again = admin.post(f"/agent/customers/{customer}/erase", data={"email": EMAIL, "csrf_token": csrf(page)})
    assert again.status_code == 410  # erased already: the page saying so, nothing written
    [event] = desk.audit.page(AuditQuery(action="customer_erased"), 0, 10).events
    assert event.subject == str(customer) and MARK not in str(event.after)
    log = clean(admin.get("/agent/admin/audit").get_data(as_text=True))
    assert "Customer erased" in log and MARK not in log


def test_leads_and_agents_may_not_erase(app: Flask) -> None:
    customer = app.extensions["desk"].tickets.get(1).customer_id
    for email in ("lead@example.com", "agent@example.com"):
        client = client_for(app, email)
        page = client.get(f"/agent/customers/{customer}").get_data(as_text=True)
        assert "/erase" not in page
        assert client.get(f"/agent/customers/{customer}/erase").status_code == 403
        assert client.post(f"/agent/customers/{customer}/erase",
                           data={"email": EMAIL, "csrf_token": csrf(page)}).status_code == 403
    assert app.extensions["desk"].customers.get(customer).erased_at is None


def test_arabic_admins_read_the_erasure_in_arabic(app: Flask) -> None:
    customer = app.extensions["desk"].tickets.get(1).customer_id
    admin = client_for(app, "admin@example.com")
    page = admin.get(f"/agent/customers/{customer}/erase", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="ar"' in page and "ما سيُحذف" in page


def test_the_api_erases_with_a_token(app: Flask) -> None:
    desk = app.extensions["desk"]
    customer = desk.tickets.get(1).customer_id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {desk.accounts.create_token('dpo')}"}
    url = f"/api/v1/customers/{customer}/erase"
    assert client.post(url, json={"email": EMAIL}).status_code == 401
    missing = client.post(url, json={}, headers=headers)
    assert missing.status_code == 400 and missing.get_json()["error"].startswith("email:")
    wrong = client.post(url, json={"email": "omar@example.com"}, headers=headers)
    assert wrong.status_code == 400 and wrong.get_json()["error"].startswith("email:")
    extra = client.post(url, json={"email": EMAIL, "force": True}, headers=headers)
    assert extra.status_code == 400 and desk.customers.get(customer).erased_at is None
    assert client.post("/api/v1/customers/99999/erase", json={"email": EMAIL}, headers=headers).status_code == 404
    done = client.post(url, json={"email": EMAIL}, headers=headers)
    body = done.get_json()
    assert done.status_code == 200 and body["id"] == customer and body["erased"]["tickets"] == 2
    again = client.post(url, json={"email": EMAIL}, headers=headers)
    assert again.status_code == 409 and "erased already" in again.get_json()["error"]
    assert client.get(f"/api/v1/customers/{customer}", headers=headers).status_code == 404
    [event] = desk.audit.page(AuditQuery(action="customer_erased"), 0, 10).events
    assert event.actor == "api" and event.after["token"] == 1


def test_the_api_names_where_a_merged_customer_went(app: Flask) -> None:
    desk = app.extensions["desk"]
    kept = desk.tickets.get(1).customer_id
    dup = desk.tickets.get(3).customer_id
    desk.customers.merge(dup, kept)
    headers = {"Authorization": f"Bearer {desk.accounts.create_token('dpo')}"}
    merged = app.test_client().post(f"/api/v1/customers/{dup}/erase", json={"email": "omar@example.com"},
                                    headers=headers)
    assert merged.status_code == 409 and merged.get_json()["merged_into"] == kept


def test_kb_customers_erase_says_what_it_removes_and_asks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = database_url_for_tests()
    if url:  # the CLI reads its database from the environment, as in production
        monkeypatch.setenv("DATABASE_URL", url)
    where = ["--data", str(tmp_path / "data")]
    with Desk(Settings(data_dir=tmp_path / "data", database_url=url)) as desk:
        ticket = desk.tickets.create(NewTicket(email=EMAIL, subject=f"Hi {MARK}", body=MARK, lang="en",
                                               notify=False))
        dup = desk.tickets.create(NewTicket(email="lina.work@example.org", subject="Work", body="x", lang="en",
                                            notify=False))
        desk.customers.merge(dup.customer_id, ticket.customer_id)
    runner = CliRunner()
    unknown = runner.invoke(main, ["customers", "erase", "nobody@example.com", *where])
    assert unknown.exit_code == 1 and "no customer has the email" in unknown.output
    merged = runner.invoke(main, ["customers", "erase", "lina.work@example.org", "--yes", *where])
    assert merged.exit_code == 1 and f"was merged into customer #{ticket.customer_id}" in merged.output
    bad = runner.invoke(main, ["customers", "erase", "not-an-address", *where])
    assert bad.exit_code == 1 and "email:" in bad.output
    asked = runner.invoke(main, ["customers", "erase", EMAIL.upper(), *where], input="n\n")
    assert asked.exit_code == 1 and "2 ticket(s)" in asked.output and "nothing erased" in asked.output
    assert "(1 customer(s) merged into them too)" in asked.output
    with Desk(Settings(data_dir=tmp_path / "data", database_url=url)) as desk:
        assert desk.customers.get(ticket.customer_id).erased_at is None
    done = runner.invoke(main, ["customers", "erase", EMAIL, "--yes", *where])
    assert done.exit_code == 0 and f"erased customer #{ticket.customer_id}" in done.output
    with Desk(Settings(data_dir=tmp_path / "data", database_url=url)) as desk:
        assert desk.customers.get(ticket.customer_id).erased_at is not None
        assert desk.tickets.get(ticket.id).subject == ""
        [event] = desk.audit.page(AuditQuery(action="customer_erased"), 0, 10).events
        assert event.actor == "cli"
    # The address is no customer's now: a second erase finds no one
    assert "no customer has the email" in runner.invoke(main, ["customers", "erase", EMAIL, "--yes", *where]).output


def test_a_profile_save_after_the_erase_answers_the_erased_page_and_writes_nothing(app: Flask) -> None:
    """A save from a profile tab opened before the erase: the 410 page (when and by whom), not the emptied profile
    with a refusal under a field, and the anonymous row stays anonymous."""
    desk = app.extensions["desk"]
    customer = desk.tickets.get(1).customer_id
    admin = client_for(app, "admin@example.com")
    page = admin.get(f"/agent/customers/{customer}").get_data(as_text=True)
    desk.erasure.erase(customer, EMAIL)
    with writes(app) as seen:
        saved = admin.post(f"/agent/customers/{customer}", data={"name": f"Lina {MARK}", "notes": "",
                                                                  "csrf_token": csrf(page)})
    assert saved.status_code == 410 and "This customer's data was erased on" in clean(saved.get_data(as_text=True))
    assert seen == [] and desk.customers.get(customer).name in ("", None)
