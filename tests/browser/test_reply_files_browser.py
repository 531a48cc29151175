"""An Arabic agent attaches a file to a reply in Chromium: the file picker under the reply, the file listed
under the sent reply (right-aligned on the RTL page, its Arabic name intact), the customer's page listing
it; a file over the limit is refused in the page before anything is posted, the typed reply still there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from desk.tickets import NewTicket
from kb.settings import Settings
from tests.browser.conftest import screenshot
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401
from tests.conftest import database_url_for_tests
from webapp import create_app

PASSWORD = "a long enough password"
NAME = "صورة الطرد.png"


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models (the ticket page's advice is not what this tests)."""
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests(),
                        mail_max_attachment_bytes=50_000)
    return create_app(settings)


def test_an_arabic_agent_attaches_a_file_to_a_reply(clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    page = clean_page  # Arabic, and axe's script allowed in
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="الطرد وصل تالفًا",
                                           body="وصل الطرد اليوم والعلبة مكسورة."))
    page.goto(f"{base_url}/agent/tickets/{ticket.id}")
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket.id}$"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.locator("label[for=reply-files]")).to_have_text("إرفاق ملفات")

    # Too large: refused in the page, nothing posted, the typed reply kept.
    page.locator("#reply-body").fill("مرحبًا عمر، نعتذر عن ذلك.")
    page.locator("#reply-files").set_input_files([{"name": "كبير.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"x" * 50_001}])
    message = page.locator("#reply-files").evaluate("input => input.validationMessage")
    assert "كبير.pdf" in message and "48.8 كيلوبايت" in message
    page.locator("#send-reply").click()
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket.id}$"))
    expect(page.locator("#reply-body")).to_have_value("مرحبًا عمر، نعتذر عن ذلك.")
    assert [m.author for m in desk.tickets.get(ticket.id).messages] == ["customer"]

    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    page.locator("#reply-files").set_input_files([{"name": NAME, "mimeType": "image/png", "buffer": png}])
    assert page.locator("#reply-files").evaluate("input => input.validationMessage") == ""
    page.locator("#send-reply").click()
    expect(page.locator(".flash.ok")).to_have_text("أُرسل الرد.")
    listed = page.locator(".thread li.agent .message-files a")
    expect(listed).to_have_text(NAME)
    # Start-aligned in Arabic: the list sits at the message's right edge, not its left.
    box, item = page.locator(".thread li.agent").bounding_box(), listed.bounding_box()
    assert box is not None and item is not None
    assert box["x"] + box["width"] - (item["x"] + item["width"]) < item["x"] - box["x"]
    with page.expect_download() as download_info:
        listed.click()
    download = download_info.value
    assert download.suggested_filename == NAME
    assert Path(download.path()).read_bytes() == png
    screenshot(page, "reply-files-ar")
    assert serious_violations(page) == []

    page.goto(f"{base_url}/ar/tickets/{ticket.reference}")
    expect(page.locator(".thread li.agent .message-files a")).to_have_text(NAME)
