"""Time tracking through the real app (no models; `--postgresql` runs it on PostgreSQL): the ticket page's timer
seconds and its "Time spent (minutes)" fields on the reply, note and update forms, a replayed form recording once,
refusals naming the field with everything typed kept, manual entries edited and deleted by whom the rules allow (in
the history), KB_TIME_TRACKING off, the token API's routes with their scopes and Idempotency-Key, the ticket JSON's
`time_spent_seconds`, the dashboard's handle time (page, CSV, API), and hostile input on these routes."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.audit import SYSTEM
from desk.models import AuditEvent, TimeEntry
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import copy_slice, database_url_for_tests
from tests.webapp.light_app import PASSWORD, csrf, login
from webapp import create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    root = tmp_path_factory.mktemp("time35")
    (root / "data").mkdir()
    made = create_app(Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data",
                               database_url=database_url_for_tests(), rate_limits=False))
    desk = made.extensions["desk"]
    desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")  # 1
    desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar")  # 2
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")  # 3
    for number in range(8):
        desk.tickets.create(NewTicket(email=f"c{number}@example.com", name="Lina", subject=f"Refund {number}",
                                      body="Where is my refund?", lang="en"))
    made.config["tokens"] = {"all": desk.accounts.create_token("partner"),
                             "read": desk.accounts.create_token("reader", scopes=("tickets:read",)),
                             "metrics": desk.accounts.create_token("board", scopes=("metrics:read",))}
    return made


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture(scope="module")
def sara(app: Flask) -> FlaskClient:
    return signed_in(app, "sara@example.com")


@pytest.fixture(scope="module")
def omar(app: Flask) -> FlaskClient:
    return signed_in(app, "omar@example.com")


@pytest.fixture(scope="module")
def lead(app: Flask) -> FlaskClient:
    return signed_in(app, "lead@example.com")


def page_form(client: FlaskClient, ticket: int) -> tuple[str, dict[str, str]]:
    """The ticket page and what each of its posts carries: the CSRF token, the page's time key, the last message."""
    page = client.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    key = re.search(r'name="time_key" value="([^"]+)"', page)
    seen = re.search(r'name="seen_message_id" value="(\d+)"', page)
    return page, {"csrf_token": csrf(page), "time_key": key.group(1) if key else "",
                  "seen_message_id": seen.group(1) if seen else ""}


def time_rows(app: Flask, ticket: int) -> list[tuple[int, int, str]]:
    with app.extensions["desk"].db.session() as session:
        return [(e.agent_id, e.seconds, e.kind) for e in session.scalars(
            select(TimeEntry).where(TimeEntry.ticket_id == ticket).order_by(TimeEntry.id))]


def api(app: Flask, token: str = "all") -> dict[str, str]:
    return {"Authorization": f"Bearer {app.config['tokens'][token]}"}


def test_the_reply_carries_the_timer_s_seconds_and_a_replayed_form_records_them_once(app: Flask,
                                                                                    sara: FlaskClient) -> None:
    page, form = page_form(sara, 1)
    assert 'id="timer"' in page and "timer.js" in page and 'name="time_spent"' in page  # the no-JS field is there
    post = {**form, "body": "Your refund left today.", "status": "pending", "time_spent_seconds": "95"}
    assert sara.post("/agent/tickets/1/reply", data=post).status_code == 302
    assert sara.post("/agent/tickets/1/reply", data=post).status_code == 302  # a double click: the reply path's resend
    assert time_rows(app, 1) == [(1, 95, "reply")]
    shown = unescape(sara.get("/agent/tickets/1").get_data(as_text=True))
    assert "Total time spent: 1 minute" in shown and re.search(r"Sara</span>: 1 minute", shown)
    assert app.test_client().get("/api/v1/tickets/1", headers=api(app)).get_json()["time_spent_seconds"] == 95


def test_without_javascript_the_minutes_fields_record_a_note_and_an_update(app: Flask, sara: FlaskClient) -> None:
    _, form = page_form(sara, 2)
    assert sara.post("/agent/tickets/2/note", data={**form, "body": "Asked the courier", "time_spent": "١٥"}
                     ).status_code == 302
    _, form = page_form(sara, 2)
    assert sara.post("/agent/tickets/2/update", data={**form, "status": "open", "priority": "normal",
                                                      "assignee": "none", "time_spent": "2.5"}).status_code == 302
    _, form = page_form(sara, 2)
    assert sara.post("/agent/tickets/2/update", data={**form, "status": "open", "priority": "normal",
                                                      "assignee": "none", "time_spent": ""}).status_code == 302
    assert time_rows(app, 2) == [(1, 900, "note"), (1, 150, "update")]


@pytest.mark.parametrize(("path", "extra"), [
    ("reply", {"body": "Kept reply text", "status": "pending"}),
    ("note", {"body": "Kept note text"}),
    ("update", {"status": "solved", "priority": "normal", "assignee": "none"}),
])
@pytest.mark.parametrize("typed", ["abc", "0", "1441", "1e3"])
def test_a_time_that_is_no_time_is_refused_naming_the_field_and_nothing_is_written(
        app: Flask, sara: FlaskClient, path: str, extra: dict[str, str], typed: str) -> None:
    _, form = page_form(sara, 3)
    answer = sara.post(f"/agent/tickets/3/{path}", data={**form, **extra, "time_spent": typed})
    assert answer.status_code == 400
    page = unescape(answer.get_data(as_text=True))
    assert "time spent:" in page
    assert f'value="{typed}"' in page  # the minutes typed stay in the field
    if "body" in extra:
        assert extra["body"] in page  # and so does the text
    assert time_rows(app, 3) == []
    found = app.extensions["desk"].tickets.get(3)
    assert [m.author for m in found.messages] == ["customer"] and found.status != "solved"


def test_a_refused_reply_keeps_the_timer_s_seconds_for_the_page_drawn_again(sara: FlaskClient) -> None:
    _, form = page_form(sara, 3)
    answer = sara.post("/agent/tickets/3/reply", data={**form, "body": "", "status": "pending",
                                                       "time_spent_seconds": "321"})
    assert answer.status_code == 400 and 'data-start="321"' in answer.get_data(as_text=True)


def test_manual_time_is_edited_and_deleted_by_its_agent_or_a_lead_and_is_in_the_history(
        app: Flask, sara: FlaskClient, omar: FlaskClient, lead: FlaskClient) -> None:
    _, form = page_form(sara, 4)
    added = sara.post("/agent/tickets/4/time", data={"csrf_token": form["csrf_token"], "time_key": form["time_key"],
                                                     "minutes": "10", "note": "Called the courier"})
    assert added.status_code == 302
    sara.post("/agent/tickets/4/time", data={"csrf_token": form["csrf_token"], "time_key": form["time_key"],
                                             "minutes": "10", "note": "Called the courier"})  # the same form again
    [(agent, seconds, kind)] = time_rows(app, 4)
    assert (agent, seconds, kind) == (1, 600, "manual")
    entry = app.extensions["desk"].time_entries.of_ticket(4).entries[0].id
    omar_page, omar_form = page_form(omar, 4)
    assert f"/agent/tickets/4/time/{entry}" not in omar_page  # no edit form for a colleague's entry
    refused = omar.post(f"/agent/tickets/4/time/{entry}", data={"csrf_token": omar_form["csrf_token"],
                                                                "action": "edit", "minutes": "1"})
    assert refused.status_code == 403 and time_rows(app, 4) == [(1, 600, "manual")]
    lead_page, lead_form = page_form(lead, 4)
    assert f"/agent/tickets/4/time/{entry}" in lead_page
    assert lead.post(f"/agent/tickets/4/time/{entry}", data={"csrf_token": lead_form["csrf_token"], "action": "edit",
                                                             "minutes": "20", "note": "Called twice"}
                     ).status_code == 302
    bad = lead.post(f"/agent/tickets/4/time/{entry}", data={"csrf_token": lead_form["csrf_token"], "action": "edit",
                                                            "minutes": "twenty", "note": "kept"})
    assert bad.status_code == 400 and 'value="twenty"' in bad.get_data(as_text=True)
    assert sara.post(f"/agent/tickets/4/time/{entry}", data={"csrf_token": form["csrf_token"], "action": "delete"}
                     ).status_code == 302
    history = unescape(sara.get("/agent/tickets/4").get_data(as_text=True))
    assert "time entry of Sara: 10 minutes → 20 minutes (note changed)" in history
    assert "time entry of Sara deleted (20 minutes)" in history
    with app.extensions["desk"].db.session() as session:
        assert session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.in_(["time_entry_edited", "time_entry_deleted"]), AuditEvent.subject == "4")) == 2
    assert sara.post(f"/agent/tickets/4/time/{entry}", data={"csrf_token": form["csrf_token"], "action": "delete"}
                     ).status_code == 404  # gone already


def test_the_arabic_page_shows_the_time_in_arabic(app: Flask) -> None:
    client = signed_in(app, "omar@example.com")
    token = csrf(client.get("/agent/").get_data(as_text=True))
    client.post("/agent/preferences", data={"csrf_token": token, "locale": "ar", "back": "/agent/"})
    try:
        app.extensions["desk"].tickets.send_reply(5, 2, "Done", seconds=3 * 3600 + 120)
        page = unescape(client.get("/agent/tickets/5").get_data(as_text=True))
        assert 'lang="ar"' in page
        assert "الوقت المستغرق" in page and "3 ساعات 2 دقيقتان" in page
    finally:
        client.post("/agent/preferences", data={"csrf_token": token, "locale": "", "back": "/agent/"})


def test_off_hides_the_timer_and_the_fields_and_records_nothing(app: Flask, sara: FlaskClient) -> None:
    settings = app.extensions["settings"]
    app.extensions["settings"] = replace(settings, time_tracking=False)
    try:
        page, form = page_form(sara, 6)
        assert 'id="timer"' not in page and 'name="time_spent"' not in page and 'id="time-form"' not in page
        assert "timer.js" not in page
        assert sara.post("/agent/tickets/6/note", data={**form, "body": "A note", "time_spent": "5"}
                         ).status_code == 302
        assert sara.post("/agent/tickets/6/time", data={"csrf_token": form["csrf_token"], "minutes": "5"}
                         ).status_code == 404
        assert time_rows(app, 6) == []
    finally:
        app.extensions["settings"] = settings


def test_the_api_lists_adds_changes_and_deletes_time_with_its_scopes(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/api/v1/tickets/7/time_entries", json={"agent": 2, "seconds": 60},
                       headers=api(app, "read")).status_code == 403  # tickets:read does not write
    headers = {**api(app), "Idempotency-Key": "time-7-a"}
    made = client.post("/api/v1/tickets/7/time_entries", json={"agent": 2, "seconds": 900, "note": "Courier"},
                       headers=headers)
    assert made.status_code == 201
    again = client.post("/api/v1/tickets/7/time_entries", json={"agent": 2, "seconds": 900, "note": "Courier"},
                        headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    entry = made.get_json()
    assert (entry["agent"], entry["agent_name"], entry["seconds"], entry["kind"]) == (2, "Omar", 900, "manual")
    listed = client.get("/api/v1/tickets/7/time_entries", headers=api(app, "read")).get_json()
    assert listed["time_spent_seconds"] == 900 and listed["by_agent"] == [{"agent": 2, "agent_name": "Omar",
                                                                            "seconds": 900}]
    changed = client.patch(f"/api/v1/tickets/7/time_entries/{entry['id']}", json={"seconds": 1200, "note": None},
                           headers=api(app))
    assert changed.status_code == 200 and (changed.get_json()["seconds"], changed.get_json()["note"]) == (1200, "")
    items = client.get("/api/v1/tickets?limit=100", headers=api(app, "read")).get_json()["tickets"]
    assert {t["id"]: t["time_spent_seconds"] for t in items}[7] == 1200
    with app.extensions["desk"].db.session() as session:
        token_event = session.scalar(select(AuditEvent).where(AuditEvent.action == "time_entry_edited",
                                                              AuditEvent.subject == "7"))
        assert token_event is not None and token_event.actor == "api" and "token" in token_event.after
    assert client.delete(f"/api/v1/tickets/7/time_entries/{entry['id']}", headers=api(app)).get_json()[
        "deleted"]["seconds"] == 1200
    assert client.delete(f"/api/v1/tickets/7/time_entries/{entry['id']}", headers=api(app)).status_code == 404
    assert client.get("/api/v1/tickets/7", headers=api(app)).get_json()["time_spent_seconds"] == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"agent": 2, "seconds": 0}, "seconds"), ({"agent": 2, "seconds": 86401}, "seconds"),
    ({"agent": 2, "seconds": "60"}, "seconds"), ({"agent": 2, "seconds": 60.5}, "seconds"),
    ({"agent": 2, "seconds": True}, "seconds"), ({"agent": 2}, "seconds"), ({"seconds": 60}, "agent"),
    ({"agent": 2**63, "seconds": 60}, "agent"), ({"agent": 999, "seconds": 60}, "agent"),
    ({"agent": 2, "seconds": 60, "note": "x" * 501}, "note"), ({"agent": 2, "seconds": 60, "note": 5}, "note"),
    ({"agent": 2, "seconds": 60, "minutes": 1}, "minutes"),
])
def test_a_bad_api_entry_is_a_400_naming_its_field_and_writes_nothing(app: Flask, body: dict[str, object],
                                                                      field: str) -> None:
    answer = app.test_client().post("/api/v1/tickets/8/time_entries", json=body, headers=api(app))
    assert answer.status_code == 400 and field in answer.get_json()["error"]
    assert time_rows(app, 8) == []


def test_hostile_input_on_the_time_routes_is_refused_cleanly(app: Flask, sara: FlaskClient) -> None:
    client = app.test_client()
    for path in ("/api/v1/tickets/8/time_entries/99999999999999999999", "/api/v1/tickets/8/time_entries/0"):
        assert client.patch(path, json={"seconds": 60}, headers=api(app)).status_code == 404
    assert client.patch("/api/v1/tickets/8/time_entries/1", json={}, headers=api(app)).status_code == 400
    assert client.post("/api/v1/tickets/999999/time_entries", json={"agent": 1, "seconds": 60},
                       headers=api(app)).status_code == 404
    assert client.post("/api/v1/tickets/8/time_entries", data=b'{"agent": 1, "seconds": 60, "seconds": 61}',
                       headers={**api(app), "Content-Type": "application/json"}).status_code == 400
    other = app.extensions["desk"].time_entries.add(1, 1, 60, None, SYSTEM)
    assert client.delete(f"/api/v1/tickets/8/time_entries/{other.id}", headers=api(app)).status_code == 404
    assert sara.post(f"/agent/tickets/8/time/{other.id}", data={"csrf_token": page_form(sara, 8)[1]["csrf_token"],
                                                               "action": "delete"}).status_code == 404
    assert sara.post("/agent/tickets/8/time/99999999999999999999", data={"action": "delete"}).status_code == 404
    _, form = page_form(sara, 8)
    for key in ("k" * 5000, "key\x00nul", "مفتاح", ""):  # a key no page draws: ignored, the time still recorded
        assert sara.post("/agent/tickets/8/note", data={**form, "time_key": key, "body": "Hostile key",
                                                        "time_spent": "1"}).status_code == 302
    assert sara.post("/agent/tickets/8/time", data={**form, "minutes": "5\x00", "note": "x"}).status_code == 400
    assert sara.post("/agent/tickets/8/time", data={**form, "minutes": "5", "note": "a\x00b" + "n" * 600}
                     ).status_code == 400  # over 500 characters: named, nothing written
    assert sara.post("/agent/tickets/8/time", data={**form, "time_key": "z", "minutes": "5", "note": "a\x00b"}
                     ).status_code == 302
    assert time_rows(app, 8) == [(1, 60, "note")] * 4 + [(1, 300, "manual")]
    assert app.extensions["desk"].time_entries.of_ticket(8).entries[-1].note == "ab"  # control characters dropped


def test_a_closed_ticket_takes_no_time(app: Flask, sara: FlaskClient) -> None:
    desk = app.extensions["desk"]
    closed = desk.tickets.create(NewTicket(email="closed@example.com", subject="Closed", body="Hi", lang="en")).id
    desk.tickets.update(closed, status="closed", agent_id=1)
    page, form = page_form(sara, closed)
    assert 'id="timer"' not in page and 'id="time-form"' not in page
    assert sara.post(f"/agent/tickets/{closed}/time", data={**form, "minutes": "5"}).status_code == 409
    assert app.test_client().post(f"/api/v1/tickets/{closed}/time_entries", json={"agent": 1, "seconds": 60},
                                  headers=api(app)).status_code == 409
    assert time_rows(app, closed) == []


def test_the_dashboard_its_csv_and_the_metrics_api_carry_handle_time(app: Flask, lead: FlaskClient,
                                                                      sara: FlaskClient) -> None:
    page = unescape(lead.get("/agent/dashboard/").get_data(as_text=True))
    assert "Handle time by agent" in page and "Handle time by team" in page and "Handle time, total (h)" in page
    csv = lead.get("/agent/dashboard/handle_agents.csv").get_data(as_text=True)
    assert csv.splitlines()[0] == "Agent,Hours,Time entries,Tickets" and "Sara," in csv
    assert sara.get("/agent/dashboard/handle_agents.csv").status_code == 403
    today = datetime.now(UTC).date()
    period = {"from": (today - timedelta(days=2)).isoformat(), "to": (today + timedelta(days=1)).isoformat(),
              "tz": "UTC"}
    figures = app.test_client().get("/api/v1/metrics", query_string=period, headers=api(app, "metrics")).get_json()
    spent = figures["current"]["handle_time"]
    with app.extensions["desk"].db.session() as session:
        assert spent["seconds"] == session.scalar(select(func.sum(TimeEntry.seconds)))
    assert {row["key"] for row in spent["by_agent"]} >= {"Sara"}
    assert "handle_time" in figures["previous"]
