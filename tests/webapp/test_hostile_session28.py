"""Hostile input against session 28's surfaces (hostile29): saved views, snooze, the customer's profile edits, the
audit log's filters and CSV, the one ?page= rule and the closed ticket's follow-up, through the real app.

Concrete cases first (each a fault found and fixed, or a rule pinned), then hypothesis campaigns: whatever a form or
a URL carries, never a 500, and a refusal writes nothing. The light app, SQLite and (`--postgresql`) PostgreSQL;
KB_FUZZ_EXAMPLES (default 40) examples per property.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import threading
from dataclasses import replace
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import func, select, update

from desk.database import StorageUnavailableError
from desk.desk import Desk
from desk.models import Agent, AuditEvent, SavedView, Ticket
from desk.saved_views import Saved, SavedViews
from desk.tickets import InputError, NewTicket, SentReply, TicketStore
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, csrf, light_settings, login  # noqa: F401

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


def signed_in(app: Flask, email: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client, csrf(client.get("/agent/").get_data(as_text=True))


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


def at_once(work: list, hook_owner: object, hook_name: str, monkeypatch: pytest.MonkeyPatch) -> list[object]:  # type: ignore[type-arg]
    """Run the callables of `work` in threads that meet at `hook_owner.hook_name` (after it ran: both have read,
    neither written) unless one waits on the other's lock, which the meeting then gives up on. What each returned
    or raised."""
    arrived = threading.Barrier(len(work))
    original = getattr(hook_owner, hook_name)

    def meet(*args: object, **kwargs: object) -> object:
        found = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):  # one waiting on the other's lock goes on alone
            arrived.wait(timeout=1.5)
        return found

    monkeypatch.setattr(hook_owner, hook_name, staticmethod(meet) if isinstance(
        inspect.getattr_static(hook_owner, hook_name), staticmethod) else meet)
    results: list[object] = [None] * len(work)

    def run(number: int) -> None:
        try:
            results[number] = work[number]()
        except Exception as error:
            results[number] = error

    threads = [threading.Thread(target=run, args=(number,)) for number in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def refused(result: object) -> bool:
    """A race's loser: the field's error, or (SQLite, one writer) the busy database's."""
    return isinstance(result, InputError | StorageUnavailableError)


def test_two_saves_of_one_name_at_once_keep_one_view(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """"refunds" and "Refunds" from two tabs at once: both read the agent's names before either wrote, and both were
    kept (the unique index is on the name as typed) though names compare without case."""
    desk, owner = desk_of(app), agent_id(app, "agent@example.com")
    results = at_once([lambda: desk.saved_views.save(owner, "refunds", {}),
                       lambda: desk.saved_views.save(owner, "Refunds", {})], SavedViews, "_free_name", monkeypatch)
    assert sum(isinstance(r, Saved) for r in results) == 1 and sum(refused(r) for r in results) == 1, results
    assert len(desk.saved_views.visible(owner)) == 1


def test_two_saves_at_once_never_pass_the_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent one view short of KB_SAVED_VIEWS_PER_AGENT saving two at once: both counted before either wrote."""
    desk, owner = desk_of(app), agent_id(app, "agent@example.com")
    monkeypatch.setattr(desk.saved_views, "limit", 2)
    desk.saved_views.save(owner, "first", {})
    results = at_once([lambda: desk.saved_views.save(owner, "second", {}),
                       lambda: desk.saved_views.save(owner, "third", {})], SavedViews, "_free_name", monkeypatch)
    assert sum(isinstance(r, Saved) for r in results) == 1, results
    assert len(desk.saved_views.visible(owner)) == 2


# --- follow-ups and sign-ins, at once ------------------------------------------------------------------------------


def test_one_follow_up_posted_from_two_tabs_at_once_is_one_ticket(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    desk, agent = desk_of(app), agent_id(app, "agent@example.com")
    desk.tickets.update(1, status="closed")
    closed_at = desk.tickets.get(1).updated_at
    results = at_once([lambda: desk.tickets.agent_follow_up(1, agent, "We sent it again."),
                       lambda: desk.tickets.agent_follow_up(1, agent, "We sent it again.")],
                      TicketStore, "_follow_ups", monkeypatch)
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
                      audit_module, "record", monkeypatch)
    assert results == [None, None]
    with desk.db.session() as session:
        rows = list(session.scalars(select(AuditEvent.count).where(AuditEvent.action == "sign_in_failed")))
    assert rows == [2] or (len(rows) == 1 and rows[0] == 1), rows  # SQLite's busy loser is not audited (best effort)
