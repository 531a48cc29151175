"""An agent's walk of the workspace in Chromium, Arabic at a desktop's width (agentwalk40): what the walk of the demo
found and fixed. The real app without the models, the demo's teams; measured in the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from copilot.engine import Engine
from desk.tickets import NewTicket
from tests.browser.conftest import screenshot
from tests.browser.test_agent_morning import PASSWORD, log_in
from tests.browser.test_inbox_teams_browser import teams_app
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401
from webapp import create_app
from webapp.background import serving


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    return teams_app(tmp_path, content_dir)


def arabic_agent(app: Flask) -> None:
    desk = app.extensions["desk"]
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    desk.accounts.set_locale(agent.id, "ar")


# Lines a cell's text is drawn on, and whether a word was cut: each word's letters' rectangles, grouped by line.
CELL_LINES = """cell => {
  const range = document.createRange(); const tops = new Set();
  const text = cell.textContent.trim();
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT); let node;
  while ((node = walker.nextNode())) for (let i = 0; i < node.length; i++) {
    if (!node.data[i].trim()) continue;
    range.setStart(node, i); range.setEnd(node, i + 1);
    for (const r of range.getClientRects()) tops.add(Math.round(r.top));
  }
  return {text, lines: tops.size};
}"""


def test_the_arabic_inbox_keeps_names_and_subjects_readable_and_every_column_in_view(
        clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    """The demo's inbox at 1280 px in Arabic: "Hassan Raza" came out as "Hass / an / Raza" (the customer's cell broke
    anywhere, as did the status's "بانتظا / ر / العميل"), each subject was squeezed to 85 px (three to five lines)
    and the last column, the last update, was past the table box's edge: "Overdue · 25/11/2026, 5:00 pm" was one
    unbreakable line, 266 px wide."""
    page = clean_page
    arabic_agent(app)
    desk = app.extensions["desk"]
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=2)
    for n, (name, subject) in enumerate([("Hassan Raza", "THIRD time your courier didn't show up!!!"),
                                         ("James O'Connor", "Return an opened laptop - who pays?"),
                                         ("أمل المزروعي", "إرجاع مرتبة طبية بعد فتح الغلاف")]):
        ticket = desk.tickets.create(NewTicket(email=f"c{n}@example.com", name=name, subject=subject,
                                               body="...", lang="en" if n < 2 else "ar"))
        desk.tickets.set_due(ticket.id, past, None)
        desk.tickets.update(ticket.id, status="pending")  # "بانتظار العميل": was drawn "بانتظا / ر / العميل"
    log_in(page, base_url, "agent@example.com")
    page.goto(f"{base_url}/agent/")
    expect(page.locator("tr.ticket-row")).to_have_count(3)
    for row in page.locator("tr.ticket-row").all():
        cells = row.locator("td")
        for cell in (cells.nth(2), row.locator("td:has(> .status)")):  # the customer, the status
            drawn = cell.evaluate(CELL_LINES)
            assert drawn["lines"] <= len(drawn["text"].split()), drawn  # no word cut in two
    subjects = [page.locator("tr.ticket-row a.ticket-link").nth(i).evaluate(CELL_LINES) for i in range(3)]
    assert max(s["lines"] for s in subjects) <= 2, subjects
    box = page.locator(".table-scroll").evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert box[0] <= box[1], f"the table is wider than its box: {box}"
    screenshot(page, "agentwalk40-inbox-ar")
    assert serious_violations(page) == []


def test_an_empty_note_box_reads_right_to_left_in_arabic(clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    """dir="auto" on an empty box is left to right: in the Arabic workspace the internal note's placeholder read
    backwards ("مثال:" at its left end, the caret there too), as did the customer's notes and a side conversation's.
    The page's direction now, and each typed line its own (unicode-bidi: plaintext), as the reply's box."""
    page = clean_page
    arabic_agent(app)
    ticket = app.extensions["desk"].tickets.create(NewTicket(email="amal@example.com", name="أمل المزروعي",
                                                             subject="إرجاع مرتبة", body="...", lang="ar"))
    log_in(page, base_url, "agent@example.com")
    for path, box in ((f"/agent/tickets/{ticket.id}", "#note-body"),
                      (f"/agent/customers/{ticket.customer_id}", "#customer-notes")):
        page.goto(f"{base_url}{path}")
        style = page.locator(box).evaluate("b => [getComputedStyle(b).direction, getComputedStyle(b).unicodeBidi]")
        assert style == ["rtl", "plaintext"], (path, style)


# The contrast of an element's colour (`color`, or `outlineColor`) on the first background behind it that is not
# transparent, the element itself included for its text and excluded for its outline (WCAG's formula).
CONTRAST = """([el, property]) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { const [r, g, b] = rgb(c).slice(0, 3).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let behind = property === "color" ? el : el.parentElement;
  while (behind && (rgb(getComputedStyle(behind).backgroundColor)[3] === 0)) behind = behind.parentElement;
  const fg = lum(getComputedStyle(el)[property]), bg = lum(getComputedStyle(behind || document.body).backgroundColor);
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}"""


# Whether an address is drawn from its start: its "h" the leftmost letter of its first line.
STARTS_AT_THE_LEFT = """link => {
  const node = link.firstChild; const range = document.createRange();
  const rect = i => { range.setStart(node, i); range.setEnd(node, i + 1); return range.getBoundingClientRect(); };
  const first = rect(0); let leftmost = first.left;
  for (let i = 1; i < node.length; i++) {
    const r = rect(i); if (Math.abs(r.top - first.top) < 2 && r.width) leftmost = Math.min(leftmost, r.left);
  }
  return first.left <= leftmost + 0.5;
}"""


def test_the_arabic_drafts_cited_addresses_read_from_their_start(
        clean_page: Page, indexed: Engine, content_dir: Path) -> None:  # noqa: F811
    """The Arabic draft's "Cites:" line drew an address with an Arabic section anchor as
    "مدة-#http://.../return-policy": the link took the Arabic line's direction. Each address is isolated now; and the
    "Insert draft" button's shortcut key is readable."""
    page = clean_page
    app = create_app(engine=indexed)
    arabic_agent(app)
    ticket = app.extensions["desk"].tickets.create(NewTicket(
        email="amal@example.com", name="أمل المزروعي", subject="كم مدة الإرجاع؟",
        body="اشتريت مرتبة قبل أسبوع، كم يوم عندي لأرجعها؟", lang="ar"))
    with serving(app) as base_url:
        log_in(page, base_url, "agent@example.com")
        page.goto(f"{base_url}/agent/tickets/{ticket.id}")
        citations = page.locator("a.citation")
        expect(citations.first).to_be_visible()
        arabic = [c for c in citations.all() if re.search("#[\u0600-\u06ff]", c.inner_text())]
        assert arabic, citations.all_inner_texts()
        assert [c.evaluate(STARTS_AT_THE_LEFT) for c in arabic] == [True] * len(arabic), citations.all_inner_texts()
        # The "Insert draft" button's key, "i": white on the key's near-white face (1.04:1), nothing to read.
        expect(page.locator("#insert-draft kbd")).to_have_text("i")
        key = page.locator("#insert-draft kbd").element_handle()
        assert page.evaluate(CONTRAST, [key, "color"]) >= 4.5


def test_the_focus_ring_is_visible_in_the_dark(browser: Browser, base_url: str, app: Flask) -> None:
    """The workspace's focus ring was #1d4ed8 in both schemes: 2.7:1 on the dark scheme's page, under the 3:1 a focus
    indicator needs (WCAG 1.4.11), so a keyboard agent lost the focus in the header, the views and the filters."""
    arabic_agent(app)
    context = browser.new_context(locale="ar", color_scheme="dark", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base_url, "agent@example.com")
    rings = []
    for _ in range(25):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        rings.append([page.evaluate("el => el.id || el.tagName", focused),
                      page.evaluate("el => getComputedStyle(el).outlineStyle", focused),
                      page.evaluate(CONTRAST, [focused, "outlineColor"])])
    context.close()
    assert all(style != "none" for _, style, _ in rings), rings
    assert [r for r in rings if r[2] < 3] == []


# The left edge of where `text` is drawn under `root` (the first text node holding it whole).
LEFT_OF = """([root, text]) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(text);
    if (at < 0) continue;
    const range = document.createRange(); range.setStart(node, at); range.setEnd(node, at + text.length);
    return range.getBoundingClientRect().left;
  }
  return null;
}"""


def test_an_arabic_note_that_starts_with_a_mention_reads_right_to_left(
        clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    """"@sara هل يمكنك مراجعة شركة الشحن؟" was drawn left to right, the mention at the left edge and the question
    after it: the note's direction came from its first letter, the mention's "s". Mentions are isolated now, so the
    note's own words set its direction (Zendesk's and Chatwoot's notes start with a mention as often as not)."""
    page = clean_page
    arabic_agent(app)
    desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="amal@example.com", name="أمل المزروعي", subject="إرجاع مرتبة",
                                           body="...", lang="ar"))
    log_in(page, base_url, "agent@example.com")
    page.goto(f"{base_url}/agent/tickets/{ticket.id}")
    page.locator("#note-body").fill("@agent هل يمكنك مراجعة شركة الشحن؟ الطلب MZ-48197754")
    page.locator("#add-note").click()
    note = page.locator(".message.note .text")
    expect(note).to_contain_text("هل يمكنك")
    handle = note.element_handle()
    mention, question = (page.evaluate(LEFT_OF, [handle, text]) for text in ("@agent", "هل يمكنك"))
    assert mention is not None and question is not None
    assert mention > question, "the mention is drawn left of the question: the note reads left to right"
    assert serious_violations(page) == []
