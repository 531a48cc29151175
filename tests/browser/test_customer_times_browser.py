"""A customer's ticket page in Chromium whose zone is not the help center's (Playwright's `timezone_id`):
static/customer-times.js rewrites each reply's time from the help center's zone (Asia/Riyadh, named) to the
browser's own, named as the browser names it, in the page's language and with the deployment's digits, under the
site's CSP (script-src 'self'); with script off the server's text, its zone named, stands. The real app without
the models under waitress (the browser conftest's `base_url`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from desk.models import Message
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from webapp import create_app

SENT = datetime(2026, 12, 6, 11, 22)  # UTC: 2:22 PM in Riyadh, 6:22 AM in New York (EST), 8:22 PM in Tokyo
HOURS = """default: ksa
teams:
  ksa: {name: KSA support, timezone: Asia/Riyadh, days: [sun, mon, tue, wed, thu], hours: ["09:00", "17:00"]}
due_hours: {urgent: 2, high: 4, normal: 8, low: 24}
"""


@pytest.fixture(params=["latn", "arab"])
def app(request: pytest.FixtureRequest, tmp_path: Path, content_dir: Path) -> Flask:
    (content_dir / "_business_hours.yml").write_text(HOURS, encoding="utf-8")
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests(), digits=request.param))


def reference(app: Flask, lang: str) -> str:
    desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="layla@example.com", name="Layla", subject="Sofa",
                                           body="Where is my sofa?", lang=lang, notify=False))
    with desk.db.session() as session:
        session.execute(update(Message).where(Message.ticket_id == ticket.id).values(created_at=SENT))
        session.commit()
    return ticket.reference


@contextmanager
def opened(browser: Browser, zone: str, script: bool = True) -> Iterator[Page]:
    context = browser.new_context(timezone_id=zone, java_script_enabled=script)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.parametrize(("lang", "zone", "clock", "named"), [
    ("en", "America/New_York", "6:22", "AM EST"),
    ("ar", "Asia/Tokyo", "8:22", "م غرينتش+9"),
])
def test_the_script_rewrites_a_replys_time_in_the_browsers_zone(
        browser: Browser, app: Flask, base_url: str, lang: str, zone: str, clock: str, named: str) -> None:
    arabic_digits = app.extensions["settings"].digits == "arab" and lang == "ar"
    shown = f"{clock} {named}"
    shown = shown.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) if arabic_digits else shown
    link = f"{base_url}/{lang}/tickets/{reference(app, lang)}"
    errors: list[str] = []
    with opened(browser, zone) as page:
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(link)
        time = page.locator("ol.thread time[data-customer-time]")
        expect(time).to_have_attribute("data-zone", "browser")  # the script ran under the CSP
        text = time.inner_text()
        assert shown in text.replace("\u202f", " "), text
        assert ("2:22" not in text and "٢:٢٢" not in text), text  # no longer Riyadh's wall time
        assert not re.search("[0-9]" if arabic_digits else "[٠-٩]", text), text  # the deployment's digits
        assert time.get_attribute("datetime") == "2026-12-06T11:22:00Z"
        assert errors == []
    with opened(browser, zone, script=False) as page:
        page.goto(link)
        server = page.locator("ol.thread time[data-customer-time]").inner_text()
        assert ("(GMT+03:00)" in server) if lang == "en" else ("غرينتش+" in server), server
