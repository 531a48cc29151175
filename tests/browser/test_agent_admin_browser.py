"""The admin's agents on a phone in Chromium (agentadmin42): the agents table keeps Name, Role and State on a screen
narrower than 40rem (all 13 columns at a desk's width), each name opens the agent's own page, which fits the phone
without scrolling sideways; the admin turns off the agent's assignment mail there (audited); axe finds nothing
serious. Checked by the layout (what is displayed, how wide), not by pixels; the screenshot is kept for a person."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from desk.models import AuditEvent
from kb.settings import Settings
from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_agent_morning import PASSWORD, log_in
from tests.conftest import database_url_for_tests
from webapp import create_app

PHONE = {"width": 375, "height": 800}  # 23.4rem: under the table's 40rem


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models (base_url serves it)."""
    made = create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))
    accounts = made.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.create_agent("amal@example.com", PASSWORD, name="أمل")
    return made


def _shown_headers(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate("() => [...document.querySelectorAll('#agents thead th')]"
                         ".filter(th => getComputedStyle(th).display !== 'none').map(th => th.textContent.trim())")


def test_the_agents_table_on_a_phone_and_the_agents_own_page(browser: Browser, base_url: str, app: Flask) -> None:
    context = browser.new_context(locale="en", bypass_csp=True, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, base_url, "admin@example.com")
        page.goto(f"{base_url}/agent/admin")
        assert _shown_headers(page) == ["Name", "Role", "State"]
        expect(page.locator("#agents-phone-note")).to_be_visible()
        # The table fits the phone: no column pushed past the screen's edge.
        table_width = page.evaluate("() => document.querySelector('#agents').getBoundingClientRect().width")
        assert table_width <= PHONE["width"]
        screenshot(page, "agent-admin-phone-table")

        page.locator("#agents a", has_text="أمل").click()
        expect(page.locator("#agent-title")).to_have_text("أمل")
        expect(page.locator("#agent-last-sign-in")).to_have_text("Never")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert serious_violations(page) == []
        expect(page.locator("#agent-notify-assigned")).to_be_checked()
        page.locator("#agent-notify-assigned").uncheck()
        page.locator("#notifications button[type=submit]").click()
        expect(page.locator(".flash.ok")).to_have_text("Agent updated.")
        expect(page.locator("#agent-notify-assigned")).not_to_be_checked()
        screenshot(page, "agent-admin-phone-agent")

        page.set_viewport_size({"width": 1280, "height": 900})  # a desk's screen: every column again
        page.goto(f"{base_url}/agent/admin")
        shown = _shown_headers(page)
        assert len(shown) == 14 and shown[-1] == "Last signed in"  # hidden on the phone above, as the other extras
        # The admin signed in through the login page: their row says so, Amal's says never.
        expect(page.locator("#agents tr[data-agent='admin@example.com'] td.last-sign-in")).to_contain_text("ago")
        expect(page.locator("#agents tr[data-agent='amal@example.com'] td.last-sign-in")).to_have_text("Never")
        expect(page.locator("#agents-phone-note")).to_be_hidden()
    finally:
        context.close()
    desk = app.extensions["desk"]
    with desk.db.session() as session:
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "notifications_changed"
