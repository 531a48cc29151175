"""The writes hostile38 left bare (hostile38b): each failed after one busy timeout while another process held
SQLite's write lock, and now waits it out (`Database.write`) and writes once, though its work ran again after a
rolled-back try.

hostile38's pattern and helpers (tests/webapp/test_hostile_session38.py, test_hostile_session37.py): the other writer
holds the lock until the write met it (its "database busy, trying again" said), no timed waits. The busy cases run on
an SQLite file under both engines (on PostgreSQL a write waits on the row it needs, never on a busy timeout); the
writes sharing an app are one test, whose answer lists every write's outcome at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest
from flask import Flask

from desk.audit import CLI, Actor
from desk.desk import Desk
from desk.models import (
    AuditEvent,
    ContentGap,
    Mention,
    Notice,
    Passkey,
    RecoveryCode,
    SuggestionEvent,
    Ticket,
    TicketAdvice,
    TicketPresence,
    TicketSnoozeChange,
    TicketTag,
    WebhookDelivery,
    utcnow,
)
from desk.passkeys import RelyingParty
from desk.two_factor import STEP
from desk.webhooks import Outcome
from kb.settings import Settings
from tests.desk.test_mail_in import plain_mail
from tests.desk.test_passkeys import ORIGIN
from tests.desk.test_two_factor import NOW
from tests.soft_authenticator import SoftPasskey
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_hostile_session36 import app  # noqa: F401
from tests.webapp.test_hostile_session37 import busy_app, new_ticket, while_busy  # noqa: F401
from tests.webapp.test_hostile_session38 import audited, count, two_teams  # noqa: F401
from tests.webapp.test_unavailable_database import on_sqlite
from webapp import create_app


def busy_outcomes(busy: Flask, caplog: pytest.LogCaptureFixture,
                  works: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Each work, in order, run while another process holds the database's write lock: what it returned (or raised),
    marked when it never met the lock (then it proves nothing)."""
    found: dict[str, object] = {}
    for name, work in works.items():
        caplog.clear()
        done = while_busy(busy, work, caplog)
        found[name] = done if "database busy" in caplog.text else ("never met the lock", done)
    return found


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret, interval=STEP).at(moment)


def test_the_ticket_pages_advice_and_suggestions_and_the_sign_in_steps_wait_out_a_busy_database_and_write_once(
        busy_app: Flask, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """User-facing writes: the ticket page's advice saved and content gap noted, a suggestion's event (inserted,
    "shown" once per version), the page's presence beat and its mentions marked seen, two-factor sign-in's start,
    confirm, cancel, a code used, the recovery codes regenerated, turned off and an admin's reset, and a passkey's
    registration (its challenge and the key), sign-in (challenge and use), rename and removal were bare
    transactions: while another write held SQLite's lock past one busy timeout each failed (a 503 page; a confirm's
    codes lost). Before the fix each failed."""
    desk: Desk = busy_app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com").id  # type: ignore[union-attr]
    lina = desk.accounts.create_agent("lina@example.com", PASSWORD, name="Lina").id
    ticket = new_ticket(desk)
    desk.notes.add(ticket, sara, "@lina is this parcel lost?")
    desk.passkeys.party = RelyingParty.from_origins((ORIGIN,), "help.example.com")
    key = SoftPasskey("help.example.com", ORIGIN)
    kept: dict[str, object] = {}

    def start() -> bool:
        kept["secret"] = desk.two_factor.start(sara)
        return True

    def register() -> str:
        options, challenge = desk.passkeys.registration_options(lina)
        kept["challenge"], kept["options"] = challenge, options
        return "options"

    def sign_in_options() -> str:
        kept["options"], kept["challenge"] = desk.passkeys.sign_in_options(lina)
        return "options"

    def passkey_id() -> int:
        return desk.passkeys.list(lina)[0].id

    works: dict[str, Callable[[], object]] = {
        "advice": lambda: desk.advice.save(ticket, 1, "v1", {"summary": "Lost parcel"}),
        "content_gap": lambda: desk.events.content_gap("where is my parcel", "en", ticket_id=ticket),
        "suggestion": lambda: desk.events.suggestion(ticket, "inserted", agent_id=sara, article_key="en/returns"),
        "shown": lambda: desk.events.suggestion_shown(ticket, sara, "v1", {"query": "parcel"}),
        "presence": lambda: desk.presence.touch(ticket, sara, replying=True),
        "mention_seen": lambda: desk.notes.mark_seen(ticket, lina),
        "start": start,
        "confirm": lambda: len(desk.two_factor.confirm(sara, code_at(str(kept["secret"]), NOW), Actor.agent(sara),
                                                       now=NOW)),
        "verify": lambda: desk.two_factor.verify(sara, code_at(str(kept["secret"]), NOW + 60), now=NOW + 60),
        "regenerate": lambda: len(desk.two_factor.regenerate(sara, Actor.agent(sara))),
        "disable": lambda: desk.two_factor.disable(sara, Actor.agent(sara), PASSWORD),
        "start_again": start,
        "cancel": lambda: desk.two_factor.cancel(sara),
        "passkey_options": register,
        "passkey_register": lambda: desk.passkeys.register(
            lina, kept["challenge"], key.register(str(kept["options"])), "Laptop", Actor.agent(lina)).name,
        "passkey_sign_in_options": sign_in_options,
        "passkey_sign_in": lambda: desk.passkeys.sign_in(
            kept["challenge"], key.assert_(str(kept["options"])), agent_id=lina).id,  # type: ignore[arg-type]
        "passkey_rename": lambda: desk.passkeys.rename(lina, passkey_id(), "Work laptop", Actor.agent(lina)),
        "passkey_remove": lambda: desk.passkeys.remove(lina, passkey_id(), Actor.agent(lina)),
    }
    found = busy_outcomes(busy_app, caplog, works)
    registered_again = SoftPasskey("help.example.com", ORIGIN)  # the reset removes an agent's passkeys
    options, challenge = desk.passkeys.registration_options(sara)
    desk.passkeys.register(sara, challenge, registered_again.register(options), "Phone", Actor.agent(sara))
    found.update(busy_outcomes(busy_app, caplog, {"reset": lambda: desk.two_factor.reset(sara, CLI)}))
    assert found == {
        "advice": None, "content_gap": None, "suggestion": None, "shown": True, "presence": None, "mention_seen": 1,
        "start": True, "confirm": 10, "verify": True, "regenerate": 10, "disable": None, "start_again": True,
        "cancel": None, "passkey_options": "options", "passkey_register": "Laptop",
        "passkey_sign_in_options": "options", "passkey_sign_in": lina, "passkey_rename": None,
        "passkey_remove": None, "reset": None}
    written = {  # each once
        "advice": count(desk, TicketAdvice), "content_gap": count(desk, ContentGap),
        "suggestion": count(desk, SuggestionEvent, SuggestionEvent.kind == "inserted"),
        "shown": count(desk, SuggestionEvent, SuggestionEvent.kind == "shown"),
        "presence": count(desk, TicketPresence), "mention_seen": count(desk, Mention, Mention.seen_at.is_not(None)),
        **{action: audited(desk, action) for action in (
            "two_factor_enabled", "recovery_codes_regenerated", "two_factor_disabled", "two_factor_reset",
            "passkey_used", "passkey_renamed", "passkey_removed")},
        "passkey_registered": count(desk, AuditEvent, AuditEvent.action == "passkey_registered",
                                    AuditEvent.subject == str(lina)),
    }
    assert set(written.values()) == {1}, written
    assert count(desk, RecoveryCode) == 0 and count(desk, Passkey) == 0
    assert desk.accounts.find("sara@example.com").two_factor_secret is None  # type: ignore[union-attr]
    assert count(desk, AuditEvent, AuditEvent.action == "passkey_failed") == 0


def test_the_admins_agents_tokens_organizations_notices_webhooks_and_teams_wait_out_a_busy_database_and_write_once(
        two_teams: None, busy_app: Flask, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """Admin writes: an agent created, deactivated, made a lead, given a password (the admin's reset and the CLI's),
    signed out everywhere, a first sign-in's session token, a token created, an organization created, edited, a
    customer moved out of it and it deleted, a notice published and ended, a webhook created, edited, turned off,
    its secret rotated, a test event queued, a delivery replayed and the webhook deleted, and `kb teams add`/`remove`
    were bare transactions that failed after one busy timeout while another write held SQLite's lock (a 503 page, a
    CLI traceback). They now wait it out and write once. Before the fix each failed (each case's rows are made
    beforehand, so none depends on another's write)."""
    desk: Desk = busy_app.extensions["desk"]
    ticket = new_ticket(desk)
    customer = desk.tickets.get(ticket).customer_id  # type: ignore[union-attr]
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
    org = desk.organizations.create("Parcels Co", ["example.com"], by=CLI).id
    notice = desk.notices.publish("Deliveries are late", "", utcnow() + timedelta(days=1)).id
    desk.webhooks.allow_private = True  # the test's receiver address: nothing is sent here
    hook = desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.created"], CLI)[0].id
    desk.webhooks.send_test(hook)
    delivery = desk.webhooks.deliveries(hook)[0].id
    desk.teams.add("omar@example.com", "ksa", CLI)
    actions = ("agent_created", "deactivated", "reactivated", "role_changed", "password_reset", "password_changed",
               "token_created", "organization_created", "organization_edited", "organization_member_changed",
               "organization_deleted", "webhook_created", "webhook_updated", "webhook_rotated", "webhook_replayed",
               "webhook_deleted", "team_member_added", "team_member_removed")
    before = {action: audited(desk, action) for action in actions} | {"notices": count(desk, Notice)}
    works: dict[str, Callable[[], object]] = {
        "create_agent": lambda: desk.accounts.create_agent("layla@example.com", PASSWORD, name="Layla").email,
        "session_token": lambda: len(desk.accounts.session_token(omar)) > 20,  # the first sign-in's, made now
        "deactivate": lambda: desk.accounts.manage(omar, CLI, active=False).active,
        "reactivate_lead": lambda: desk.accounts.manage(omar, CLI, active=True, role="lead").role,
        "password_reset": lambda: desk.accounts.manage(omar, CLI, password=PASSWORD + "2").id == omar,
        "set_password": lambda: desk.accounts.set_password(omar, PASSWORD + "3", Actor.agent(omar)),
        "end_sessions": lambda: desk.accounts.end_sessions(omar),
        "create_token": lambda: desk.accounts.create_token("crm", CLI).startswith("kb_"),
        "organization": lambda: desk.organizations.create("Shipping Co", ["shipping.example"], by=CLI).name,
        "organization_edit": lambda: desk.organizations.edit(org, "Parcels Ltd", ["example.com"], None, None,
                                                             CLI).name,
        "organization_member": lambda: desk.organizations.set_customer(customer, None, CLI).organization_id,
        "organization_delete": lambda: desk.organizations.delete(org, CLI),
        "notice": lambda: desk.notices.publish("Returns are free", "", utcnow() + timedelta(days=1)).text_en,
        "notice_end": lambda: desk.notices.end(notice),
        "webhook": lambda: desk.webhooks.create("erp", "http://127.0.0.1:9/y", ["ticket.created"], CLI)[0].name,
        "webhook_update": lambda: desk.webhooks.update(hook, CLI, description="Our CRM").description,
        "webhook_off": lambda: desk.webhooks.set_active(hook, False, CLI),
        "webhook_rotate": lambda: len(desk.webhooks.rotate(hook, CLI)) > 20,
        "webhook_test": lambda: desk.webhooks.send_test(hook),
        "webhook_replay": lambda: desk.webhooks.replay(delivery, CLI).state,
        "webhook_delete": lambda: desk.webhooks.delete(hook, CLI),
        "teams_add": lambda: desk.teams.add("omar@example.com", "uae", CLI),
        "teams_remove": lambda: desk.teams.remove("omar@example.com", "ksa", CLI),
    }
    assert busy_outcomes(busy_app, caplog, works) == {
        "create_agent": "layla@example.com", "session_token": True, "deactivate": False, "reactivate_lead": "lead",
        "password_reset": True, "set_password": None, "end_sessions": None, "create_token": True,
        "organization": "Shipping Co", "organization_edit": "Parcels Ltd", "organization_member": None,
        "organization_delete": 0, "notice": "Returns are free", "notice_end": True, "webhook": "erp",
        "webhook_update": "Our CRM", "webhook_off": None, "webhook_rotate": True, "webhook_test": None,
        "webhook_replay": "pending", "webhook_delete": None, "teams_add": ["ksa", "uae"], "teams_remove": ["uae"]}
    after = {action: audited(desk, action) for action in actions} | {"notices": count(desk, Notice)}
    written = {name: after[name] - before[name] for name in after}
    assert written.pop("webhook_updated") == 2, written  # the description, then off
    assert set(written.values()) == {1}, sorted(written.items())


def test_the_workers_webhook_snooze_automation_and_purge_passes_wait_out_a_busy_database(
        light_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """Worker jobs: a webhook delivery's claim, its try's outcome and the old deliveries' purge, a snooze's end, an
    automation's firing, and the purges of deleted tickets, held mail, idempotency keys and old audit events were
    bare transactions: another write holding SQLite's lock past one busy timeout failed the pass (an automation's
    firing was logged as failed and skipped). They now wait it out and write once. Before the fix each failed."""
    (light_settings.content_dir / "_triggers.yml").write_text(
        "- name: Aged\n  on: schedule\n  if: {hours_since: {created: 2}}\n  then: {add_tags: aged}\n",
        encoding="utf-8")
    busy = create_app(on_sqlite(replace(light_settings, rate_limits=False), db_busy_timeout=0.1,
                                db_write_deadline=60))
    desk: Desk = busy.extensions["desk"]
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara").id
    ticket, snoozed, deleted = new_ticket(desk), new_ticket(desk), new_ticket(desk)
    later = utcnow() + timedelta(days=400)
    desk.snoozes.snooze([snoozed], utcnow() + timedelta(hours=1), sara)
    desk.trash.delete([deleted])
    desk.trash.block("bot@junk.example")
    desk.mail_in.receive(plain_mail("Win", "Win", "bot@junk.example"))
    token = desk.accounts.tokens()[0].id if desk.accounts.create_token("crm") else 0
    desk.idempotency.claim(token, "order-1", "fingerprint")
    desk.webhooks.allow_private = True
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.created"])
    hook = desk.webhooks.endpoints()[0].id
    for _ in range(3):
        desk.webhooks.send_test(hook)
    done = desk.webhooks.claim(timedelta(minutes=5))  # the first, delivered beforehand: the purge's
    assert done is not None
    desk.webhooks.record_try(done.id, "{}", Outcome(200), claimed_until=done.claimed_until)
    tried = desk.webhooks.claim(timedelta(minutes=5))  # the second, claimed beforehand: its try's outcome below
    assert tried is not None

    def claim() -> int:
        due = desk.webhooks.claim(timedelta(minutes=5))
        return due.id if due is not None else 0

    works: dict[str, Callable[[], object]] = {
        "webhook_claim": claim,
        "webhook_try": lambda: desk.webhooks.record_try(tried.id, "{}", Outcome(200),
                                                        claimed_until=tried.claimed_until),
        "webhook_purge": lambda: desk.webhooks.purge(now=later),
        "snooze_wake": lambda: desk.snoozes.wake(now=utcnow() + timedelta(hours=2)),
        "automation": lambda: [fired.ticket_id for fired in desk.automations.run(now=utcnow() + timedelta(hours=3))],
        "trash_purge": lambda: desk.trash.purge(timedelta(0)),
        "held_purge": lambda: desk.held_mail.purge(timedelta(0)),
        "idempotency_purge": lambda: desk.idempotency.purge(now=later),
        "audit_purge": lambda: desk.audit.purge(now=later) > 0,
    }
    assert busy_outcomes(busy, caplog, works) == {
        "webhook_claim": tried.id + 1, "webhook_try": ("delivered", True), "webhook_purge": 2, "snooze_wake": 1,
        "automation": [ticket, snoozed], "trash_purge": 1, "held_purge": 2, "idempotency_purge": 1,
        "audit_purge": True}
    assert "failed on ticket" not in caplog.text
    written = {
        "snooze_ended": count(desk, TicketSnoozeChange, TicketSnoozeChange.kind == "ended"),
        "aged": count(desk, TicketTag, TicketTag.tag == "aged") // 2,
        "deliveries": count(desk, WebhookDelivery),  # the two delivered purged, the one claimed by the pass kept
        "tickets": 3 - count(desk, Ticket),
    }
    assert set(written.values()) == {1}, written


def test_a_refused_block_keeps_what_was_typed_whatever_the_urls_page_number(app: Flask) -> None:  # noqa: F811
    """A POST to /agent/blocked?page=abc (a bad page number in the form's URL) with a refused address answered the
    page-number 400 instead of the form: what was typed and why it was refused were lost. The refused form now shows
    the first page, the address kept and its error beside it; a bad page number on the GET is still a 400 naming it.
    Before the fix the typed address was gone."""
    admin = client_for(app, "admin@example.com")
    token = csrf(admin.get("/agent/blocked").get_data(as_text=True))
    for page in ("abc", "0", "-1", "1.5"):
        refused = admin.post("/agent/blocked", query_string={"page": page},
                             data={"address": "not an address", "csrf_token": token})
        text = refused.get_data(as_text=True)
        assert refused.status_code == 400 and 'value="not an address"' in text, (page, text[-2000:])
        assert 'id="bad-page"' not in text, page
    assert admin.get("/agent/blocked", query_string={"page": "abc"}).status_code == 400
    assert app.extensions["desk"].trash.blocked().total == 0
