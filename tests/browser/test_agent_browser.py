"""An agent in a real browser: log in, open an Arabic ticket, see Arabic suggestions, insert and
edit the draft, send it; the events are in the database."""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from desk.tickets import NewTicket
from tests.browser.conftest import screenshot
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401

PASSWORD = "a long enough password"


def test_agent_works_an_arabic_ticket_with_the_draft(page: Page, base_url: str, app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    ticket = desk.tickets.create(NewTicket(
        email="khalid@example.com", name="خالد العتيبي", subject="نسيت كلمة السر",
        body="السلام عليكم، نسيت كلمة المرور ورابط الاستعادة انتهت صلاحيته. كيف أدخل حسابي؟", channel="chat",
    ))
    page.goto(f"{base_url}/agent/tickets/{ticket.id}")
    expect(page).to_have_url(re.compile(r"/agent/login"))
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket.id}$"))

    first = page.locator(".suggestions li.passage").first
    expect(first).to_have_attribute("lang", "ar")
    expect(first.locator(".passage-title")).to_have_attribute("href", re.compile(r"^/ar/articles/reset-password"))
    draft = page.locator("#draft-text")
    expect(draft).to_contain_text("مرحبًا خالد")
    assert draft.get_attribute("dir") == "rtl"

    page.locator("#insert-draft").click()
    reply = page.locator("#reply-body")
    expect(reply).to_have_value(re.compile("^مرحبًا خالد"))
    reply.press("End")
    reply.press("Control+End")
    reply.type("\nمع تحيات فريق منزل")
    page.locator("#send-reply").click()
    expect(page.locator(".flash.ok")).to_have_text("أُرسل الرد.")  # the browser asks for Arabic
    expect(page.locator(".thread li.agent")).to_contain_text("مع تحيات فريق منزل")

    kinds = [(e.kind, e.edit_distance) for e in desk.events.suggestion_events(ticket.id)]
    assert [k for k, _ in kinds][:4] == ["shown", "inserted", "edited", "sent"]
    assert kinds[2][1] == len("\nمع تحيات فريق منزل")
    assert desk.tickets.get(ticket.id).first_response_at is not None


def test_the_workspace_header_keeps_off_the_window_edges_in_both_directions(page: Page, base_url: str) -> None:
    """The agents' header had no inline padding: the brand and "Inbox" touched the window's edge (the
    left one in English, the right one in Arabic)."""
    for locale, side in (("en", "left"), ("ar", "right")):
        page.goto(f"{base_url}/agent/login")
        page.evaluate(f"document.documentElement.dir = '{'rtl' if locale == 'ar' else 'ltr'}'")
        width = page.viewport_size["width"] if page.viewport_size else 0
        box = page.locator(".site-header .brand").bounding_box()
        assert box is not None
        gap = box["x"] if side == "left" else width - (box["x"] + box["width"])
        assert gap >= 12, f"{locale}: the brand is {gap:.0f} px from the {side} edge"


def test_the_inbox_column_headings_break_between_words_only(page: Page, base_url: str, app: Flask) -> None:
    """site.css lets long text break anywhere (a 300-letter subject stays in its cell), and table columns
    shrank to that: the Arabic inbox read "الوس / م" and "المسؤو / ل" in its headings. A heading breaks only
    between words; a hostile subject still wraps inside its cell."""
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    desk.tickets.create(NewTicket(email="sam@example.com", subject="x" * 300, body="Where is it?"))
    page.set_extra_http_headers({"Accept-Language": "ar"})
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{base_url}/agent/login")
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page.locator("table th").first).to_be_visible()
    broken = page.evaluate("""() => {
        const found = [];
        for (const th of document.querySelectorAll('table th')) {
            for (const node of th.childNodes) {
                if (node.nodeType !== Node.TEXT_NODE) continue;
                for (const match of node.textContent.matchAll(/\\S+/g)) {
                    const range = document.createRange();
                    range.setStart(node, match.index); range.setEnd(node, match.index + match[0].length);
                    if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) found.push(match[0]);
                }
            }
        }
        return found;
    }""")
    assert broken == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280  # the long subject wraps in its cell instead of widening the page


def test_the_inbox_fits_a_phone_in_both_languages(page: Page, base_url: str, app: Flask) -> None:
    """At 375 px the inbox's one column took the table's least width (grid `1fr` is `minmax(auto, 1fr)`): the
    whole page scrolled sideways to 743 px, the saved views and the bulk action ran off the screen. The
    table scrolls inside its own box; the page stays the phone's width."""
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    for n in range(3):
        desk.tickets.create(NewTicket(email=f"c{n}@example.com", name="Customer", subject="Refund for order MZ-1234",
                                      body="Where is my refund?"))
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{base_url}/agent/login")
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    for locale in ("en", "ar"):
        page.set_extra_http_headers({"Accept-Language": locale})
        page.goto(f"{base_url}/agent/")
        expect(page.locator("tr.ticket-row")).to_have_count(3)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, locale
        apply = page.locator("#bulk-apply").bounding_box()
        assert apply and apply["x"] >= 0 and apply["x"] + apply["width"] <= 375, (locale, apply)


def test_an_inbox_with_no_match_on_a_phone_passes_axe(browser: Browser, base_url: str, app: Flask) -> None:
    """With no row, the table's headings alone are wider than a phone: its scroll box held nothing to focus, so a
    keyboard could not scroll it (axe: scrollable-region-focusable). The box is a named region in the tab order."""
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    context = browser.new_context(locale="ar", bypass_csp=True, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{base_url}/agent/login")
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    page.goto(f"{base_url}/agent/?q=nothing-matches-this")
    expect(page.locator("tr.ticket-row")).to_have_count(0)
    assert serious_violations(page) == []
    context.close()


def test_an_agent_sets_a_due_time_by_hand_with_the_date_field(
    clean_page: Page, base_url: str, app: Flask  # noqa: F811
) -> None:
    page = clean_page
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    ticket = desk.tickets.create(NewTicket(email="jo@example.com", name="Jo", subject="Refund", body="Where is it?"))
    page.goto(f"{base_url}/agent/tickets/{ticket.id}")
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket.id}$"))
    page.locator("#due-input").fill("2099-01-05T14:30")
    page.locator("#set-due").click()
    expect(page.locator("#due-by-hand")).to_be_visible()
    expect(page.locator("#due-input")).to_have_value("2099-01-05T14:30")
    expect(page.locator("#history")).to_contain_text("ضُبط يدويًا")  # "set by hand": the browser asks for Arabic
    screenshot(page, "agent-due-by-hand")
    assert serious_violations(page) == []
    assert desk.tickets.get(ticket.id).due_by_hand
    page.locator("#clear-due").click()
    expect(page.locator("#due-by-hand")).to_have_count(0)
    assert not desk.tickets.get(ticket.id).due_by_hand
