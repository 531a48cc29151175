"""What a new company's admin walking the admin pages in Chromium found (session 41): the webhooks' "Add a webhook"
form ran its label, field and description along one line (its class had no rule) and its events wrapped as a
paragraph, a box ending one line and its event's name starting the next; and a refused "Add an agent" came back
empty, its error only at the top of the page."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_dashboard_browser import PASSWORD, app  # noqa: F401
from tests.browser.test_help_center_walk_browser import SPLIT_WORDS

# Each label under `selector` whose box the line breaks (more than one client rect: a wrapped inline label).
BROKEN_LABELS = """(selector) => [...document.querySelectorAll(selector)]
  .filter((label) => label.getClientRects().length > 1).map((label) => label.textContent.trim())"""


def signed_in_admin(browser: Browser, base_url: str, target: str, width: int,
                    **options: Any) -> tuple[BrowserContext, Page]:
    """An Arabic browser `width` px wide (a phone's 844 px tall under 400, else 900) signed in as admin@example.com
    and sent on to `target`; `options` go to its context."""
    context = browser.new_context(locale="ar", viewport={"width": width, "height": 844 if width < 400 else 900},
                                  **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base_url}/agent/login?next={target}")
    page.locator("#email").fill("admin@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("#main form button[type=submit]").click()
    return context, page


def test_the_webhook_form_stacks_its_fields_and_a_refused_agent_is_kept(
        browser: Browser, base_url: str, app: Flask) -> None:  # noqa: F811
    app.extensions["desk"].accounts.create_agent("admin@example.com", PASSWORD, name="Demo admin", role="admin")
    context, page = signed_in_admin(browser, base_url, "/agent/admin/webhooks", width=1280, color_scheme="dark",
                                    bypass_csp=True)
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


# Each label under `selector` whose words the line breaks inside ("الإجر|اء"): [label, word].
SPLIT_LABELS = """(selector) => {
  const split = [];
  for (const label of document.querySelectorAll(selector)) {
    for (const node of label.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE) continue;
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange(); range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) split.push([label.textContent, m[0]]);
      }
    }
  }
  return split;
}"""


def test_the_audit_log_keeps_its_words_whole_on_a_phone(browser: Browser, base_url: str, app: Flask) -> None:  # noqa: F811
    """On a phone the audit log's table, scrolling in its box, still took the body's overflow-wrap: anywhere: every
    before and after split letter by letter, a row 700 px tall, "customer:1|7"; and its filter's label "الإجر|اء"."""
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Demo admin", role="admin")
    # (no hyphen in the name: a line may break after one)
    accounts.create_agent("sara.alqahtani@example.com", PASSWORD, name="Sara Alqahtani", role="agent")
    context, page = signed_in_admin(browser, base_url, "/agent/admin/audit", width=390)
    expect(page.locator("#audit-events tbody tr").first).to_be_visible()
    assert page.evaluate(SPLIT_WORDS, page.locator("#audit-events").element_handle()) == []
    assert page.evaluate(SPLIT_LABELS, "#audit-filters label") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "adminwalk41-audit-ar-phone")
    context.close()



# Each input under `selector` whose placeholder is wider than its box: [id, placeholder, text px, box px].
CLIPPED_PLACEHOLDERS = """(selector) => [...document.querySelectorAll(selector)].map((input) => {
  const style = getComputedStyle(input), context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [input.id, input.placeholder, Math.ceil(context.measureText(input.placeholder).width), Math.floor(room)];
}).filter(([, , text, room]) => text > room)"""


def test_the_audit_filters_show_their_whole_examples(browser: Browser, base_url: str, app: Flask) -> None:  # noqa: F811
    """The audit log's By and Subject filters take keys (agent:1, token:1, team:ksa) whose only example is their
    placeholder, which the boxes cut to "agent:1, cli, sy" and "agent:1, token:1,"."""
    app.extensions["desk"].accounts.create_agent("admin@example.com", PASSWORD, name="Demo admin", role="admin")
    context, page = signed_in_admin(browser, base_url, "/agent/admin/audit", width=1280)
    expect(page.locator("#audit-filters")).to_be_visible()
    assert page.evaluate(CLIPPED_PLACEHOLDERS, "#audit-filters input[placeholder]") == []
    context.close()
