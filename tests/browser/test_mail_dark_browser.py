"""mailtext41: the desk's mail HTML in a dark colour scheme, as Chromium lays it out with prefers-color-scheme dark
(the media query Apple Mail and Outlook.com honour once the mail declares `color-scheme`). Before, nothing was
declared: a client that darkens kept the light card or inverted it on its own; the muted grey lines and the links
were picked for white. Measured in the page: every text's contrast with the card behind it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from desk.mail.compose import MailContent
from kb.settings import Settings
from tests.browser.conftest import screenshot
from webapp.mail_templates import EmailTemplates

CONTRAST = """() => {
    const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const card = getComputedStyle(document.querySelector("body > div")).backgroundColor;
    const worst = [];
    for (const el of document.querySelectorAll("body > div *")) {
        const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
        if (own) worst.push([ratio(getComputedStyle(el).color, card), el.tagName, el.textContent.trim().slice(0, 30)]);
    }
    worst.sort((a, b) => a[0] - b[0]);
    return {body: getComputedStyle(document.body).backgroundColor, card, worst: worst[0],
            scheme: (document.querySelector('meta[name="color-scheme"]') || {}).content};
}"""


@pytest.fixture(params=["dark", "light"])
def scheme_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(color_scheme=request.param, viewport={"width": 375, "height": 800})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_reply_mail_keeps_its_contrast_in_a_dark_scheme(scheme_page: Page, lang: str, tmp_path: Path) -> None:
    templates = EmailTemplates(Settings(data_dir=tmp_path, base_url="https://help.manzil.example"), zone=UTC)
    body = ("شحنتك في الطريق. راجع [دليل الشحن](/ar/articles/shipping).\n\n> اقتباس" if lang == "ar"
            else "Your parcel is on its way. See [the shipping guide](/en/articles/shipping).\n\n> A quote")
    mail = templates.render(MailContent(kind="reply", lang=lang, body=body, agent_name="Sara", reference="R1",
                                        sent_at=datetime(2026, 12, 7, 10, 0, tzinfo=UTC), survey_token="t"))
    scheme_page.set_content(mail.html)
    seen = scheme_page.evaluate(CONTRAST)
    dark = scheme_page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    screenshot(scheme_page, f"mail-{lang}-{'dark' if dark else 'light'}")
    assert seen["scheme"] == "light dark"
    assert seen["card"] == ("rgb(22, 27, 34)" if dark else "rgb(255, 255, 255)")
    assert seen["body"] == ("rgb(13, 17, 23)" if dark else "rgb(246, 248, 250)")
    assert seen["worst"][0] >= 4.5, seen["worst"]  # WCAG AA for body text, the muted lines and the links included
