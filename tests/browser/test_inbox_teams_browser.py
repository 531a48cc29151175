"""An Arabic agent in the KSA team narrows the inbox to the UAE team in Chromium: the team filter's select (the
file's team names, as written), the team in each row, "My teams' tickets" with the unassigned first; axe finds
nothing serious on the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from desk.tickets import NewTicket
from kb.settings import Settings
from tests.browser.conftest import screenshot
from tests.browser.test_agent_morning import PASSWORD, log_in
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401
from tests.conftest import database_url_for_tests
from tests.desk.test_teams import hours_file
from webapp import create_app


def teams_app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models, with the demo's teams and one routing rule (acme.ae's mail to UAE)."""
    hours_file(content_dir, routing=[{"domain": "acme.ae", "team": "uae"}])
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    return teams_app(tmp_path, content_dir)


def test_an_arabic_agent_filters_the_inbox_by_team(clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    page = clean_page
    desk = app.extensions["desk"]
    sara = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    desk.accounts.set_locale(sara.id, "ar")
    desk.teams.set_teams(sara.id, ["ksa"])
    ksa = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="متى يصل طلبي؟",
                                        body="طلبت قبل أسبوع ولم يصل.", lang="ar"))
    uae = desk.tickets.create(NewTicket(email="lina@acme.ae", name="لينا", subject="استرجاع المبلغ",
                                        body="لم يصلني المبلغ بعد.", lang="ar"))
    assert (ksa.team, uae.team) == ("ksa", "uae")
    log_in(page, base_url, "agent@example.com")
    page.goto(f"{base_url}/agent/")
    expect(page.locator("label[for=team]")).to_have_text("الفريق")
    expect(page.locator(f"tr[data-id='{uae.id}'] td.team")).to_have_text("UAE support")
    page.locator("#team").select_option("uae")
    page.locator("form.filters button[type=submit]").click()
    expect(page.locator("#team")).to_have_value("uae")
    expect(page.locator("tr.ticket-row")).to_have_count(1)
    expect(page.locator(f"tr[data-id='{uae.id}']")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "inbox-team-filter-ar")
    page.locator("#view-my_teams").click()
    expect(page.locator("h1")).to_contain_text("تذاكر فرقي")
    expect(page.locator("tr.ticket-row")).to_have_count(1)
    expect(page.locator(f"tr[data-id='{ksa.id}']")).to_be_visible()
    assert serious_violations(page) == []
