"""What a customer's walk of the help center in Chromium found (session 40), at a phone's width and a desktop's, in
Arabic and English, light and dark: a live notice was cream on cream in the dark scheme (its light colours kept, the
page's light text on them) and a result title's highlighted words green on olive; an article's table on a phone split
words letter by letter ("الدول|ة", "السعو|دية") where its cells could have scrolled; the Arabic contact form named
two fields "الموضوع" (the subject and the topic); and the Arabic acknowledgement broke the ticket's reference at its
hyphen, the hyphen drawn on the wrong side ("-nMZ93D9n" above "DOfk7Rh.")."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

import desk.tickets
from desk.models import utcnow
from tests.browser.conftest import screenshot, serious_violations

# The contrast of an element's text on the first background behind it that is not transparent (WCAG's formula).
CONTRAST = """(selector) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { const [r, g, b] = rgb(c).slice(0, 3).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  return [...document.querySelectorAll(selector)].map((el) => {
    let behind = el;
    while (behind && (rgb(getComputedStyle(behind).backgroundColor)[3] === 0)) behind = behind.parentElement;
    const fg = lum(getComputedStyle(el).color), bg = lum(getComputedStyle(behind || document.body).backgroundColor);
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  });
}"""

# The lines a piece of text is drawn on: one top per line its characters stand on.
LINES_OF = """(root, text) => {
  const tops = new Set();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(text);
    if (at < 0) continue;
    for (let i = at; i < at + text.length; i++) {
      const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
      for (const r of range.getClientRects()) tops.add(Math.round(r.top));
    }
    return tops.size;
  }
  return 0;
}"""

# Every word of every table cell under `root` drawn on one line: [cell text, word] for each word split across lines.
SPLIT_WORDS = """(root) => {
  const split = [];
  for (const cell of root.querySelectorAll("th, td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange(); range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) split.push([cell.innerText.trim(), m[0]]);
      }
    }
  }
  return split;
}"""


def test_notices_and_highlighted_words_are_readable_in_the_dark(browser: Browser, base_url: str, app: Flask) -> None:
    app.extensions["desk"].notices.publish(
        "Deliveries to Jeddah are 2 days late because of the Eid holiday.",
        "تتأخر التوصيلات إلى جدة يومين بسبب عطلة العيد — تطبيق Manzil.", utcnow() + timedelta(days=2),
        terms="delivery, التوصيل")
    problems = []
    for lang, query in (("en", "delivery fees"), ("ar", "رسوم التوصيل")):
        context = browser.new_context(locale=lang, bypass_csp=True, color_scheme="dark",
                                      viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15_000)
        for path, selector in ((f"/{lang}/", ".notice"),
                               (f"/{lang}/search?q={query}", ".notice, .result-title mark")):
            page.goto(base_url + path)
            expect(page.locator(selector).first).to_be_visible()
            screenshot(page, f"walk40-dark-{lang}-{path.split('/')[2] or 'home'}")
            ratios = page.evaluate(CONTRAST, selector)
            assert ratios, selector
            problems += [f"{path} {selector}: {ratio:.2f}:1" for ratio in ratios if ratio < 4.5]
            problems += [f"{path}: {v}" for v in serious_violations(page)]
        context.close()
    assert not problems, "\n".join(problems)


def test_an_articles_table_keeps_its_words_whole_on_a_phone(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for lang in ("ar", "en"):
        page.goto(f"{base_url}/{lang}/articles/delivery-fees")
        page.evaluate("document.fonts.ready")
        table = page.locator(".body table").first
        expect(table).to_be_visible()
        screenshot(page, f"walk40-table-{lang}-390")
        assert table.evaluate(SPLIT_WORDS) == [], lang  # the table scrolls inside its box instead
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself does not


def test_the_arabic_contact_form_names_each_field_once_and_keeps_the_reference_whole(
        page: Page, base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(desk.tickets, "new_reference", lambda: "nMZ93D9n-DOfk7Rh")  # a hyphen: a place to break
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/ar/contact")
    # What each field is called, "(optional)" aside: the subject and the topic were both "الموضوع"
    labels = [text.replace("(اختياري)", "").strip() for text in page.locator("main label").all_inner_texts()]
    assert "الموضوع" in labels
    assert len(labels) == len(set(labels)), labels
    page.locator("#name").fill("ليلى")
    page.locator("#email").fill("layla@example.com")
    page.locator("#subject").fill("كم سعر تذكرة الطيران")
    page.locator("#message").fill("السعر؟ order 12345 – Manzil Plus")
    page.get_by_role("button", name="أرسل إلى الدعم").click()
    created = page.locator("#ticket-created")
    expect(created).to_contain_text("nMZ93D9n-DOfk7Rh")
    screenshot(page, "walk40-ticket-created-ar-390")
    assert created.evaluate(LINES_OF, "nMZ93D9n-DOfk7Rh") == 1  # was "-nMZ93D9n" above "DOfk7Rh."
    reference = page.locator("#ticket-created bdi")  # isolated: the hyphen stays between its halves
    expect(reference).to_have_text("nMZ93D9n-DOfk7Rh")
    # How they hear back: by email (it only said to keep the page's address, as if the page were the only way)
    expect(page.locator("#reply-by-email")).to_have_text(
        "نرد عليك بالبريد الإلكتروني، وتجد المحادثة كذلك في هذه الصفحة.")


def test_every_topic_filter_on_the_results_page_is_in_reach_on_a_desktop(page: Page, base_url: str) -> None:
    """On a phone the topics scroll sideways under a thumb; a desktop's mouse has no sideways wheel, and the last
    topics ("Returns and refunds", "Warranty and repairs") stood cut off past the row's edge (the demo's nine at
    1280 px; the slice's six at a narrow window's 640)."""
    page.set_viewport_size({"width": 640, "height": 800})
    page.goto(f"{base_url}/en/search?q=refund")
    row = page.locator(".topic-chips ul")
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box is not None
    chips = [b for b in (chip.bounding_box() for chip in row.locator("a").all()) if b is not None]
    assert len(chips) > 5
    beyond = [c for c in chips if c["x"] < box["x"] - 1 or c["x"] + c["width"] > box["x"] + box["width"] + 1]
    assert not beyond, f"{len(beyond)} of {len(chips)} topics past the row's edge"
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one row that scrolls, as before
    assert len({round(b["y"]) for b in (chip.bounding_box() for chip in row.locator("a").all()) if b}) == 1


def test_search_with_an_empty_box_says_what_to_do(page: Page, base_url: str) -> None:
    """Search pressed with nothing typed (an early Enter on a phone): the page was blank under the box, titled " · "."""
    page.goto(f"{base_url}/ar/search?q=+")
    expect(page.locator("h1")).to_have_text("ابحث في مركز المساعدة")
    expect(page).to_have_title(re.compile(r"^ابحث في مركز المساعدة · "))
    topics = page.locator("main .link-list a")
    expect(topics.first).to_have_attribute("href", re.compile(r"^/ar/categories/"))
