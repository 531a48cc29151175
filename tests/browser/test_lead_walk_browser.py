"""What a team lead's walk of the dashboard and reports in Chromium found (session 40), Arabic and English, light and
dark, at a desktop's and a phone's width: in Arabic every table's figures stood a column away from their heading
(each cell took the direction of its digits, left to right, and with it the left edge: "تم الحل" sat over the
created counts); a card's previous percentage read "%61.3" (digits after Arabic letters are Arabic numbers to the
bidi algorithm, so the % no longer held to them); and in the dark scheme the spike alerts kept their pink background
under the page's light text (1.06:1) and the charts their dark grey labels on the dark page."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from desk.models import utcnow
from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_admin_walk_browser import signed_in_admin
from tests.browser.test_dashboard_browser import PASSWORD, app, log_in  # noqa: F401
from tests.browser.test_help_center_walk_browser import CONTRAST, SPLIT_WORDS
from tests.browser.test_site_pages_browser import clean_page  # noqa: F401

WEEK = "from=2026-11-29&to=2026-12-05"

# For each table row's cells under `selector`: [heading, cell text, how far the text's start edge is from the
# heading's, in pixels] when the two do not start at the same edge of the column (more than the padding apart).
OFF_THEIR_HEADING = """(selector) => {
  const off = [];
  const edge = (el, rtl) => { const range = document.createRange(); range.selectNodeContents(el);
    const r = range.getBoundingClientRect(); return rtl ? r.right : r.left; };
  for (const table of document.querySelectorAll(selector)) {
    const rtl = getComputedStyle(table).direction === "rtl";
    const heads = [...table.querySelectorAll("thead th")];
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.cells].forEach((cell, i) => {
        if (!heads[i] || !cell.textContent.trim()) return;
        const gap = Math.abs(edge(cell, rtl) - edge(heads[i], rtl));
        if (gap > 2) off.push([heads[i].textContent.trim(), cell.textContent.trim(), Math.round(gap)]);
      });
    }
  }
  return off;
}"""

# The contrast of each SVG text's fill on the page's background (WCAG's formula).
CHART_TEXT_CONTRAST = """(selector) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { const [r, g, b] = rgb(c).slice(0, 3).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = lum(getComputedStyle(document.body).backgroundColor);
  return [...document.querySelectorAll(selector)].map((el) => {
    const fg = lum(getComputedStyle(el).fill);
    return [el.textContent, (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)];
  });
}"""


def test_arabic_figures_stand_under_their_headings_and_keep_their_percent_sign(
        clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    app.extensions["desk"].notices.publish(  # the notices' table too
        "Deliveries to Jeddah are delayed by 2 days because of the Eid holiday.",
        "تتأخر التوصيلات إلى جدة يومين بسبب عطلة العيد.", utcnow() + timedelta(days=2), terms="delivery, التوصيل")
    page = clean_page
    log_in(page, base_url, f"/agent/dashboard/?{WEEK}&hl=ar")
    expect(page.locator("#table-summary tbody td").first).to_be_visible()  # logged in, the dashboard drawn
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(".dashboard table.figures tbody td").count() > 20
    assert page.evaluate(OFF_THEIR_HEADING, ".dashboard .table-block table.figures") == []
    # The previous period's percentage: one left-to-right run, the sign after its digits ("61.3%", not "%61.3").
    before = page.locator("#fig-reopen_rate .before")
    assert page.evaluate("""(el) => { const bdi = el.querySelector("bdi");
        return bdi !== null && getComputedStyle(bdi).direction === "ltr" && /%$/.test(bdi.textContent); }""",
                         before.element_handle())
    screenshot(page, "leadwalk40-dashboard-ar")
    # On a phone each table scrolls in its box, its words whole ("العمـ|ر", "2026|-12-|07", "e|n" before).
    page.set_viewport_size({"width": 390, "height": 844})
    split = page.evaluate("""(code) => [...document.querySelectorAll(".dashboard table.figures")]
        .flatMap((table) => (0, eval)(code)(table))""", SPLIT_WORDS)
    assert split == [], split[:10]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{base_url}/agent/reports/rejected")
    expect(page.locator("section.report tbody td").first).to_be_visible()
    assert page.evaluate(OFF_THEIR_HEADING, "section.report table") == []


def test_alerts_and_charts_are_readable_in_the_dark(browser: Browser, base_url: str, app: Flask) -> None:  # noqa: F811
    events = app.extensions["desk"].events
    for _ in range(6):
        events.search("card payment failed", "en", 0, True)
    problems = []
    for lang in ("ar", "en"):
        context = browser.new_context(locale=lang, bypass_csp=True, color_scheme="dark",
                                      viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base_url, f"/agent/dashboard/?hl={lang}")
        expect(page.locator("#alerts .alert").first).to_be_visible()
        ratios = page.evaluate(CONTRAST, "#alerts .alert p, #alerts .alert li")
        assert ratios
        problems += [f"{lang} alert: {ratio:.2f}:1" for ratio in ratios if ratio < 4.5]
        texts = page.evaluate(CHART_TEXT_CONTRAST, "svg.chart text")
        assert len(texts) > 4
        problems += [f"{lang} chart {text!r}: {ratio:.2f}:1" for text, ratio in texts if ratio < 4.5]
        problems += [f"{lang}: {v}" for v in serious_violations(page)]
        screenshot(page, f"leadwalk40-dashboard-dark-{lang}")
        context.close()
    assert not problems, "\n".join(problems)


def test_the_admin_and_team_pages_keep_their_columns_and_words_on_a_phone(
        browser: Browser, base_url: str, app: Flask) -> None:  # noqa: F811
    """At a tablet's width (anything up to 64rem) the admin's agents table lost its eighth column, Teams, to a rule
    meant for the inbox's Assignee; and its cells and the team status's broke words letter by letter ("Dem|o admi|n",
    "لم تتغي|ر قط") where the tables scroll in their own boxes. (Under 40rem, a phone's, the agents table keeps Name,
    Role and State by design since agentadmin42: each name opens the agent's page, tests/browser/test_agent_admin_
    browser.py.)"""
    app.extensions["desk"].accounts.create_agent("admin@example.com", PASSWORD, name="Demo admin", role="admin")
    context, page = signed_in_admin(browser, base_url, "/agent/admin", width=700)
    expect(page.locator("#agents tbody tr").first).to_be_visible()
    teams = page.locator("#agents thead th").nth(7)
    expect(teams).to_have_text("الفرق")
    expect(teams).to_be_visible()
    assert page.evaluate(SPLIT_WORDS, page.locator("#agents").element_handle()) == []
    page.set_viewport_size({"width": 390, "height": 844})  # a phone's, for the team status
    assert page.evaluate(SPLIT_WORDS, page.locator("#agents").element_handle()) == []
    page.goto(f"{base_url}/agent/team-status")
    expect(page.locator("table.team-members tbody td").first).to_be_visible()
    split = [page.evaluate(SPLIT_WORDS, table) for table in page.locator("table.team-members").element_handles()]
    assert split and all(found == [] for found in split), split
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "leadwalk40-team-status-ar-phone")
    context.close()
