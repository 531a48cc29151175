"""Details a customer's walk of the help center found (session 40), in Chromium against the real app: the file picker
spoke the browser's language ("Choose Files", "No file chosen") on Arabic pages, where its button's words cannot be
translated; and the breadcrumb's links and "this article in English" were 22 px tall (under WCAG 2.2's 24 px target
size), the breadcrumb's wrapped second line on a phone starting with its "›". Every form with files is checked (the
contact form, the customer's request page, the agent's reply and note), in both languages, at a phone's width and a
desktop's, light and dark, and axe finds nothing serious."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect

from desk.tickets import NewTicket
from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_site_pages_browser import clean_page  # noqa: F401

PASSWORD = "a long enough password"
WORDS = {"ar": ("إرفاق ملفات", "اختر الملفات", "لم تختر أي ملف", "، "),
         "en": ("Attach files", "Choose files", "No file chosen", ", ")}
SIZES = [(390, 844), (1280, 900)]

# The face's button drawn under the input (the input covers it, so a click on it is the input's) and the input itself
# not drawn; the page no wider than the window.
LAYOUT = """(input) => {
  const face = input.parentNode.querySelector(".file-pick-button").getBoundingClientRect();
  const box = input.getBoundingClientRect();
  return {covered: box.left <= face.left + 0.5 && box.right >= face.right - 0.5 && box.top <= face.top + 0.5
                   && box.bottom >= face.bottom - 0.5 && face.width > 0,
          opacity: getComputedStyle(input).opacity,
          fits: document.documentElement.scrollWidth <= window.innerWidth};
}"""


def check_picker(page: Page, field: str, lang: str) -> None:
    label, button, none, separator = WORDS[lang]
    picker = page.locator(f"#{field}-files")
    expect(page.locator(f"#{field}-files-button")).to_have_text(button)
    expect(page.locator(f"#{field}-files-button")).to_be_visible()
    expect(page.locator(f"#{field}-files-chosen")).to_have_text(none)
    expect(picker).to_have_accessible_name(f"{label} {button}")  # the label, and the words on the button one sees
    expect(picker).to_have_accessible_description(re.compile("^" + none))
    layout = picker.evaluate(LAYOUT)
    assert layout == {"covered": True, "opacity": "0", "fits": True}, (field, lang, layout)
    picker.set_input_files([{"name": "إيصال.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"},
                            {"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n"}])
    expect(page.locator(f"#{field}-files-chosen")).to_have_text(f"إيصال.pdf{separator}photo.png")
    expect(page.locator(f"#{field}-files-chosen bdi")).to_have_count(2)  # each name isolated
    picker.set_input_files([])
    expect(page.locator(f"#{field}-files-chosen")).to_have_text(none)


def check_keyboard(page: Page, before: str, field: str) -> None:
    """Tab from the field before reaches the picker, its focus ring on the face's button; Space opens the chooser."""
    page.locator(before).focus()
    page.keyboard.press("Tab")
    expect(page.locator(f"#{field}-files")).to_be_focused()
    ring = page.locator(f"#{field}-files-button").evaluate("b => getComputedStyle(b).outlineStyle")
    assert ring == "solid", field
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    assert chooser.value.is_multiple()


def test_the_file_picker_speaks_the_pages_language_on_every_form(
        clean_page: Page, browser: Browser, base_url: str, app: Flask, request: pytest.FixtureRequest) -> None:  # noqa: F811
    page = clean_page
    agent_context = browser.new_context(locale="ar", bypass_csp=True)  # the agent's browser, axe allowed in
    request.addfinalizer(agent_context.close)
    agent_page = agent_context.new_page()
    desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="الطرد وصل تالفًا",
                                           body="وصل الطرد اليوم والعلبة مكسورة."))
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    agent_page.goto(f"{base_url}/agent/login")
    agent_page.locator("#email").fill("agent@example.com")
    agent_page.locator("#password").fill(PASSWORD)
    agent_page.locator("form.login button[type=submit]").click()
    agent_page.wait_for_url(f"{base_url}/agent/**")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        agent_page.emulate_media(color_scheme=scheme)
        for lang in ("ar", "en"):
            desk.accounts.set_locale(agent.id, lang)  # the agent's own interface language
            for width, height in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                agent_page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{base_url}/{lang}/contact")
                check_picker(page, "contact", lang)
                if width == 390 and scheme == "light":
                    check_keyboard(page, "#message", "contact")
                    screenshot(page, f"file-picker-contact-{lang}-{width}")
                if width == 1280:
                    assert serious_violations(page) == [], (scheme, lang)
                page.goto(f"{base_url}/{lang}/tickets/{ticket.reference}")
                check_picker(page, "reply", lang)
                agent_page.goto(f"{base_url}/agent/tickets/{ticket.id}")
                assert agent_page.locator("html").get_attribute("lang") == lang
                check_picker(agent_page, "reply", lang)
                check_picker(agent_page, "note", lang)
                if width == 1280:
                    assert serious_violations(page) == [], (scheme, lang)
                    assert serious_violations(agent_page) == [], (scheme, lang)
                    screenshot(agent_page, f"file-picker-agent-{lang}-{scheme}")


def test_without_a_script_the_native_file_input_stays(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="ar", java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/ar/contact")
        picker = page.locator("#contact-files")
        expect(picker).to_be_visible()
        assert picker.evaluate("i => getComputedStyle(i).opacity") == "1"
        expect(page.locator("#contact-files-button")).to_be_hidden()
        expect(picker).to_have_accessible_name(WORDS["ar"][0])
    finally:
        context.close()


def target_heights(page: Page, selector: str) -> list[float]:
    return page.locator(selector).evaluate_all("links => links.map(a => a.getBoundingClientRect().height)")


def wrapped_rows_start_with_an_item(crumbs: Locator) -> tuple[int, list[str]]:
    """The breadcrumb's rows and, for each item starting a row after the first, what is drawn before its text and
    after the item ending the row above."""
    return crumbs.evaluate("""(ol) => {
      const items = [...ol.children];
      let rows = 1; const before = [];
      items.forEach((li, i) => {
        if (i && li.getBoundingClientRect().top > items[i - 1].getBoundingClientRect().top + 2) {
          rows += 1;
          before.push([getComputedStyle(li, "::before").content, getComputedStyle(items[i - 1], "::after").content]);
        }
      });
      return [rows, before];
    }""")


def test_breadcrumb_and_translation_links_are_24px_targets_and_wrap_at_an_item(page: Page, base_url: str) -> None:
    for lang, other in (("ar", "en"), ("en", "ar")):
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base_url}/{lang}/articles/refund-timing")
            expect(page.locator(".translation a")).to_have_attribute("hreflang", other)
            heights = target_heights(page, ".crumbs a") + target_heights(page, ".translation a")
            assert len(heights) == 3 and min(heights) >= 24, (lang, width, heights)  # were 22 px
            page.goto(f"{base_url}/{lang}/categories/delivery")
            assert min(target_heights(page, ".crumbs a")) >= 24
    # A phone: the long title's breadcrumb takes two rows, and the second starts with the title, the "›" left behind.
    page.set_viewport_size({"width": 320, "height": 700})
    for lang in ("ar", "en"):
        page.goto(f"{base_url}/{lang}/articles/refund-timing")
        rows, before = wrapped_rows_start_with_an_item(page.locator(".crumbs ol"))
        assert rows > 1 and before == [["none", '"›"']] * (rows - 1), (lang, rows, before)
        screenshot(page, f"crumbs-{lang}-320")
