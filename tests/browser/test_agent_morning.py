"""An agent's morning in real Chromium, keyboard only, with the Arabic interface: log in, search the
inbox for a customer, open the ticket, read a colleague's internal note, see a new customer message
arrive without a reload, apply a macro, insert the draft, edit, send, set pending, tag; a
colleague's second browser session sees the collision warning; every step is in the database."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from desk.tickets import NewTicket
from tests.browser.conftest import screenshot
from webapp.ticket_advice import precompute_suggestions

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/agent/")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(re.compile(r"/agent/$"))
    keys_ready(page)


def keys_ready(page: Page) -> None:
    """agent.js loads deferred: a key pressed before it is listening would be lost."""
    expect(page.locator("html")).to_have_attribute("data-keys", "on")


def test_an_agents_morning_in_arabic_by_keyboard(page: Page, browser: Browser, base_url: str, app: Flask) -> None:
    desk = app.extensions["desk"]
    shutil.copytree(ROOT / "content" / "_macros", app.extensions["settings"].content_dir / "_macros")
    layla = desk.accounts.create_agent("layla@example.com", PASSWORD, name="Layla")
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    desk.tickets.create(NewTicket(email="jo@example.com", name="Jo Smith", subject="Apple Pay fails",
                                  body="Apple Pay keeps failing at checkout on my iPhone"))
    ticket = desk.tickets.create(NewTicket(
        email="khalid@example.com", name="خالد العتيبي", subject="نسيت كلمة السر",
        body="السلام عليكم، نسيت كلمة المرور ورابط الاستعادة انتهت صلاحيته. كيف أدخل حسابي؟", channel="chat",
    ))
    desk.notes.add(ticket.id, sara.id, "@layla the customer called yesterday too; the reset mail bounced once.")
    assert precompute_suggestions(desk, app.extensions["engine"]) == 2  # the worker ran overnight

    log_in(page, base_url, "layla@example.com")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#view-mentions")).to_contain_text("1")
    page.keyboard.press("/")
    page.keyboard.type("العتيبي")
    page.keyboard.press("Enter")
    expect(page.locator("tr.ticket-row")).to_have_count(1)
    keys_ready(page)
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1100, "height": 900})
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket.id}$"))
    keys_ready(page)

    expect(page.locator(".message.note")).to_contain_text("the reset mail bounced once")
    expect(page.locator("#draft")).to_have_attribute("data-stored", "yes")
    expect(page.locator(".relevance-label").first).to_have_text("أفضل تطابق")

    # A colleague opens the same ticket in her own browser: she is told Layla has it open.
    other = browser.new_context(locale="en", viewport={"width": 1100, "height": 900})
    second = other.new_page()
    second.set_default_timeout(15_000)
    log_in(second, base_url, "sara@example.com")
    second.goto(f"{base_url}/agent/tickets/{ticket.id}")
    expect(second.locator("#collision")).to_contain_text("Layla also has this ticket open.")
    screenshot(second, "agent-collision")
    other.close()

    # The customer writes again while Layla is on the page: the message joins the thread without a reload.
    desk.tickets.customer_reply(ticket.reference, "جربت مرة ثانية وما زال الرابط منتهي")
    expect(page.locator(".thread li.customer.live")).to_contain_text("ما زال الرابط منتهي", timeout=15_000)
    expect(page.locator("#new-messages")).to_be_visible()

    page.keyboard.press("m")
    page.keyboard.type("رابط جديد")
    page.keyboard.press("Enter")
    reply = page.locator("#reply-body")
    expect(reply).to_have_value(re.compile("^مرحبًا خالد،"))
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    expect(reply).to_have_value(re.compile("مع أطيب التحيات،\nLayla.*مرحبًا خالد", re.S))
    reply.press("Control+End")
    page.keyboard.type("\nشكرًا لصبرك")
    page.locator("#reply-status").select_option("pending")
    reply.press("Control+Enter")
    expect(page.locator(".flash.ok")).to_have_text("أُرسل الرد.")
    expect(page.locator(".thread li.agent").last).to_contain_text("شكرًا لصبرك")
    keys_ready(page)

    # On a tablet held upright the page is one column and nothing scrolls sideways.
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    columns = "getComputedStyle(document.querySelector('.workspace')).gridTemplateColumns.split(' ').length"
    assert page.evaluate(columns) == 1
    page.set_viewport_size({"width": 1100, "height": 900})

    page.keyboard.press("t")
    page.keyboard.type("متابعة")
    page.keyboard.press("Enter")
    expect(page.locator("ul.tags")).to_contain_text("متابعة")
    screenshot(page, "agent-morning")

    found = desk.tickets.get(ticket.id)
    assert found.status == "pending" and found.due_at is None and found.assignee_id == layla.id
    assert sorted(t.tag for t in found.tags) == ["password", "متابعة"]  # the macro's tag and Layla's
    events = desk.events.suggestion_events(ticket.id)
    kinds = [(e.kind, e.details.get("what")) for e in events if e.agent_id == layla.id]
    # The customer's new message made a new thread version: its advice is "shown" once more after the send.
    assert kinds == [("shown", None), ("applied", "macro"), ("inserted", "draft"), ("edited", "draft"),
                     ("sent", "draft"), ("shown", None)]
    assert desk.notes.unseen(layla.id) == {}  # opening the ticket read the mention
    assert [c.name for c in desk.presence.others(ticket.id, sara.id)] == ["Layla"]
