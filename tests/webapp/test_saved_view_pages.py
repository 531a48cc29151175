"""Saved inbox views through the real app (a light one, no models; `--postgresql` runs it on PostgreSQL): an agent
saves the inbox's current filters from the inbox, finds the view in the sidebar with its count, opens it (the
count is the page's rows), renames and deletes it; a refused name or filter is flashed naming the field, in the
agent's language, and nothing is saved; a lead shares a view that the others see but cannot change. No GET
writes."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.models import SavedView, Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import hours_file
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings, login  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    hours_file(light_settings.content_dir, routing=[{"domain": "acme.ae", "team": "uae"}])
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    desk.accounts.set_locale(desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id, "ar")
    for number in range(30):
        ticket = desk.tickets.create(NewTicket(
            email="lina@acme.ae" if number % 2 else f"c{number}@example.com", name="Lina",
            subject=f"استرجاع المبلغ {number}" if number % 3 else f"Refund {number}", body="أين المبلغ؟", lang="ar"))
        if number < 12:
            desk.tickets.update(ticket.id, assignee_id=sara.id, agent_id=sara.id)
    return app



def saved_rows(app: Flask) -> int:
    with app.extensions["desk"].db.session() as session:
        return session.scalar(select(func.count(SavedView.id))) or 0


def save(client: FlaskClient, name: str, **filters: str) -> tuple[int, str]:
    """Post the inbox's save form as the page draws it for `filters`: its hidden fields are the filters."""
    page = client.get("/agent/", query_string=filters).get_data(as_text=True)
    form = page.split('class="save-view"')[1].split("</form>")[0]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert {key: data[key] for key in filters} == filters
    answer = client.post("/agent/views", data={**{k: unescape(v) for k, v in data.items()}, "name": name})
    return answer.status_code, answer.headers.get("Location", "")


def sidebar_count(page: str, view_id: int) -> int:
    found = re.search(rf'id="saved-{view_id}">.*?<span class="count">(\d+)</span>', page, re.S)
    assert found, f"saved view {view_id} not in the sidebar"
    return int(found.group(1))


def test_an_agent_saves_the_inbox_filters_and_the_views_count_is_its_pages_rows(app: Flask) -> None:
    sara = client_for(app, "sara@example.com")
    status, location = save(sara, "UAE Arabic", team="uae", lang="ar", sort="created")
    assert status == 302 and "saved=" in location
    view_id = int(location.rsplit("saved=", 1)[1])
    page = sara.get(location).get_data(as_text=True)
    assert "View “UAE Arabic” saved." in unescape(page)
    assert "<h1><bdi>UAE Arabic</bdi>" in page and 'aria-current="page" id="saved-' in page
    assert sidebar_count(page, view_id) == 15 == page.count('class="ticket-row')
    assert 'name="team"' in page and '<option value="uae" selected>' in page  # the filters are the view's
    # Two pages: the count is the total, the pager keeps the view.
    _, mine = save(sara, "Mine by newest", view="mine", sort="created")
    mine_id = int(mine.rsplit("saved=", 1)[1])
    page = sara.get(mine).get_data(as_text=True)
    assert sidebar_count(page, mine_id) == 12 == page.count('class="ticket-row')
    _, all_unsolved = save(sara, "Everything", view="all")
    every_id = int(all_unsolved.rsplit("saved=", 1)[1])
    first = sara.get(all_unsolved).get_data(as_text=True)
    assert sidebar_count(first, every_id) == 30 and first.count('class="ticket-row') == 25
    assert f"/agent/?saved={every_id}&amp;page=2" in first
    second = sara.get(f"/agent/?saved={every_id}&page=2").get_data(as_text=True)
    assert second.count('class="ticket-row') == 5
    # Another agent sees none of Sara's personal views, and cannot open one by its number.
    omar = client_for(app, "omar@example.com")
    assert 'id="saved-views"' not in omar.get("/agent/").get_data(as_text=True)
    assert omar.get(f"/agent/?saved={view_id}").status_code == 404
    assert sara.get("/agent/?saved=99999999999999999999999").status_code == 404


def test_rename_and_delete_and_refusals_name_the_field(app: Flask) -> None:
    sara = client_for(app, "sara@example.com")
    _, location = save(sara, "Refunds", q="Refund")
    view_id = int(location.rsplit("saved=", 1)[1])
    token = csrf(sara.get(location).get_data(as_text=True))
    renamed = sara.post(f"/agent/views/{view_id}", data={"action": "rename", "name": "Refunds (English)",
                                                        "csrf_token": token}, follow_redirects=True)
    assert "View renamed to “Refunds (English)”." in unescape(renamed.get_data(as_text=True))
    assert sidebar_count(renamed.get_data(as_text=True), view_id) == 10
    # A refused name, a duplicate and an unknown filter value: flashed by field, nothing saved.
    assert save(sara, "   ")[0] == 302
    page = unescape(sara.get("/agent/").get_data(as_text=True))
    assert "name: is empty" in page
    save(sara, "refunds (english)")
    assert "name: you have a view named “refunds (english)” already" in unescape(
        sara.get("/agent/").get_data(as_text=True))
    refused = sara.post("/agent/views", data={"name": "Odd", "view": "starred", "sort": "oldest",
                                              "csrf_token": token, "back": "/agent/"}, follow_redirects=True)
    assert "view: 'starred' is not one of unsolved, mine" in unescape(refused.get_data(as_text=True))
    assert saved_rows(app) == 1
    # In Arabic the field is named in Arabic.
    omar = client_for(app, "omar@example.com")
    arabic = omar.post("/agent/views", data={"name": "فريق", "team": "qatar",
                                             "csrf_token": csrf(omar.get("/agent/").get_data(as_text=True)),
                                             "back": "/agent/"}, follow_redirects=True).get_data(as_text=True)
    assert "الفريق" in arabic and "'qatar'" in unescape(arabic)
    # Sharing is a lead's: an agent's "shared" is refused.
    shared = sara.post("/agent/views", data={"name": "All of us", "shared": "on", "csrf_token": token},
                       follow_redirects=True)
    assert "shared: only a lead or an admin shares a view with everyone" in unescape(shared.get_data(as_text=True))
    assert saved_rows(app) == 1
    deleted = sara.post(f"/agent/views/{view_id}", data={"action": "delete", "csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "View “Refunds (English)” deleted." in unescape(deleted) and 'id="saved-views"' not in deleted
    assert saved_rows(app) == 0


def test_a_lead_shares_a_view_everyone_sees_and_only_a_lead_changes(app: Flask) -> None:
    lead = client_for(app, "lead@example.com")
    page = lead.get("/agent/", query_string={"view": "unassigned"}).get_data(as_text=True)
    lead_token = csrf(page)
    assert 'id="new-view-shared"' in page  # the share box is a lead's
    form = page.split('class="save-view"')[1].split("</form>")[0]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    location = lead.post("/agent/views", data={**data, "name": "Waiting for someone", "shared": "on"}).headers[
        "Location"]
    view_id = int(location.rsplit("saved=", 1)[1])
    sara = client_for(app, "sara@example.com")
    page = sara.get("/agent/").get_data(as_text=True)
    assert "Waiting for someone" in page and "(shared)" in page and 'id="new-view-shared"' not in page
    assert sidebar_count(page, view_id) == 18
    opened = sara.get(location).get_data(as_text=True)
    assert 'class="manage-view"' not in opened  # nothing to change: it is the lead's
    token = csrf(opened)
    refused = sara.post(f"/agent/views/{view_id}", data={"action": "delete", "csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "only its owner, a lead or an admin changes it" in unescape(refused)
    assert saved_rows(app) == 1
    unshared = lead.post(f"/agent/views/{view_id}", data={"action": "unshare", "csrf_token": lead_token},
                         follow_redirects=True).get_data(as_text=True)
    assert "“Waiting for someone” is yours alone again." in unescape(unshared)
    assert sara.get(location).status_code == 404


def test_no_inbox_get_writes(app: Flask) -> None:
    sara = client_for(app, "sara@example.com")
    _, location = save(sara, "Mine", view="mine")
    before = saved_rows(app)
    for url in (location, "/agent/?saved=abc", "/agent/?view=mine&name=x", "/agent/views/1"):
        sara.get(url)
    assert saved_rows(app) == before == 1


def flashes(page: str) -> list[str]:
    return [unescape(text) for text in re.findall(r'<p class="flash [a-z]+" role="status">([^<]*)</p>', page)]


def test_an_arabic_page_isolates_the_names_and_values_it_quotes_and_an_english_one_reads_as_before(app: Flask) -> None:
    """After Arabic words "2026 refunds" and "2026-12-05T14:30" are read as Arabic numbers and reorder: on an Arabic
    page the flashes and desk errors isolate what they quote (U+2068 ... U+2069); English reads word for word."""
    omar, sara = client_for(app, "omar@example.com"), client_for(app, "sara@example.com")
    assert save(omar, "2026 refunds")[0] == 302
    page = omar.get("/agent/").get_data(as_text=True)
    assert "حُفظت طريقة العرض «\u20682026 refunds\u2069»." in flashes(page)
    assert save(omar, "2026 REFUNDS")[0] == 302
    page = omar.get("/agent/").get_data(as_text=True)
    assert "الاسم: لديك طريقة عرض باسم «\u20682026 REFUNDS\u2069» بالفعل" in flashes(page)
    assert save(omar, "Rеfunds")[0] == 302  # a Cyrillic е
    assert any(f.startswith("الاسم: «\u2068Rеfunds\u2069» تخلط حروفًا لاتينية") for f in flashes(
        omar.get("/agent/").get_data(as_text=True)))
    with app.extensions["desk"].db.session() as session:
        ticket = session.scalar(select(func.min(Ticket.id)))
    token = csrf(omar.get("/agent/").get_data(as_text=True))
    omar.post("/agent/bulk", data={"ticket": [str(ticket)], "action": "due", "value": "2026-13-05 14h",
                                   "csrf_token": token, "back": "/agent/"})
    assert ("موعد الاستحقاق: \u2068'2026-13-05 14h'\u2069 ليس تاريخًا ووقتًا (مثلًا \u20682026-12-05T14:30\u2069)"
            in flashes(omar.get("/agent/").get_data(as_text=True)))
    assert save(sara, "2026 refunds")[0] == 302
    assert "View “2026 refunds” saved." in flashes(sara.get("/agent/").get_data(as_text=True))
    token = csrf(sara.get("/agent/").get_data(as_text=True))
    sara.post("/agent/bulk", data={"ticket": [str(ticket)], "action": "due", "value": "2026-13-05 14h",
                                   "csrf_token": token, "back": "/agent/"})
    assert ("due time: '2026-13-05 14h' is not a date and time (e.g. 2026-12-05T14:30)"
            in flashes(sara.get("/agent/").get_data(as_text=True)))
