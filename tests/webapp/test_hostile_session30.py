"""Hostile input against session 30's surfaces (hostile31): the customer merge (its pages and API) under junk ids and
races, the profile's version and `seen_*` tampered, saved view names and their folded keys, and values isolated in
Arabic pages, through the real app.

Concrete cases first (each a fault found and fixed, or a rule pinned), then hypothesis campaigns: whatever a form or a
JSON body carries, never a 500, and a refusal writes nothing. The light app, SQLite and (`--postgresql`) PostgreSQL;
KB_FUZZ_EXAMPLES (default 40) examples per property.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from email.message import EmailMessage
from html import unescape
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from desk.desk import Desk
from desk.models import Agent, Customer, SavedView, Ticket
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from kb.strict_json import shown_key
from tests.races import at_once, refused
from tests.webapp.light_app import PASSWORD, light_settings, signed_in  # noqa: F401
from tests.webapp.test_hostile_session29 import desk_of, encoded, everything

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """An admin, a lead and an agent; customers a, b and c (a ticket each) and Omar (two)."""
    from webapp import create_app

    app = create_app(replace(light_settings, rate_limits=False))
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    for local in "abc":
        desk.tickets.create(NewTicket(email=f"{local}@example.com", name=local.upper(), subject=f"About {local}",
                                      body="Hello"))
    for body in ("Where?", "Again?"):
        desk.tickets.create(NewTicket(email="omar@example.com", name="Omar Haddad", subject="Parcel", body=body))
    app.config["api_token"] = desk.accounts.create_token("partner")
    return app


def cid(app: Flask, local: str) -> int:
    with desk_of(app).db.session() as session:
        found = session.scalar(select(Customer.id).where(Customer.email == f"{local}@example.com"))
        assert found is not None
        return found


def api_merge(app: Flask, customer_id: int | str, body: object, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    return app.test_client().post(f"/api/v1/customers/{customer_id}/merge",
                                  data=raw if raw is not None else json.dumps(body),
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {app.config['api_token']}"})


def form_merge(app: Flask, customer_id: int, fields: dict[str, str | bytes],
               signed: tuple[Any, str] | None = None):  # type: ignore[no-untyped-def]
    client, token = signed or signed_in(app, "admin@example.com")
    return client.post(f"/agent/customers/{customer_id}/merge",
                       data=encoded({**fields, "csrf_token": token}).encode("ascii"),
                       content_type="application/x-www-form-urlencoded")


def mail_from(sender: str, subject: str) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "support@manzil.example", subject
    mail.set_content("Writing again.")
    return mail.as_bytes()


def pointers(app: Flask) -> dict[str, str | None]:
    """Who points where (by the email's local part): the merge chains and cycles."""
    with desk_of(app).db.session() as session:
        rows = session.execute(select(Customer.id, Customer.email, Customer.merged_into_id)).all()
    local = {i: email.split("@")[0] for i, email, _ in rows}
    return {local[i]: local.get(into) if into is not None else None for i, _, into in rows}


# --- the merge API and form under junk ids ------------------------------------------------------------------------


def test_the_api_refuses_junk_into_naming_it(app: Flask) -> None:
    before = everything(app)
    for into in [-1, 0, 2**31, 2**63, 2**70, 10**400, 1.0, 1.5, "1", "٣", "1e3", [1], {"id": 1}, None, True, False,
                 float("nan")]:
        answer = api_merge(app, cid(app, "a"), None, raw=json.dumps({"into": into}).encode())
        assert answer.status_code == 400, answer.get_data(as_text=True)
        assert set(answer.get_json()) == {"error"} and answer.get_json()["error"].startswith("into: ")
    assert everything(app) == before


def test_the_api_refuses_a_body_that_is_no_object_with_into(app: Flask) -> None:
    before = everything(app)
    for raw, field in [(b"{}", "into"), (b"[]", None), (b"\"into\"", None), (b"null", None), (b"", None),
                       (b"{", None), (b"\xff", None), (b'{"into": 2, "into": "x"}', "into"),
                       (b'{"into": 2, "extra": 1}', "extra"), (b'{"into": 1' + b"0" * 5000 + b"}", None)]:
        answer = api_merge(app, cid(app, "a"), None, raw=raw)
        assert answer.status_code == 400, answer.get_data(as_text=True)
        body = answer.get_json()
        assert set(body) == {"error"} and (field is None or body["error"].startswith(f"{field}: ")), body
    assert everything(app) == before


def test_the_api_answers_a_junk_duplicate_id_with_json(app: Flask) -> None:
    before = everything(app)
    for path in ["-1", "0", str(2**31), str(2**63), "²", "1.0", "%20", "1,2", "1_0", "+1", "9999"]:
        answer = api_merge(app, path, {"into": cid(app, "b")})
        assert answer.status_code == 404 and set(answer.get_json()) == {"error"}, path
    assert everything(app) == before


def test_the_api_refusals_name_the_field_and_status(app: Flask) -> None:
    a, b, c = cid(app, "a"), cid(app, "b"), cid(app, "c")
    before = everything(app)
    itself = api_merge(app, a, {"into": a})
    assert (itself.status_code, itself.get_json()["error"].split(":")[0]) == (400, "into")
    unknown = api_merge(app, a, {"into": 9999})
    assert (unknown.status_code, unknown.get_json()["error"].split(":")[0]) == (400, "into")
    assert everything(app) == before
    assert api_merge(app, a, {"into": b}).status_code == 200
    again = api_merge(app, a, {"into": b})  # a retry after a lost answer: where it went
    assert again.status_code == 409 and again.get_json()["merged_into"] == b
    onto_gone = api_merge(app, c, {"into": a})
    assert onto_gone.status_code == 409 and onto_gone.get_json()["merged_into"] == b
    assert onto_gone.get_json()["error"].startswith("into: ")


def test_the_merge_form_refuses_junk_into(app: Flask) -> None:
    admin = signed_in(app, "admin@example.com")
    before = everything(app)
    for into in ["-1", "0", "", "1.0", "²", "1_0", " 2", "+2", "9" * 30, str(2**31), "0x2", b"\xff", "\x00", "9999",
                 str(cid(app, "a"))]:
        assert form_merge(app, cid(app, "a"), {"into": into}, admin).status_code == 400, into
    assert form_merge(app, cid(app, "a"), {}, admin).status_code == 400
    assert everything(app) == before


def test_the_confirmation_reads_into_as_the_form_does(app: Flask) -> None:
    """The confirmation page read `into` with Python's int(): " 2", "+2" and "1_0" were customers #2 and #10 to
    confirm, where the form's post of the same text is refused (form_number)."""
    client, _ = signed_in(app, "admin@example.com")
    before = everything(app)
    for into in ["-1", "0", "1.0", "²", "1_0", " 2", "+2", "9" * 30, "9" * 5000, str(2**31), "0x2", "\x00", ""]:
        page = client.get(f"/agent/customers/{cid(app, 'a')}/merge?" + encoded({"into": into}))
        assert page.status_code in (200, 400, 414) and "merge-confirmation" not in page.get_data(as_text=True), into
    assert everything(app) == before


def test_arabic_indic_digits_are_the_same_id_in_the_path_the_form_and_the_confirmation(app: Flask) -> None:
    """Pinned: "٣" is decimal digits (the route's converter, form_number and the confirmation all read it as 3), so an
    Arabic keyboard's id reaches the same customer everywhere, never another one or a 500."""
    a, c = cid(app, "a"), cid(app, "c")
    assert (a, c) == (1, 3)
    client, _ = signed_in(app, "admin@example.com")
    page = client.get("/agent/customers/١/merge?into=٣")
    assert page.status_code == 200 and f'name="into" value="{c}"' in page.get_data(as_text=True)
    assert form_merge(app, a, {"into": "٣"}).status_code == 302
    assert pointers(app)["a"] == "c"
    answer = api_merge(app, "٢", {"into": c})
    assert answer.status_code == 200 and answer.get_json()["merged_from"] == 2


# --- merges at once: chains, cycles, mail and saves ---------------------------------------------------------------


def merge_of(app: Flask, duplicate: str, kept: str) -> Any:
    return lambda: desk_of(app).customers.merge(cid(app, duplicate), cid(app, kept))


def assert_no_chain_and_nothing_lost(app: Flask) -> None:
    """Every merged row points at a live customer (one hop, no cycle) and every ticket is on a live customer."""
    with desk_of(app).db.session() as session:
        live = set(session.scalars(select(Customer.id).where(Customer.merged_into_id.is_(None))))
        assert live, "a cycle merged everyone away"
        assert set(session.scalars(select(Customer.merged_into_id).where(Customer.merged_into_id.is_not(None)))) <= live
        assert set(session.scalars(select(Ticket.customer_id))) <= live
        assert session.scalar(select(func.count(Ticket.id))) == 5


def test_two_merges_into_each_other_at_once_make_no_cycle(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import desk.customers as customers_module

    results = at_once([merge_of(app, "a", "b"), merge_of(app, "b", "a")], [(customers_module, "row_by_id")],
                      monkeypatch)
    assert sum(map(refused, results)) == 1, results
    assert_no_chain_and_nothing_lost(app)
    assert sorted(v for v in pointers(app).values() if v) in (["a"], ["b"])


def test_a_chain_of_merges_at_once_makes_no_chain(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import desk.customers as customers_module

    results = at_once([merge_of(app, "a", "b"), merge_of(app, "b", "c")], [(customers_module, "row_by_id")],
                      monkeypatch)
    assert sum(map(refused, results)) <= 1, results
    assert_no_chain_and_nothing_lost(app)
    assert pointers(app)["b"] == "c" and pointers(app)["a"] in ("c", None)


def test_mail_from_the_duplicates_address_during_the_merge_lands_on_a_live_customer(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mail read the duplicate (not merged yet) and wrote its ticket after the merge moved the duplicate's
    tickets: on PostgreSQL the ticket was stored on the merged-away row, on no profile, in no list."""
    import desk.customers as customers_module
    import desk.tickets as tickets_module

    desk = desk_of(app)
    results = at_once([merge_of(app, "a", "b"), lambda: desk.mail_in.receive(mail_from("a@example.com", "Again"))],
                      [(customers_module, "row_by_id"), (tickets_module, "reached_customer")], monkeypatch)
    assert not any(isinstance(r, Exception) for r in results), results
    with desk.db.session() as session:
        [customer_id] = session.scalars(select(Ticket.customer_id).where(Ticket.subject == "Again")).all()
        assert customer_id == cid(app, "b")
        live = set(session.scalars(select(Customer.id).where(Customer.merged_into_id.is_(None))))
        assert set(session.scalars(select(Ticket.customer_id))) <= live
    assert desk.customers.profile(cid(app, "b")).total == 3


def test_a_profile_save_racing_a_merge_is_before_it_or_refused(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import desk.customers as customers_module

    desk = desk_of(app)
    a, b = cid(app, "a"), cid(app, "b")
    version = desk.customers.get(b).version
    results = at_once([lambda: desk.customers.merge(a, b),
                       lambda: desk.customers.edit(a, "A renamed", "Saved note"),
                       lambda: desk.customers.edit(b, "B renamed", "", version=version)],
                      [(customers_module, "row_by_id")], monkeypatch)
    assert not isinstance(results[0], Exception), results
    kept = desk.customers.get(b)
    gone = desk.customers.get(a)
    assert gone.merged_into_id == b and gone.notes is None  # notes never stranded on the merged-away row
    if not refused(results[1]):  # saved before the merge: its note moved with it
        assert "Saved note" in (kept.notes or "")
    assert refused(results[2]) or kept.name == "B renamed"
    assert_no_chain_and_nothing_lost(app)


# --- the profile form's version and seen_* --------------------------------------------------------------------------


def test_the_profile_forms_version_and_seen_fields_under_junk(app: Flask) -> None:
    """A version that is no whole number is a 400 naming it; an old one a 409 naming only real fields; a tampered
    `seen_*` (unknown field, huge, NUL) changes only which fields the 409 names; absent: not checked. Never a 500,
    and a refusal writes nothing."""
    client, token = signed_in(app, "agent@example.com")
    omar = cid(app, "omar")
    current = desk_of(app).customers.get(omar).version

    def post(fields: list[tuple[str, str | bytes]]):  # type: ignore[no-untyped-def]
        body = "&".join(encoded({k: v}) for k, v in [*fields, ("csrf_token", token)])
        return client.post(f"/agent/customers/{omar}", data=body.encode("ascii"),
                           content_type="application/x-www-form-urlencoded")

    before = everything(app)
    for version in ["-1", "", "1.5", "²", "9" * 30, str(2**31), str(2**63), "0x1", " 0", b"\xff", "\x00"]:
        answer = post([("name", "Omar Haddad"), ("notes", "x"), ("version", version)])
        assert answer.status_code == 400, version
        assert everything(app) == before, version
    for seen in [[("seen_name", "x" * 100_000)], [("seen_bogus", "1")], [("seen_notes", "\x00")],
                 [("seen_email", b"\xff")], [("seen_name", "Omar Haddad"), ("seen_name", "other")], []]:
        answer = post([("name", "Omar Haddad"), ("notes", "x"), ("version", str(current + 1)), *seen])
        assert answer.status_code == 409, seen
        assert everything(app) == before, seen
        assert "bogus" not in answer.get_data(as_text=True)
    # Two versions: the first read, as every repeated field; the stale one first is refused
    assert post([("name", "Omar Haddad"), ("notes", "x"), ("version", str(current + 5)),
                 ("version", str(current))]).status_code == 409
    assert everything(app) == before
    assert post([("name", "Omar Haddad"), ("notes", "x"), ("version", f"{current:٠>3}".replace("0", "٠"))]
                ).status_code == 302  # Arabic-Indic digits of the current version
    assert post([("name", "Omar Haddad"), ("notes", "y")]).status_code == 302  # no version (a script): saved
    assert desk_of(app).customers.get(omar).notes == "y"


# --- saved view names ---------------------------------------------------------------------------------------------


def views_of(app: Flask) -> list[tuple[int, str, str]]:
    with desk_of(app).db.session() as session:
        return [(agent, name, key) for agent, name, key in session.execute(
            select(SavedView.agent_id, SavedView.name, SavedView.name_key).order_by(SavedView.id))]


def agent_id(app: Flask, local: str) -> int:
    with desk_of(app).db.session() as session:
        found = session.scalar(select(Agent.id).where(Agent.email == f"{local}@example.com"))
        assert found is not None
        return found


def test_a_view_name_of_invisible_characters_only_is_empty(app: Flask) -> None:
    """Bidi controls were dropped from a name, but a zero-width space, joiners, a BOM or a soft hyphen were kept:
    a view named "\\u200b" listed with no visible name, and "Refunds\\u200b" sat beside "Refunds" as a twin."""
    agent = agent_id(app, "agent")
    desk_of(app).saved_views.save(agent, "Refunds", {})
    for name in ["\u200b", "\u200b\u200c\u2060", "\u202e\u2066", "\ufeff\u00ad", "\u061c\u200f"]:
        with pytest.raises(InputError, match="name: is empty"):
            desk_of(app).saved_views.save(agent, name, {})
        with pytest.raises(InputError, match="name: you have a view named"):
            desk_of(app).saved_views.save(agent, f"Ref{name}unds", {})
    assert [n for _, n, _ in views_of(app)] == ["Refunds"]


def test_view_names_long_and_keyed_across_agents_and_renames(app: Flask) -> None:
    desk = desk_of(app)
    agent, sara, admin = agent_id(app, "agent"), agent_id(app, "sara"), agent_id(app, "admin")
    for name in ["x" * 61, "ﷺ" * 61, "x" * 10_000]:
        with pytest.raises(InputError, match="name: at most 60 characters"):
            desk.saved_views.save(agent, name, {})
    longest = desk.saved_views.save(agent, "ﷺ" * 60, {})  # 18 characters a key each: 1,080, the column's size
    assert len(views_of(app)[0][2]) == 1080
    desk.saved_views.save(sara, "REFUNDS", {})  # another agent's key is theirs alone
    shared = desk.saved_views.save(admin, "Refunds", {}, shared=True)  # a shared one too: the owner's key
    mine = desk.saved_views.save(agent, "ｒｅｆｕｎｄｓ", {})
    other = desk.saved_views.save(agent, "Other", {})
    with pytest.raises(InputError, match="name: you have a view named"):
        desk.saved_views.rename(other.id, agent, "Refunds")  # onto their own view's key
    assert desk.saved_views.rename(mine.id, agent, "REFUNDS").name == "REFUNDS"  # its own key: a new spelling
    with pytest.raises(InputError):
        desk.saved_views.rename(shared.id, agent, "Mine now")  # another's shared view: not theirs to rename
    assert desk.saved_views.rename(longest.id, agent, "ﷺ" * 60).name == "ﷺ" * 60


# --- values isolated on Arabic pages ------------------------------------------------------------------------------

OPENERS, PDF, PDI = "\u202a\u202b\u202d\u202e\u2066\u2067\u2068", "\u202c", "\u2069"


def stays_inside(wrapped: str) -> bool:
    """UAX #9's pairing over `wrapped` (an FSI ... PDI): the wrapper's PDI is the last character and closes it, and
    nothing inside closes it earlier or is left open after it."""
    opened: list[str] = []
    for position, c in enumerate(wrapped):
        if c in OPENERS:
            opened.append("isolate" if c in "\u2066\u2067\u2068" else "embedding")
        elif c == PDF and opened and opened[-1] == "embedding":
            opened.pop()
        elif c == PDI and "isolate" in opened:
            while opened.pop() != "isolate":
                pass
        if not opened and position < len(wrapped) - 1:
            return False
    return not opened and wrapped.endswith(PDI)


def test_a_merge_flash_isolates_the_name_and_its_controls_stay_inside(app: Flask) -> None:
    """The merge's flash quoted the duplicate's name bare on an Arabic page, and the isolate every other value gets
    (`isolate_filter`) was closed early by a stray U+2069 in it: a U+202E after it reversed the rest of the line."""
    from webapp.formatting import isolate_filter

    desk = desk_of(app)
    desk.accounts.set_locale(agent_id(app, "admin"), "ar")
    admin = signed_in(app, "admin@example.com")
    for number, name in enumerate(["Sam\u2069\u202e evil", "\u2066Sam", "\u202eSam", "Sam\u202c\u202c\u2069\u2069",
                                   "\u2067\u202bSam\u2069 x", "\u202a\u2068\u202c\u2069\u202c"]):
        duplicate = desk.tickets.create(NewTicket(email=f"d{number}@example.com", name=name, subject="S", body="B"))
        answer = form_merge(app, duplicate.customer_id, {"into": str(cid(app, "b"))}, admin)
        assert answer.status_code == 302
        page = admin[0].get(answer.headers["Location"]).get_data(as_text=True)
        [flash] = re.findall(r'<p class="flash ok" role="status">([^<]*)</p>', page)
        quoted = re.search("\u2068.*\u2069", unescape(flash))
        assert quoted is not None and stays_inside(quoted.group(0)), ascii(flash)
        assert stays_inside(isolate_filter(name))


@given(st.text(st.sampled_from("ab \u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200f"), max_size=12))
@FUZZ
def test_any_value_isolated_stays_inside_its_isolate(value: str) -> None:
    from kb.bidi_text import balanced_bidi, without_bidi_controls
    from webapp.formatting import isolate_filter

    wrapped = isolate_filter(value)
    assert wrapped == "" or stays_inside(wrapped)
    assert without_bidi_controls(wrapped) == without_bidi_controls(value)  # only controls dropped or added
    assert balanced_bidi(balanced_bidi(value)) == balanced_bidi(value)


# --- reads write nothing; campaigns -------------------------------------------------------------------------------


def test_every_get_of_these_surfaces_writes_nothing(app: Flask) -> None:
    desk = desk_of(app)
    a, b, omar = cid(app, "a"), cid(app, "b"), cid(app, "omar")
    desk.customers.merge(a, b)
    view = desk.saved_views.save(agent_id(app, "admin"), "Refunds \u202eR", {"q": "lina"})
    admin, _ = signed_in(app, "admin@example.com")
    before = everything(app)
    for path in (f"/agent/customers/{a}", f"/agent/customers/{a}/merge", f"/agent/customers/{omar}/merge?q=a",
                 f"/agent/customers/{omar}/merge?q=a@example.com", f"/agent/customers/{omar}/merge?into={b}",
                 f"/agent/customers/{omar}/merge?into={a}", f"/agent/customers/{omar}/merge?into={omar}",
                 f"/agent/customers/{b}?merged_from={a}", f"/agent/customers/{b}?merged_from=-1",
                 "/agent/customers?q=a@example.com", "/agent/?q=a@example.com", f"/agent/?saved={view.id}",
                 "/agent/?saved=99999", "/agent/?saved=-1"):
        assert admin.get(path).status_code in (200, 302, 400, 404), path
    for path in (f"/api/v1/customers/{a}", f"/api/v1/customers/{b}", "/api/v1/customers?query=a@example.com"):
        assert app.test_client().get(path, headers={
            "Authorization": f"Bearer {app.config['api_token']}"}).status_code in (200, 404), path
    assert everything(app) == before


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["into", "Into", "id", "", "x" * 40]), JSON_VALUES, max_size=3)
       | JSON_VALUES)
def test_the_merge_api_under_any_json(app: Flask, body: object) -> None:
    """Never a 500: a JSON answer with `error` naming the field (400), or the merge (200, into a live customer), or
    a 404/409 for a duplicate gone or merged; a refusal writes nothing."""
    a = cid(app, "a")
    before = everything(app)
    answer = api_merge(app, a, body)
    data = answer.get_json()
    assert answer.status_code in (200, 400, 404, 409) and isinstance(data, dict), answer.get_data(as_text=True)
    if answer.status_code == 200:
        assert isinstance(body, dict) and type(body.get("into")) is int
        assert_no_chain_and_nothing_lost(app)
    else:
        # The field (an unknown one too, or one holding a NUL deep inside: its path), or none for a body that is no
        # object at all ("send a JSON object with into", every endpoint's) or the field named "".
        named = {"into", "customer", "", *(map(shown_key, body) if isinstance(body, dict) else [])}
        field = data["error"].split(": ")[0] if ": " in data["error"] else ""
        assert (not isinstance(body, dict) or answer.status_code == 409  # a list's item: its position
                or {re.split(r"[.\[]", f)[0] for f in field.split(", ")} <= named), data
        assert everything(app) == before


FORM_TEXT = st.sampled_from(["", "0", "-1", "1", "2", "3", "4", "٣", "²", "1.0", "+2", " 2", "1_0", "9" * 30,
                             str(2**31), "\x00", "\ud800"]) | st.text(max_size=12)


@FUZZ
@given(into=FORM_TEXT, version=FORM_TEXT, seen=st.dictionaries(
    st.sampled_from(["seen_name", "seen_email", "seen_country", "seen_notes", "seen_x"]), FORM_TEXT, max_size=3))
def test_the_merge_and_profile_forms_under_any_fields(app: Flask, into: str, version: str,
                                                      seen: dict[str, str]) -> None:
    admin = signed_in(app, "admin@example.com")
    c, omar = cid(app, "c"), cid(app, "omar")
    merged = form_merge(app, c, {"into": into}, admin)
    assert merged.status_code in (302, 400), into
    client, token = admin
    saved = client.post(f"/agent/customers/{omar}", data=encoded(
        {"name": "Omar Haddad", "notes": "", "version": version, **seen, "csrf_token": token}).encode("ascii"),
        content_type="application/x-www-form-urlencoded")
    assert saved.status_code in (302, 400, 409), version
    assert_no_chain_and_nothing_lost(app)
