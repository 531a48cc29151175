"""Merging customers and the profile's stale-save refusal through the real app (a light one; `--postgresql` runs it on
PostgreSQL): an admin picks the kept customer by search, reads what will move, confirms; the duplicate's page then
redirects to the kept one, which says so; leads and agents get 403; the refusals are named; the API merges with a
token and answers the documented JSON; a profile saved from an older version is a 409 naming the changed fields with
the typed text kept, and saving again from the page it answered works."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask

from desk.audit import AuditQuery
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    for email, role in (("agent@example.com", "agent"), ("lead@example.com", "lead"), ("admin@example.com", "admin")):
        desk.accounts.create_agent(email, PASSWORD, name=role.title(), role=role)
    for email, name, subject in (("lina@example.com", "Lina Haddad", "Refund"),
                                 ("lina.h@work.example", "", "Invoice"), ("lina.h@work.example", "", "Receipt")):
        desk.tickets.create(NewTicket(email=email, name=name, subject=subject, body="Where is it?", notify=False))
    return app


def ids(app: Flask) -> tuple[int, int]:
    """(the kept Lina, the duplicate)."""
    desk = app.extensions["desk"]
    return desk.tickets.get(1).customer_id, desk.tickets.get(2).customer_id


def test_an_admin_merges_from_the_duplicates_profile_and_its_url_redirects(app: Flask) -> None:
    kept, dup = ids(app)
    admin = client_for(app, "admin@example.com")
    profile = admin.get(f"/agent/customers/{dup}").get_data(as_text=True)
    assert f'href="/agent/customers/{dup}/merge"' in profile
    with writes(app) as seen:
        search = unescape(admin.get(f"/agent/customers/{dup}/merge", query_string={"q": "lina"}).get_data(as_text=True))
        confirm = admin.get(f"/agent/customers/{dup}/merge", query_string={"into": kept})
    assert seen == []  # the search and the confirmation read only
    assert re.findall(r'class="merge-candidate" data-id="(\d+)"', search) == [str(kept)]  # never itself
    page = unescape(confirm.get_data(as_text=True)).replace("\u2068", "").replace("\u2069", "")  # isolates
    assert confirm.status_code == 200 and "2 tickets of lina.h@work.example, with their messages, move" in page
    assert "Mail from lina.h@work.example lands on Lina Haddad" in page
    done = admin.post(f"/agent/customers/{dup}/merge", data={"into": str(kept), "csrf_token": csrf(page)})
    assert done.status_code == 302 and done.headers["Location"] == f"/agent/customers/{kept}"
    landed = unescape(admin.get(done.headers["Location"]).get_data(as_text=True))
    assert "was merged into this customer: 2 tickets moved." in landed and "3 tickets" in landed
    old = admin.get(f"/agent/customers/{dup}")
    assert old.status_code == 302 and old.headers["Location"] == f"/agent/customers/{kept}?merged_from={dup}"
    notice = unescape(admin.get(old.headers["Location"]).get_data(as_text=True))
    assert 'id="merged-notice"' in notice and f"#{dup}" in notice
    listing = admin.get("/agent/customers").get_data(as_text=True)
    assert re.findall(r'class="customer-row" data-id="(\d+)"', listing) == [str(kept)]
    again = admin.post(f"/agent/customers/{dup}/merge", data={"into": str(kept), "csrf_token": csrf(page)})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"merged_from={dup}")  # where it went


def test_leads_and_agents_may_not_merge(app: Flask) -> None:
    kept, dup = ids(app)
    for email in ("lead@example.com", "agent@example.com"):
        client = client_for(app, email)
        page = client.get(f"/agent/customers/{dup}").get_data(as_text=True)
        assert "/merge" not in page
        assert client.get(f"/agent/customers/{dup}/merge").status_code == 403
        assert client.post(f"/agent/customers/{dup}/merge",
                           data={"into": str(kept), "csrf_token": csrf(page)}).status_code == 403
    assert app.extensions["desk"].customers.get(dup).merged_into_id is None


def test_a_refused_merge_says_why_and_writes_nothing(app: Flask) -> None:
    _, dup = ids(app)
    admin = client_for(app, "admin@example.com")
    page = admin.get(f"/agent/customers/{dup}/merge").get_data(as_text=True)
    token = csrf(admin.get(f"/agent/customers/{dup}").get_data(as_text=True))
    itself = admin.post(f"/agent/customers/{dup}/merge", data={"into": str(dup), "csrf_token": token})
    assert itself.status_code == 400 and "cannot be merged into itself" in itself.get_data(as_text=True)
    missing = admin.post(f"/agent/customers/{dup}/merge", data={"into": "99999", "csrf_token": token})
    assert missing.status_code == 400 and "no customer #99999" in missing.get_data(as_text=True)
    blank = admin.post(f"/agent/customers/{dup}/merge", data={"into": "", "csrf_token": token})
    assert blank.status_code == 400 and "Choose the customer to keep." in blank.get_data(as_text=True)
    assert admin.get(f"/agent/customers/{dup}/merge", query_string={"into": dup}).status_code == 400
    assert 'id="merge-search"' in page
    assert app.extensions["desk"].customers.get(dup).merged_into_id is None


def test_arabic_admins_read_the_merge_in_arabic(app: Flask) -> None:
    kept, dup = ids(app)
    admin = client_for(app, "admin@example.com")
    page = admin.get(f"/agent/customers/{dup}/merge", query_string={"into": kept},
                     headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="ar"' in page and "الإبقاء على" in page and "يصل البريد من" in page


def test_the_api_merges_with_a_token(app: Flask) -> None:
    kept, dup = ids(app)
    desk = app.extensions["desk"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}
    assert client.post(f"/api/v1/customers/{dup}/merge", json={"into": kept}).status_code == 401
    bad = client.post(f"/api/v1/customers/{dup}/merge", json={"into": "x"}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"].startswith("into:")
    itself = client.post(f"/api/v1/customers/{dup}/merge", json={"into": dup}, headers=headers)
    assert itself.status_code == 400 and "itself" in itself.get_json()["error"]
    assert client.post("/api/v1/customers/99999/merge", json={"into": kept}, headers=headers).status_code == 404
    done = client.post(f"/api/v1/customers/{dup}/merge", json={"into": kept}, headers=headers)
    assert done.status_code == 200 and done.get_json() == {"id": kept, "merged_from": dup, "tickets": 2}
    again = client.post(f"/api/v1/customers/{dup}/merge", json={"into": kept}, headers=headers)
    assert again.status_code == 409 and again.get_json()["merged_into"] == kept
    gone = client.get(f"/api/v1/customers/{dup}", headers=headers)
    assert gone.status_code == 404 and gone.get_json()["merged_into"] == kept
    assert len(client.get(f"/api/v1/customers/{kept}", headers=headers).get_json()["tickets"]) == 3
    [event] = desk.audit.page(AuditQuery(action="customer_merged"), 0, 10).events
    assert event.actor == "api" and event.after["token"] == 1 and event.after["merged_into"] == kept
    assert [e.id for e in desk.audit.page(AuditQuery.parse(None, "api", None), 0, 10).events] == [event.id]
    admin = client_for(app, "admin@example.com")
    log = unescape(admin.get("/agent/admin/audit", query_string={"actor": "api"}).get_data(as_text=True))
    assert "Customers merged" in log and "API token" in log


def test_a_save_from_an_older_page_is_refused_naming_what_changed(app: Flask) -> None:
    kept, _ = ids(app)
    first, second = client_for(app, "agent@example.com"), client_for(app, "admin@example.com")
    page_one = first.get(f"/agent/customers/{kept}").get_data(as_text=True)
    page_two = second.get(f"/agent/customers/{kept}").get_data(as_text=True)

    def form(page: str, **typed: str) -> dict[str, str]:
        hidden = dict(re.findall(r'<input type="hidden" name="((?:seen_\w+|version))" value="([^"]*)"', page))
        return {"csrf_token": csrf(page), "name": "Lina Haddad", "email": "lina@example.com", "country": "",
                "notes": "", **hidden, **typed}

    assert first.post(f"/agent/customers/{kept}", data=form(page_one, notes="Prefers mornings.")).status_code == 302
    stale = second.post(f"/agent/customers/{kept}", data=form(page_two, name="Lina H.", notes="VIP"))
    page = unescape(stale.get_data(as_text=True))
    assert stale.status_code == 409 and 'id="version-error"' in page
    assert "Another agent saved this customer since you opened the page: notes changed." in page
    assert 'value="Lina H."' in page and ">VIP</textarea>" in page  # what they typed, kept
    customer = app.extensions["desk"].customers.get(kept)
    assert (customer.name, customer.notes) == ("Lina Haddad", "Prefers mornings.")  # not overwritten
    again = second.post(f"/agent/customers/{kept}", data=form(stale.get_data(as_text=True), name="Lina H.",
                                                               notes="Prefers mornings. VIP"))
    assert again.status_code == 302  # from the page the refusal answered: the current version
    assert app.extensions["desk"].customers.get(kept).name == "Lina H."
    arabic = second.post(f"/agent/customers/{kept}", data=form(page_two, notes="x"),
                         headers={"Accept-Language": "ar"})
    refusal = unescape(arabic.get_data(as_text=True))
    assert arabic.status_code == 409 and "حفظ وكيل آخر هذا العميل منذ فتحت الصفحة، وتغيّر: الاسم" in refusal


@pytest.mark.parametrize("number", ["²", "1" * 30, "-1", " 2", "2.0"])
def test_a_version_or_kept_id_that_is_no_plain_number_is_a_400_naming_it(app: Flask, number: str) -> None:
    """`str.isdigit` passed "²" (and `int()` of it raised: a 500) and 30 digits were read as a version (a 409 for a
    number no page carries): now the one reading of a posted id (webapp.security.form_number) refuses them."""
    kept, dup = ids(app)
    admin = client_for(app, "admin@example.com")
    page = admin.get(f"/agent/customers/{kept}").get_data(as_text=True)
    saved = admin.post(f"/agent/customers/{kept}", data={"csrf_token": csrf(page), "name": "Lina", "notes": "",
                                                         "version": number})
    assert saved.status_code == 400 and 'id="version-error"' in saved.get_data(as_text=True)
    merged = admin.post(f"/agent/customers/{dup}/merge", data={"into": number, "csrf_token": csrf(page)})
    assert merged.status_code == 400 and "Choose the customer to keep." in merged.get_data(as_text=True)
    desk = app.extensions["desk"]
    assert desk.customers.get(kept).name == "Lina Haddad" and desk.customers.get(dup).merged_into_id is None
