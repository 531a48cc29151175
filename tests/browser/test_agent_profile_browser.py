"""An Arabic agent picks a time zone on the profile page in Chromium: the select of IANA names, saved, the header
saying which zone the workspace shows, the ticket's due field in that zone; a zone the server does not know (sent
by a tampered page) refused beside the field, the saved one kept; axe finds nothing serious on either page."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
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
from webapp import create_app

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models, with the demo's business hours (the team's zone is Asia/Riyadh)."""
    shutil.copy2(CONTENT / "_business_hours.yml", content_dir)
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))


def test_an_arabic_agent_picks_a_time_zone(clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    page = clean_page
    desk = app.extensions["desk"]
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="متى يصل طلبي؟",
                                           body="طلبت قبل أسبوع ولم يصل."))
    desk.tickets.set_due(ticket.id, datetime(2030, 1, 5, 11, 30, tzinfo=UTC), agent.id)
    log_in(page, base_url, "agent@example.com")
    page.goto(f"{base_url}/agent/profile")
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.locator("label[for=time-zone]")).to_have_text("المنطقة الزمنية")
    expect(page.locator("#shown-zone")).to_have_text("الأوقات بتوقيت Asia/Riyadh")  # the default team's, unset
    assert serious_violations(page) == []

    page.locator("#time-zone").select_option("Asia/Dubai")
    page.locator("#zone-form button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_have_text("حُفظت المنطقة الزمنية.")
    expect(page.locator("#shown-zone")).to_have_text("الأوقات بتوقيت Asia/Dubai")
    expect(page.locator("#time-zone")).to_have_value("Asia/Dubai")
    screenshot(page, "agent-profile-ar")

    page.goto(f"{base_url}/agent/tickets/{ticket.id}")
    expect(page.locator("#due-input")).to_have_value("2030-01-05T15:30")  # 11:30 UTC in Dubai
    expect(page.locator("input[name=due_zone]")).to_have_value("Asia/Dubai")

    # A tampered page sends a name zoneinfo does not know: refused beside the field, Asia/Dubai kept.
    page.goto(f"{base_url}/agent/profile")
    page.locator("#time-zone option[value='Asia/Dubai']").evaluate("option => { option.value = 'Mars/Base'; }")
    page.locator("#zone-form button[type=submit]").click()
    expect(page.locator("#time-zone-error")).to_contain_text("المنطقة الزمنية:")
    expect(page.locator("#time-zone")).to_have_attribute("aria-invalid", "true")
    assert desk.accounts.agent(agent.id).time_zone == "Asia/Dubai"
    assert serious_violations(page) == []
