"""Snooze through the real app (a light one, no models; `--postgresql` runs it on PostgreSQL): an agent snoozes a
ticket from its page (a preset on their clock, or a date and time; a past one refused by field with nothing
written) and in bulk from the inbox; it moves to "snoozed"; the `kb worker` pass, with the clock moved past the
time, brings it back once; a customer's message through the API wakes it at once; the API's ticket JSON carries
`snoozed_until`; no GET writes, not even one after the snooze's time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import desk.snooze
from desk.models import TicketSnoozeChange, as_utc, utcnow
from desk.snooze import snooze_time
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import hours_file
from tests.webapp.light_app import PASSWORD, csrf, light_settings, login  # noqa: F401
from webapp import create_app
from webapp.worker import JOBS, WorkerContext, run_pass

RIYADH = ZoneInfo("Asia/Riyadh")  # the demo's default team's zone: the agent's clock without one of their own


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    hours_file(light_settings.content_dir)
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    for number in range(3):
        desk.tickets.create(NewTicket(email=f"c{number}@example.com", name="Lina", subject=f"Refund {number}",
                                      body="Where is my refund?", lang="en"))
    return app


@pytest.fixture
def sara(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "sara@example.com").status_code == 302
    return client


def snooze_rows(app: Flask) -> int:
    with app.extensions["desk"].db.session() as session:
        return session.scalar(select(func.count(TicketSnoozeChange.id))) or 0


def inbox_ids(client: FlaskClient, view: str) -> set[int]:
    page = client.get("/agent/", query_string={"view": view}).get_data(as_text=True)
    return {int(n) for n in re.findall(r'class="ticket-row[^"]*" data-id="(\d+)"', page)}


def test_an_agent_snoozes_from_the_ticket_page_and_a_past_time_is_refused(app: Flask, sara: FlaskClient) -> None:
    desk = app.extensions["desk"]
    page = sara.get("/agent/tickets/1").get_data(as_text=True)
    token = csrf(page)
    assert 'id="snooze-form"' in page and 'id="unsnooze"' not in page
    refused = sara.post("/agent/tickets/1/snooze", data={"until": "at", "at": "2026-01-01T09:00", "csrf_token": token})
    assert refused.status_code == 400
    text = unescape(refused.get_data(as_text=True))
    assert "snooze: '2026-01-01T09:00' has passed: snooze until a later time" in text
    assert 'value="2026-01-01T09:00"' in text  # what was typed stays
    assert snooze_rows(app) == 0 and desk.tickets.get(1).snoozed_until is None
    before = utcnow()
    done = sara.post("/agent/tickets/1/snooze", data={"until": "tomorrow", "csrf_token": token}, follow_redirects=True)
    page = unescape(done.get_data(as_text=True))
    until = as_utc(desk.tickets.get(1).snoozed_until)
    assert until in {snooze_time("tomorrow", RIYADH, before), snooze_time("tomorrow", RIYADH, utcnow())}
    assert until.astimezone(RIYADH).hour == 9
    assert "Snoozed until" in page and 'id="unsnooze"' in page and "snoozed until" in page  # flash, form, history
    assert 1 not in inbox_ids(sara, "unsolved") and inbox_ids(sara, "snoozed") == {1}
    typed = sara.post("/agent/tickets/2/snooze", data={"until": "at", "at": "2027-01-03T10:00", "csrf_token": token})
    assert typed.status_code == 302
    assert as_utc(desk.tickets.get(2).snoozed_until) == datetime(2027, 1, 3, 7, 0, tzinfo=ZoneInfo("UTC"))
    back = sara.post("/agent/tickets/1/snooze", data={"action": "unsnooze", "csrf_token": token},
                     follow_redirects=True).get_data(as_text=True)
    assert "The ticket is back in the inbox." in back and "unsnoozed" in back
    assert desk.tickets.get(1).snoozed_until is None and 1 in inbox_ids(sara, "unsolved")


def test_bulk_snooze_from_the_inbox_all_or_nothing(app: Flask, sara: FlaskClient) -> None:
    desk = app.extensions["desk"]
    token = csrf(sara.get("/agent/").get_data(as_text=True))
    bad = sara.post("/agent/bulk", data={"ticket": ["1", "2"], "action": "snooze", "value": "later",
                                         "csrf_token": token}, follow_redirects=True)
    assert "snooze: &#39;later&#39; is not a date and time" in bad.get_data(as_text=True)
    assert snooze_rows(app) == 0
    done = sara.post("/agent/bulk", data={"ticket": ["1", "2"], "action": "snooze", "value": "monday",
                                          "csrf_token": token}, follow_redirects=True)
    assert "2 tickets updated." in done.get_data(as_text=True)
    assert inbox_ids(sara, "snoozed") == {1, 2} and inbox_ids(sara, "unsolved") == {3}
    page = sara.get("/agent/").get_data(as_text=True)
    assert 'id="view-snoozed"' in page
    for ticket_id in (1, 2):
        until = as_utc(desk.tickets.get(ticket_id).snoozed_until).astimezone(RIYADH)
        assert (until.weekday(), until.hour) == (0, 9)


def test_the_arabic_bulk_hint_names_arabic_words_the_snooze_takes(app: Flask, sara: FlaskClient) -> None:
    """The Arabic inbox's hint asked for "hour", "tomorrow" and "monday" inside an Arabic sentence: it names Arabic
    words, each of which the bulk snooze takes (as the English page's words are English ones)."""
    for lang, script in (("ar", r"[\u0600-\u06ff]"), ("en", "[a-z]")):
        page = sara.get("/agent/", query_string={"hl": lang}, headers={"Accept-Language": lang}).get_data(as_text=True)
        hint = unescape(re.sub("<[^>]+>", "", page.split('id="bulk-snooze-hint">', 1)[1].split("</p>", 1)[0]))
        words = re.findall(r"\w+", hint.split(":", 1)[1].split("،" if lang == "ar" else ", or", 1)[0])
        words = [w for w in words if w not in ("أو", "or")]
        assert len(words) == 3 and all(re.match(script, w) for w in words), (lang, hint)
        for word in words:
            assert snooze_time(word, RIYADH) > utcnow(), word
    token = csrf(sara.get("/agent/").get_data(as_text=True))
    done = sara.post("/agent/bulk", data={"ticket": ["1"], "action": "snooze", "value": "غدا", "csrf_token": token},
                     follow_redirects=True)
    assert "1 ticket updated." in done.get_data(as_text=True)
    until = as_utc(app.extensions["desk"].tickets.get(1).snoozed_until).astimezone(RIYADH)
    assert until.hour == 9 and until.date() > utcnow().astimezone(RIYADH).date()


def test_the_worker_wakes_it_once_the_customer_at_once_and_the_api_shows_it(
        app: Flask, sara: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    desk_ = app.extensions["desk"]
    token = csrf(sara.get("/agent/").get_data(as_text=True))
    sara.post("/agent/bulk", data={"ticket": ["1", "2"], "action": "snooze", "value": "hour", "csrf_token": token})
    api = app.test_client()
    headers = {"Authorization": f"Bearer {desk_.accounts.create_token('partner')}"}
    shown = api.get("/api/v1/tickets/1", headers=headers).get_json()
    assert shown["snoozed_until"] == as_utc(desk_.tickets.get(1).snoozed_until).isoformat()
    assert api.get("/api/v1/tickets/3", headers=headers).get_json()["snoozed_until"] is None
    created = api.post("/api/v1/tickets", json={"email": "x@example.com", "subject": "Hi", "body": "Hello"},
                       headers=headers)
    assert created.status_code == 201 and created.get_json()["snoozed_until"] is None
    # The customer writes on ticket 2 (through the API): it is back at once.
    assert api.post("/api/v1/tickets/2/messages", json={"body": "Any news?"}, headers=headers).status_code == 201
    assert desk_.tickets.get(2).snoozed_until is None and 2 in inbox_ids(sara, "unsolved")
    # Past the hour, before the worker: GETs show it still snoozed and write nothing.
    later = utcnow() + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(desk.snooze, "utcnow", lambda: later)
    rows = snooze_rows(app)
    for url in ("/agent/", "/agent/?view=snoozed", "/agent/tickets/1"):
        assert sara.get(url).status_code == 200
    assert api.get("/api/v1/tickets/1", headers=headers).get_json()["snoozed_until"] is not None
    assert snooze_rows(app) == rows and inbox_ids(sara, "snoozed") == {1}
    job = next(job for job in JOBS if job.name == "snooze")
    worker = WorkerContext(desk_.settings)
    try:
        assert run_pass(worker, [job]) == {"snooze": 1}
        assert run_pass(worker, [job]) == {"snooze": 0}
    finally:
        worker.close()
    woken = desk_.tickets.get(1)
    assert woken.snoozed_until is None and woken.status == "open" and as_utc(woken.updated_at) == later
    assert inbox_ids(sara, "snoozed") == set() and 1 in inbox_ids(sara, "unsolved")
    history = unescape(sara.get("/agent/tickets/1").get_data(as_text=True))
    assert "snooze ended: its time came" in history
    assert api.get("/api/v1/tickets/1", headers=headers).get_json()["snoozed_until"] is None
