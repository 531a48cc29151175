"""The ticket page's timer in Chromium (desk.time_tracking, static/timer.js), on Playwright's fake clock so no test
waits: it counts while the page is in view, stops while the page is hidden (another tab in front), counts again when
it comes back, stops when paused by hand, and its seconds land with the reply as one time entry; the page after the
reply starts from 0, pauses after five idle minutes and counts again on the next key or pointer move. The minutes
field the forms have without JavaScript gives way to the timer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from webapp import create_app
from webapp.agent import TIMER_IDLE_SECONDS

PASSWORD = "a long enough password"
START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
# The tab's visibility as the browser reports it when another tab comes to the front, and its event.
VISIBILITY = """state => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => state === "hidden"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models (the ticket page's advice is not what this tests)."""
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))


def test_the_timer_counts_in_view_stops_while_hidden_and_lands_with_the_reply(browser: Browser, base_url: str,
                                                                               app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="أين طلبي؟",
                                           body="لم يصل الطلب بعد.")).id
    context = browser.new_context(locale="ar", viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.clock.install(time=START)
        page.clock.pause_at(START + timedelta(seconds=1))  # time moves only by run_for: no test waits
        page.goto(f"{base_url}/agent/tickets/{ticket}")
        page.locator("#email").fill("agent@example.com")
        page.locator("#password").fill(PASSWORD)
        page.locator("form.login button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket}$"))
        timer = page.locator("#timer")
        expect(timer).to_be_visible()
        expect(page.locator("#reply-time")).to_be_hidden()  # the no-JavaScript field gives way to the timer
        page.clock.run_for(5_000)
        expect(timer).to_have_attribute("data-seconds", "5")
        expect(page.locator("#timer-value")).to_have_value("00:05")
        expect(timer).to_have_attribute("data-state", "counting")

        # Another tab in front hides this one in a desktop browser; headless Chromium keeps a background tab
        # "visible" (bring_to_front changes nothing), so the page is told what the browser would tell it.
        page.evaluate(VISIBILITY, "hidden")
        expect(timer).to_have_attribute("data-state", "hidden")  # drawn on visibilitychange
        page.clock.run_for(60_000)
        expect(timer).to_have_attribute("data-state", "hidden")
        expect(timer).to_have_attribute("data-seconds", "5")

        page.evaluate(VISIBILITY, "visible")
        expect(timer).to_have_attribute("data-state", "counting")
        page.clock.run_for(3_000)
        expect(timer).to_have_attribute("data-seconds", "8")

        page.locator("#timer-toggle").click()  # paused by hand: nothing counted
        page.clock.run_for(4_000)
        expect(timer).to_have_attribute("data-seconds", "8")
        expect(timer).to_have_attribute("data-state", "paused")
        page.locator("#timer-toggle").click()

        page.locator("#reply-body").fill("وصل طلبك إلى الرياض اليوم.")
        page.locator("#send-reply").click()
        expect(page.locator("#time-total")).to_contain_text("8")
        expect(page.locator("#timer-value")).to_have_value("00:00")  # the next entry starts from 0
        [entry] = desk.time_entries.of_ticket(ticket).entries
        assert (entry.seconds, entry.kind, entry.agent) == (8, "reply", "سارة")

        # Idle: no key, click, touch or scroll for five minutes pauses it (as Zendesk's Time Tracking app pauses);
        # the idle stretch is not counted, and the next key counts again. The clock moves by run_for alone.
        expect(timer).to_have_attribute("data-idle", str(TIMER_IDLE_SECONDS))
        assert TIMER_IDLE_SECONDS == 5 * 60
        page.keyboard.press("Shift")  # the agent's last key
        page.clock.run_for(TIMER_IDLE_SECONDS * 1000)  # counting to the last second of the five minutes
        expect(timer).to_have_attribute("data-state", "counting")
        expect(timer).to_have_attribute("data-seconds", str(TIMER_IDLE_SECONDS))
        page.clock.run_for(1_000)
        expect(timer).to_have_attribute("data-state", "inactive")
        expect(page.locator("#timer-state")).not_to_be_empty()  # said beside the time
        page.clock.run_for(10 * 60_000)  # ten idle minutes more: nothing counted
        expect(timer).to_have_attribute("data-seconds", str(TIMER_IDLE_SECONDS))
        page.mouse.move(300, 300)  # back at the desk
        page.mouse.move(320, 330)
        expect(timer).to_have_attribute("data-state", "counting")
        page.clock.run_for(3_000)
        expect(timer).to_have_attribute("data-seconds", str(TIMER_IDLE_SECONDS + 3))
    finally:
        context.close()
