"""The answer card in real Chromium: first on the results page in both languages (RTL for Arabic),
axe-clean on a desktop and a phone, in light and dark, the vote posted without leaving the page,
and on the contact form the card following what the customer types once they pause.
Screenshots: test-artifacts/answer-<lang>-<width>.png and answer-contact.png."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from desk.models import AnswerFeedback, ArticleFeedback
from tests.browser.conftest import add_axe, screenshot
from tests.browser.test_site_pages_browser import WIDTHS, clean_page, serious_violations  # noqa: F401

QUESTIONS = {"en": "how do I pay with Apple Pay?", "ar": "متى يصل المبلغ المسترد إلى بطاقة مدى؟"}


def votes(app: Flask) -> list[tuple[str, str, bool, str]]:
    desk = app.extensions["desk"]
    assert desk.events.writer is None or desk.events.writer.flush()
    with desk.db.session() as session:
        return [(v.article_key, v.lang, v.helpful, v.source) for v in session.scalars(select(AnswerFeedback))]


def card_violations(page: Page) -> list[str]:
    """axe's serious or critical findings inside the answer card alone."""
    add_axe(page)
    found = page.evaluate("async () => (await axe.run('.answer-card')).violations"
                          ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)")
    return list(found)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_card_comes_first_passes_axe_and_takes_a_vote(
    clean_page: Page, base_url: str, app: Flask, lang: str  # noqa: F811
) -> None:
    page = clean_page
    problems = []
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base_url}/{lang}/search?q={QUESTIONS[lang]}")
        page.evaluate("document.fonts.ready")
        card = page.locator(".answer-card")
        expect(card).to_be_visible()
        box, first_result = card.bounding_box(), page.locator(".result").first.bounding_box()
        assert box and first_result and box["y"] < first_result["y"], "the answer is not above the results"
        assert box["y"] < height, "the answer is below the fold"
        screenshot(page, f"answer-{lang}-{width}")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            problems.append(f"{width}px scrolls sideways: {scroll}px")
        problems += [f"{width}px: {v}" for v in serious_violations(page)]
    page.emulate_media(color_scheme="dark")  # the card's own colours (results' <mark> in dark is another matter)
    page.reload()
    problems += [f"dark: {v}" for v in card_violations(page)]
    page.emulate_media(color_scheme="light")
    assert not problems, "\n".join(problems)

    body = page.locator(".answer-body")
    expect(body).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    if lang == "en":
        expect(body.locator("ol li").first).to_contain_text("Wallet app")
    url = page.url
    page.get_by_role("button", name="No" if lang == "en" else "لا").click()
    thanks = "Thank you for telling us." if lang == "en" else "شكرًا لإخبارنا."
    expect(page.locator(".answer-thanks")).to_contain_text(thanks)
    contact = page.locator(".answer-thanks a")  # not answered: support is offered, with the question
    expect(contact).to_have_attribute("href", f"/{lang}/contact?q={quote_plus(QUESTIONS[lang], safe='?')}")
    assert page.url == url  # voted in place
    article = "en/apple-pay" if lang == "en" else "ar/refund-timing"
    assert votes(app) == [(article, lang, False, "search")]


def test_the_contact_form_shows_the_answer_once_the_customer_pauses(page: Page, base_url: str, app: Flask) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base_url}/en/contact")
    expect(page.locator(".answer-card")).to_have_count(0)
    page.locator("#subject").fill(QUESTIONS["en"])
    card = page.locator("#answer-slot .answer-card")
    expect(card).to_be_visible(timeout=10_000)
    expect(card.locator("h2")).to_contain_text("Pay with Apple Pay")
    expect(card.locator("a", has_text="Read the whole article")).to_have_attribute(
        "href", f"{base_url}/en/articles/apple-pay#pay-with-apple-pay"
    )
    screenshot(page, "answer-contact")
    card.get_by_role("button", name="Yes").click()
    expect(page.locator(".answer-thanks")).to_have_text("Thank you for telling us.")
    assert votes(app) == [("en/apple-pay", "en", True, "contact")]


def reasons(app: Flask) -> list[tuple[bool, str | None, str | None]]:
    desk = app.extensions["desk"]
    assert desk.events.writer is None or desk.events.writer.flush()
    with desk.db.session() as session:
        return [(v.helpful, v.reason, v.comment) for v in session.scalars(select(AnswerFeedback))]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_after_no_the_card_asks_what_went_wrong_in_place(
    clean_page: Page, base_url: str, app: Flask, lang: str  # noqa: F811
) -> None:
    page = clean_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base_url}/{lang}/search?q={QUESTIONS[lang]}")
    url = page.url
    page.get_by_role("button", name="No" if lang == "en" else "لا").click()
    followup = page.locator(".answer-followup .answer-reason")
    expect(followup).to_be_visible()
    expect(followup.locator("legend")).to_have_text("What went wrong?" if lang == "en" else "ما المشكلة؟")
    assert not card_violations(page)
    screenshot(page, f"answer-reason-{lang}")
    followup.get_by_label("It is out of date" if lang == "en" else "معلوماته قديمة").check()
    followup.locator("textarea").fill("The <b>fee</b> changed")
    followup.get_by_role("button", name="Send" if lang == "en" else "إرسال").click()
    expect(page.locator(".answer-reason")).to_have_count(0)
    expect(page.locator(".answer-thanks")).to_have_count(1)  # one thanks, not one per post
    assert page.url == url  # answered in place
    assert reasons(app) == [(False, "outdated", "The fee changed")]  # the bare "no" replaced, markup dropped


def test_an_articles_no_shows_the_reasons_in_place(page: Page, base_url: str, app: Flask) -> None:
    page.goto(f"{base_url}/en/articles/refund-timing")
    url = page.url
    page.locator("#vote-no").click()
    followup = page.locator("#feedback-followup")
    expect(followup).to_be_visible()
    expect(page.locator("#feedback-title")).to_have_text("Sorry about that. What was missing?")
    assert page.url == url  # no navigation: nothing recorded yet either
    followup.get_by_label("It is hard to understand").check()
    followup.get_by_role("button", name="Send").click()
    expect(page.locator("#feedback-title")).to_have_text("Thank you for your feedback.")
    desk = app.extensions["desk"]
    assert desk.events.writer is None or desk.events.writer.flush()
    with desk.db.session() as session:
        assert [(v.helpful, v.reason) for v in session.scalars(select(ArticleFeedback))] == [(False, "unclear")]
