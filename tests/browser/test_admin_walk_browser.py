"""What a new company's admin walking the admin pages in Chromium found (session 41): the webhooks' "Add a webhook"
form ran its label, field and description along one line (its class had no rule) and its events wrapped as a
paragraph, a box ending one line and its event's name starting the next; and a refused "Add an agent" came back
empty, its error only at the top of the page."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Browser, expect

from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_dashboard_browser import PASSWORD, app  # noqa: F401

# Each label under `selector` whose box the line breaks (more than one client rect: a wrapped inline label).
BROKEN_LABELS = """(selector) => [...document.querySelectorAll(selector)]
  .filter((label) => label.getClientRects().length > 1).map((label) => label.textContent.trim())"""


def test_the_webhook_form_stacks_its_fields_and_a_refused_agent_is_kept(
        browser: Browser, base_url: str, app: Flask) -> None:  # noqa: F811
    app.extensions["desk"].accounts.create_agent("admin@example.com", PASSWORD, name="Demo admin", role="admin")
    context = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900}, color_scheme="dark",
                                  bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base_url}/agent/login?next=/agent/admin/webhooks")
    page.locator("#email").fill("admin@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("#main form button[type=submit]").click()
    expect(page.locator("#no-webhooks")).to_be_visible()
    for name in ("name", "url", "description"):
        label = page.locator(f"label[for=webhook-{name}]").bounding_box()
        field = page.locator(f"#webhook-{name}").bounding_box()
        assert label and field and field["y"] >= label["y"] + label["height"] - 1, (name, label, field)
    assert page.evaluate(BROKEN_LABELS, "#new-webhook fieldset label") == []
    screenshot(page, "adminwalk41-webhooks-ar-dark")
    assert serious_violations(page) == []
    page.goto(f"{base_url}/agent/admin")
    page.locator("#new-email").fill("lead@example.com")
    page.locator("#new-name").fill("Sara Ali")
    page.locator("#new-password").fill(PASSWORD)
    page.locator("#new-role").select_option("lead")
    page.locator("#new-email").locator("xpath=ancestor::form").locator("button[type=submit]").click()
    expect(page.locator("#new-agent-error")).to_contain_text("lead@example.com")
    expect(page.locator("#new-email")).to_have_value("lead@example.com")
    expect(page.locator("#new-name")).to_have_value("Sara Ali")
    expect(page.locator("#new-role")).to_have_value("lead")
    expect(page.locator("#new-email")).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []
    context.close()
