"""Hostile input against session 29's surfaces (hostile30): the customer list and its API, the profile's email and
country, closed tickets final on the server (under races), the merged duplicate's redirect, and the
`last_contact_at` hook, through the real app.

Concrete cases first (each a fault found and fixed, or a rule pinned), then hypothesis campaigns: whatever a URL or
a form carries, never a 500, a GET writes nothing, and a refusal writes nothing. The light app, SQLite and
(`--postgresql`) PostgreSQL; KB_FUZZ_EXAMPLES (default 40) examples per property.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import desk.notes as notes_module
import desk.tickets as tickets_module
from desk.customers import COUNTRIES, MAX_QUERY
from desk.database import StorageUnavailableError
from desk.desk import Desk
from desk.models import AuditEvent, Base, Customer, Message, Ticket, TicketStatusChange, as_utc
from desk.tickets import ClosedTicketError, InputError, NewTicket
from kb.bidi_text import BIDI_CONTROLS
from kb.settings import Settings
from tests.races import at_once, refused
from tests.webapp.light_app import PASSWORD, light_settings, signed_in  # noqa: F401
from webapp.security import MAX_REQUEST_LINE

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """An agent and a lead; customers Omar (two tickets), an Arabic name, and one whose name holds LIKE's wildcards."""
    from webapp import create_app

    app = create_app(replace(light_settings, rate_limits=False))
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    desk.tickets.create(NewTicket(email="omar@example.com", name="Omar Haddad", subject="Parcel", body="Where?"))
    desk.tickets.create(NewTicket(email="omar@example.com", name="Omar Haddad", subject="Parcel", body="Again?"))
    desk.tickets.create(NewTicket(email="ahmad@example.com", name="أحمد العتيبي", subject="طرد", body="أين طردي؟"))
    desk.tickets.create(NewTicket(email="pct@example.com", name="100% under_score back\\slash", subject="S",
                                  body="B"))
    app.config["api_token"] = desk.accounts.create_token("partner")
    return app


def desk_of(app: Flask) -> Desk:
    return app.extensions["desk"]


def api_get(app: Flask, path: str, query: bytes | str = b""):  # type: ignore[no-untyped-def]
    raw = query if isinstance(query, bytes) else query.encode("ascii")
    return app.test_client().get(path + ("?" + raw.decode("ascii") if raw else ""),
                                 headers={"Authorization": f"Bearer {app.config['api_token']}"})


def encoded(pairs: dict[str, str | bytes]) -> str:
    """A query string %-encoded by hand: a lone surrogate arrives as the invalid UTF-8 a crafted URL carries."""
    return "&".join(f"{name}={quote_from_bytes(v if isinstance(v, bytes) else v.encode('utf-8', 'surrogatepass'))}"
                    for name, v in pairs.items())


def everything(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the sign-ins' and the rate limits' own), to show a GET wrote nothing."""
    skip = {"api_tokens"}  # a token's last use is stamped by design
    with desk_of(app).db.session() as session:
        return {name: sorted(map(tuple, session.execute(select(table)).all()), key=repr)
                for name, table in Base.metadata.tables.items() if name not in skip}


def customer_rows(app: Flask) -> list[tuple[Any, ...]]:
    with desk_of(app).db.session() as session:
        return [tuple(row) for row in session.execute(select(
            Customer.id, Customer.name, Customer.email, Customer.country, Customer.notes, Customer.search_text,
            Customer.last_contact_at).order_by(Customer.id))]


def found_ids(app: Flask, q: str) -> list[str]:
    """The customers the search finds, by their email's local part, in name order (ids differ between engines)."""
    return [c.email.split("@")[0] for c in desk_of(app).customers.page(q, "name").rows]


def cid(app: Flask, local: str) -> int:
    """The id of the customer <local>@example.com."""
    with desk_of(app).db.session() as session:
        found = session.scalar(select(Customer.id).where(Customer.email == f"{local}@example.com"))
        assert found is not None
        return found


# --- the list's search --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "expected"), [
    ("omar", ["omar"]), ("OMAR", ["omar"]), ("haddad omar", ["omar"]),
    ("احمد", ["ahmad"]), ("أحمد", ["ahmad"]), ("إحمد", ["ahmad"]), ("آحمد", ["ahmad"]), ("أحـــمد", ["ahmad"]),
    ("أَحْمَد", ["ahmad"]), ("العتيبى", ["ahmad"]),
    # one character: no term, everyone
    ("%", ["pct", "omar", "ahmad"]), ("_", ["pct", "omar", "ahmad"]), ("\\", ["pct", "omar", "ahmad"]),
    ("%%", []), ("__", []), ("\\\\", []), ("10%", []), ("00%", ["pct"]), ("100%", ["pct"]), ("under_score", ["pct"]),
    ("back\\slash", ["pct"]),
    ("r_s", ["pct"]), ("r%s", []), ("o%r", []), ("e_s", []), ("\x00omar", ["omar"]), ("om\x00ar", ["omar"]),
])
def test_the_search_folds_arabic_and_reads_like_wildcards_as_text(app: Flask, q: str, expected: list[str]) -> None:
    """Hamza, tatweel, diacritics and alef maqsura fold as the inbox's; `%`, `_` and `\\` are letters, not LIKE's."""
    assert found_ids(app, q) == expected


@pytest.mark.parametrize("q", ["\u202eomar", "om\u200far", "\u2066omar\u2069", "omar\u200b", "\ufeffomar",
                               "om\u00adar", "\u061comar"])
def test_invisible_characters_in_a_search_do_not_hide_the_customer(app: Flask, q: str) -> None:
    """A query pasted from an Arabic page carries bidi marks (U+200F, U+061C), isolates or a zero-width space the
    agent cannot see: the search found no one though the name was there."""
    assert found_ids(app, q) == ["omar"]
    client, _ = signed_in(app, "agent@example.com")
    assert "omar@example.com" in client.get("/agent/customers?" + encoded({"q": q})).get_data(as_text=True)


def test_a_name_stored_with_invisible_characters_is_found_by_its_letters(app: Flask) -> None:
    desk = desk_of(app)
    desk.tickets.create(NewTicket(email="zw@example.com", name="Sa\u200bra \u202eKhan", subject="S", body="B"))
    assert found_ids(app, "sara") == ["zw"] and found_ids(app, "khan") == ["zw"]


@pytest.mark.parametrize("q", [b"\xed\xa0\x80", b"om\xffar", "\ud800omar", "x" * 2_000, "x" * 10_000, "٣٤",
                               "omar " * 50,
                               "\u202e" * 300])
def test_the_list_and_the_api_answer_any_q(app: Flask, q: str | bytes) -> None:
    client, _ = signed_in(app, "agent@example.com")
    before = everything(app)
    too_long = len(encoded({"query": q})) > MAX_REQUEST_LINE - 100  # the request line's own limit: a 414, as every URL
    assert client.get("/agent/customers?" + encoded({"q": q})).status_code == (414 if too_long else 200)
    answer = api_get(app, "/api/v1/customers", encoded({"query": q}))
    assert answer.status_code == (414 if too_long else 200)
    assert set(answer.get_json()) == ({"error"} if too_long else {"customers", "total", "page", "pages"})
    assert everything(app) == before


def test_a_search_is_read_to_max_query_characters(app: Flask) -> None:
    assert found_ids(app, "x" * MAX_QUERY + " omar") == []  # the words past the cap are not read
    assert found_ids(app, "omar " + "x" * (MAX_QUERY + 10)) == []  # a 200-character cut of x's is still a term


# --- sort and page ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "status"), [
    ({"sort": "bogus"}, 400), ({"sort": "NAME"}, 400), ({"sort": "name\x00"}, 400),
    ({"sort": "x" * 3000}, 400), ({"sort": "x" * 9000}, 414),
    ({"sort": b"\xff"}, 400), ({"page": "0"}, 400), ({"page": "-1"}, 400), ({"page": "1e3"}, 400),
    ({"page": "٣"}, 400), ({"page": str(2**64)}, 200), ({"page": "9" * 400}, 200), ({"page": "00002"}, 200),
    ({"per_page": "-5"}, 200), ({"per_page": str(10**30)}, 200), ({"sort": "", "page": ""}, 200),
])
def test_sort_and_page_junk_is_a_400_naming_it_or_a_page(app: Flask, args: dict[str, str | bytes],
                                                          status: int) -> None:
    client, _ = signed_in(app, "agent@example.com")
    before = everything(app)
    listed = client.get("/agent/customers?" + encoded(args))
    assert listed.status_code == status
    answer = api_get(app, "/api/v1/customers", encoded(args))
    assert answer.status_code == status
    body = answer.get_json()
    if status in (400, 414):
        assert set(body) == {"error"} and (status == 414 or body["error"].startswith(("sort: ", "page: "))), body
    else:
        assert body["page"] >= 1 and len(body["customers"]) <= 25  # per_page is no parameter: 25 a page
    assert everything(app) == before


# --- the profile's email and country ------------------------------------------------------------------------------


def edit(app: Flask, customer_id: int, email: str | bytes | None = None, country: str | bytes | None = None,
         name: str | bytes = "Omar Haddad"):  # type: ignore[no-untyped-def]
    client, token = signed_in(app, "agent@example.com")
    fields: dict[str, str | bytes] = {"name": name, "notes": "", "csrf_token": token}
    if email is not None:
        fields["email"] = email
    if country is not None:
        fields["country"] = country
    return client.post(f"/agent/customers/{customer_id}", data=encoded(fields).encode("ascii"),
                       content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("email", ["AHMAD@example.com", "Ahmad@Example.COM", "ahmad@example.com.",
                                   "ahmad@EXAMPLE.com."])
def test_another_customers_email_in_other_case_or_with_a_trailing_dot_is_a_clash(app: Flask, email: str) -> None:
    """"ahmad@example.com." is the same mailbox (the root's dot): it made a second customer of one address."""
    before = customer_rows(app)
    answer = edit(app, cid(app, "omar"), email=email)
    assert answer.status_code == 400
    assert f"already the email of customer #{cid(app, 'ahmad')}" in answer.get_data(as_text=True)
    assert customer_rows(app) == before


@pytest.mark.parametrize("email", ["omar\u200b@example.com", "\u202eomar@example.com", "omar@exam\u200dple.com",
                                   "om\u00adar@example.com", "omar@example.com\u200e", "\ufeffomar@example.com"])
def test_an_email_with_invisible_characters_is_refused(app: Flask, email: str) -> None:
    """A zero-width space, a soft hyphen or a bidi control inside an address: stored, it is an address no mail
    reaches that reads as another customer's (a second customer "omar@example.com", or one spoofing it)."""
    before = customer_rows(app)
    answer = edit(app, cid(app, "ahmad"), email=email)
    assert answer.status_code == 400 and "is not an email address" in answer.get_data(as_text=True)
    assert customer_rows(app) == before
    with pytest.raises(InputError):
        desk_of(app).tickets.create(NewTicket(email=email, subject="S", body="B"))


@pytest.mark.parametrize(("email", "stored"), [
    ("omar+vip@example.com", "omar+vip@example.com"),  # plus-addressing: another mailbox to us, kept as typed
    ("omar@example.com.", "omar@example.com"), (" Omar@Example.com ", "omar@example.com"),
    ("omar@bücher.de", "omar@bücher.de"),
])
def test_emails_that_are_stored_as_typed_or_folded(app: Flask, email: str, stored: str) -> None:
    omar = cid(app, "omar")
    assert edit(app, omar, email=email).status_code == 302
    assert desk_of(app).customers.get(omar).email == stored
    found = desk_of(app).customers.page(stored.split("@")[0], "name").rows
    assert [c.id for c in found] == [omar]  # the search text follows the new email


@pytest.mark.parametrize(("country", "stored"), [("sa", "SA"), (" eg ", "EG"), ("", None)])
def test_a_country_in_lower_case_is_its_code(app: Flask, country: str, stored: str | None) -> None:
    assert edit(app, cid(app, "omar"), country=country).status_code == 302
    assert desk_of(app).customers.get(cid(app, "omar")).country == stored


@pytest.mark.parametrize("country", ["Saudi Arabia", "السعودية", "SAU", "S\x00", "\u202eSA", "ＳＡ", "XX", "EU", "ZZ",
                                     "s a", b"\xff"])
def test_a_country_name_or_no_code_is_refused_naming_country(app: Flask, country: str | bytes) -> None:
    before = customer_rows(app)
    answer = edit(app, cid(app, "omar"), country=country)
    assert answer.status_code == 400 and "two-letter country code" in answer.get_data(as_text=True)
    assert customer_rows(app) == before


def test_two_edits_racing_into_one_email_keep_one(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Omar and Ahmad both given new@example.com at once: both checked before either wrote; the unique index
    refuses the second, named on the email field."""
    desk, omar, ahmad = desk_of(app), cid(app, "omar"), cid(app, "ahmad")
    results = at_once([lambda: desk.customers.edit(omar, "Omar", "", email="new@example.com"),
                       lambda: desk.customers.edit(ahmad, "Ahmad", "", email="NEW@example.com")],
                      [(type(desk.customers), "email_holder")], monkeypatch)
    assert sum(isinstance(r, Customer) for r in results) == 1, results
    assert all(isinstance(r, Customer) or refused(r) for r in results), results
    assert [row[2] for row in customer_rows(app)].count("new@example.com") == 1


# --- closed is final, under races -------------------------------------------------------------------------------


CHANGEABLE = [(notes_module, "changeable"), (tickets_module, "changeable")]


def while_closing(app: Flask, work: Callable[[], object], monkeypatch: pytest.MonkeyPatch,
                  ticket_id: int = 1, hooks: tuple[tuple[object, str], ...] = ()) -> tuple[object, object]:
    """`work` (an agent's write on the ticket) reads the ticket, then waits for another agent's close of it to commit
    before it writes, unless that close waits on its lock, which the wait then gives up on (1.5 s). What the write
    and the close each returned or raised."""
    has_read, closed = threading.Event(), threading.Event()
    writer: list[int] = []
    for owner, name in (*CHANGEABLE, *hooks):
        original = getattr(owner, name)

        def check(*args: object, _original: Any = original, **kwargs: object) -> object:
            found = _original(*args, **kwargs)
            if threading.get_ident() in writer and not has_read.is_set():
                has_read.set()
                closed.wait(timeout=1.5)
            return found

        monkeypatch.setattr(owner, name, check)
    results: list[object] = [None, None]

    def write() -> None:
        writer.append(threading.get_ident())
        try:
            results[0] = work()
        except Exception as error:
            results[0] = error
        has_read.set()

    def close() -> None:
        has_read.wait(timeout=5)
        try:
            results[1] = desk_of(app).tickets.update(ticket_id, status="closed", agent_id=1)
        except Exception as error:
            results[1] = error
        closed.set()

    threads = [threading.Thread(target=write), threading.Thread(target=close)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results[0], results[1]


def closed_at(app: Flask, ticket_id: int) -> datetime | None:
    with desk_of(app).db.session() as session:
        return session.scalar(select(TicketStatusChange.created_at).where(
            TicketStatusChange.ticket_id == ticket_id, TicketStatusChange.new_status == "closed"))


def newest_agent_message(app: Flask, ticket_id: int) -> datetime | None:
    with desk_of(app).db.session() as session:
        return session.scalar(select(func.max(Message.created_at)).where(
            Message.ticket_id == ticket_id, Message.author == "agent"))


def assert_nothing_after_the_close(app: Flask, wrote: object, close: object, ticket_id: int = 1) -> None:
    assert not isinstance(close, Exception) or refused(close), close
    assert not isinstance(wrote, Exception) or isinstance(wrote, ClosedTicketError | StorageUnavailableError), wrote
    shut, newest = closed_at(app, ticket_id), newest_agent_message(app, ticket_id)
    if shut is not None and newest is not None:
        assert as_utc(newest) <= as_utc(shut), (wrote, close)  # written before the close, or not at all


def test_a_note_racing_the_close_never_lands_on_the_closed_ticket(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Close and note at once: both read "open", the close committed, the note went onto the closed ticket."""
    wrote, close = while_closing(app, lambda: desk_of(app).notes.add(1, 1, "Checked with the courier."), monkeypatch)
    assert_nothing_after_the_close(app, wrote, close)


def test_a_reply_racing_the_close_never_lands_on_the_closed_ticket(app: Flask,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent's reply and a close at once: the reply read "open" (its own check then, not `changeable`), the
    close committed, and the reply mailed the customer on a ticket that was final."""
    wrote, close = while_closing(app, lambda: desk_of(app).tickets.reply(1, 1, "On its way.", status="open"),
                                 monkeypatch, hooks=((tickets_module, "add_tags"),))  # the old code's next step
    assert_nothing_after_the_close(app, wrote, close)


def test_a_merge_racing_the_close_of_its_target_is_refused(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ticket 2 merged into 1 while 1 is closed: the merge read 1 "open" before the close committed and moved
    2's conversation into a closed, final ticket."""
    wrote, close = while_closing(app, lambda: desk_of(app).tickets.merge(2, 1, 1, "Merged."), monkeypatch)
    assert_nothing_after_the_close(app, wrote, close)
    if not isinstance(wrote, Exception):
        assert desk_of(app).tickets.get(2).merged_into_id == 1


def test_two_bulk_actions_over_the_same_tickets_in_other_orders_both_apply(app: Flask,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Two agents' bulk actions at once over tickets 1 and 2, ticked in other orders: each holds the rows it checked
    (`changeable`), so taken in the form's order, one held 1 and waited on 2 while the other held 2 and waited on 1
    (PostgreSQL's deadlock: a 500). The ids are taken in one order, the lowest first."""
    first, second = signed_in(app, "agent@example.com"), signed_in(app, "lead@example.com")
    statuses: list[int] = [0, 0]

    def post(number: int, client_token: tuple[Any, str], order: list[str]) -> Callable[[], object]:
        def run() -> object:
            client, token = client_token
            statuses[number] = client.post("/agent/bulk", data={"ticket": order, "action": "solve",
                                                                "csrf_token": token}).status_code
            return statuses[number]
        return run

    results = at_once([post(0, first, ["1", "2"]), post(1, second, ["2", "1"])], [(tickets_module, "changeable")],
                      monkeypatch)
    assert statuses == [302, 302], results
    assert {desk_of(app).tickets.get(i).status for i in (1, 2)} == {"solved"}


def test_a_bulk_close_over_a_mix_with_a_closed_ticket_changes_none(app: Flask) -> None:
    desk = desk_of(app)
    desk.tickets.update(3, status="closed")
    client, token = signed_in(app, "agent@example.com")
    before = everything(app)
    for action, value in (("status", "solved"), ("priority", "high"), ("tag", "vip"), ("snooze", "hour")):
        answer = client.post("/agent/bulk", data={"ticket": ["1", "3", "2"], "action": action, "value": value,
                                                 "csrf_token": token})
        assert answer.status_code in (302, 409), (action, answer.status_code)
        changed = {name: rows for name, rows in everything(app).items() if rows != before[name]}
        assert set(changed) <= {"audit_events"}, (action, set(changed))


# --- the merged duplicate's redirect ------------------------------------------------------------------------------


def test_a_customer_on_a_duplicate_merged_twice_lands_on_the_live_ticket(app: Flask) -> None:
    """A merged into B, B merged into C: A's page leads to C in one redirect, no loop; B's too."""
    desk = desk_of(app)
    c = desk.tickets.create(NewTicket(email="omar@example.com", name="Omar Haddad", subject="Parcel", body="3rd"))
    desk.tickets.merge(1, 2, 1, "Merged.")
    desk.tickets.merge(2, c.id, 1, "Merged.")
    client = app.test_client()
    for duplicate in (1, 2):
        answer = client.get(f"/en/tickets/{desk.tickets.get(duplicate).reference}")
        assert answer.status_code == 302 and answer.location.endswith(f"/en/tickets/{c.reference}")
        assert client.get(answer.location).status_code == 200


def test_a_merge_loop_from_before_the_guard_answers_the_page_not_a_redirect_loop(app: Flask) -> None:
    desk = desk_of(app)
    with desk.db.session() as session:  # a cycle only a database from before the guards can hold
        session.get(Ticket, 1).merged_into_id = 2
        session.get(Ticket, 2).merged_into_id = 1
    client = app.test_client()
    answer = client.get(f"/en/tickets/{desk.tickets.get(1).reference}")
    assert answer.status_code == 200


# --- last_contact_at ----------------------------------------------------------------------------------------------


def last_contact(app: Flask, customer_id: int) -> datetime | None:
    with desk_of(app).db.session() as session:
        return session.scalar(select(Customer.last_contact_at).where(Customer.id == customer_id))


def test_a_failed_request_leaves_last_contact_where_it_was(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A customer's reply whose transaction fails after the message was flushed (a file write failing, here a
    mail queue that raises): the hook's UPDATE is in the same transaction and goes with it."""
    desk = desk_of(app)
    before, reference = last_contact(app, cid(app, "omar")), desk.tickets.get(1).reference

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(tickets_module.TicketStore, "customer_wrote", staticmethod(broken))
    with pytest.raises(RuntimeError):
        desk.tickets.customer_reply(reference, "Any news?")
    assert last_contact(app, cid(app, "omar")) == before
    with desk.db.session() as session:
        assert session.scalar(select(func.count(Message.id)).where(Message.body == "Any news?")) == 0


def test_an_import_of_an_older_thread_never_moves_last_contact_back(app: Flask) -> None:
    desk = desk_of(app)
    now = last_contact(app, cid(app, "omar"))
    assert now is not None
    desk.tickets.create(NewTicket(email="omar@example.com", subject="Old", body="Old", notify=False,
                                  created=datetime(2020, 1, 1, tzinfo=UTC), replies=(("customer", "later"),)))
    assert last_contact(app, cid(app, "omar")) == now


def test_agent_messages_and_bulk_changes_do_not_move_last_contact(app: Flask) -> None:
    desk = desk_of(app)
    before = last_contact(app, cid(app, "omar"))
    desk.tickets.reply(1, 1, "On its way.")
    desk.notes.add(2, 1, "Note.")
    desk.tickets.bulk_update([1, 2, 3], status="solved", agent_id=1)
    desk.tickets.merge(2, 1, 1, "Merged.")
    assert last_contact(app, cid(app, "omar")) == before


# --- GETs write nothing -------------------------------------------------------------------------------------------


def test_every_get_of_these_surfaces_writes_nothing(app: Flask) -> None:
    desk = desk_of(app)
    desk.tickets.merge(1, 2, 1, "Merged.")
    desk.tickets.update(3, status="closed")
    client, _ = signed_in(app, "agent@example.com")
    before = everything(app)
    omar = cid(app, "omar")
    for path in ("/agent/customers", "/agent/customers?sort=tickets&page=2", "/agent/customers?q=omar",
                 f"/agent/customers/{omar}", f"/agent/customers/{omar}?page=9", "/agent/tickets/3", "/agent/tickets/1"):
        assert client.get(path).status_code == 200, path
    assert app.test_client().get(f"/en/tickets/{desk.tickets.get(1).reference}").status_code == 302
    for path in ("/api/v1/customers", "/api/v1/customers?sort=name", f"/api/v1/customers/{omar}"):
        assert api_get(app, path).status_code == 200
    after = everything(app)
    assert after == before


# --- campaigns ----------------------------------------------------------------------------------------------------

HOSTILE = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\u202eomar", "om\u200far", "\ud800", "x\udfff", "%", "_", "\\", "%_%", "omar",
    "OMAR", "احمد", "أحـمد", "٣", "x" * 300, "\ufeff", "omar haddad", "ـ", "'", "\"", ";--", "%00",
]) | st.text(max_size=40) | st.binary(max_size=20)
SORTS_ANY = st.sampled_from(["", "last_contact", "name", "tickets", "NAME", "bogus", "\x00"]) | HOSTILE
PAGES = st.sampled_from(["", "1", "2", "0", "-1", "+1", "1e3", "٣", "00001", str(2**63), "9" * 300, " 1",
                         "\x00"]) | st.integers(-5, 2**64).map(str)


@FUZZ
@given(q=HOSTILE, sort=SORTS_ANY, page=PAGES)
@example(q="x" * 10_000, sort="name", page="1")
@example(q=b"\xed\xa0\x80", sort="tickets", page=str(2**64))
def test_the_list_and_the_api_under_any_q_sort_and_page(app: Flask, q: str | bytes, sort: str | bytes,
                                                         page: str) -> None:
    client, _ = signed_in(app, "agent@example.com")
    before = everything(app)
    listed = client.get("/agent/customers?" + encoded({"q": q, "sort": sort, "page": page}))
    assert listed.status_code in (200, 400, 414), listed.status_code
    answer = api_get(app, "/api/v1/customers", encoded({"query": q, "sort": sort, "page": page}))
    assert answer.status_code in (200, 400, 414), answer.status_code
    if answer.status_code == 400:
        assert set(answer.get_json()) == {"error"}
    elif answer.status_code == 200:
        body = answer.get_json()
        assert 1 <= body["page"] <= body["pages"] and len(body["customers"]) <= 25
    assert everything(app) == before


EMAILS = st.sampled_from([
    "omar@example.com", "OMAR@example.com", "ahmad@example.com", "ahmad@example.com.", "Ahmad@Example.Com",
    "omar+x@example.com", "omar@bücher.de", "omar@xn--bcher-kva.de", "оmar@example.com", "omar\u200b@example.com",
    "\u202eomar@example.com", "omar@@example.com", "omar@example", "@example.com", "omar @example.com", "",
    "omar@example.com\x00", "omar@example..com", "a" * 400 + "@example.com",
]) | HOSTILE
COUNTRY = st.sampled_from(["", "sa", "SA", "eg", "Saudi Arabia", "XX", "EU", "ZZ", "ＳＡ", "s\x00"]) | HOSTILE


@FUZZ
@given(email=EMAILS, country=COUNTRY, name=HOSTILE)
def test_editing_email_and_country_from_any_form(app: Flask, email: str | bytes, country: str | bytes,
                                                 name: str | bytes) -> None:
    before = customer_rows(app)
    with desk_of(app).db.session() as session:
        events = session.scalar(select(func.count(AuditEvent.id)))
    omar = cid(app, "omar")
    answer = edit(app, omar, email=email, country=country, name=name)
    assert answer.status_code in (302, 400, 413), answer.status_code
    after = customer_rows(app)
    with desk_of(app).db.session() as session:
        now_events = session.scalar(select(func.count(AuditEvent.id)))
    if answer.status_code != 302:
        assert after == before and now_events == events
        return
    assert after[1:] == before[1:]
    _, _, stored_email, stored_country, _, search_text, _ = after[0]
    emails = [row[2] for row in after]
    assert len(set(emails)) == len(emails)
    assert stored_email == stored_email.strip().lower() and not stored_email.endswith(".")
    assert not any(c in BIDI_CONTROLS or c in "\u200b\u200c\u200d\u00ad\ufeff" for c in stored_email)
    assert stored_country is None or stored_country in COUNTRIES
    assert search_text and stored_email in search_text
    assert now_events == events + (after[0] != before[0] and after[0][1:5] != before[0][1:5])
    desk_of(app).customers.edit(omar, "Omar Haddad", "", email="omar@example.com", country="")  # back, for the next


def test_the_hook_stamps_a_reply_through_the_api_and_the_page(app: Flask) -> None:
    """Pinned: the customer's reply by their page moves last_contact_at forward (and the list's order with it)."""
    desk = desk_of(app)
    before = last_contact(app, cid(app, "ahmad"))
    assert before is not None
    desk.tickets.customer_reply(desk.tickets.get(3).reference, "Still waiting")
    after = last_contact(app, cid(app, "ahmad"))
    assert after is not None and after > before - timedelta(seconds=0)
    assert desk.customers.page("", "last_contact").rows[0].id == cid(app, "ahmad")
