"""A light agent in a real browser, in Arabic and English: the ticket page has the note form and the copilot's draft
to read, no reply form, no insert button, no ticket controls (the ticket's required skills read, not ticked); the
page's script runs without an error on it (no reply box to hang on); a note goes in; axe finds nothing serious."""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Browser, expect

from desk.tickets import NewTicket
from tests.browser.conftest import screenshot, serious_violations

PASSWORD = "a long enough password"


def test_a_light_agent_notes_on_a_ticket_in_both_languages_and_it_passes_axe(
    browser: Browser, base_url: str, app: Flask,
) -> None:
    desk = app.extensions["desk"]
    desk.accounts.create_agent("lina@example.com", PASSWORD, name="Lina", role="light")
    ticket = desk.tickets.create(NewTicket(
        email="khalid@example.com", name="خالد العتيبي", subject="نسيت كلمة السر",
        body="السلام عليكم، نسيت كلمة المرور ورابط الاستعادة انتهت صلاحيته. كيف أدخل حسابي؟", channel="chat",
    ))
    desk.skills.set_ticket(ticket.id, [str(desk.skills.create(name)) for name in ("VIP", "الفوترة")], None)
    for lang, added in (("ar", "أُضيفت الملاحظة."), ("en", "Note added.")):
        context = browser.new_context(locale=lang, bypass_csp=True, viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))  # noqa: B023 (each context's own list)
        page.goto(f"{base_url}/agent/login")
        page.locator("#email").fill("lina@example.com")
        page.locator("#password").fill(PASSWORD)
        page.locator("form.login button[type=submit]").click()
        page.goto(f"{base_url}/agent/tickets/{ticket.id}")
        expect(page.locator("#note-form")).to_be_visible()
        expect(page.locator("#draft-text")).to_contain_text("خالد")  # the draft is read, not inserted
        expect(page.locator("#required-skills .skill-badge")).to_have_text(["VIP", "الفوترة"])  # read, not ticked
        for absent in ("#reply-form", "#insert-draft", "#update-form", "#tag-form", "#merge-form", "#side-start-form",
                       ".insert-passage", "#availability-form", "#skills-form"):
            expect(page.locator(absent)).to_have_count(0)
        assert page.locator("html").get_attribute("lang") == lang
        assert serious_violations(page) == [], lang
        screenshot(page, f"light-agent-ticket-{lang}")
        page.locator("#note-body").fill(f"Checked the courier ({lang})")
        page.locator("#add-note").click()
        expect(page.locator(".flash.ok")).to_have_text(added)
        expect(page.locator(".thread li.note").last).to_contain_text(re.compile(rf"Checked the courier \({lang}\)"))
        assert errors == [], errors
        context.close()
    assert desk.tickets.get(ticket.id).assignee_id is None
