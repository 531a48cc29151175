"""A customer in a real browser: Arabic instant search, section deep links, language switch,
a helpful vote and the contact form; screenshots of the Arabic pages go to test-artifacts/."""

from __future__ import annotations

import re
from urllib.parse import unquote

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from desk.models import ArticleFeedback
from tests.browser.conftest import screenshot


def test_arabic_instant_search_updates_rtl_results_and_opens_the_section(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/ar/$"))  # Accept-Language: ar
    assert page.locator("html").get_attribute("dir") == "rtl"
    screenshot(page, "ar-home")
    box = page.locator("#q")
    box.click()
    page.keyboard.type("نسيت كلمة", delay=40)
    first = page.locator("#instant-results [role=option]").first
    expect(first).to_be_visible()
    page.keyboard.type(" المرور", delay=40)
    expect(first).to_have_attribute("href", re.compile(r"^/ar/articles/reset-password"))
    assert first.get_attribute("dir") == "rtl"
    expect(page.locator("#instant-results mark").first).to_be_visible()  # matched words highlighted
    page.keyboard.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ar/articles/reset-password\?s=[\w-]+&p=1"))
    anchor = unquote(page.evaluate("location.hash")).lstrip("#")
    if anchor:  # the best chunk is a section: the page opens there
        expect(page.locator(f"[id='{anchor}']")).to_be_attached()
    expect(page.locator("h1")).to_have_text("إعادة تعيين كلمة المرور")
    screenshot(page, "ar-article")


def test_switch_language_and_vote(page: Page, base_url: str, app: Flask) -> None:
    page.goto(f"{base_url}/ar/articles/refund-timing")
    page.locator("a.lang-switch").click()
    expect(page).to_have_url(re.compile(r"/en/articles/refund-timing$"))
    assert page.locator("html").get_attribute("dir") == "ltr"
    # What a crawler and a link preview read (webapp/seo.py): the canonical address and the Arabic version.
    canonical = page.evaluate("document.querySelector('link[rel=canonical]').href")
    assert canonical == f"{base_url}/en/articles/refund-timing"
    assert page.evaluate("document.querySelector('link[rel=alternate][hreflang=ar]').href") == (
        f"{base_url}/ar/articles/refund-timing")
    assert page.evaluate("document.querySelector('meta[property=\"og:locale\"]').content") == "en_US"
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("heading", name="Thank you for your feedback.")).to_be_focused()  # said, and Tab goes on
    assert app.extensions["desk"].events.writer.flush(30)  # votes are written in the background
    with app.extensions["desk"].db.session() as session:
        votes = [(v.article_key, v.helpful) for v in session.scalars(select(ArticleFeedback))]
    assert votes == [("en/refund-timing", True)]


def test_failed_search_leads_to_the_contact_form_and_a_ticket_reference(page: Page, base_url: str, app: Flask) -> None:
    page.goto(f"{base_url}/ar/search?q=" + "كم سعر تذكرة الطيران الى باريس")
    expect(page.locator(".empty")).to_contain_text("لا توجد مقالة")
    page.locator(".empty a.contact-link").click()
    expect(page.locator("#subject")).to_have_value("كم سعر تذكرة الطيران الى باريس")
    page.locator("#name").fill("ليلى")
    page.locator("#email").fill("layla@example.com")
    page.locator("#message").fill("أريد أن أعرف متى يرجع المبلغ إلى بطاقتي بعد الإرجاع")
    expect(page.locator("#deflect li").first).to_be_visible()  # articles suggested while typing
    page.get_by_role("button", name="أرسل إلى الدعم").click()
    created = page.locator("#ticket-created")
    expect(created).to_contain_text("رقمه المرجعي")
    reference = page.locator("bdi.reference").inner_text()
    assert reference in created.inner_text()
    ticket = app.extensions["desk"].tickets.by_reference(reference)
    assert ticket is not None and ticket.lang == "ar"
    assert ticket.context["searches"][0]["q"] == "كم سعر تذكرة الطيران الى باريس"


def test_phone_screen_and_keyboard_only(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{base_url}/en/articles/refund-timing")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways on a phone: {width}px"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.tagName + ':' + (document.activeElement.id || '')")
    assert focused in {"A:", "INPUT:q"}, focused


def test_a_query_typed_with_the_english_layout_on_searches_the_arabic_meant(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/ar/")
    page.locator("#q").click()
    page.keyboard.type(";glm hglv,v", delay=40)  # the keys of كلمة المرور with the English layout on
    expect(page.locator("#instant-results .completion")).to_contain_text("«كلمة المرور»")
    first = page.locator("#instant-results [role=option]").first
    expect(first).to_have_attribute("href", re.compile(r"^/ar/articles/reset-password"))
    page.keyboard.press("Enter")
    expect(page.locator(".layout-notice")).to_contain_text("يتم عرض نتائج البحث عن")
    expect(page.locator(".results-title")).to_contain_text("كلمة المرور")
    link = page.locator("a.verbatim-link")  # "search instead for" what was typed
    expect(link).to_have_attribute("href", re.compile(r"verbatim=1"))
    page.goto(base_url + str(link.get_attribute("href")))
    expect(page.locator(".results-title")).to_contain_text(";glm hglv,v")
    expect(page.locator(".layout-notice")).to_have_count(0)
