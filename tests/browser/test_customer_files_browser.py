"""An Arabic customer attaches a screenshot on the contact form in Chromium, against the real app under waitress: a
file over the customer's limit is refused in the page before anything is posted (the form is `novalidate`, so
files.js stops the post itself), the typed text still there; the accepted file is listed under the message on the
ticket page and downloads with its Arabic name; a reply on that page takes a file too. Axe finds nothing serious."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kb.settings import Settings
from tests.browser.conftest import screenshot
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401
from tests.conftest import database_url_for_tests
from webapp import create_app

NAME = "صورة الطرد.png"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(300)


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models (the contact form's answer card is not what this tests)."""
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests(),
                        mail_max_attachment_bytes=50_000, customer_max_attachments=2)
    return create_app(settings)


def test_an_arabic_customer_attaches_a_screenshot_on_the_contact_form(
    clean_page: Page, base_url: str, app: Flask  # noqa: F811
) -> None:
    page = clean_page  # Arabic, and axe's script allowed in
    desk = app.extensions["desk"]
    page.goto(f"{base_url}/ar/contact")
    expect(page.locator("label[for=contact-files]")).to_have_text("إرفاق ملفات")
    page.locator("#name").fill("عمر")
    page.locator("#email").fill("omar@example.com")
    page.locator("#subject").fill("الطرد وصل تالفًا")
    page.locator("#message").fill("وصل الطرد اليوم والعلبة مكسورة، أرفقت صورة.")

    # Too large: refused in the page, nothing posted, the typed text kept.
    page.locator("#contact-files").set_input_files([{"name": "كبير.png", "mimeType": "image/png",
                                                     "buffer": b"x" * 50_001}])
    message = page.locator("#contact-files").evaluate("input => input.validationMessage")
    assert "كبير.png" in message and "48.8 كيلوبايت" in message  # the limit in the page's words
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.get_by_role("button", name="أرسل إلى الدعم").click()
    expect(page).to_have_url(re.compile(r"/ar/contact$"))
    assert page.locator("#contact-files").evaluate("input => input.files.length") == 1  # the same page, not a new one
    expect(page.locator("#contact-files-error")).to_have_count(0)  # not the server's refusal
    assert [url for url in posts if url.endswith("/ar/contact")] == []
    expect(page.locator("#message")).to_have_value("وصل الطرد اليوم والعلبة مكسورة، أرفقت صورة.")
    assert desk.tickets.by_customer_email("omar@example.com") == []

    page.locator("#contact-files").set_input_files([{"name": NAME, "mimeType": "image/png", "buffer": PNG}])
    assert page.locator("#contact-files").evaluate("input => input.validationMessage") == ""
    page.get_by_role("button", name="أرسل إلى الدعم").click()
    expect(page.locator("#ticket-created")).to_contain_text("رقمه المرجعي")
    listed = page.locator(".thread li.customer .message-files a")
    expect(listed).to_have_text(NAME)
    with page.expect_download() as download_info:
        listed.click()
    download = download_info.value
    assert download.suggested_filename == NAME and Path(download.path()).read_bytes() == PNG
    screenshot(page, "customer-files-ar")
    assert serious_violations(page) == []

    # A reply on the ticket page takes a file as well.
    page.locator("#message").fill("وهذه صورة الفاتورة")
    page.locator("#reply-files").set_input_files([{"name": "فاتورة.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"%PDF-1.4 receipt"}])
    page.get_by_role("button", name="إرسال").click()
    expect(page.locator(".thread li.customer .message-files a")).to_have_text([NAME, "فاتورة.pdf"])
    (ticket,) = desk.tickets.by_customer_email("omar@example.com")
    assert [a.filename for a in desk.attachments.for_ticket(ticket.id, public=True)] == [NAME, "فاتورة.pdf"]
