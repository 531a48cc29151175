"""An Arabic agent saves the inbox's filters as a view in Chromium: the page is mirrored (dir=rtl), the new view
sits in the sidebar under the built-in ones, on the reading side, with its count, which is the page's rows; the
agent renames it in Arabic and deletes it, then snoozes a ticket from its page until tomorrow 09:00 and finds it in
"snoozed"; axe finds nothing serious on either page."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from desk.tickets import NewTicket
from tests.browser.conftest import screenshot
from tests.browser.test_agent_morning import PASSWORD, log_in
from tests.browser.test_inbox_teams_browser import app  # noqa: F401  (the demo's teams, acme.ae's mail to UAE)
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401


def test_an_arabic_agent_saves_a_view_and_snoozes_a_ticket(clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    page = clean_page
    desk = app.extensions["desk"]
    sara = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    desk.accounts.set_locale(sara.id, "ar")
    for number in range(3):
        desk.tickets.create(NewTicket(email="lina@acme.ae", name="لينا", subject=f"استرجاع المبلغ {number}",
                                      body="لم يصلني المبلغ بعد.", lang="ar"))
    desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="متى يصل طلبي؟",
                                  body="طلبت قبل أسبوع ولم يصل.", lang="ar"))
    log_in(page, base_url, "agent@example.com")
    page.locator("#team").select_option("uae")
    page.locator("form.filters button[type=submit]").click()
    expect(page.locator("tr.ticket-row")).to_have_count(3)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("label[for=new-view-name]")).to_have_text("حفظ عوامل التصفية هذه كطريقة عرض")
    page.locator("#new-view-name").fill("استرجاع الإمارات")
    page.locator("#save-view").click()
    expect(page.locator("p.flash.ok")).to_contain_text("حُفظت طريقة العرض")
    saved = page.locator("#saved-views a")
    expect(saved).to_have_count(1)
    expect(saved).to_have_attribute("aria-current", "page")
    expect(page.locator("#view-unsolved")).not_to_have_attribute("aria-current", "page")  # the saved view is current
    expect(saved.locator(".count")).to_have_text("3")
    expect(page.locator("h1 bdi")).to_have_text("استرجاع الإمارات")
    expect(page.locator("tr.ticket-row")).to_have_count(3)
    # Mirrored: the sidebar is on the right, its entries start at the right edge and the count sits on the left.
    sidebar, main = page.locator("nav.views").bounding_box(), page.locator("section.inbox-main").bounding_box()
    assert sidebar and main and sidebar["x"] > main["x"]
    name_box = saved.locator("span[dir=auto]").first.bounding_box()
    count_box = saved.locator(".count").bounding_box()
    assert name_box and count_box and count_box["x"] < name_box["x"]
    assert serious_violations(page) == []
    screenshot(page, "inbox-saved-view-ar")
    page.locator("#view-name").fill("مستردات الإمارات")
    page.locator(".manage-view button[value=rename]").click()
    expect(page.locator("#saved-views a span[dir=auto]").first).to_contain_text("مستردات الإمارات")
    page.locator("#delete-view").click()
    expect(page.locator("#saved-views")).to_have_count(0)
    expect(page.locator("h1")).to_contain_text("غير المحلولة")
    # Snooze a ticket from its page: it leaves "unsolved" for "snoozed".
    page.locator("#view-unsolved").click()
    first = page.locator("tr.ticket-row a.ticket-link").first
    first.click()
    expect(page.locator("label[for=snooze-until]")).to_have_text("تأجيل")
    page.locator("#snooze-until").select_option("tomorrow")
    page.locator("#snooze").click()
    expect(page.locator("p.flash.ok")).to_contain_text("أُجّلت حتى")
    expect(page.locator("#snoozed-until")).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"{base_url}/agent/")
    expect(page.locator("#view-snoozed .count")).to_have_text("1")
    expect(page.locator("#view-unsolved .count")).to_have_text("3")
    page.locator("#view-snoozed").click()
    expect(page.locator("h1")).to_contain_text("المؤجلة")
    expect(page.locator("tr.ticket-row")).to_have_count(1)


# Where each piece of a flash's text lands on screen: the left edge of the first occurrence of each piece.
LEFT_EDGES = """([selector, pieces]) => {
  const node = document.querySelector(selector).firstChild, text = node.textContent;
  return pieces.map(piece => {
    const range = document.createRange(), at = text.indexOf(piece);
    if (at < 0) return null;
    range.setStart(node, at); range.setEnd(node, at + piece.length);
    return range.getBoundingClientRect().left;
  });
}"""


def test_an_arabic_error_quoting_a_date_keeps_the_example_and_the_input_in_order(
        clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    """The desk's "not a date and time (e.g. 2026-12-05T14:30)" in an Arabic sentence: without the isolate, the digits
    after Arabic words are Arabic numbers and the hyphens break them apart ("T14:30 05-12-2026" on screen). The
    example, and the agent's own "2026-13-05 14h" quoted before it, read left to right."""
    page = clean_page
    desk = app.extensions["desk"]
    sara = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    desk.accounts.set_locale(sara.id, "ar")
    desk.tickets.create(NewTicket(email="lina@acme.ae", name="لينا", subject="استرجاع المبلغ", body="لم يصلني المبلغ.",
                                  lang="ar"))
    log_in(page, base_url, "agent@example.com")
    page.locator("tr.ticket-row input[type=checkbox]").first.check()
    page.locator("#bulk-action").select_option("due")
    page.locator("#bulk-value").fill("2026-13-05 14h")
    page.locator("#bulk-apply").click()
    error = page.locator("p.flash.error")
    expect(error).to_contain_text("ليس تاريخًا ووقتًا (مثلًا")
    text = error.inner_text()
    assert "\u20682026-12-05T14:30\u2069" in text and "\u2068'2026-13-05 14h'\u2069" in text
    year, month, day, hour = page.evaluate(LEFT_EDGES, ["p.flash.error", ["2026-12", "12-05", "05T", "14:30"]])
    assert year < month < day < hour, (year, month, day, hour)  # left to right, as typed
    typed = page.evaluate(LEFT_EDGES, ["p.flash.error", ["2026-13", "13-05", "14h"]])
    assert typed[0] < typed[1] < typed[2], typed
    screenshot(page, "inbox-due-error-ar")
