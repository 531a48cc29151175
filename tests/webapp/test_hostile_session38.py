"""Hostile input against session 37's surfaces (hostile38), and the last user-facing writes that waited one busy
timeout for SQLite's one writer and then failed where they now wait it out (`Database.write`, as hostile37 moved 19).

Each test a fault found and fixed (it failed before the fix) or a rule pinned beside one. The real app and desk;
SQLite and (`--postgresql`) PostgreSQL, except the busy database's, which hold an SQLite file's write lock (on
PostgreSQL a write waits on the row it needs, never on a busy timeout): each of those also counts what was written,
since `Database.write` runs its work again after a rolled-back try.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from html import unescape
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select

from desk.audit import CLI
from desk.desk import Desk
from desk.mail.addresses import reply_address
from desk.mail.outbox import EML_FOLDER
from desk.models import (
    AuditEvent,
    BlockedSender,
    InboundMail,
    Message,
    OutboxMail,
    SavedView,
    SideConversation,
    SideMessage,
    Ticket,
    TicketCc,
    TicketDeletionChange,
    TicketDueChange,
    TicketSnoozeChange,
    TicketTag,
    TicketTeamChange,
    TimeEntry,
    utcnow,
)
from desk.two_factor import STEP
from kb.bidi_text import INVISIBLE
from kb.settings import Settings, SettingsError
from tests.desk.test_mail_in import plain_mail
from tests.desk.test_two_factor import NOW
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings, login  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from tests.webapp.test_hostile_session36 import app  # noqa: F401
from tests.webapp.test_hostile_session37 import busy_app, delivered_while_taken, new_ticket, while_busy  # noqa: F401
from tests.webapp.test_unavailable_database import database_file
from webapp import create_app
from webapp.mail_commands import deliver_pending_mail


def count(desk: Desk, model: type, *where: object) -> int:
    with desk.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def audited(desk: Desk, action: str) -> int:
    return count(desk, AuditEvent, AuditEvent.action == action)


def side_of(desk: Desk, ticket: int, by: int) -> int:
    return desk.side_conversations.start(ticket, "courier@parcels.example", "Parcel 123", "Where is it?",
                                         _agent(by)).id


def _agent(agent_id: int):  # type: ignore[no-untyped-def]
    from desk.audit import Actor

    return Actor.agent(agent_id)


@pytest.mark.parametrize("write", ["restore", "not_spam", "block", "unblock", "side_start", "side_reply",
                                   "side_close", "side_mark_read", "side_mail", "sign_in_failed", "two_factor"])
def test_a_restore_a_block_a_side_conversation_or_a_failed_sign_in_waits_out_a_busy_database_and_writes_once(
        busy_app: Flask, caplog: pytest.LogCaptureFixture, write: str) -> None:  # noqa: F811
    """Restoring a deleted ticket (and "Not spam"), blocking and unblocking a sender, a side conversation's start,
    reply, close and "mark as read", the audit row of a failed sign-in and a second step's code (checked and counted
    towards the lock in one transaction) were bare transactions: while another write held SQLite's lock past one busy
    timeout each failed (a 503 page; the failed sign-in's row was dropped with a warning, so a guesser's attempts
    went unrecorded). They now wait it out, and the work `Database.write` ran again
    after the rolled-back try wrote once. Before the fix each failed (the sign-in: no row). A third party's mail to
    the conversation waited already (desk.mail.receive, hostile37): pinned beside them."""
    desk: Desk = busy_app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com").id  # type: ignore[union-attr]
    ticket = new_ticket(desk)
    if write in ("restore", "not_spam"):
        desk.trash.delete([ticket], spam=write == "not_spam")
    if write == "unblock":
        desk.trash.block("@junk.example")
    side = side_of(desk, ticket, sara) if write.startswith("side_") and write != "side_start" else 0
    blocked = count(desk, BlockedSender)
    if write == "side_mail":
        with desk.db.session() as session:
            token = session.scalar(select(SideConversation.token).where(SideConversation.id == side))
        courier = plain_mail("It is at the depot.", "Re: Parcel 123", "courier@parcels.example",
                             To=reply_address(desk.settings.mail_from, str(token)))
    client = busy_app.test_client()
    if write == "two_factor":
        secret = desk.two_factor.start(sara)
        desk.two_factor.confirm(sara, pyotp.TOTP(secret, interval=STEP).at(NOW), _agent(sara), now=NOW)
        right = int(pyotp.TOTP(secret, interval=STEP).at(NOW + 600))
        wrong_code = f"{(right + 1) % 1_000_000:06d}"
    works: dict[str, Callable[[], object]] = {
        "restore": lambda: desk.trash.restore(ticket, _agent(sara)).deleted_at,
        "not_spam": lambda: desk.trash.restore(ticket, _agent(sara), not_spam=True).deleted_at,
        "block": lambda: desk.trash.block("@spam.example", _agent(sara)),
        "unblock": lambda: desk.trash.unblock(desk.trash.blocked().rows[0].id, _agent(sara)),
        "side_start": lambda: side_of(desk, ticket, sara) > 0,
        "side_reply": lambda: len(desk.side_conversations.reply(ticket, side, "Any news?", _agent(sara)).messages),
        "side_close": lambda: desk.side_conversations.set_status(ticket, side, "closed", _agent(sara)).status,
        "side_mark_read": lambda: desk.side_conversations.mark_read(ticket),
        "side_mail": lambda: desk.mail_in.receive(courier).outcome,
        "sign_in_failed": lambda: login(client, "sara@example.com", "not the password").status_code,
        "two_factor": lambda: desk.two_factor.sign_in(sara, wrong_code, now=NOW + 600),
    }
    expected = {"restore": None, "not_spam": None, "block": "@spam.example", "unblock": "@junk.example",
                "side_start": True, "side_reply": 2, "side_close": "closed", "side_mark_read": None,
                "side_mail": "side_reply", "sign_in_failed": 401, "two_factor": None}
    if write == "side_mark_read":  # a third party's reply marked it unread
        with desk.db.session() as session:
            session.get(SideConversation, side).unread = True  # type: ignore[union-attr]
    assert while_busy(busy_app, works[write], caplog) == expected[write]
    assert "database busy" in caplog.text  # it met the lock, and waited
    written = {  # each once, though the work ran again after a rolled-back try
        "restore": lambda: (count(desk, TicketDeletionChange, TicketDeletionChange.kind == "restored"),
                            audited(desk, "ticket_restored")),
        "not_spam": lambda: (count(desk, TicketDeletionChange, TicketDeletionChange.kind == "not_spam"),
                             audited(desk, "sender_unblocked"), blocked - count(desk, BlockedSender)),
        "block": lambda: (count(desk, BlockedSender) - blocked, audited(desk, "sender_blocked")),
        "unblock": lambda: (blocked - count(desk, BlockedSender), audited(desk, "sender_unblocked")),
        "side_start": lambda: (count(desk, SideConversation), count(desk, SideMessage),
                               count(desk, OutboxMail, OutboxMail.kind == "side_conversation"),
                               audited(desk, "side_conversation_started")),
        "side_reply": lambda: (count(desk, SideMessage) - 1,
                               count(desk, OutboxMail, OutboxMail.kind == "side_conversation") - 1,
                               audited(desk, "side_conversation_replied")),
        "side_close": lambda: (audited(desk, "side_conversation_closed"),),
        "side_mark_read": lambda: (count(desk, SideConversation, SideConversation.unread.is_(False)),),
        "side_mail": lambda: (count(desk, SideMessage, SideMessage.author == "third_party"),),
        "sign_in_failed": lambda: (audited(desk, "sign_in_failed"),),
        "two_factor": lambda: (desk.accounts.find("sara@example.com").two_factor_failures,  # type: ignore[union-attr]
                               audited(desk, "sign_in_failed")),
    }[write]()
    assert set(written) == {1}, written



@pytest.fixture
def two_teams(light_settings: Settings) -> None:  # noqa: F811
    """The shipped business hours (teams ksa and uae, no routing or assignment) in the app's content, before the app
    (`busy_app`, asked for after this) reads it."""
    shutil.copy(Path("content") / "_business_hours.yml", light_settings.content_dir / "_business_hours.yml")


@pytest.mark.parametrize("write", ["due", "merge", "tag", "cc", "snooze", "time", "team", "problem", "held_delete",
                                   "teams", "view", "tag_rename", "customer_merge", "token", "languages",
                                   "digest", "available", "time_zone"])
def test_an_agents_ticket_page_or_profile_change_waits_out_a_busy_database_and_writes_once(
        two_teams: None, busy_app: Flask, caplog: pytest.LogCaptureFixture, write: str) -> None:  # noqa: F811
    """Grepped beside the list: a ticket's due time (one and bulk), a merge, a tag added or removed, a CC added or
    removed, a snooze and its end, a time entry (added, edited, deleted), a move to another team (one and bulk), a
    problem marked, unmarked, linked or unlinked, a held mail deleted, an agent's teams (the admin page), a saved
    view saved, renamed, shared or deleted, a tag renamed or deleted, a customer merge, a token revoked, and the
    profile's languages, summary by email, availability, time zone, interface language and signatures were bare
    transactions that failed after one busy timeout while another write held SQLite's lock (a 503 page). They now
    wait it out and write once. Before the fix each failed."""
    desk: Desk = busy_app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com").id  # type: ignore[union-attr]
    ticket, other = new_ticket(desk), new_ticket(desk)
    due = utcnow() + timedelta(days=2)
    admin = desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin").id
    available = desk.accounts.find("sara@example.com").available  # type: ignore[union-attr]
    if write == "held_delete":
        desk.trash.block("bot@junk.example")
        held = desk.mail_in.receive(plain_mail("Win", "Win", "bot@junk.example")).inbound_id
    if write == "problem":
        desk.problems.mark(ticket, sara)
    if write == "tag_rename":
        desk.tags.add([ticket], ["parcel"])
    omar = new_ticket(desk, "omar@example.com") if write == "customer_merge" else 0
    token = desk.accounts.create_token("partner") and desk.accounts.tokens()[0].id
    works: dict[str, Callable[[], object]] = {
        "due": lambda: desk.tickets.set_due(ticket, due, sara) is not None,
        "merge": lambda: desk.tickets.merge(other, ticket, sara, "Merged into your earlier request.").id,
        "tag": lambda: desk.tags.add([ticket, other], ["parcel"]),
        "cc": lambda: desk.ccs.add(ticket, "omar@example.com", _agent(sara)),
        "snooze": lambda: desk.snoozes.snooze([ticket], due, sara),
        "time": lambda: desk.time_entries.add(ticket, sara, 300, "Called the courier", _agent(sara)).seconds,
        "team": lambda: desk.tickets.move_to_team(ticket, "uae", sara),
        "problem": lambda: desk.problems.link([other], ticket, sara),
        "held_delete": lambda: desk.held_mail.delete(held, sara),
        "teams": lambda: desk.teams.set_teams(sara, iter(["uae"]), CLI),
        "view": lambda: desk.saved_views.save(sara, "Parcels", {"q": "parcel"}).name,
        "tag_rename": lambda: desk.tags.rename("parcel", "parcels", CLI).tickets,
        "customer_merge": lambda: desk.customers.merge(customer_of(desk, omar), customer_of(desk, ticket)).tickets,
        "token": lambda: desk.accounts.revoke_token(token, CLI),
        "languages": lambda: desk.accounts.set_languages(sara, ["ar"], ("en", "ar"), CLI),
        "digest": lambda: desk.digests.choose(admin, "weekly"),
        "available": lambda: desk.accounts.set_availability(sara, not available, _agent(sara)),
        "time_zone": lambda: desk.accounts.set_time_zone(sara, "Asia/Riyadh"),
    }
    expected = {"due": True, "merge": ticket, "tag": 2, "cc": True, "snooze": 1, "time": 300, "team": False,
                "problem": 1, "held_delete": None, "teams": ["uae"], "view": "Parcels", "tag_rename": 1,
                "customer_merge": 1, "token": None, "languages": ["ar"],
                "digest": "weekly", "available": True, "time_zone": None}
    assert while_busy(busy_app, works[write], caplog) == expected[write]
    assert "database busy" in caplog.text
    written = {
        "due": lambda: (count(desk, TicketDueChange),),
        "merge": lambda: (count(desk, Message, Message.body == "Merged into your earlier request."),),
        "tag": lambda: (count(desk, TicketTag) // 2,),
        "cc": lambda: (count(desk, TicketCc), audited(desk, "ticket_ccs_changed")),
        "snooze": lambda: (count(desk, TicketSnoozeChange),),
        "time": lambda: (count(desk, TimeEntry),),
        "team": lambda: (count(desk, TicketTeamChange),),
        "problem": lambda: (count(desk, Ticket, Ticket.problem_id == ticket),),
        "held_delete": lambda: (count(desk, InboundMail, InboundMail.settled == "deleted"),),
        "teams": lambda: (audited(desk, "team_member_added"),),
        "view": lambda: (count(desk, SavedView),),
        "tag_rename": lambda: (audited(desk, "tag_renamed"),),
        "customer_merge": lambda: (audited(desk, "customer_merged"),),
        "token": lambda: (audited(desk, "token_revoked"),),
        "languages": lambda: (audited(desk, "languages_changed"),),
        "digest": lambda: (desk.accounts.find("admin@example.com").digest == "weekly",),  # type: ignore[union-attr]
        "available": lambda: (desk.accounts.find("sara@example.com").available != available,),  # type: ignore[union-attr]
        "time_zone": lambda: (desk.accounts.find("sara@example.com").time_zone == "Asia/Riyadh",),  # type: ignore[union-attr]
    }[write]()
    assert set(written) == {1}, written

def test_the_delivery_pass_claims_and_composes_a_mail_while_another_write_holds_the_database(
        busy_app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The worker's delivery pass claimed each mail and stored its composed text in bare transactions: another write
    holding SQLite's lock past one busy timeout at the claim failed the whole pass; at the compose it was counted as
    the mail's failed attempt ("could not compose: StorageUnavailableError", the mail put off by the retry delay).
    Both now wait it out, the mail sent once. Before the fix the first pass raised and the second counted an attempt."""
    desk: Desk = busy_app.extensions["desk"]
    settings = desk.settings
    new_ticket(desk)  # its confirmation queued: held at the claim
    assert while_busy(busy_app, lambda: deliver_pending_mail(desk, settings), caplog) == 1
    new_ticket(desk, "omar@example.com")  # held between the claim and the compose's write
    holder = sqlite3.connect(database_file(settings), isolation_level=None, timeout=30, check_same_thread=False)
    import desk.mail.outbox as outbox

    compose = outbox.compose
    taken: list[bool] = []

    def compose_then_locked(*args: object, **kwargs: object) -> EmailMessage:
        if not taken:
            taken.append(True)
            holder.execute("BEGIN IMMEDIATE")  # another writer takes the lock while the mail is composed
        return compose(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox, "compose", compose_then_locked)
    caplog.clear()
    assert delivered_while_taken(desk, holder, caplog) == [1]
    with desk.db.session() as session:
        assert session.execute(select(OutboxMail.status, OutboxMail.attempts, OutboxMail.last_error)).all() == [
            ("sent", 1, None), ("sent", 1, None)]
    assert len(list((settings.data_dir / EML_FOLDER).glob("*.eml"))) == 2



def languages_of(desk: Desk, email: str) -> object:
    return desk.accounts.find(email).languages  # type: ignore[union-attr]


def test_the_profiles_languages_refuse_what_the_site_lacks_naming_the_field_and_quoting_it_escaped(
        app: Flask) -> None:  # noqa: F811
    """/agent/profile's languages and the admin page's (one desk function, desk.accounts.set_languages): an unknown
    code, a NUL, a bidi control or a blank value is refused naming "languages", nothing written, the ticked boxes
    kept; the refused value is quoted escaped (a raw U+202E reversed the rest of the error). Past the 20th value
    the rest were dropped unread, so 10,000 values whose first 20 were "en" saved "en" with "xx" after them:
    every value is read now. Duplicates are one language. Before the fix the escaped quote and the long list
    failed."""
    desk: Desk = app.extensions["desk"]
    sara, admin = client_for(app, "sara@example.com"), client_for(app, "admin@example.com")
    sara_id = desk.accounts.find("sara@example.com").id  # type: ignore[union-attr]
    token = csrf(sara.get("/agent/profile").get_data(as_text=True))
    admin_token = csrf(admin.get("/agent/admin").get_data(as_text=True))
    for values, shown in ((["en", "xx"], "'xx'"), (["en\x00"], "'en\\x00'"), (["\u202een"], "'\\u202een'"),
                          ([""], "''"), (["en"] * 20 + ["xx"] * 9980, "'xx'"), (["ar", "e\u200bn"], "'e\\u200bn'")):
        with writes(app) as seen:
            refused = sara.post("/agent/profile", data={"part": "languages", "languages": values,
                                                        "csrf_token": token})
        text = unescape(refused.get_data(as_text=True))
        assert refused.status_code == 400 and seen == [], (values[:3], refused.status_code)
        assert f"must be one of en, ar, not {shown}" in text, (values[:3], text[-3000:])
        assert not INVISIBLE.intersection(text) and "\x00" not in text
        with writes(app) as seen:
            by_admin = admin.post("/agent/admin", data={"action": "languages", "agent_id": str(sara_id),
                                                        "languages": values, "csrf_token": admin_token})
        assert f"must be one of en, ar, not {shown}" in unescape(by_admin.get_data(as_text=True)), values[:3]
        assert seen == [], values[:3]
    assert languages_of(desk, "sara@example.com") is None
    saved = sara.post("/agent/profile", data={"part": "languages", "languages": ["ar", "ar", " ar "],
                                              "csrf_token": token})
    assert saved.status_code == 302 and languages_of(desk, "sara@example.com") == ["ar"]
    for agent_id in ("99999999999999999999", "-1", "abc", ""):
        answer = admin.post("/agent/admin", data={"action": "languages", "agent_id": agent_id, "languages": "en",
                                                  "csrf_token": admin_token})
        assert answer.status_code in (200, 400), (agent_id, answer.status_code)
    assert languages_of(desk, "sara@example.com") == ["ar"]


def test_the_profiles_digest_choice_refuses_anything_but_off_daily_weekly_naming_the_field(app: Flask) -> None:  # noqa: F811
    """The lead's "Email me a summary": a value not offered (a NUL, a bidi control, "hourly", 10,000 characters,
    two values) is refused naming the field, 400, nothing written; an agent below lead is never offered it: 403."""
    desk: Desk = app.extensions["desk"]
    admin = client_for(app, "admin@example.com")
    token = csrf(admin.get("/agent/profile").get_data(as_text=True))
    for typed in ("hourly", "daily\x00", "\u202edaily", "d" * 10_000, ["weekly", "hourly"][::-1], ""):
        with writes(app) as seen:
            refused = admin.post("/agent/profile", data={"part": "digest", "digest": typed, "csrf_token": token})
        assert seen == [], str(typed)[:20]
        text = unescape(refused.get_data(as_text=True))
        assert refused.status_code == 400 and "use one of off, daily, weekly" in text, (str(typed)[:20], text[-2000:])
        assert not INVISIBLE.intersection(text) and "\x00" not in text
    assert desk.accounts.find("admin@example.com").digest is None  # type: ignore[union-attr]
    sara = client_for(app, "sara@example.com")
    assert sara.post("/agent/profile", data={"part": "digest", "digest": "daily", "csrf_token": csrf(
        sara.get("/agent/profile").get_data(as_text=True))}).status_code == 403


def test_the_blocked_senders_pages_number_is_a_whole_number_from_one(app: Flask) -> None:  # noqa: F811
    """?page= on the Blocked senders page follows webapp.paging's rule: "0", "-1", "abc", "1e9", "1.5", a NUL and an
    Arabic-Indic digit are a 400 saying the page number is wrong; a huge number shows the last page, never a 500 or an
    offset overflow. Pinned: it held."""
    desk: Desk = app.extensions["desk"]
    desk.trash.block("@junk.example")
    admin = client_for(app, "admin@example.com")
    for page in ("0", "-1", "abc", "1e9", "1.5", "2\x00", "\u0661"):
        answer = admin.get("/agent/blocked", query_string={"page": page})
        text = answer.get_data(as_text=True)
        assert answer.status_code == 400 and ('id="bad-page"' in text or "page: contains a NUL" in text), page
    for page in ("1000000000", "9" * 400, "1000001"):
        answer = admin.get("/agent/blocked", query_string={"page": page})
        assert answer.status_code == 200 and "@junk.example" in answer.get_data(as_text=True), page


@pytest.mark.parametrize(("environ", "named"), [
    ({"KB_ROUTING_LANGUAGE_FALLBACK_MINUTES": "-1"}, "KB_ROUTING_LANGUAGE_FALLBACK_MINUTES"),
    ({"KB_ROUTING_LANGUAGE_FALLBACK_MINUTES": "abc"}, "KB_ROUTING_LANGUAGE_FALLBACK_MINUTES"),
    ({"KB_ROUTING_LANGUAGE_FALLBACK_MINUTES": "9" * 30}, "KB_ROUTING_LANGUAGE_FALLBACK_MINUTES"),
    ({"KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS": "-1"}, "KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS"),
    ({"KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS": "nan"}, "KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS"),
    ({"KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS": "1e300"}, "KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS"),
    ({"KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS": "1e10"}, "KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS"),
    ({"KB_CHUNK_MAX_CHARS": "0"}, "KB_CHUNK_MAX_CHARS"),
    ({"KB_CHUNK_MIN_CHARS": "-5"}, "KB_CHUNK_MIN_CHARS"),
    ({"KB_CHUNK_MAX_CHARS": "300", "KB_CHUNK_MIN_CHARS": "500"}, "KB_CHUNK_MIN_CHARS"),
    ({"KB_CHUNK_MAX_CHARS": "300", "KB_CHUNK_MIN_CHARS": "300"}, "KB_CHUNK_MIN_CHARS"),
    ({"KB_CHUNK_MIN_CHARS": "1500"}, "KB_CHUNK_MAX_CHARS"),
])
def test_a_bad_routing_suggestion_or_chunk_setting_stops_the_start_naming_it(environ: dict[str, str],
                                                                             named: str) -> None:
    """Session 37's settings from the environment: a negative, non-numeric or huge value, and chunk sizes whose least
    is not under their most, are a SettingsError naming the variable at start. Before the fix a suggestions timeout
    past what a thread can wait (1e300, 1e10: OverflowError at every acknowledgement, logged as "search failed", no
    article ever suggested) and a least chunk size at or over the most (every section merged, then split again)
    were taken."""
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(environ)


def test_kb_report_digest_refuses_an_unknown_agent_a_non_lead_and_a_bad_period_naming_the_option(
        light_settings: Settings) -> None:  # noqa: F811
    """`kb report digest --agent`: an unknown address (a NUL, a bidi control, 10,000 characters), an agent below lead
    and a deactivated lead are a usage error naming --agent, a period but daily or weekly names --period, nothing
    queued; never a traceback."""
    from click.testing import CliRunner

    from webapp.report_commands import report_command

    made = create_app(light_settings)
    desk: Desk = made.extensions["desk"]
    desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    lead = desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    desk.accounts.manage(lead.id, CLI, active=False)
    runner = CliRunner()
    base = ["digest", "--data", str(light_settings.data_dir), "--content", str(light_settings.content_dir)]
    for agent in ("nobody@example.com", "a\x00b@example.com", "\u202elead@example.com", "x" * 10_000,
                  "sara@example.com", "lead@example.com", ""):
        result = runner.invoke(report_command, [*base, "--agent", agent], env=_env(light_settings))
        assert result.exit_code == 2 and "--agent" in result.output, (agent[:30], result.output[-500:])
        assert not INVISIBLE.intersection(result.output) and "\x00" not in result.output
    for period in ("hourly", "", "daily\x00", "DAILY "):
        result = runner.invoke(report_command, [*base, "--agent", "admin@example.com", "--period", period],
                               env=_env(light_settings))
        assert result.exit_code == 2 and "--period" in result.output, (period, result.output[-500:])
    assert count(desk, OutboxMail, OutboxMail.kind == "digest") == 0


def _env(settings: Settings) -> dict[str, str]:
    """The command's environment: the test's database (PostgreSQL under --postgresql)."""
    return {"DATABASE_URL": settings.database_url or ""}


def customer_of(desk: Desk, ticket: int) -> int:
    return desk.tickets.get(ticket).customer_id  # type: ignore[union-attr]
