"""Hostile input against session 28's surfaces (hostile29): saved views, snooze, the customer's profile edits, the
audit log's filters and CSV, the one ?page= rule and the closed ticket's follow-up, through the real app.

Concrete cases first (each a fault found and fixed, or a rule pinned), then hypothesis campaigns: whatever a form or
a URL carries, never a 500, and a refusal writes nothing. The light app, SQLite and (`--postgresql`) PostgreSQL;
KB_FUZZ_EXAMPLES (default 40) examples per property.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from desk.audit import CLI, record
from desk.desk import Desk
from desk.inbox import SORTS, VIEWS
from desk.models import TICKET_STATUSES, Agent, AuditEvent, Customer, SavedView, Ticket, TicketSnoozeChange, as_utc
from desk.saved_views import Saved, SavedViews
from desk.snooze import MAX_AHEAD
from desk.tickets import NewTicket, SentReply, TicketStore
from kb.bidi_text import BIDI_CONTROLS
from kb.settings import Settings
from tests.races import at_once, refused
from tests.webapp.light_app import PASSWORD, csrf, light_settings, login, signed_in  # noqa: F401
from webapp.agent import SAVED_FILTERS
from webapp.security import MAX_REQUEST_LINE, form_number

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
TICKETS = 3


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """An admin, a lead and two agents; TICKETS open tickets."""
    app = create(light_settings)
    return app


def create(light_settings: Settings) -> Flask:  # noqa: F811
    from webapp import create_app

    app = create_app(replace(light_settings, rate_limits=False))
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    desk.accounts.create_agent("other@example.com", PASSWORD, name="Other")
    for number in range(TICKETS):
        desk.tickets.create(NewTicket(email=f"c{number}@example.com", subject="Parcel", body="Where is it?"))
    return app



def desk_of(app: Flask) -> Desk:
    return app.extensions["desk"]


def agent_id(app: Flask, email: str) -> int:
    with desk_of(app).db.session() as session:
        found = session.scalar(select(Agent.id).where(Agent.email == email))
        assert found is not None
        return found


def set_zone(app: Flask, email: str, zone: str) -> None:
    """The agent's zone written as stored (an admin's form refuses an unknown one; tzdata may drop one later)."""
    with desk_of(app).db.session() as session:
        session.execute(update(Agent).where(Agent.email == email).values(time_zone=zone))


def snoozed(app: Flask) -> dict[int, datetime | None]:
    with desk_of(app).db.session() as session:
        return dict(session.execute(select(Ticket.id, Ticket.snoozed_until)).all())


# --- snooze times -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "typed"), [
    ("America/New_York", "9999-12-31T23:59"),  # UTC is year 10000
    ("Asia/Riyadh", "0001-01-01T00:00"),  # UTC is year 0
    ("UTC", "0001-01-01T00:00+14:00"),
    ("UTC", "9999-12-31T23:59-12:00"),
])
def test_a_snooze_time_past_the_calendar_is_refused_not_a_500(app: Flask, zone: str, typed: str) -> None:
    set_zone(app, "agent@example.com", zone)
    client, token = signed_in(app, "agent@example.com")
    before = snoozed(app)
    answer = client.post("/agent/tickets/1/snooze", data={"until": "at", "at": typed, "csrf_token": token})
    assert answer.status_code == 400
    bulk = client.post("/agent/bulk", data={"ticket": ["1", "2"], "action": "snooze", "value": typed,
                                           "csrf_token": token})
    assert bulk.status_code == 302
    due = client.post("/agent/tickets/1/due", data={"due": typed, "csrf_token": token})
    assert due.status_code in (302, 400)
    assert snoozed(app) == before


def test_an_agent_zone_tzdata_no_longer_has_falls_back_to_the_team_zone(app: Flask) -> None:
    client, token = signed_in(app, "agent@example.com")
    set_zone(app, "agent@example.com", "Mars/Olympus_Mons")
    client, token = signed_in(app, "agent@example.com")
    assert client.get("/agent/").status_code == 200
    assert client.get("/agent/tickets/1").status_code == 200
    answer = client.post("/agent/tickets/1/snooze", data={"until": "hour", "csrf_token": token})
    assert answer.status_code == 302
    assert snoozed(app)[1] is not None


# --- audit --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["team:\x00", "team:a\x00b", "agent:\x00"])
def test_audit_filters_with_nul_are_refused_not_a_500(app: Flask, subject: str) -> None:
    client, _ = signed_in(app, "admin@example.com")
    assert client.get("/agent/admin/audit", query_string={"subject": subject}).status_code == 400
    assert client.get("/agent/admin/audit.csv", query_string={"subject": subject}).status_code == 400


# --- saved views ----------------------------------------------------------------------------------------------------


def test_a_saved_view_name_drops_bidi_controls(app: Flask) -> None:
    """A U+202E in the name reversed the flash that quotes it ("View “…” saved.", plain text beside the page's own)."""
    client, token = signed_in(app, "agent@example.com")
    answer = client.post("/agent/views", data={"name": "\u202eRefunds\u2066 \u200f", "csrf_token": token})
    assert answer.status_code == 302
    with desk_of(app).db.session() as session:
        assert list(session.scalars(select(SavedView.name))) == ["Refunds"]


def test_two_saves_of_one_name_at_once_keep_one_view(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """"refunds" and "Refunds" from two tabs at once: both read the agent's names before either wrote, and both were
    kept (the unique index is on the name as typed) though names compare without case."""
    desk, owner = desk_of(app), agent_id(app, "agent@example.com")
    results = at_once([lambda: desk.saved_views.save(owner, "refunds", {}),
                       lambda: desk.saved_views.save(owner, "Refunds", {})], [(SavedViews, "_free_name")], monkeypatch)
    assert sum(isinstance(r, Saved) for r in results) == 1 and sum(refused(r) for r in results) == 1, results
    assert len(desk.saved_views.visible(owner)) == 1


def test_two_saves_at_once_never_pass_the_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent one view short of KB_SAVED_VIEWS_PER_AGENT saving two at once: both counted before either wrote."""
    desk, owner = desk_of(app), agent_id(app, "agent@example.com")
    monkeypatch.setattr(desk.saved_views, "limit", 2)
    desk.saved_views.save(owner, "first", {})
    results = at_once([lambda: desk.saved_views.save(owner, "second", {}),
                       lambda: desk.saved_views.save(owner, "third", {})], [(SavedViews, "_free_name")], monkeypatch)
    assert sum(isinstance(r, Saved) for r in results) == 1, results
    assert len(desk.saved_views.visible(owner)) == 2


# --- follow-ups and sign-ins, at once ------------------------------------------------------------------------------


def test_one_follow_up_posted_from_two_tabs_at_once_is_one_ticket(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    desk, agent = desk_of(app), agent_id(app, "agent@example.com")
    desk.tickets.update(1, status="closed")
    closed_at = desk.tickets.get(1).updated_at
    results = at_once([lambda: desk.tickets.agent_follow_up(1, agent, "We sent it again."),
                       lambda: desk.tickets.agent_follow_up(1, agent, "We sent it again.")],
                      [(TicketStore, "_follow_ups")], monkeypatch)
    assert all(isinstance(r, SentReply) or refused(r) for r in results), results
    with desk.db.session() as session:
        assert session.scalar(select(func.count(Ticket.id))) == TICKETS + 1
    sent = [r for r in results if isinstance(r, SentReply)]
    assert len({r.message.id for r in sent}) == 1
    assert desk.tickets.get(1).updated_at == closed_at  # held, not touched: the closed ticket is unchanged


def test_two_failed_sign_ins_at_once_are_one_folded_row(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fold's promise (one sign_in_failed row per account and hour) under two wrong passwords at once: both found
    no open row (the row lock takes none when there is none) and each wrote its own."""
    import desk.audit as audit_module

    desk = desk_of(app)
    results = at_once([lambda: desk.accounts.authenticate("agent@example.com", "wrong password one"),
                       lambda: desk.accounts.authenticate("agent@example.com", "wrong password two")],
                      [(audit_module, "record")], monkeypatch)
    assert results == [None, None]
    with desk.db.session() as session:
        rows = list(session.scalars(select(AuditEvent.count).where(AuditEvent.action == "sign_in_failed")))
    assert rows == [2] or (len(rows) == 1 and rows[0] == 1), rows  # SQLite's busy loser is not audited (best effort)


# --- campaigns ------------------------------------------------------------------------------------------------------

# Form values as bytes: text (its lone surrogates as the invalid UTF-8 they would be on the wire) or raw bytes.
HOSTILE = st.sampled_from([
    "", " ", "\t\n ", "\x00", "a\x00b", "\x1b[31mred", "\x07", "\u202eRefunds", "\u2066x\u2069", "\u200f",
    "Rеfunds", "Ｒｅｆｕｎｄｓ", "\ud800", "x\udfff", "\ufeff", "refunds", "REFUNDS",
    "=cmd|' /C calc'!A0", "+1", "@SUM(1)",
    "x" * 61, "x" * 201, "\n".join(["line"] * 50), "ـ", "٣", "²", "عاجل", "🙂" * 40,
]) | st.text(max_size=80) | st.binary(max_size=40)
FILTER_VALUES = st.sampled_from(["", "unsolved", "mine", "snoozed", "open", "solved", "new", "en", "ar", "fr", "ksa",
                                 "updated", "oldest", "due", "bogus", "UNSOLVED", " open ", "-1", "9" * 30, "\x00",
                                 "vip", "vip tag", "#vip"]) | HOSTILE
PAGES = st.sampled_from(["", "1", "2", "0", "-1", "+1", "1e3", "1.0", "٣", "²", "00001", str(2**63), str(2**63 - 1),
                         "9" * 4400, " 1", "1 ", "0x10", "\x00", "1\n"]) | st.integers(-5, 2**64).map(str)


def wire(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def post_form(client: FlaskClient, path: str, fields: dict[str, str | bytes | list[str | bytes]]):  # type: ignore[no-untyped-def]
    """POST fields url-encoded by hand, so that invalid UTF-8 reaches the app as a browser could send it."""
    from urllib.parse import quote_from_bytes

    pairs = [(name, item) for name, value in fields.items()
             for item in (value if isinstance(value, list) else [value])]
    body = "&".join(f"{name}={quote_from_bytes(wire(item))}" for name, item in pairs)
    return client.post(path, data=body.encode("ascii"), content_type="application/x-www-form-urlencoded")


def views_of(app: Flask) -> list[tuple[int, int, str, bool, str, str | None, str | None, str | None, str | None,
                                       str, str]]:
    with desk_of(app).db.session() as session:
        return [tuple(row) for row in session.execute(select(  # type: ignore[misc]
            SavedView.id, SavedView.agent_id, SavedView.name, SavedView.shared, SavedView.view, SavedView.status,
            SavedView.lang, SavedView.team, SavedView.tag, SavedView.q, SavedView.sort).order_by(SavedView.id))]


@FUZZ
@given(name=HOSTILE, filters=st.fixed_dictionaries({}, optional={key: FILTER_VALUES for key in SAVED_FILTERS}),
       shared=st.booleans(), who=st.sampled_from(["agent", "lead"]))
@example(name="x" * 10_000_000, filters={}, shared=False, who="agent")
@example(name="Refunds", filters={"view": "bogus", "tag": "\x00", "status": "9" * 30}, shared=True, who="agent")
def test_saving_a_view_from_any_form_is_a_valid_view_or_nothing(
        app: Flask, name: str | bytes, filters: dict[str, str | bytes], shared: bool, who: str) -> None:
    client, token = signed_in(app, f"{who}@example.com")
    before = views_of(app)
    fields: dict[str, str | bytes | list[str | bytes]] = {"name": name, "csrf_token": token, **filters}
    if shared:
        fields["shared"] = "on"
    answer = post_form(client, "/agent/views", fields)
    assert answer.status_code in (302, 413), answer.status_code
    after = views_of(app)
    added = [row for row in after if row not in before]
    assert len(added) <= 1 and all(row in after for row in before)
    for _, owner, stored, is_shared, view, status, lang, team, tag, q, sort in added:
        assert owner == agent_id(app, f"{who}@example.com") and (not is_shared or who == "lead")
        assert stored and len(stored) <= 60 and stored == " ".join(stored.split())
        assert not any(unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS for c in stored)
        assert view in VIEWS and sort in SORTS and status in (None, *TICKET_STATUSES)
        assert lang in (None, "en", "ar") and team is None and (tag is None or tag.isprintable()) and "\x00" not in q
        assert client.get("/agent/", query_string={"saved": str(added[0][0])}).status_code == 200
        desk_of(app).saved_views.delete(added[0][0], owner)


@FUZZ
@example(saved=["\x00"], page="1")
@given(saved=st.lists(st.sampled_from(["own", "shared", "private", "none", "0", "-1", "1e3", "+1", "٣", "²",
                                        str(2**63), "9" * 4400, "", "abc"]), min_size=1, max_size=3),
       page=PAGES)
def test_saved_ids_and_pages_in_the_inbox_url(app: Flask, saved: list[str], page: str) -> None:
    """?saved= is the reader's own or a shared view, else a 404; another agent's private view is never shown, named
    or counted. ?page= by the one rule (webapp.paging): digits only, else a 400."""
    desk = desk_of(app)
    reader, other, lead = (agent_id(app, f"{who}@example.com") for who in ("agent", "other", "lead"))
    if not desk.saved_views.visible(other):
        desk.saved_views.save(other, "Private of other", {"view": "all"})
        desk.saved_views.save(lead, "Shared by lead", {"status": "open"}, shared=True)
        desk.saved_views.save(reader, "Own", {})
    ids = {view.name: view.id for view in desk.saved_views.visible(other) + desk.saved_views.visible(lead)
           + desk.saved_views.visible(reader)}
    named = {"own": str(ids["Own"]), "shared": str(ids["Shared by lead"]), "private": str(ids["Private of other"]),
             "none": "999999"}
    values = [named.get(value, value) for value in saved]
    client, _ = signed_in(app, "agent@example.com")
    answer = client.get("/agent/", query_string=[("saved", value) for value in values] + [("page", page)])
    html = answer.get_data(as_text=True)
    assert "Private of other" not in html
    if sum(len(value) for value in [*values, page]) > MAX_REQUEST_LINE:
        assert answer.status_code == 414  # webapp.security's limit, before any view reads the URL
    elif "\x00" in "".join([*values, page]):
        assert answer.status_code == 400  # webapp.security: a NUL in a parameter, before any view reads it
    elif form_number(values[0]) not in (ids["Own"], ids["Shared by lead"]):  # "٣" is view 3, as any posted id
        assert answer.status_code == 404
    elif page != "" and not (page.isascii() and page.isdigit() and page.strip("0")):
        assert answer.status_code == 400
    else:
        assert answer.status_code == 200 and ("Own" in html and "Shared by lead" in html)


@FUZZ
@given(name=HOSTILE, notes=HOSTILE | st.sampled_from(["x" * 5001, "\r\n".join(["note"] * 10)]))
@example(name="Sam", notes="y" * 10_000_000)
def test_editing_a_customer_from_any_form(app: Flask, name: str | bytes, notes: str | bytes) -> None:
    client, token = signed_in(app, "agent@example.com")
    with desk_of(app).db.session() as session:
        before = session.execute(select(Customer.name, Customer.notes).where(Customer.id == 1)).one()
    answer = post_form(client, "/agent/customers/1", {"name": name, "notes": notes, "csrf_token": token})
    assert answer.status_code in (302, 400, 413), answer.status_code
    with desk_of(app).db.session() as session:
        after = session.execute(select(Customer.name, Customer.notes).where(Customer.id == 1)).one()
    if answer.status_code != 302:
        assert after == before
        return
    stored_name, stored_notes = after
    assert not any(unicodedata.category(c) == "Cc" for c in stored_name)
    assert not any(unicodedata.category(c) == "Cc" and c != "\n" and c != "\t" for c in stored_notes or "")
    assert len(stored_name) <= 200 and len(stored_notes or "") <= 5000


ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Riyadh", "Pacific/Kiritimati",
         "Pacific/Pago_Pago", "UTC"]
TYPED = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)).map(
        lambda moment: moment.isoformat(timespec="minutes")),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1)).map(
        lambda moment: moment.isoformat(timespec="minutes")),
    st.sampled_from(["2026-03-08T02:30", "2026-11-01T01:30", "2027-03-14T02:30", "2027-03-28T01:30",
                     "2027-10-31T01:30", "2027-02-30T09:00", "2026-12-31T23:59:60", "2027-06-30T23:59:60Z",
                     "9999-12-31T23:59", "0001-01-01T00:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00",
                     "hour", "tomorrow", "monday", "now", "2027-01-01", "2027-01-01T09:00+25:00", "+1"]),
    HOSTILE,
)


@FUZZ
@given(zone=st.sampled_from(ZONES), typed=TYPED, how=st.sampled_from(["page", "bulk"]),
       ids=st.lists(st.sampled_from(["1", "2", "closed", "missing"]), min_size=1, max_size=4))
def test_snoozing_at_any_typed_time_in_any_zone(app: Flask, zone: str, typed: str | bytes, how: str,
                                                ids: list[str]) -> None:
    """A typed time in the agent's zone (DST gaps and folds, past the calendar, Feb 30, leap seconds, words): the
    ticket page and the bulk form either snooze to a time after now and within a year, or write nothing; the bulk
    form all of its tickets or, with one closed or missing among them, none."""
    desk = desk_of(app)
    if desk.tickets.get(3).status != "closed":
        desk.tickets.update(3, status="closed")
    set_zone(app, "agent@example.com", zone)
    client, token = signed_in(app, "agent@example.com")
    before = snoozed(app)
    with desk.db.session() as session:
        history = session.scalar(select(func.count(TicketSnoozeChange.id)))
    if how == "page":
        answer = post_form(client, "/agent/tickets/1/snooze", {"until": "at", "at": typed, "csrf_token": token})
        assert answer.status_code in (302, 400), answer.status_code
        changed = {1} if answer.status_code == 302 else set()
    else:
        sent = [{"closed": "3", "missing": "999999"}.get(value, value) for value in ids]
        answer = post_form(client, "/agent/bulk", {"ticket": sent, "action": "snooze", "value": typed,
                                                  "csrf_token": token})
        assert answer.status_code == 302, answer.status_code
        flashed = client.get("/agent/").get_data(as_text=True)
        changed = {int(value) for value in sent} if "updated." in flashed else set()
        assert not changed or changed <= {1, 2}
    after = snoozed(app)
    now = datetime.now(UTC)
    for ticket_id, until in after.items():
        if ticket_id in changed:
            assert until is not None and now < as_utc(until) <= now + MAX_AHEAD + timedelta(minutes=1)
        else:
            assert until == before[ticket_id]
    with desk.db.session() as session:
        assert session.scalar(select(func.count(TicketSnoozeChange.id))) == history + len(changed)


def test_a_ticket_sent_twice_in_one_bulk_snooze_is_snoozed_once(app: Flask) -> None:
    """A crafted bulk form naming ticket 1 twice wrote two "snoozed" history rows and said "2 tickets updated"."""
    client, token = signed_in(app, "agent@example.com")
    answer = client.post("/agent/bulk", data={"ticket": ["1", "1", "2"], "action": "snooze", "value": "hour",
                                             "csrf_token": token})
    assert answer.status_code == 302
    assert "2 tickets updated." in client.get("/agent/").get_data(as_text=True)
    with desk_of(app).db.session() as session:
        assert sorted(session.scalars(select(TicketSnoozeChange.ticket_id))) == [1, 2]


@FUZZ
@given(action=FILTER_VALUES, actor=st.sampled_from(["cli", "system", "agent:1", "1", "agent:999999", "agent:0",
                                                    "agent:-1", "agent:١", "١", "agent:" + "9" * 30]) | HOSTILE,
       subject=st.sampled_from(["team:ksa", "agent:1", "token:1", "team:\x00", "team:" + "x" * 65, "agent:x",
                                "bogus:1", "team:=cmd|' /C calc'!A0"]) | HOSTILE, page=PAGES)
def test_the_audit_page_and_csv_under_any_filter(app: Flask, action: str | bytes, actor: str | bytes,
                                                 subject: str | bytes, page: str) -> None:
    client, _ = signed_in(app, "admin@example.com")
    args = {"action": wire(action), "actor": wire(actor), "subject": wire(subject)}
    listed = client.get("/agent/admin/audit", query_string={**args, "page": page})
    assert listed.status_code in ((414,) if len(page) > MAX_REQUEST_LINE else (200, 400)), listed.status_code
    exported = client.get("/agent/admin/audit.csv", query_string=args)
    assert exported.status_code in (200, 400), exported.status_code
    if exported.status_code == 200:
        for row in list(csv.reader(io.StringIO(exported.get_data(as_text=True))))[1:]:
            assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_the_audit_csv_never_hands_a_spreadsheet_a_formula(app: Flask) -> None:
    """Values an attacker can choose reach the CSV (a team's key, a sign-in's IP from a proxy's header): each cell
    that would start a formula is quoted ("'=..."), as every other CSV export of the project (desk.reports)."""
    desk = desk_of(app)
    with desk.db.session() as session:
        record(session, replace(CLI, ip="@SUM(1+1)*cmd|' /C calc'!A0"), "team_member_added", "team",
               "=cmd|' /C calc'!A0", after={"agent": "+1"})
        record(session, replace(CLI, ip="-2+3"), "team_member_added", "team", "-1")
    client, _ = signed_in(app, "admin@example.com")
    rows = list(csv.DictReader(io.StringIO(client.get("/agent/admin/audit.csv").get_data(as_text=True))))
    assert [row["ip"] for row in rows if row["ip"]] == ["'-2+3", "'@SUM(1+1)*cmd|' /C calc'!A0"]
    assert all(not value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


@FUZZ
@given(body=HOSTILE, status=FILTER_VALUES, tags=st.lists(HOSTILE, max_size=2))
def test_a_follow_up_from_any_form(app: Flask, body: str | bytes, status: str | bytes,
                                   tags: list[str | bytes]) -> None:
    desk = desk_of(app)
    if desk.tickets.get(1).status != "closed":
        desk.tickets.update(1, status="closed")
    client, token = signed_in(app, "agent@example.com")
    with desk.db.session() as session:
        count = session.scalar(select(func.count(Ticket.id)))
    answer = post_form(client, "/agent/tickets/1/follow-up", {"body": body, "status": status, "add_tag": tags,
                                                            "csrf_token": token})
    assert answer.status_code in (302, 400), answer.status_code
    with desk.db.session() as session:
        now_count = session.scalar(select(func.count(Ticket.id)))
    assert now_count == count + (answer.status_code == 302 and not answer.location.endswith("/tickets/1"))


@pytest.mark.parametrize(("typed", "utc"), [
    ("2027-03-14T02:30", datetime(2027, 3, 14, 7, 30, tzinfo=UTC)),  # the gap: 03:30 EDT, after the jump
    ("2027-11-07T01:30", datetime(2027, 11, 7, 5, 30, tzinfo=UTC)),  # the fold: the first 01:30 (EDT)
])
def test_a_wall_time_in_a_dst_gap_or_fold_is_read_as_documented(app: Flask, typed: str, utc: datetime) -> None:
    """Pinned so that a change to the rule is seen (README, Snooze): Python's reading, as the confirmation shows."""
    set_zone(app, "agent@example.com", "America/New_York")
    client, token = signed_in(app, "agent@example.com")
    answer = client.post("/agent/tickets/1/snooze", data={"until": "at", "at": typed, "csrf_token": token})
    assert answer.status_code == 302
    assert as_utc(snoozed(app)[1]) == utc


def test_an_agent_id_in_other_digits_filters_the_audit_as_its_number(app: Flask) -> None:
    """"agent:٣" passed the filters' check (str.isdecimal) and the actor filter read it as 3, but the subject
    filter compared the text: the same agent's rows were found by one filter and not the other."""
    client, _ = signed_in(app, "admin@example.com")
    agent = agent_id(app, "agent@example.com")
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in str(agent))
    expected = client.get("/agent/admin/audit.csv", query_string={"subject": f"agent:{agent}"}).get_data(as_text=True)
    assert expected.count("\n") > 1  # the agent's creation at least
    for spelled in (f"agent:{arabic}", f"agent:0{agent}"):
        assert client.get("/agent/admin/audit.csv", query_string={"subject": spelled}).get_data(as_text=True) \
            == expected


@pytest.mark.parametrize(("name", "notes", "stored"), [
    ("Sam", "first\rsecond", ("Sam", "first\nsecond")),  # a lone CR is a line break, not a cursor return
    ("Sam\u2028Lee", "", None),  # a name is one line: the Unicode line separator breaks it as \n does
    ("Sam\u2029Lee", "", None),
])
def test_a_customer_text_with_other_line_breaks(app: Flask, name: str, notes: str,
                                                stored: tuple[str, str] | None) -> None:
    def row() -> tuple[str, str | None]:
        with desk_of(app).db.session() as session:
            return tuple(session.execute(select(Customer.name, Customer.notes).where(Customer.id == 1)).one())  # type: ignore[return-value]

    before = row()
    client, token = signed_in(app, "agent@example.com")
    answer = client.post("/agent/customers/1", data={"name": name, "notes": notes, "csrf_token": token})
    assert answer.status_code == (302 if stored else 400)
    assert row() == (stored or before)
