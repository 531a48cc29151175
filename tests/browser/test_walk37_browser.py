"""What a fresh-eyes walk of the workspace in Chromium found (session 37): "Mark as spam", "Delete" and "Delete
permanently" ask first, naming the ticket, and Cancel sends nothing (an agent who marks spam by mistake cannot open
Deleted tickets to undo it), and so does the inbox's Apply with either action; a change's arrow points from the old
value to the new one on an Arabic page too (the ticket's history, the customer's field changes), where the old value
stands on the right; no assignee reads "nobody" in Arabic history, not "unassigned" in the feminine;
the macro picker names the ticket's language, not its code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Dialog, Page, expect

from desk import customer_fields
from desk.audit import Actor
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from tests.browser.conftest import screenshot
from tests.browser.test_agent_morning import PASSWORD, log_in
from tests.conftest import CONTENT, database_url_for_tests
from webapp import create_app


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models, with the demo's customer fields."""
    shutil.copy2(CONTENT / CUSTOMER_FIELDS_FILE, content_dir)
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))


def answering(page: Page, accept: bool, asked: list[str]) -> None:
    """The next confirm() answered OK (`accept`) or Cancel, its question kept in `asked`."""
    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()
    page.once("dialog", answer)


def test_destructive_ticket_buttons_ask_first_in_arabic(page: Page, browser: Browser, base_url: str,
                                                        app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="مريم", role="admin")
    spam, mistake = (desk.tickets.create(NewTicket(email=email, name="عمر", subject=subject, body="نص الرسالة",
                                                   lang="ar"))
                     for email, subject in (("prize@offers.example", "ربحت جائزة!"), ("omar@example.com", "طلبي")))

    log_in(page, base_url, "agent@example.com")
    page.goto(f"{base_url}/agent/tickets/{spam.id}")
    asked: list[str] = []
    answering(page, False, asked)
    page.locator("#spam-form button").click()
    assert asked == [f"أتعلّم التذكرة رقم {spam.id} كرسالة مزعجة؟ ستُحذف ويُحظر مرسلها، ولا يستعيدها إلا قائد فريق "
                     "أو مسؤول."]
    expect(page).to_have_url(f"{base_url}/agent/tickets/{spam.id}")  # Cancel: nothing sent
    assert desk.tickets.get(spam.id) is not None and not desk.trash.blocked().rows
    answering(page, True, asked)
    page.locator("#spam-form button").click()
    expect(page.locator(".flash.ok")).to_contain_text(str(spam.id))
    assert desk.tickets.get(spam.id) is None and len(desk.trash.blocked().rows) == 1

    admin_context = browser.new_context(locale="ar", viewport={"width": 375, "height": 800})
    admin = admin_context.new_page()
    admin.set_default_timeout(15_000)
    log_in(admin, base_url, "admin@example.com")
    admin.goto(f"{base_url}/agent/tickets/{mistake.id}")
    answering(admin, False, asked)
    admin.locator("#delete-form button").click()
    assert asked[-1].startswith(f"أتحذف التذكرة رقم {mistake.id}؟")
    assert desk.tickets.get(mistake.id) is not None
    answering(admin, True, asked)
    admin.locator("#delete-form button").click()
    expect(admin.locator(".flash.ok")).to_be_visible()
    assert desk.tickets.get(mistake.id) is None

    # Delete permanently cannot be undone: Cancel keeps the row; OK purges it.
    admin.goto(f"{base_url}/agent/deleted")
    row = admin.locator(f"tr.deleted-row[data-id='{mistake.id}']")
    answering(admin, False, asked)
    row.locator(".purge-button").click()
    assert asked[-1] == (f"أتحذف التذكرة رقم {mistake.id} نهائيًا؟ ستُزال رسائلها وملفاتها إلى الأبد، ولا يمكن التراجع "
                         "عن ذلك.")
    expect(row).to_be_visible()
    assert [t.id for t in desk.trash.deleted().rows].count(mistake.id) == 1
    screenshot(admin, "walk37-deleted-ar-375")
    answering(admin, True, asked)
    row.locator(".purge-button").click()
    expect(admin.locator(".flash.ok")).to_be_visible()
    expect(row).to_have_count(0)
    admin_context.close()


def test_the_inboxs_bulk_spam_asks_first(page: Page, base_url: str, app: Flask) -> None:
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    junk = desk.tickets.create(NewTicket(email="prize@offers.example", name="عروض", subject="ربحت جائزة!",
                                         body="اربح الآن", lang="ar"))
    log_in(page, base_url, "agent@example.com")
    page.locator(f"input[name=ticket][value='{junk.id}']").check()
    page.locator("#bulk-action").select_option("spam")
    asked: list[str] = []
    answering(page, False, asked)
    page.locator("#bulk-apply").click()
    assert asked == ["أتعلّم التذاكر المحددة كرسائل مزعجة؟ ستُحذف ويُحظر مرسلوها، ولا يستعيدها إلا قائد فريق أو مسؤول."]
    assert desk.tickets.get(junk.id) is not None
    page.locator("#bulk-action").select_option("solve")  # an action that is not destructive: not asked
    page.locator("#bulk-action").select_option("spam")
    answering(page, True, asked)
    page.locator("#bulk-apply").click()
    expect(page.locator(".flash.ok")).to_be_visible()
    assert desk.tickets.get(junk.id) is None and len(asked) == 2


def test_a_changes_arrow_points_from_the_old_value_to_the_new(browser: Browser, base_url: str, app: Flask) -> None:
    desk = app.extensions["desk"]
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    ticket = desk.tickets.create(NewTicket(email="lina@example.com", name="لينا", subject="استرجاع المبلغ",
                                           body="لم يصلني المبلغ", lang="ar"))
    desk.tickets.update(ticket.id, status="pending", assignee_id=agent.id, agent_id=agent.id)
    customer_fields.set_values(desk.db, desk.customer_fields, ticket.customer_id, {"account_id": "AC-5512"}, "ar",
                               Actor.agent(agent.id))
    for lang, arrow, other in (("ar", "←", "→"), ("en", "→", "←")):
        context = browser.new_context(locale=lang, viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base_url, "agent@example.com")
        page.goto(f"{base_url}/agent/tickets/{ticket.id}")
        expect(page.locator("#history")).to_contain_text(f" {arrow} ")  # the status: open, then pending
        assert other not in page.locator("#history").inner_text()
        if lang == "ar":  # "assignee nobody ← Sara", where it said "the assignee (she) is unassigned"
            expect(page.locator("#history")).to_contain_text("المسؤول لا أحد ← سارة")
        # The macros are the ticket's language's, named as a language, not as its code ("in ar")
        expect(page.locator("label[for=macro-input]")).to_contain_text(
            "(اكتب للاختيار، باللغة العربية)" if lang == "ar" else "(type to pick, in Arabic)")
        page.goto(f"{base_url}/agent/customers/{ticket.customer_id}")
        expect(page.locator("ol.field-changes li").filter(has_text="AC-5512")).to_contain_text(f"— {arrow} AC-5512")
        screenshot(page, f"walk37-field-changes-{lang}")
        context.close()
