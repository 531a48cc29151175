"""The help center and the desk walked by keyboard alone and read through the accessibility tree in Chromium (a11y42),
as a customer, an agent and a lead, in Arabic and English: what a screen-reader or keyboard-only user met that axe
does not catch, each fixed where it was made. One test per role: the checks of a walk share its page and server."""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from desk.tickets import NewTicket
from tests.browser.test_agent_morning import PASSWORD, keys_ready, log_in

# The focused element as "TAG#id.class" (BODY when focus was lost).
FOCUSED = "() => { const a = document.activeElement; return a.tagName + '#' + a.id + '.' + a.className; }"
QUERIES = {"en": "refund", "ar": "استرجاع"}
QUESTIONS = {"en": "how do I pay with Apple Pay?", "ar": "متى يصل المبلغ المسترد إلى بطاقة مدى؟"}


def test_a_customer_hears_the_suggestions_their_vote_and_the_contact_forms_errors(
        browser: Browser, base_url: str) -> None:
    for lang in ("en", "ar"):
        context = browser.new_context(locale=lang, viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{base_url}/{lang}/")
        # The as-you-type list: how many suggestions is said in a polite live region, in the page's language
        # (the listbox alone is silent until the arrows reach it).
        page.locator("#q").focus()
        page.keyboard.type(QUERIES[lang])
        expect(page.locator("#instant-results")).to_be_visible()
        count = page.locator("#instant-results [role=option]").count()
        status = page.locator("#instant-status")
        expect(status).to_have_attribute("role", "status")
        expect(status).to_have_text(f"{count} articles" if lang == "en" else f"{count} مقالات")
        # Escape closes the list and keeps the query (type=search's Escape emptied the box as it closed the list);
        # a second Escape, the list closed, empties it as a search box does.
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Escape")
        expect(page.locator("#q")).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#q")).to_have_value(QUERIES[lang])
        expect(status).to_have_text("")
        page.keyboard.press("Escape")
        expect(page.locator("#q")).to_have_value("")

        # The answer card's vote: the thanks takes the focus (the voted button was removed, focus fell to <body>).
        page.goto(f"{base_url}/{lang}/search?q={QUESTIONS[lang]}")
        page.locator(".answer-vote button[value=yes]").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".answer-thanks")).to_be_focused()
        # The article's vote reloads the page at its thanks, which takes the focus (it was <body>, the thanks unsaid).
        page.goto(f"{base_url}/{lang}/articles/refund-timing")
        # Its table is named by its section's heading (a table read from the screen reader's list of tables said
        # "table, 2 columns" and nothing else), its headings are column headings.
        table = page.locator("main article table").first
        heading = page.locator("main article h2").filter(
            has_text="Refund times" if lang == "en" else "مدة الاسترداد").first
        expect(table).to_have_accessible_name(heading.inner_text())
        expect(table.locator("th").first).to_have_attribute("scope", "col")
        page.locator("form.vote button[value=yes]").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("#feedback-title")).to_be_focused()

        # The contact form sent empty: the first field in error takes the focus, described by its error.
        page.goto(f"{base_url}/{lang}/contact?q=refund")
        page.locator("form.contact button[type=submit]").last.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        name = page.locator("#name")
        expect(name).to_be_focused()
        expect(name).to_have_accessible_description(re.compile("required|مطلوب"))
        context.close()


def agent_page(browser: Browser, base_url: str, email: str) -> Page:
    page = browser.new_context(locale="en", viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    log_in(page, base_url, email)
    return page


def test_an_agent_turns_the_single_key_shortcuts_off_hears_the_notices_and_keeps_the_focus(
        browser: Browser, base_url: str, app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="Omar", subject="My refund",
                                           body="When will I get my refund?", lang="en"))
    page = agent_page(browser, base_url, "agent@example.com")
    # The live notices are in the accessibility tree while they wait (a region unhidden with its text is not said).
    expect(page.get_by_role("status").and_(page.locator("#live-notice"))).to_be_attached()
    expect(page.locator("#live-notice")).not_to_have_attribute("hidden", "")
    # WCAG 2.1.4: the shortcuts list, opened by "?", turns the one-character keys off; they stay off on the next page.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    switch = dialog.get_by_role("checkbox", name=re.compile("Single-key shortcuts"))
    expect(switch).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.reload()
    keys_ready(page)
    page.keyboard.press("j")
    assert page.evaluate(FOCUSED).startswith("BODY")  # j moved to the first ticket before
    page.keyboard.press("?")
    expect(dialog).to_be_hidden()
    page.locator("#show-shortcuts").focus()
    page.keyboard.press("Enter")  # the button still opens the list, and Escape gives the focus back to it
    expect(switch).not_to_be_checked()
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    expect(page.locator("#show-shortcuts")).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator("tr.ticket-row a.ticket-link").first).to_be_focused()
    page.keyboard.press("x")  # the box ticked under the focused link is said
    expect(page.locator("tr.ticket-row input[type=checkbox]").first).to_be_checked()
    expect(page.locator("#live-notice")).to_have_text(f"Ticket {ticket.id} selected.")
    page.keyboard.press("x")
    expect(page.locator("#live-notice")).to_have_text(f"Ticket {ticket.id} no longer selected.")

    page.goto(f"{base_url}/agent/tickets/{ticket.id}")
    keys_ready(page)
    expect(page.locator("#new-messages")).not_to_have_attribute("hidden", "")
    expect(page.locator("#insert-draft")).to_have_accessible_name("Insert draft")  # not "Insert draft i"
    expect(page.locator("#insert-draft")).to_have_attribute("aria-keyshortcuts", "i")
    # Rejecting the draft by keyboard keeps the focus on its button (disabled, it dropped the focus to <body>).
    page.locator("#draft-reason").fill("Not about this order")
    page.keyboard.press("Tab")
    expect(page.locator("#reject-draft")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#reject-draft")).to_have_text("Rejected")
    expect(page.locator("#reject-draft")).to_be_focused()
    expect(page.locator("#reject-draft")).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#live-notice")).to_have_text("Rejected")
    page.context.close()


def test_a_lead_reads_the_dashboards_bar_charts_through_their_descriptions(
        browser: Browser, base_url: str, app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    desk.tickets.create(NewTicket(email="omar@example.com", name="Omar", subject="My refund", body="Where is it?",
                                  lang="en"))
    page = agent_page(browser, base_url, "lead@example.com")
    page.goto(f"{base_url}/agent/dashboard/")
    # A chart is an image (role=img): its labels and values were never read, its name alone ("Backlog by age") was.
    backlog = page.get_by_role("img", name="Backlog by age")
    expect(backlog).to_have_accessible_description(re.compile("^Under a day: 1 · "))
    described = 0
    for chart in page.locator("svg.chart:has(rect.bar, rect.bar-b)").all():  # each bar chart with bars
        expect(chart).to_have_accessible_description(re.compile(r".+: \d"))
        described += 1
    assert described >= 2, described  # the backlog's and the drafts' edits, at least
    page.context.close()
