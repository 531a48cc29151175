"""Session 39's hostile input (hostile39): the customers' times, the due recount, the query kinds, a refused form on
a paged page with a bad ?page=, the writes hostile38b left bare, and the desk's times stored in UTC whatever zone
they were handed in. Each test failed before its fix (its docstring says how), on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from copilot.query_kind import query_kind
from copilot.query_register import query_register
from desk.business_hours import BusinessHours, BusinessHoursError
from desk.desk import Desk
from desk.models import ApiToken, InboundMail, Ticket, as_utc
from desk.ticket_import import import_file
from desk.tickets import NewTicket
from tests.desk.test_mail_in import plain_mail
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_hostile_session36 import app, new_ticket  # noqa: F401
from tests.webapp.test_hostile_session37 import busy_app, while_busy  # noqa: F401


def test_an_aware_time_in_another_zone_is_stored_as_its_instant(app: Flask) -> None:  # noqa: F811
    """`NewTicket(created=...)` (an import) with an aware time in Riyadh's zone was stored as its wall time on SQLite
    (14:22 in Riyadh read back as 14:22 UTC, three hours late), and a filter bound with such a time compared wall
    times. The desk's datetime columns now store the instant in UTC on both engines; a naive time is UTC, as before.
    Before the fix the SQLite run read back 14:22 UTC."""
    desk: Desk = app.extensions["desk"]
    riyadh = datetime(2026, 12, 6, 14, 22, tzinfo=ZoneInfo("Asia/Riyadh"))
    odd = datetime(2026, 12, 6, 14, 22, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    naive = datetime(2026, 12, 6, 14, 22)
    ids = {name: desk.tickets.create(NewTicket(email=f"{name}@example.com", name="Sam", subject="Old", body="Old",
                                               lang="en", created=moment, notify=False)).id
           for name, moment in (("riyadh", riyadh), ("odd", odd), ("naive", naive))}
    with desk.db.session() as session:
        stored = {name: as_utc(session.get(Ticket, ticket).created_at)  # type: ignore[union-attr]
                  for name, ticket in ids.items()}
        after = set(session.scalars(select(Ticket.id).where(Ticket.id.in_(ids.values()), Ticket.created_at > odd
                                                            - timedelta(minutes=1))))
    assert stored == {"riyadh": datetime(2026, 12, 6, 11, 22, tzinfo=UTC),
                      "odd": datetime(2026, 12, 6, 17, 52, tzinfo=UTC),
                      "naive": datetime(2026, 12, 6, 14, 22, tzinfo=UTC)}
    assert after == {ids["odd"]}


def test_every_paged_page_a_form_posts_to_keeps_the_refused_form_whatever_the_urls_page_number(
        app: Flask) -> None:  # noqa: F811
    """Every page that is both paged (its GET with ?page=abc is the page-number 400) and posted to (a refused form
    answers the page again): posted with ?page=abc and an empty form, it answered the page-number 400, so what was
    typed and why it was refused were lost. session 38 fixed the blocked senders alone; `paging.paged` now takes a
    bad page number on any POST for the first page. The walk finds the pages itself (the organizations, a customer's
    profile and its fields, the blocked senders at the time of writing). Before the fix each but the blocked senders
    answered the page-number 400."""
    desk: Desk = app.extensions["desk"]
    ticket = desk.tickets.get(new_ticket(desk))
    assert ticket is not None
    ids = {"customer_id": ticket.customer_id, "ticket_id": ticket.id,
           "organization_id": desk.organizations.create("Acme", ["acme.example"]).id}
    admin = client_for(app, "admin@example.com")
    token = csrf(admin.get("/agent/").get_data(as_text=True))
    methods: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods.setdefault(rule.rule, set()).update(rule.methods or ())
    walked: dict[str, int] = {}
    for path, allowed in sorted(methods.items()):
        if not {"GET", "POST"} <= allowed or not path.startswith("/agent"):
            continue
        url = path
        for name, value in ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        if "<" in url:
            continue
        got = admin.get(url, query_string={"page": "abc"})
        if got.status_code != 400 or 'id="bad-page"' not in got.get_data(as_text=True):
            continue
        posted = admin.post(url, query_string={"page": "abc"}, data={
            "csrf_token": token, "name": "Typed here", "domains": "not a domain", "email": "not an email",
            "address": "not an address"})  # each form refused: a bad domain, email or address
        text = posted.get_data(as_text=True)
        assert 'id="bad-page"' not in text, (url, posted.status_code)
        assert posted.status_code == 400 and ("Typed here" in text or "not an address" in text), (url, text[-1500:])
        walked[path] = posted.status_code
    assert {"/agent/organizations", "/agent/customers/<int:customer_id>", "/agent/blocked"} <= set(walked), walked


def test_the_held_mail_rows_whose_originals_went_wait_out_a_busy_database(
        busy_app: Flask, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """Held mail's `_remove_originals` (after a delete, a purge, an erasure) emptied the rows' raw_path and stamped the
    ones whose removal failed in bare transactions: while another write held SQLite's lock past one busy timeout
    both were lost (the purge answered 0 for files it had removed, and a failing row went back to the head of the
    line). Both wait it out now (`Database.write`). Before the fix neither row was written and the answer was 0."""
    desk: Desk = busy_app.extensions["desk"]
    desk.trash.block("bot@junk.example")
    for subject in ("Win", "Win again"):
        desk.mail_in.receive(plain_mail(subject, subject, "bot@junk.example"))
    held = sorted(row.id for row in desk.held_mail.page().rows)
    with desk.db.session() as session:
        kept = session.get(InboundMail, held[0]).raw_path  # type: ignore[union-attr]
        # Beside it, a name no file system takes: its removal fails (an OSError, not "gone already").
        unremovable = f"{PurePosixPath(kept).parent}/{'x' * 300}"
        session.execute(update(InboundMail).where(InboundMail.id.in_(held)).values(settled="deleted"))
        session.execute(update(InboundMail).where(InboundMail.id == held[1]).values(raw_path=unremovable))
    assert (desk.settings.data_dir / kept).exists()
    removed = while_busy(busy_app, lambda: desk.held_mail.remove_originals([(held[0], kept), (held[1], unremovable)]),
                         caplog)
    with desk.db.session() as session:
        rows = {row.id: (row.raw_path, row.removal_failed_at is not None)
                for row in session.scalars(select(InboundMail).where(InboundMail.id.in_(held)))}
    assert (removed, rows) == (1, {held[0]: ("", False), held[1]: (unremovable, True)})
    assert not (desk.settings.data_dir / kept).exists()


def test_a_tokens_request_on_a_busy_database_answers_and_its_next_stamps_the_last_use(
        busy_app: Flask, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """A token's last-used stamp stays best effort (accounts.lookup_token says why): while another write holds
    SQLite's lock a partner's GET still answers, its stamp not written, and the token's next request writes it."""
    desk: Desk = busy_app.extensions["desk"]
    api = busy_app.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}
    assert while_busy(busy_app, lambda: api.get("/api/v1/customers", headers=auth).status_code, caplog) == 200
    assert "last use not recorded" in caplog.text

    def stamped() -> bool:
        with desk.db.session() as session:
            return session.scalar(select(ApiToken.last_used_at)) is not None

    assert not stamped()
    assert api.get("/api/v1/customers", headers=auth).status_code == 200 and stamped()


WORDLESS = st.text(st.characters(blacklist_categories=("L", "Cc", "Cs")), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(WORDLESS, st.sampled_from(["؟؟؟", "،", "١٢٣", "\u064b\u064e", "\u061b", "٪"]))
def test_a_query_without_a_word_is_a_keyword_query_in_every_language(query: str, arabic: str) -> None:
    """A query of punctuation, digits, marks, spaces, symbols and format characters alone (no letter), Arabic ones
    among them (the question mark ؟, the comma ، and Arabic-Indic digits, the harakat): `query_register` called it
    "mixed" in an English query (any character of the Arabic block counted as an Arabic word), so `query_kind` gave
    it the mixed fusion weights and the abstention floors lowered for mixed queries; "refund؟" was mixed. A word
    of another script makes a query mixed, as the docstrings say; a query without words is a keyword query (no
    content word) in every language. Before the fix "؟؟؟" and "refund؟" were "mixed" in English."""
    typed = f"{query}{arabic}{query}"
    for lang in ("en", "ar", "fr"):
        assert query_register(typed, lang) != "mixed", (typed, lang)
        assert query_kind(typed, lang, lambda word: any(c.isalpha() for c in word)) == "keyword", (typed, lang)
    assert query_kind("refund؟", "en", str.isalpha) == "keyword"
    assert query_kind("how do I get a refund كيف", "en", str.isalpha) == "mixed"
    assert query_kind("كيف اغير الـ password", "ar", str.isalpha) == "mixed"


def test_an_mbox_mails_date_in_another_zone_is_its_instant_and_one_past_the_last_is_no_date(
        app: Flask, tmp_path: Path) -> None:  # noqa: F811
    """`kb import` of an mbox: a mail's Date header is an aware time in the sender's zone (+0300), which SQLite
    stored as its wall time (three hours late); one at the end of time in a zone west of UTC (9999-12-31 23:59
    -1400) holds no UTC datetime and is now no date (the mail imported, dated now), as a Date that does not parse.
    Before the fix the first read back 14:22 UTC on SQLite."""
    desk: Desk = app.extensions["desk"]
    box = tmp_path / "old.mbox"
    box.write_text("".join(
        f"From sam@example.com Sat Dec  5 10:00:00 2026\nFrom: Sam <sam@example.com>\nSubject: {subject}\n"
        f"Date: {date}\nMessage-ID: <{subject}@example.com>\n\nWhere is it?\n\n"
        for subject, date in (("riyadh", "Sun, 06 Dec 2026 14:22:00 +0300"),
                              ("end", "Fri, 31 Dec 9999 23:59:00 -1400"))), encoding="utf-8")
    before = datetime.now(UTC) - timedelta(seconds=1)
    report = import_file(desk.tickets, box)
    assert (report.created, report.errors) == (2, [])
    with desk.db.session() as session:
        created = {subject: as_utc(at) for subject, at in session.execute(select(Ticket.subject, Ticket.created_at))}
    assert created["riyadh"] == datetime(2026, 12, 6, 11, 22, tzinfo=UTC)
    assert created["end"] >= before


def test_a_zone_name_no_file_can_have_is_an_unknown_zone_not_a_crash(app: Flask) -> None:  # noqa: F811
    """A zone name past 255 characters made zoneinfo raise OSError ("File name too long"), which no caller caught:
    the ticket page's due form posted with such a `due_zone` was a 500, a business-hours file with one a traceback
    instead of the refusal naming the team's timezone, and an agent's stored zone one on every page. Each is now
    an unknown zone (desk.business_hours.zone_named): the due form's 400 naming the due time, the file's refusal,
    the team's zone. Before the fix the due form raised OSError."""
    desk: Desk = app.extensions["desk"]
    ticket = new_ticket(desk)
    long_zone = "Asia/" + "R" * 300
    sara = client_for(app, "sara@example.com")
    token = csrf(sara.get(f"/agent/tickets/{ticket}").get_data(as_text=True))
    refused = sara.post(f"/agent/tickets/{ticket}/due", data={"due": "2026-12-05T14:30", "due_zone": long_zone,
                                                               "csrf_token": token})
    assert refused.status_code == 400 and "has no time zone" in refused.get_data(as_text=True)
    assert desk.tickets.get(ticket).due_by_hand is False  # type: ignore[union-attr]
    with pytest.raises(BusinessHoursError, match=r"teams\.t\.timezone: unknown zone"):
        BusinessHours.from_mapping({"teams": {"t": {"timezone": long_zone}}})
    assert desk.hours.agent_zone(long_zone) == desk.hours.zone
