"""The help widget in real headless Chromium, embedded by a shop's page on another origin (http://localhost:<port>
framing the help center on http://127.0.0.1:<port>: another site, so the help center's Lax session cookie is never
sent in the frame). The launcher opens the panel; search as you type, an article, the contact form pre-filled with
the search and its reference; axe-core on the panel; Escape closes it and gives the launcher the focus back. English
and Arabic, at 1280 and 375 px. The page's real CSP applies (no bypass): axe is evaluated, not injected."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from playwright.sync_api import Browser, Frame, Page, expect

import desk.tickets
from copilot.engine import Engine
from tests.browser.conftest import AXE, screenshot
from tests.browser.test_help_center_walk_browser import LINES_OF
from webapp import create_app
from webapp.background import serving

CASES = {  # a query that finds the article, its title, what the customer writes
    "en": ("reset my password", "Reset your password", "Send to support"),
    "ar": ("نسيت كلمة المرور", "إعادة تعيين كلمة المرور", "أرسل إلى الدعم"),
}


@pytest.fixture
def shop() -> Iterator[str]:
    """The company's own site: a page that embeds the widget from the help center given as ?help=."""
    host = Flask("shop")

    @host.get("/")
    def index() -> str:
        from flask import request

        lang = request.args.get("lang", "en")
        options = "".join(f' data-{name}="{request.args[name]}"' for name in ("position", "category")
                          if name in request.args)
        return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>'
                '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
                f'<body><main><h1>Shop</h1><p>Our products.</p></main>'
                f'<script src="{request.args["help"]}/widget.js" data-lang="{lang}"{options} async></script>'
                '</body></html>')

    with serving(host) as url:
        yield url.replace("127.0.0.1", "localhost")


@pytest.fixture
def help_center(indexed: Engine, shop: str) -> Iterator[tuple[Flask, str]]:
    app = create_app(settings=replace(indexed.settings, widget_origins=(shop,)), engine=indexed)
    with serving(app) as url:
        yield app, url


def panel_frame(page: Page) -> Frame:
    frame = page.frame_locator("#kb-help-panel iframe").locator("body")
    expect(frame).to_have_class(re.compile(r"\bwidget\b"))
    found = next(f for f in page.frames if "/widget" in f.url)
    return found


def axe_violations(frame: Frame) -> list[str]:
    frame.evaluate(AXE.read_text("utf-8") + "\n;0")
    result = frame.evaluate("async () => { const r = await axe.run(document); return {passes: r.passes.length, "
                            "violations: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
                            ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))}; }")
    assert result["passes"] > 10, "axe did not run its rules"
    return result["violations"]


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_widget_on_another_sites_page(browser: Browser, shop: str, help_center: tuple[Flask, str], lang: str,
                                         width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    app, help_url = help_center
    monkeypatch.setattr(desk.tickets, "new_reference", lambda: "nMZ93D9n-DOfk7Rh")  # a hyphen: a place to break
    query, title, send = CASES[lang]
    context = browser.new_context(locale=lang, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{shop}/?lang={lang}&help={help_url}")
        launcher = page.locator("#kb-help-launcher")
        expect(launcher).to_have_text("Help" if lang == "en" else "مساعدة")
        expect(launcher).to_have_attribute("aria-expanded", "false")
        expect(launcher).to_have_attribute("aria-controls", "kb-help-panel")
        box = launcher.bounding_box()
        assert box is not None
        on_right = box["x"] > width / 2
        assert on_right == (lang == "en"), "bottom right, bottom left in RTL"
        launcher.focus()
        page.keyboard.press("Enter")  # a real button: the keyboard opens it
        expect(launcher).to_have_attribute("aria-expanded", "true")
        assert page.evaluate("document.activeElement.id") == "kb-help-close"  # the focus moved into the panel
        panel = page.locator("#kb-help-panel")
        frame = panel_frame(page)
        assert frame.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
        if width == 375:  # a phone: the panel fills the screen, its close button on it
            shown = panel.bounding_box()
            assert shown is not None and shown["width"] == 375 and shown["height"] == 800
            expect(page.locator("#kb-help-close")).to_be_visible()
        assert not axe_violations(frame), axe_violations(frame)

        # Search as you type, then open the article from the suggestions.
        frame.locator("#q").click()
        frame.locator("#q").press_sequentially(query, delay=30)
        first = frame.locator("#instant-results [role=option]").first
        expect(first).to_have_attribute("href", re.compile(rf"^/{lang}/widget/articles/reset-password\?v="))
        first.click()
        expect(frame.locator("h1")).to_have_text(title)
        assert re.search(rf"/{lang}/widget/articles/reset-password\?v=[\w.-]+&s=[\w-]+&p=1", frame.url)
        screenshot(page, f"widget-{lang}-{width}-article")
        assert not axe_violations(frame), axe_violations(frame)

        # The results page, then the contact form pre-filled with that search.
        frame.locator("#q").fill(query)
        frame.locator("#q").press("Enter")
        expect(frame.locator("ol.results li").first).to_be_visible()
        frame.locator(".site-footer a").click()
        expect(frame.locator("#subject")).to_have_value(query)
        assert not axe_violations(frame), axe_violations(frame)
        frame.locator("#name").fill("Layla" if lang == "en" else "ليلى")
        frame.locator("#email").fill("layla@example.com")
        frame.locator("#message").fill("I cannot sign in." if lang == "en" else "لا أستطيع تسجيل الدخول.")
        frame.get_by_role("button", name=send).click()
        reference = frame.locator("#ticket-link bdi.reference")
        expect(reference).to_be_visible()
        expect(frame.locator("#ticket-link")).to_have_attribute("target", "_blank")
        ticket = app.extensions["desk"].tickets.by_reference(reference.inner_text())
        assert ticket is not None and ticket.lang == lang and ticket.context["via"] == "widget"
        assert ticket.context["searches"][0]["q"] == query
        screenshot(page, f"widget-{lang}-{width}-sent")
        # The thank-you's reference: isolated and on one line (an Arabic phone drew "-nMZ93D9n" above "DOfk7Rh.")
        expect(frame.locator("#sent-title bdi")).to_have_text("nMZ93D9n-DOfk7Rh")
        assert frame.locator("#sent-title").evaluate(LINES_OF, "nMZ93D9n-DOfk7Rh") == 1

        # Escape in the panel closes it and gives the focus back to the launcher.
        frame.locator("#ticket-link").focus()
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        expect(launcher).to_be_focused()
        # The shop's page never got a cookie of the help center's, nor its DOM.
        assert not [c for c in context.cookies() if c["domain"] == "127.0.0.1"]
        assert page.evaluate("document.querySelector('#q')") is None
    finally:
        context.close()


def test_data_position_and_data_category(browser: Browser, shop: str, help_center: tuple[Flask, str]) -> None:
    _, help_url = help_center
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{shop}/?lang=en&position=left&category=returns&help={help_url}")
        launcher = page.locator("#kb-help-launcher")
        box = launcher.bounding_box()
        assert box is not None and box["x"] < 640  # on the left, though English
        launcher.click()
        frame = panel_frame(page)
        expect(frame.locator("#topic-title")).to_be_visible()  # opened on the topic
        expect(frame.locator(".widget-topic a[href*='/en/widget/articles/refund-timing']")).to_be_visible()
        launcher.click()  # the launcher closes it too
        expect(page.locator("#kb-help-panel")).to_be_hidden()
    finally:
        context.close()
