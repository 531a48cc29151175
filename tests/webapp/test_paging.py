"""?page= on every paged list (the inbox, held mail, each report's page, the audit log, the blocked senders), one
rule (webapp.paging): a value that is not a whole number from 1 (zero, negative, a word, a float, an exponent) is a
400 naming `page` in the reader's language, nothing else drawn; a page past the last (a huge number too) shows the
last page and says which was asked for. Session 27 left it: "-5" and "abc" were page 1 without a word, "9" past the
end an empty list. SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from desk.tickets import NewTicket
from tests.webapp.light_app import Guarded, light_app, light_settings, login  # noqa: F401
from webapp.agent import PAGE_SIZE

ROUTES = ["/agent/", "/agent/held/", "/agent/reports/gaps", "/agent/reports/notices", "/agent/admin/audit",
          "/agent/blocked"]
BAD = ["0", "-1", "-5", "abc", "1.5", "2e3", "1,000", " 1", "٢", "0x10", "00"]


@pytest.fixture
def lead(light_app: Guarded) -> FlaskClient:  # noqa: F811
    client = light_app.app.test_client()
    assert login(client, "admin@example.com").status_code == 302  # an admin reads the reports too
    return client


@pytest.mark.parametrize("route", ROUTES)
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400_naming_page(lead: FlaskClient, route: str) -> None:
    for bad in BAD:
        answer = lead.get(route, query_string={"page": bad})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400, (route, bad)
        assert 'data-reason="page"' in page and "page parameter must be a whole number from 1" in page, (route, bad)
    arabic = lead.get(route, query_string={"page": "-1"}, headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "رقم الصفحة" in arabic and "page" in arabic
    for good in ("", "1", "01"):  # absent or empty is the first page; leading zeros are the same number
        assert lead.get(route, query_string={"page": good}).status_code == 200, (route, good)


@pytest.mark.parametrize("route", ROUTES)
def test_a_page_past_the_last_shows_the_last_with_a_notice(lead: FlaskClient, route: str) -> None:
    for past in ("2", "999", "9" * 40):
        answer = lead.get(route, query_string={"page": past})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200, (route, past)
        notice = re.search(r'id="page-clamped"[^>]*>([^<]*<bdi[^>]*>[^<]*</bdi>[^<]*)</p>', page)
        assert notice is not None, (route, past)
        assert f"There is no page <bdi dir=\"ltr\">{past[:20]}</bdi>: this is the last page, 1." == notice.group(1)
    assert 'id="page-clamped"' not in lead.get(route, query_string={"page": "1"}).get_data(as_text=True)
    arabic = lead.get(route, query_string={"page": "7"}, headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "لا توجد صفحة" in arabic


def test_the_inbox_past_its_last_page_shows_that_page(light_app: Guarded, lead: FlaskClient) -> None:  # noqa: F811
    desk = light_app.app.extensions["desk"]
    for n in range(PAGE_SIZE + 2):
        desk.tickets.create(NewTicket(email=f"c{n}@example.com", subject=f"Parcel {n:02d}", body="Where is it?"))
    last = lead.get("/agent/", query_string={"page": "2", "sort": "created"}).get_data(as_text=True)
    clamped = lead.get("/agent/", query_string={"page": "50", "sort": "created"}).get_data(as_text=True)
    rows = re.findall(r'class="ticket-link"[^>]*>([^<]*)<', last)
    assert rows and rows == re.findall(r'class="ticket-link"[^>]*>([^<]*)<', clamped)
    assert "Page 2 of 2" in clamped and 'rel="prev"' in clamped and "There is no page" in clamped
    back = re.search(r'rel="prev" href="([^"]+)"', clamped)
    assert back is not None and "sort=created" in back.group(1) and back.group(1).endswith("page=1")  # filters kept
