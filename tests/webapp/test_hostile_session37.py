"""Hostile input against session 37's review of session 36's surfaces (hostile37), and writes that waited one busy
timeout for SQLite's one writer and then failed where they now wait it out (`Database.write`, as a new ticket and an
erase do).

Each test a fault found and fixed (it failed before the fix) or a rule pinned beside one. The real app and desk;
SQLite and (`--postgresql`) PostgreSQL, except the busy database's, which hold an SQLite file's write lock (on
PostgreSQL a write waits on the row it needs, never on a busy timeout).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select, update

from desk import customer_fields
from desk.desk import Desk
from desk.mail.addresses import reply_address
from desk.mail.outbox import EML_FOLDER
from desk.mail.transport import EmlDirectory
from desk.mail_suggestions import MailSuggestions, Suggested, SuggestionError
from desk.models import BlockedSender, MailSuggestion, OutboxMail, Ticket, utcnow
from desk.surveys import open_survey
from desk.tickets import InputError, NewTicket
from kb.bidi_text import INVISIBLE
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.desk.test_mail_in import confirmed, plain_mail, token_of
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_hostile_session36 import GOOD_FIELDS, app, ticket_values  # noqa: F401
from tests.webapp.test_unavailable_database import database_file, on_sqlite, write_lock
from webapp import create_app
from webapp.mail_commands import deliver_pending_mail


@pytest.fixture
def busy_app(light_settings: Settings) -> Flask:  # noqa: F811
    """An app on SQLite whose busy timeout (0.1 s) is shorter than the other writer's hold (till the write met it),
    with customer fields."""
    (light_settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(GOOD_FIELDS, encoding="utf-8")
    made = create_app(on_sqlite(replace(light_settings, rate_limits=False), db_busy_timeout=0.1,
                                db_write_deadline=60))
    made.extensions["desk"].accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    return made


def while_busy(busy: Flask, work: Callable[[], object], caplog: pytest.LogCaptureFixture) -> object:
    """`work` run while another process holds the database's write lock, released once `work` met it (its
    "database busy, trying again" said) or gave up: what `work` returned or raised."""
    caplog.set_level(logging.WARNING, logger="desk.database")
    found: list[object] = []

    def run() -> None:
        try:
            found.append(work())
        except Exception as error:
            found.append(error)

    thread = threading.Thread(target=run)
    with write_lock(database_file(busy.extensions["desk"].settings)):
        thread.start()
        met_or_done(thread, caplog)
    thread.join(60)
    return found[0]


def met_or_done(thread: threading.Thread, caplog: pytest.LogCaptureFixture) -> None:
    """Until `thread` waits on the lock (its "database busy, trying again" said) or is done: a bound (60 s), not a
    timing."""
    for _ in range(3000):
        if not thread.is_alive() or any(r.thread == thread.ident and "database busy" in r.getMessage()
                                        for r in caplog.records):
            return
        time.sleep(0.02)


def new_ticket(desk: Desk, email: str = "sam@example.com") -> int:
    return desk.tickets.create(NewTicket(email=email, name="Sam", subject="Lost parcel", body="Where is it?",
                                         lang="en")).id


def test_a_mail_arriving_while_another_write_holds_the_database_is_stored_not_deferred(
        busy_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """A mail (a new one, a reply to a ticket, a refused one kept as held) arriving while the worker's pass or a
    ticket being created held SQLite's write lock past one busy timeout failed with StorageError (the MTA deferred
    it, a pipe's delivery failed); it now waits the write deadline, as a contact form's ticket does. Before the fix
    each failed."""
    desk: Desk = busy_app.extensions["desk"]
    created = while_busy(busy_app, lambda: desk.mail_in.receive(plain_mail("Where is it?", "Lost parcel",
                                                                           "sam@example.com")), caplog)
    assert getattr(created, "outcome", created) == "created"
    confirmed(desk, created.ticket_id)  # type: ignore[attr-defined]
    reply = plain_mail("Any news?", "Re: Lost parcel", "sam@example.com",
                       To=reply_address("support@x.example", token_of(desk, created.ticket_id)))  # type: ignore[attr-defined]
    continued = while_busy(busy_app, lambda: desk.mail_in.receive(reply), caplog)
    assert getattr(continued, "outcome", continued) == "continued"
    desk.trash.block("bot@junk.example")
    held = while_busy(busy_app, lambda: desk.mail_in.receive(plain_mail("Win", "Win", "bot@junk.example")), caplog)
    assert getattr(held, "outcome", held) == "rejected"


def survey_token(desk: Desk, ticket: int) -> str:
    with desk.db.session() as session:
        live = session.get(Ticket, ticket)
        assert live is not None
        return open_survey(session, live, None, live.created_at).token


@pytest.mark.parametrize("write", ["survey", "magic_link", "reply", "follow_up", "api_reply", "status", "bulk",
                                   "customer_fields", "spam", "note", "profile"])
def test_a_customers_or_agents_write_waits_out_a_busy_database(
        busy_app: Flask, caplog: pytest.LogCaptureFixture, write: str) -> None:
    """The customer's rating (the survey page), their "mail me my tickets link", an agent's reply (the ticket page,
    the token API) and follow-up, a ticket's status (one, and the inbox's bulk change), a customer's fields (the
    API's PATCH, the profile), "Mark as spam", an internal note and the profile's name and notes failed after one
    busy timeout (a 503 page, a JSON 503) while another write held SQLite's lock; they now wait it out. Before the
    fix each failed."""
    desk: Desk = busy_app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com").id  # type: ignore[union-attr]
    ticket = new_ticket(desk)
    if write == "follow_up":
        desk.tickets.update(ticket, status="closed")
    token = survey_token(desk, ticket) if write == "survey" else desk.accounts.create_token("partner")
    api = busy_app.test_client()
    customer = desk.tickets.get(ticket).customer_id  # type: ignore[union-attr]
    works: dict[str, Callable[[], object]] = {
        "survey": lambda: desk.surveys.answer(token, 4, "Quick, thanks").rating,
        "magic_link": lambda: desk.outbox.queue_magic_link("sam@example.com", "en", "/en/my-tickets/x"),
        "reply": lambda: desk.tickets.send_reply(ticket, sara, "It left today.").message.body,
        "follow_up": lambda: desk.tickets.agent_follow_up(ticket, sara, "It left today.").message.body,
        "api_reply": lambda: api.post(f"/api/v1/tickets/{ticket}/replies", headers={
            "Authorization": f"Bearer {token}"}, json={"agent": sara, "body": "x"}).status_code,
        "status": lambda: desk.tickets.update(ticket, status="pending", agent_id=sara) or desk.tickets.get(
            ticket).status,  # type: ignore[union-attr]
        "bulk": lambda: desk.tickets.bulk_update([ticket], priority="high", agent_id=sara),
        "customer_fields": lambda: api.patch(f"/api/v1/customers/{customer}", headers={
            "Authorization": f"Bearer {token}"}, json={"fields": {"plan": "business"}}).get_json().get("fields"),
        "spam": lambda: desk.trash.delete([ticket], spam=True) and desk.trash.is_blocked("sam@example.com"),
        "note": lambda: desk.notes.add(ticket, sara, "Courier called.").mentioned,
        "profile": lambda: desk.customers.edit(customer, "Sam Haddad", "Prefers mail.").name,
    }
    expected = {"survey": 4, "magic_link": True, "reply": "It left today.", "follow_up": "It left today.",
                "api_reply": 201, "status": "pending", "bulk": 1, "customer_fields": {"plan": "business"},
                "spam": True, "note": [], "profile": "Sam Haddad"}
    assert while_busy(busy_app, works[write], caplog) == expected[write]
    if write in ("reply", "api_reply"):  # sent once: the try rolled back while the database was busy left nothing
        assert [m.body for m in desk.tickets.get(ticket).messages if m.author == "agent"] == [  # type: ignore[union-attr]
            "x" if write == "api_reply" else "It left today."]


def test_a_blocked_domain_with_a_control_or_invisible_character_is_refused_naming_the_address(
        app: Flask) -> None:  # noqa: F811
    """The admin's Blocked senders form (and "Mark as spam"'s block) checked a domain for spaces and punctuation
    only: a NUL was PostgreSQL's 500, a bidi override or isolate was stored and listed reading backwards, a zero-width
    space was folded away by the IDNA codec (a block of "@pay\u200bpal.example" held paypal.example). Refused now, as
    an address with them is, naming the address, nothing stored. Before the fix each was stored (or a 500)."""
    desk: Desk = app.extensions["desk"]
    admin = client_for(app, "admin@example.com")
    token = csrf(admin.get("/agent/blocked").get_data(as_text=True))
    for typed in ("@spam\x00.example", "@elpmaxe\u202e.spam", "@pay\u200bpal.example", "spam\u2066.example",
                  "@spam\x1b.example"):
        refused = admin.post("/agent/blocked", data={"address": typed, "csrf_token": token})
        assert refused.status_code == 400, (typed, refused.status_code)
        assert "is not an address or a domain" in unescape(refused.get_data(as_text=True)), typed
        with pytest.raises(InputError) as error:
            desk.trash.block(typed)
        assert error.value.field == "address"
    assert desk.trash.blocked().rows == []


def test_a_blocked_international_domain_is_the_domain_typed_not_its_idna_2003_folding(app: Flask) -> None:  # noqa: F811
    """Python's "idna" codec is IDNA 2003's: "ß" became "ss" and "ς" "σ", so a block of "@straße.example" held
    "strasse.example" (another domain, someone else's mail) and let "straße.example"'s (xn--strae-oqa, as mail and
    browsers now write it) through. Each label is now folded as IDNA 2008 has it (full-width forms, case, the
    ideographic full stop) and then Punycode. Before the fix the first two assertions failed."""
    desk: Desk = app.extensions["desk"]
    assert desk.trash.block("@Straße.example") == "@xn--strae-oqa.example"
    assert [desk.trash.is_blocked(f"x@{domain}") for domain in ("xn--strae-oqa.example", "straße.example",
                                                                 "strasse.example")] == [True, True, False]
    assert desk.trash.block("@ＢÜＣＨＥＲ。example.") == "@xn--bcher-kva.example"  # as before: one domain
    assert desk.trash.is_blocked("x@Bücher.Example")


def suggest(desk: Desk, ticket: int, token: str) -> None:
    """A suggested article as the acknowledgement's composer stores one (desk.mail_suggestions)."""
    with desk.db.session() as session:
        session.add(MailSuggestion(ticket_id=ticket, outbox_id=1, position=1, token=token,
                                   article_key="en/refund-timing", title="How long refunds take"))


def test_a_suggestion_link_of_an_erased_or_purged_ticket_opens_nothing_and_solves_nothing(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """An erasure replaced the survey's token but not the acknowledgement's suggestion links: after Sam was forgotten,
    the old mail's "Yes, close my request" still solved his (anonymous) ticket and recorded the answer; a purged
    ticket's suggestions stayed (plain ids: nothing removed them), their links opening the article with its banner.
    Now an erase replaces the tokens (the answers stay for the dashboard's figures) and a purge deletes the rows;
    an answer whose row went between the page and the post is a 404, not a 500 (`assert row`). Before the fix each
    link answered and the "yes" solved the erased ticket."""
    desk: Desk = app.extensions["desk"]
    erased, purged = new_ticket(desk), new_ticket(desk, "omar@example.com")
    suggest(desk, erased, "erased-ticket-token")
    suggest(desk, purged, "purged-ticket-token")
    desk.erasure.erase(desk.tickets.get(erased).customer_id, "sam@example.com")  # type: ignore[union-attr]
    desk.trash.delete([purged])
    assert desk.trash.purge_ids([purged]) == 1
    client = app.test_client()
    form = csrf(client.get("/en/contact").get_data(as_text=True))
    for token in ("erased-ticket-token", "purged-ticket-token"):
        assert desk.mail_suggestions.by_token(token) is None, token
        assert client.get(f"/en/suggested/{token}").status_code == 404
        assert client.post(f"/en/suggested/{token}", data={"answer": "yes", "csrf_token": form}).status_code == 404
        with pytest.raises(SuggestionError, match="token"):
            desk.mail_suggestions.answer(token, "yes")
    with desk.db.session() as session:
        kept = [(s.ticket_id, s.answer) for s in session.scalars(select(MailSuggestion))]
        status = session.scalar(select(Ticket.status).where(Ticket.id == erased))
    assert kept == [(erased, None)] and status == "open"
    # Purged between the answer's read of its token and its write: the write's `assert row` was a 500.
    racing = new_ticket(desk, "lina@example.com")
    suggest(desk, racing, "racing-ticket-token")
    desk.trash.delete([racing])
    read = MailSuggestions.by_token

    def read_then_purged(self: MailSuggestions, token: str) -> Suggested | None:
        found = read(self, token)
        desk.trash.purge_ids([racing])
        return found

    monkeypatch.setattr(MailSuggestions, "by_token", read_then_purged)
    with pytest.raises(SuggestionError, match="token"):
        desk.mail_suggestions.answer("racing-ticket-token", "no")


def test_an_unknown_fields_key_with_a_bidi_or_control_character_is_named_escaped(
        light_settings: Settings) -> None:  # noqa: F811
    """PATCH /api/v1/customers/<id> (and a ticket's fields, one function: desk.field_values.checked_values) named an
    unknown key's refusal `fields.<key>` with the key as sent: a U+202E in it reversed the rest of the error in an
    integration's log or a terminal ("fields.plan‮: no customer field ..."). The key in the field's name is escaped
    now, as the message's repr already was; nothing is written. Before the fix the raw character was in the answer."""
    for name in (CUSTOMER_FIELDS_FILE, FIELDS_FILE):
        (light_settings.content_dir / name).write_text(GOOD_FIELDS, encoding="utf-8")
    made = create_app(light_settings)
    desk: Desk = made.extensions["desk"]
    ticket = new_ticket(desk)
    customer = desk.tickets.get(ticket).customer_id  # type: ignore[union-attr]
    api = made.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}
    for path in (f"/api/v1/customers/{customer}", f"/api/v1/tickets/{ticket}"):
        for key, shown in (("plan\u202e", "plan\\u202e"), ("\u2066vip", "\\u2066vip"), ("a\u200bb", "a\\u200bb"),
                           ("خطة", "خطة")):
            refused = api.patch(path, headers=auth, json={"fields": {key: "free", "plan": "business"}})
            text = refused.get_data(as_text=True)
            assert refused.status_code == 400 and refused.get_json()["error"].startswith(f"fields.{shown}: "), text
            assert not INVISIBLE.intersection(text), (path, text)
    assert customer_fields.values_of(desk.db, customer) == {} and ticket_values(desk, ticket) == {}


def test_the_blocked_senders_page_is_paged_as_the_deleted_tickets_are(app: Flask) -> None:  # noqa: F811
    """Every "Mark as spam" blocks an address, and the admin's Blocked senders page listed every one in one page (a
    desk with tens of thousands of spammers had a page of tens of thousands of rows, each with its form). It is paged
    now as Deleted tickets is (25 a page, ?page=, the count of all above). Before the fix the first page held 30."""
    desk: Desk = app.extensions["desk"]
    with desk.db.session() as session:
        session.add_all(BlockedSender(address=f"bot{n:02}@junk.example", created_at=utcnow()) for n in range(30))
    admin = client_for(app, "admin@example.com")
    first, second = (admin.get("/agent/blocked", query_string=q).get_data(as_text=True) for q in ({}, {"page": "2"}))
    assert first.count('class="blocked-row"') == 25 and 'id="blocked-total">(30)' in first
    assert second.count('class="blocked-row"') == 5 and "bot29@junk.example" in second
    assert admin.get("/agent/blocked", query_string={"page": "x"}).status_code == 400
    refused = admin.post("/agent/blocked", query_string={"page": "2"},
                         data={"address": "@a\u202e.example", "csrf_token": csrf(first)})
    assert refused.status_code == 400 and refused.get_data(as_text=True).count('class="blocked-row"') == 5


def test_a_mail_sent_while_another_write_holds_the_database_is_marked_sent_not_sent_again(
        busy_app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's delivery pass sent a mail and then marked it sent in a bare transaction: another write holding
    SQLite's lock past one busy timeout at that moment (a ticket being created, a mail arriving) failed the mark,
    the row stayed queued, and the pass after its lease sent the customer the same mail again. The mark now waits
    the lock out. Before the fix the pass failed and a second pass sent a second copy."""
    desk: Desk = busy_app.extensions["desk"]
    settings = desk.settings
    new_ticket(desk)  # its confirmation queued
    holder = sqlite3.connect(database_file(settings), isolation_level=None, timeout=30, check_same_thread=False)
    send = EmlDirectory.send

    def sent_then_locked(self: EmlDirectory, message: EmailMessage, name: str) -> None:
        send(self, message, name)
        holder.execute("BEGIN IMMEDIATE")  # another writer takes the lock the moment the mail is out

    monkeypatch.setattr(EmlDirectory, "send", sent_then_locked)
    found = delivered_while_taken(desk, holder, caplog)
    monkeypatch.setattr(EmlDirectory, "send", send)
    with desk.db.session() as session:  # its lease over, as an hour later
        session.execute(update(OutboxMail).values(next_attempt_at=utcnow() - timedelta(minutes=1)))
    later = deliver_pending_mail(desk, settings)
    assert (found, later) == ([1], 0)
    assert len(list((settings.data_dir / EML_FOLDER).glob("*.eml"))) == 1


def delivered_while_taken(desk: Desk, holder: sqlite3.Connection, caplog: pytest.LogCaptureFixture) -> list[object]:
    """The worker's delivery pass, during which the caller's patch makes `holder` (another writer's connection) take
    SQLite's write lock; committed once the pass met it (its "database busy" said) or ended: what it returned or
    raised."""
    caplog.set_level(logging.WARNING, logger="desk.database")
    found: list[object] = []

    def deliver() -> None:
        try:
            found.append(deliver_pending_mail(desk, desk.settings))
        except Exception as error:
            found.append(error)

    thread = threading.Thread(target=deliver)
    thread.start()
    met_or_done(thread, caplog)
    holder.execute("COMMIT")
    thread.join(60)
    holder.close()
    return found
