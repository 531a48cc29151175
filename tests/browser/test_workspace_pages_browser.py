"""The agent workspace's newer pages as an admin and a plain agent see them, in English and Arabic, on a desktop
(1280 px) and a phone (375 px): the customer profile, the audit log, the inbox on a saved view (its rename and
delete controls, the save form, the bulk snooze) and on a colleague's shared one, a ticket's snooze controls, a
closed ticket's read-only page with "Create follow-up", held mail, the reports, the admin page's teams, the team
status page, and the paging notice (id="page-clamped"). axe-core finds nothing serious or critical, no page scrolls
sideways on the phone, and the Arabic pages are mirrored (<html dir="rtl">). Screenshots under
test-artifacts/workspace-<role>-<lang>-<page>-<width>.png."""

from __future__ import annotations

import contextlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from desk import customer_fields
from desk.audit import Actor
from desk.desk import Desk
from desk.mail.receive import UnparseableMail
from desk.models import MailSuggestion
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_agent_morning import PASSWORD, log_in
from tests.browser.test_inbox_teams_browser import teams_app
from tests.browser.test_site_pages_browser import WIDTHS
from tests.conftest import CONTENT
from tests.desk.test_held_mail import NO_SENDER


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The demo's teams and its customer fields (a dropdown, a text and a checkbox)."""
    shutil.copy2(CONTENT / CUSTOMER_FIELDS_FILE, content_dir)
    return teams_app(tmp_path, content_dir)


def workspace(desk: Desk) -> dict[str, str]:
    """An admin, a plain agent, tickets in both languages (one snoozed, one closed), a held mail, a saved view of
    each and a shared one of the admin's: the pages' paths by name, for each role."""
    admin = desk.accounts.create_agent("admin@example.com", PASSWORD, name="مريم", role="admin")
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    desk.teams.set_teams(agent.id, ["ksa"])
    desk.accounts.set_availability(agent.id, True, Actor.agent(agent.id))  # the team status page's "Set away"
    tickets = [desk.tickets.create(NewTicket(email="lina@acme.ae", name="لينا العتيبي", subject=f"استرجاع المبلغ {n}",
                                             body="لم يصلني المبلغ بعد، الطلب رقم 5512.", lang="ar"))
               for n in range(3)]
    desk.tickets.create(NewTicket(email="jo@example.com", name="Jo Smith", subject="Where is my sofa?",
                                  body="I ordered a sofa on 2 December and it has not come.", lang="en"))
    closed = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي لم يصل",
                                           body="طلبي رقم 12345 لم يصل بعد", lang="ar"))
    for who in (admin, agent):  # "Add my signature" and its preview on the ticket pages (desk.signatures)
        desk.accounts.set_signatures(who.id, {"ar": f"{who.name}\nفريق دعم منزل", "en": "Manzil support"}, ("en", "ar"))
    desk.tickets.send_reply(closed.id, admin.id, "وصل طلبك اليوم", status="solved", signature=True)
    desk.tickets.update(closed.id, status="closed")
    desk.snoozes.snooze([tickets[1].id], datetime.now(UTC) + timedelta(days=2), admin.id)  # "Snoozed until", "Unsnooze"
    with contextlib.suppress(UnparseableMail):
        desk.mail_in.receive(NO_SENDER)
    desk.skills.create("الفواتير")  # the inbox's "Skill" filter (and its label beside it on a phone)
    mine = desk.saved_views.save(admin.id, "استرجاع الإمارات", {"team": "uae"})
    shared = desk.saved_views.save(admin.id, "Arabic tickets", {"lang": "ar"}, shared=True)
    desk.saved_views.save(agent.id, "الإمارات", {"team": "uae"})
    held = desk.held_mail.page(limit=1).rows[0].id
    desk.tags.add([t.id for t in tickets], ["استرجاع"])
    desk.tags.add([tickets[0].id, tickets[2].id], ["refunds", "Refund"])  # the tags pages: a merge to confirm
    # The customer card's and profile's fields; the ticket's acknowledgement suggestions, one answered; a deleted
    # ticket and a spam one (its sender blocked) on the Deleted tickets page, and a blocked domain.
    customer_fields.set_values(desk.db, desk.customer_fields, tickets[0].customer_id,
                               {"plan": "business", "account_id": "AC-5512", "vip": "on"}, "ar", Actor.agent(admin.id))
    with desk.db.session() as session:
        session.add_all(MailSuggestion(ticket_id=tickets[1].id, outbox_id=1, position=n, token=f"ws-{n}",
                                       article_key=f"ar/{key}", title=title, answer=answer)
                        for n, (key, title, answer) in enumerate((("refund-timing", "متى يصلني المبلغ؟", "no"),
                                                                  ("delivery-fees", "Delivery fees", None)), 1))
    junk = [desk.tickets.create(NewTicket(email=email, name=name, subject=subject, body="اربح جائزة الآن", lang="ar"))
            for email, name, subject in (("prize@bulk-offers.example", "عروض", "ربحت جائزة!"),
                                         ("jo@example.com", "Jo Smith", "Sofa, sent twice"))]
    desk.trash.delete([junk[0].id], Actor.agent(agent.id), spam=True)
    desk.trash.delete([junk[1].id], Actor.agent(admin.id))
    desk.trash.block("@spam-domain.example", Actor.agent(admin.id))
    return {
        "customer": f"/agent/customers/{tickets[0].customer_id}",
        "customers": "/agent/customers?q=a",
        "audit": "/agent/admin/audit",
        "audit-clamped": "/agent/admin/audit?page=99",
        "saved-view": f"/agent/?saved={mine.id}",
        "shared-view": f"/agent/?saved={shared.id}",
        "inbox-clamped": "/agent/?page=99",
        "ticket": f"/agent/tickets/{tickets[1].id}",
        "closed": f"/agent/tickets/{closed.id}",
        "held": "/agent/held/",
        "held-mail": f"/agent/held/{held}",
        "reports": "/agent/reports/",
        "report": "/agent/reports/gaps?days=30",
        "admin": "/agent/admin",
        "tags": "/agent/tags",
        "tag-merge": "/agent/tags/rename?tag=refunds&to=refund",
        "tag-delete": "/agent/tags/delete?tag=%D8%A7%D8%B3%D8%AA%D8%B1%D8%AC%D8%A7%D8%B9",
        "team-status": "/agent/team-status",
        "profile": "/agent/profile",
        "deleted": "/agent/deleted",
        "blocked": "/agent/blocked",
    }


# A plain agent's differ: no share box, "Mark as spam" but no "Delete"; the profile's signature boxes.
AGENT_PAGES = ("customer", "shared-view", "saved-view", "ticket", "closed", "profile")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_workspaces_newer_pages_pass_axe_on_desktop_and_phone(
    browser: Browser, base_url: str, app: Flask, lang: str
) -> None:
    paths = workspace(app.extensions["desk"])
    problems: list[str] = []
    for role in ("admin", "agent"):
        context = browser.new_context(locale=lang, bypass_csp=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base_url, f"{role}@example.com")
        names = list(paths) if role == "admin" else list(AGENT_PAGES)
        if role == "agent":
            paths = dict(paths, **{"saved-view": "/agent/?saved=" + page.locator("#saved-views a").first
                                   .get_attribute("href").split("saved=")[1]})  # type: ignore[union-attr]
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            for name in names:
                problems += check(page, base_url + paths[name], f"{role} {lang} {name} {width}px", lang, width)
                if name == "saved-view":  # the bulk controls as they are when rows are ticked, snooze chosen
                    page.locator("tr.ticket-row input[type=checkbox]").first.check()
                    page.locator("#bulk-action").select_option("snooze")
                    actions = page.locator("#bulk-action option").evaluate_all("os => os.map(o => o.value)")
                    if actions[-2:] != (["spam", "delete"] if role == "admin" else ["problem", "spam"]):
                        problems.append(f"{role} bulk: the actions end {actions[-2:]}")
                    problems += [f"{role} {lang} bulk {width}px: {v}" for v in serious_violations(page)]
                screenshot(page, f"workspace-{role}-{lang}-{name}-{width}")
        if role == "admin":  # dark mode (the site's colours follow it): the same contrast rules
            page.emulate_media(color_scheme="dark")
            for name in names:
                problems += check(page, base_url + paths[name], f"{role} {lang} {name} dark 375px", lang, 375)
                screenshot(page, f"workspace-{role}-{lang}-{name}-dark-375")
            page.emulate_media(color_scheme="light")
        if role == "admin" and lang == "ar":
            problems += arabic_reading_order(page, base_url, paths)
        context.close()
    assert not problems, "\n".join(problems)


def arabic_reading_order(page: Page, base_url: str, paths: dict[str, str]) -> list[str]:
    """What axe does not see, on the Arabic desktop: an English name (a team's, a view's) keeps the line's Arabic
    order around it, and an example time reads left to right."""
    problems = []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url + paths["admin"])
    for label in page.locator("fieldset.team-choices label").all():  # the box starts the line: on the right
        box, name = label.locator("input").bounding_box(), label.locator("bdi").bounding_box()
        if not (box and name and box["x"] > name["x"]):
            problems.append(f"admin: the box of {label.inner_text()!r} is not on its name's right")
    page.goto(base_url + paths["shared-view"])
    shared = page.locator("#saved-views a", has=page.locator(".shared-mark"))
    name, mark = shared.locator("span[dir=auto]").bounding_box(), shared.locator(".shared-mark").bounding_box()
    after = name and mark and (mark["y"] >= name["y"] + name["height"] - 1  # on the next line, or on its left
                               or (abs(mark["y"] - name["y"]) < 2 and mark["x"] < name["x"]))
    if not after:  # the name first (on the right), then "(shared)"
        problems.append(f"inbox: '(shared)' is not after the view's name: {name} {mark}")
    example = page.locator("#bulk-due-hint bdi[dir=ltr]")
    if example.count() != 1 or example.inner_text() != "2026-12-05T14:30":
        problems.append("inbox: the due time's example is not isolated left to right")
    # An Arabic signature reads right to left, under a reply and in the reply box's preview, its lines as typed.
    for name, selector in (("closed", ".message .signature"), ("ticket", "#signature-preview")):
        page.goto(base_url + paths[name])
        shown = page.locator(selector)
        direction = shown.first.evaluate("el => getComputedStyle(el).direction") if shown.count() == 1 else None
        if direction != "rtl" or shown.inner_text().split("\n")[1:] != ["مريم", "فريق دعم منزل"]:
            problems.append(f"{name}: the Arabic signature is not shown right to left: {direction}")
    # The customer card's values start on the right, under their names, a Latin one ("AC-5512") too.
    away = page.locator("#ticket-customer-field-values dd").evaluate_all("""dds => dds.filter(dd => {
        const text = document.createRange(); text.selectNodeContents(dd);
        return dd.getBoundingClientRect().right - text.getBoundingClientRect().right > 2;
    }).map(dd => dd.dataset.key)""")
    if away or page.locator("#ticket-customer-field-values dd").count() != 3:
        problems.append(f"ticket: customer field values not on the right: {away}")
    return problems


# The outermost elements reaching past either edge of the viewport (a table in a scrolling box does not).
OVERFLOWING = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*:not(.skip-link)')) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > innerWidth + 1 || box.left < -1) && !out.some(o => o.contains(el))) {
      let hidden = false;
      for (let up = el.parentElement; up; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== 'visible') { hidden = true; break; }
      }
      if (!hidden) out.push(el);
    }
  }
  return out.slice(0, 4).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
    + ' ' + Math.round(el.getBoundingClientRect().width) + 'px');
}"""


# Labels parted from their fields: a label beside neither its field's line nor its start edge (a label at one line's
# end, its field beginning the next, as the inbox's, audit's and reports' filters and the admin's forms were on a
# phone), or a label whose field begins before the label's last line ends (split around a box); a checkbox or a
# radio button not on its label's line (the customer fields' "VIP" box above its label on a phone).
PARTED_LABELS = """() => {
  const rtl = document.documentElement.dir === 'rtl';
  const out = [];
  for (const label of document.querySelectorAll('main label[for]')) {
    const field = document.getElementById(label.htmlFor);
    if (!field || label.contains(field) || label.closest('.visually-hidden, table') || !label.offsetParent) continue;
    const l = label.getBoundingClientRect(), f = field.getBoundingClientRect();
    const sameLine = [...label.getClientRects()].every(r => r.top < f.bottom && f.top < r.bottom);
    if (field.type === 'checkbox' || field.type === 'radio') {  // a box beside its label, never on another line
      if (!sameLine) out.push(label.htmlFor);
      continue;
    }
    const above = l.bottom <= f.top + 1 && Math.abs(rtl ? l.right - f.right : l.left - f.left) <= 2;
    if (!sameLine && !above) out.push(label.htmlFor);
  }
  return out;
}"""


def check(page: Page, url: str, where: str, lang: str, width: int) -> list[str]:
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, f"{where}: {answer and answer.status}"
    page.evaluate("document.fonts.ready")
    page.evaluate("document.querySelectorAll('td.signature-cell details').forEach(d => { d.open = true; })")  # admin
    problems = []
    if lang == "ar" and page.locator("html").get_attribute("dir") != "rtl":
        problems.append(f"{where}: <html> is not dir=rtl")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{where} scrolls sideways: {scroll}px, past the edge: {page.evaluate(OVERFLOWING)}")
    parted = page.evaluate(PARTED_LABELS)
    if parted:
        problems.append(f"{where}: labels parted from their fields: {parted}")
    return problems + [f"{where}: {v}" for v in serious_violations(page)]
