"""The help center's main pages as a customer sees them, in both languages, on a desktop (1280 px)
and a phone (375 px): screenshots under test-artifacts/site-<lang>-<page>-<width>.png, axe-core
(vendored in tests/browser/vendor, run in the page) with zero serious or critical violations, no
sideways scrolling, and what a person reads: the category lists its articles with a counted
noun, a date next to an Arabic name reads in order, the first result is above a phone's fold."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from copilot.keyboard_layout import to_arabic, to_us
from desk.models import MailSuggestion, SearchEvent
from desk.tickets import NewTicket
from tests.browser.conftest import AXE, screenshot, serious_violations  # noqa: F401  (imported from here too)

WIDTHS = {1280: 900, 375: 740}


@pytest.fixture
def clean_page(browser: Browser) -> Iterator[Page]:
    """A page whose context may add axe's script: the site's CSP (script-src 'self') refuses it otherwise."""
    context = browser.new_context(locale="ar", bypass_csp=True, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def ticket_reference(app: Flask, lang: str) -> str:
    ticket = app.extensions["desk"].tickets.create(NewTicket(
        email="layla@example.com", name="ليلى العتيبي",
        subject="وين طلبي MZ-1234؟" if lang == "ar" else "Where is MZ-1234?",
        body="طلبت كنبة قبل أسبوع" if lang == "ar" else "I ordered a sofa a week ago", lang=lang, channel="web",
    ))
    return ticket.reference


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_main_pages_look_right_and_pass_axe_on_desktop_and_phone(
    clean_page: Page, base_url: str, app: Flask, lang: str
) -> None:
    page = clean_page
    reference = ticket_reference(app, lang)
    suggested = suggestion_links(app, reference, lang)
    query = "refund" if lang == "en" else "استرداد المبلغ"
    pages = {
        "home": f"/{lang}/",
        "category": f"/{lang}/categories/returns",
        "results": f"/{lang}/search?q={query}",
        "article": f"/{lang}/articles/refund-timing",
        "contact": f"/{lang}/contact",
        "ticket": f"/{lang}/tickets/{reference}",
        "suggested": suggested[0],  # the acknowledgement's article: "Did this answer your question?"
    }
    problems = []
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            page.goto(base_url + path)
            page.evaluate("document.fonts.ready")
            screenshot(page, f"site-{lang}-{name}-{width}")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{path} at {width}px scrolls sideways: {scroll}px")
            problems += [f"{path} at {width}px: {v}" for v in serious_violations(page)]
            if name == "results" and width == 375:
                first = page.locator(".result").first.bounding_box()
                assert first and first["y"] < height, f"first result below the fold: {first}"
            if name == "contact":
                problems += [f"{path} at {width}px: {p}" for p in honeypot_problems(page)]
    for link, answer in zip(suggested, ("No, I still need help", "Yes, close my request"), strict=True):
        page.goto(base_url + link)  # both outcomes, on the phone: the banner's sentence instead of its buttons
        page.get_by_role("button", name=answer if lang == "en" else ANSWERS_AR[answer]).click()
        page.locator("#suggestion-title[role=status]").wait_for()
        screenshot(page, f"site-{lang}-suggested-{answer.split(',')[0].lower()}-375")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > 375:
            problems.append(f"{link} answered at 375px scrolls sideways: {scroll}px")
        problems += [f"{link} answered: {v}" for v in serious_violations(page)]
    page.emulate_media(color_scheme="dark")  # dark mode: the same pages, the same contrast rules
    for name in ("home", "article"):
        page.goto(base_url + pages[name])
        screenshot(page, f"site-{lang}-{name}-dark-375")
        problems += [f"{pages[name]} dark: {v}" for v in serious_violations(page)]
    page.emulate_media(color_scheme="light")
    assert not problems, "\n".join(problems)

    page.goto(f"{base_url}/{lang}/categories/returns")
    expect(page.locator(".article-list li").first).to_contain_text(
        "When will I get my refund?" if lang == "en" else "متى"
    )
    expect(page.locator(".category-head .count")).to_have_text("1 article" if lang == "en" else "مقالة واحدة")
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "IBM Plex Sans Arabic" in font
    assert page.evaluate("document.fonts.check('16px \"IBM Plex Sans Arabic\"', 'مرحبا')")


ANSWERS_AR = {"No, I still need help": "لا، ما زلت أحتاج إلى مساعدة", "Yes, close my request": "نعم، أغلقوا طلبي"}


def suggestion_links(app: Flask, reference: str, lang: str) -> list[str]:
    """Two articles the ticket's acknowledgement suggested (desk.mail_suggestions), as their mail links open them."""
    ticket = app.extensions["desk"].tickets.by_reference(reference)
    with app.extensions["desk"].db.session() as session:
        session.add_all(MailSuggestion(ticket_id=ticket.id, outbox_id=1, position=n, token=f"{lang}-{key}",
                                       article_key=f"{lang}/{key}", title=key)
                        for n, key in enumerate(("refund-timing", "delivery-fees"), 1))
    return [f"/{lang}/suggested/{lang}-{key}" for key in ("refund-timing", "delivery-fees")]


HONEYPOT = """() => {
  const field = document.getElementById('kb_hp'), box = field.getBoundingClientRect();
  return {outside: box.right <= 0 || box.left >= innerWidth || box.bottom <= 0 || box.width * box.height <= 1,
          tabIndex: field.tabIndex, autocomplete: field.getAttribute('autocomplete'),
          hidden: !!field.closest('[aria-hidden=true]')};
}"""


def honeypot_problems(page: Page) -> list[str]:
    """The contact form's trap for bots (`kb_hp`): people never see it, Tab passes it, a screen reader never reads
    it, and the browser does not fill it in."""
    found = page.evaluate(HONEYPOT)
    problems = [f"honeypot: {what}" for what, bad in (
        ("on screen", not found["outside"]), ("reached by Tab", found["tabIndex"] >= 0),
        ("autofilled", found["autocomplete"] != "off"), ("read by screen readers", not found["hidden"])) if bad]
    page.locator("#name").focus()
    page.keyboard.press("Shift+Tab")
    if page.evaluate("document.activeElement.id") == "kb_hp":
        problems.append("honeypot: Shift+Tab from the name reaches it")
    if page.get_by_role("textbox").evaluate_all("fields => fields.some(f => f.id === 'kb_hp')"):
        problems.append("honeypot: in the accessibility tree")
    return problems


def test_a_date_beside_an_arabic_name_reads_in_order(page: Page, base_url: str, app: Flask) -> None:
    reference = ticket_reference(app, "ar")
    page.goto(f"{base_url}/ar/tickets/{reference}")
    who = page.locator(".message .who").first
    name, when = who.locator("xpath=text()[1]"), who.locator("time")
    # Rewritten by customer-times.js in the browser's zone, which it names (Chromium writes "في" before the time).
    expect(when).to_have_attribute("data-zone", "browser")
    expect(when).to_have_text(re.compile(r"^\d{1,2} [\u0600-\u06FF]+ \d{4}(،| في) \d{1,2}:\d{2} [صم] \S+$"))
    label_box = page.locator(".message .who").first.bounding_box()
    time_box = when.bounding_box()
    assert name is not None and label_box and time_box
    # Right to left: the label ("أنت") starts at the right edge, the date follows on its left, whole.
    assert time_box["x"] + time_box["width"] < label_box["x"] + label_box["width"]


def test_phone_contact_suggestions_sit_above_send_and_fixed_errors_clear(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{base_url}/ar/contact")
    with page.expect_navigation():  # the server's page with the errors, loaded: its deferred contact.js has run
        page.get_by_role("button", name="أرسل إلى الدعم").click()  # everything empty: errors
    expect(page.locator("#email-error")).to_have_count(1)
    page.locator("#name").fill("ليلى")  # before the page's script listened, this input cleared nothing (CI, loaded)
    expect(page.locator("#name-error")).to_have_count(0)  # fixed: its message is gone
    expect(page.locator("#email-error")).to_have_count(1)  # still empty: still said
    page.locator("#subject").fill("متى يرجع المبلغ")
    page.locator("#message").fill("أريد أن أعرف متى يرجع المبلغ إلى بطاقتي بعد الإرجاع")
    panel = page.locator("#deflect")
    expect(panel.locator("li").first).to_be_visible()
    send = page.get_by_role("button", name="أرسل إلى الدعم").bounding_box()
    box = panel.bounding_box()
    assert box and send and box["y"] + box["height"] <= send["y"], (box, send)
    screenshot(page, "site-ar-contact-suggestions-375")


def test_a_no_vote_leads_to_the_contact_form_naming_the_article(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/en/articles/refund-timing")
    page.get_by_role("link", name="No", exact=True).click()
    expect(page.locator("#feedback-title")).to_have_text("Sorry about that. What was missing?")
    page.locator("#comment").fill("Wallet refunds")
    page.get_by_role("button", name="Send").click()
    page.locator(".feedback a.button").click()
    expect(page.locator("#subject")).to_have_value("About “When will I get my refund?”")


def test_typing_completes_the_word_and_only_the_settled_search_is_recorded(
    page: Page, base_url: str, app: Flask
) -> None:
    page.goto(f"{base_url}/en/")
    page.locator("#q").click()
    page.keyboard.type("refu", delay=60)
    first = page.locator("#instant-results [role=option]").first
    expect(first).to_have_attribute("href", re.compile(r"^/en/articles/refund-timing"))
    expect(page.locator("#instant-results .completion")).to_contain_text("refund")
    page.keyboard.press("Tab")  # leaving the box settles the search
    events: list[tuple[str, str]] = []
    for _ in range(50):  # bounded: the record is one small request
        with app.extensions["desk"].db.session() as session:
            events = [(e.query, e.source) for e in session.scalars(select(SearchEvent))]
        if events:
            break
        time.sleep(0.1)
    assert events == [("refund", "instant")]  # one search, completed; never "r", "re", "ref", "refu"


def test_enter_on_a_half_typed_word_searches_what_the_box_showed(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/en/")
    page.locator("#q").click()
    page.keyboard.type("refu", delay=60)
    expect(page.locator("#instant-results .completion")).to_contain_text("refund")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/en/search\?q=refund$"))
    expect(page.locator(".result").first).to_contain_text("When will I get my refund?")


@pytest.mark.parametrize("lang, query", [("en", "refund"), ("ar", "استرداد")])
def test_the_open_list_of_instant_results_passes_axe(clean_page: Page, base_url: str, lang: str, query: str) -> None:
    """Each option of the as-you-type list held a link in the tab order (axe, serious: nested-interactive). The
    arrow keys and aria-activedescendant move through the options; the links stay out of the tab order."""
    page = clean_page
    page.goto(f"{base_url}/{lang}/")
    page.locator("#q").click()
    page.keyboard.type(query, delay=40)
    expect(page.locator("#instant-results [role=option]").first).to_be_visible()
    assert serious_violations(page) == []
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/{lang}/articles/"))


# A query typed with the other keyboard layout on: what the box searches instead, and the labels the page's language
# gives them (the catalog's, through the search box's data attributes).
WRONG_LAYOUT = {
    "en": (to_arabic("reset password"), "reset password", "Showing results for", "Search instead for"),
    "ar": (to_us("كلمة المرور"), "كلمة المرور", "يتم عرض نتائج البحث عن", "البحث بدلًا من ذلك عن"),
}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_list_says_what_it_searched_instead_and_offers_the_query_as_typed(
    clean_page: Page, base_url: str, lang: str
) -> None:
    """The as-you-type list named only the query it searched (the other layout's reading). It now says "Showing
    results for «reading»" as the results page does, and its last option, "Search instead for «as typed»", reached by
    the arrow keys (Up from the box: the last option) and taken by Enter, opens the results page for the query as typed
    (verbatim=1); the list drawn again for the same query keeps the option chosen. axe finds nothing serious in
    the open list; in Arabic it reads right to left, the typed Latin isolated at the sentence's end (to its left)."""
    page = clean_page
    typed, reading, showing, instead = WRONG_LAYOUT[lang]
    page.goto(f"{base_url}/{lang}/")
    page.locator("#q").click()
    page.keyboard.type(typed, delay=40)
    option = page.locator("#instant-results #verbatim-option")
    expect(option).to_have_text(f"{instead} «{typed}»")
    notice = page.locator("#instant-results .layout-notice")
    expect(notice).to_have_text(f"{showing} «{reading}»")
    expect(option).to_have_attribute("role", "option")
    expect(page.locator("#instant-results [role=option]").first).to_have_attribute(
        "href", re.compile(rf"^/{lang}/articles/reset-password"))  # the reading's results above it
    href = option.get_attribute("href") or ""
    assert urlparse(href).path == f"/{lang}/search"
    assert parse_qs(urlparse(href).query) == {"q": [typed], "verbatim": ["1"]}
    assert serious_violations(page) == []
    layout = option.evaluate("""a => { const label = document.createRange(); label.selectNodeContents(a.firstChild);
        const l = label.getBoundingClientRect(), q = a.querySelector('bdi').getBoundingClientRect();
        return {dir: getComputedStyle(a).direction, label: [l.left, l.right], query: [q.left, q.right]}; }""")
    if lang == "ar":
        assert layout["dir"] == "rtl" and layout["query"][1] <= layout["label"][0] + 1, layout
    else:
        assert layout["dir"] == "ltr" and layout["query"][0] >= layout["label"][1] - 1, layout
    screenshot(page, f"site-{lang}-instant-wrong-layout")
    page.keyboard.press("ArrowUp")  # from the box: the last option, "search instead"
    expect(option).to_have_attribute("aria-selected", "true")
    expect(page.locator("#q")).to_have_attribute("aria-activedescendant", "verbatim-option")
    option.evaluate("a => { a.dataset.drawn = 'before'; }")
    page.keyboard.press("Space")  # the same query once trimmed: the list is drawn again, the option stays chosen
    redrawn = page.locator("#instant-results #verbatim-option:not([data-drawn])")
    expect(redrawn).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/{lang}/search\?.*verbatim=1"))
    expect(page.locator(".results-title")).to_contain_text(typed)  # searched as typed
    expect(page.locator(".layout-notice")).to_have_count(0)
