"""What the agent's and the lead's walks of session 40 found and left (leftover41), measured in Chromium, Arabic and
English: on a desktop the inbox's row checkboxes and a tag's "×" were 13 px targets (WCAG 2.2 2.5.8 asks 24 px);
the bulk bar's value box cut its placeholder off; on an Arabic dashboard a spike alert's English examples had their
bullets outside the box (each item took its text's direction, and with it the bullet's side); and on a phone the
charts' labels were drawn 6-7 px high (a 480-unit drawing scaled to the phone's width)."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_dashboard_browser import app, log_in  # noqa: F401
from tests.browser.test_help_center_walk_browser import SPLIT_WORDS

WEEK = "from=2026-11-29&to=2026-12-05"

# Each element's rendered width and height, in CSS pixels.
SIZES = "(els) => els.map((el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; })"

# An input's placeholder width (in its own font) and the room its box gives text.
PLACEHOLDER_ROOM = """(el) => { const cs = getComputedStyle(el);
  const c = document.createElement("canvas").getContext("2d");
  c.font = cs.font; const room = el.clientWidth - parseFloat(cs.paddingInlineStart) - parseFloat(cs.paddingInlineEnd);
  return [c.measureText(el.placeholder).width, room]; }"""

# For each list item under `selector`: how far it stands from its box's edge on its bullet's side (the item's own
# inline start), in pixels: a bullet needs about 1em there to be inside the box.
BULLET_ROOM = """(selector) => [...document.querySelectorAll(selector)].map((li) => {
  const box = li.closest(".alert").getBoundingClientRect(), r = li.getBoundingClientRect();
  const rtl = getComputedStyle(li).direction === "rtl";
  return [li.textContent.trim(), rtl ? box.right - r.right : r.left - box.left]; })"""

# Each chart text's font size as drawn on the screen (its font-size times the drawing's scale).
CHART_FONT = """() => [...document.querySelectorAll("svg.chart text")].map((t) =>
  [t.textContent, parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a])"""


def test_targets_the_bulk_bar_the_alerts_and_the_phone_charts(browser: Browser, base_url: str, app: Flask) -> None:  # noqa: F811
    desk = app.extensions["desk"]
    for _ in range(6):  # a spike: an alert with its examples (English queries)
        desk.events.search("card payment failed", "en", 0, True)
    tagged = desk.tickets.inbox(status=None, limit=1)[0][0].id
    desk.tags.add([tagged], ["refund", "مرتجع"])
    problems: list[str] = []
    for lang in ("ar", "en"):
        context = browser.new_context(locale=lang, bypass_csp=True, viewport={"width": 1280, "height": 900})
        page: Page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base_url, f"/agent/?view=all&hl={lang}")
        expect(page.locator("table.inbox tbody input[type=checkbox]").first).to_be_visible()
        for width, height in page.locator("table.inbox tbody input[type=checkbox]").evaluate_all(SIZES):
            if width < 24 or height < 24:
                problems.append(f"{lang} row checkbox {width:.0f}x{height:.0f}")
        text, room = page.locator("#bulk-value").evaluate(PLACEHOLDER_ROOM)
        if text > room:
            problems.append(f"{lang} bulk placeholder {text:.0f} px in {room:.0f} px")
        # A tag whole in its column ("refun|d", "مرتج|ع" in the English inbox at 1280 px).
        problems += [f"{lang} inbox split: {split}" for split in page.evaluate(
            SPLIT_WORDS, page.locator("table.inbox").element_handle())]
        screenshot(page, f"leftover41-inbox-{lang}")
        page.goto(f"{base_url}/agent/tickets/{tagged}")
        removes = page.locator("ul.tags button")
        expect(removes.first).to_be_visible()
        for width, height in removes.evaluate_all(SIZES):
            if width < 24 or height < 24:
                problems.append(f"{lang} tag remove {width:.0f}x{height:.0f}")
        screenshot(page, f"leftover41-ticket-{lang}")
        page.goto(f"{base_url}/agent/dashboard/?hl={lang}")
        expect(page.locator("#alerts .alert li").first).to_be_visible()
        problems += [f"{lang} alert bullet of {text!r}: {room:.0f} px" for text, room in
                     page.evaluate(BULLET_ROOM, "#alerts .alert li") if room < 16]
        screenshot(page, f"leftover41-dashboard-{lang}")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base_url}/agent/dashboard/?{WEEK}&hl={lang}")
        drawn = page.evaluate(CHART_FONT)
        assert len(drawn) > 10
        problems += [f"{lang} phone chart {text!r}: {size:.1f} px" for text, size in drawn if size < 11]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        problems += [f"{lang} phone: {v}" for v in serious_violations(page)]
        screenshot(page, f"leftover41-dashboard-phone-{lang}")
        page.goto(f"{base_url}/agent/?view=all&hl={lang}")
        text, room = page.locator("#bulk-value").evaluate(PLACEHOLDER_ROOM)
        if text > room:
            problems.append(f"{lang} phone bulk placeholder {text:.0f} px in {room:.0f} px")
        screenshot(page, f"leftover41-inbox-phone-{lang}")
        context.close()
    assert not problems, "\n".join(problems)
