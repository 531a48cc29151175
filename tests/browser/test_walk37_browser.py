"""What a fresh-eyes walk of the workspace in Chromium found (session 37): a change's arrow points from the old value to the new one on an Arabic page too (the
ticket's history, the customer's field changes), where the old value stands on the right."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from desk import customer_fields
from desk.audit import Actor
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from tests.browser.conftest import screenshot
from tests.browser.test_agent_morning import PASSWORD, log_in
from tests.conftest import CONTENT, database_url_for_tests
from webapp import create_app


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models, with the demo's customer fields."""
    shutil.copy2(CONTENT / CUSTOMER_FIELDS_FILE, content_dir)
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))


@pytest.mark.parametrize(("lang", "arrow"), [("ar", "←"), ("en", "→")])
def test_a_changes_arrow_points_from_the_old_value_to_the_new(browser: Browser, base_url: str, app: Flask, lang: str,
                                                              arrow: str) -> None:
    desk = app.extensions["desk"]
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    ticket = desk.tickets.create(NewTicket(email="lina@example.com", name="لينا", subject="استرجاع المبلغ",
                                           body="لم يصلني المبلغ", lang="ar"))
    desk.tickets.update(ticket.id, status="pending", agent_id=agent.id)
    customer_fields.set_values(desk.db, desk.customer_fields, ticket.customer_id, {"account_id": "AC-5512"}, lang,
                               Actor.agent(agent.id))
    context = browser.new_context(locale=lang, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base_url, "agent@example.com")
    page.goto(f"{base_url}/agent/tickets/{ticket.id}")
    other = "→" if arrow == "←" else "←"
    expect(page.locator("#history")).to_contain_text(f" {arrow} ")  # the status: open, then pending
    assert other not in page.locator("#history").inner_text()
    page.goto(f"{base_url}/agent/customers/{ticket.customer_id}")
    change = page.locator("ol.field-changes li").filter(has_text="AC-5512")
    expect(change).to_contain_text(f"— {arrow} AC-5512")
    screenshot(page, f"walk37-field-changes-{lang}")
    context.close()
