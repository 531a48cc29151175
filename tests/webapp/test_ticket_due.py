"""The ticket page's due field through the real app: set by hand in the team's zone (shown, kept over a
priority change, in the history), cleared back to business hours, and bad input refused with the field
named, what was typed kept and nothing written. POST only, with the CSRF token."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from copilot.engine import Engine
from tests.webapp.conftest import PASSWORD, csrf
from tests.webapp.test_agent_workspace import arabic_ticket
from webapp import create_app

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def app(indexed: Engine) -> Flask:
    """The shared app, with the demo's business hours (the KSA team in Asia/Riyadh is the default)."""
    shutil.copy2(CONTENT / "_business_hours.yml", indexed.settings.content_dir)
    app = create_app(engine=indexed)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    return app


def test_an_agent_sets_and_clears_a_due_time_by_hand(app: Flask, agent: FlaskClient) -> None:
    desk = app.extensions["desk"]
    ticket_id = arabic_ticket(app)
    computed = desk.tickets.get(ticket_id).due_at
    page = agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert 'id="due-form"' in page and 'name="due_zone" value="Asia/Riyadh"' in page and "(Asia/Riyadh)" in page
    token = csrf(page)
    # 2099-01-05 14:30 in Riyadh is 11:30 UTC.
    done = agent.post(f"/agent/tickets/{ticket_id}/due",
                      data={"due": "2099-01-05T14:30", "due_zone": "Asia/Riyadh", "csrf_token": token})
    assert done.status_code == 302
    found = desk.tickets.get(ticket_id)
    assert found.due_at.replace(tzinfo=UTC) == datetime(2099, 1, 5, 11, 30, tzinfo=UTC) and found.due_by_hand
    agent.post(f"/agent/tickets/{ticket_id}/update", data={"priority": "urgent", "status": found.status,
                                                           "assignee": "none", "csrf_token": token})
    assert desk.tickets.get(ticket_id).due_at.replace(tzinfo=UTC) == datetime(2099, 1, 5, 11, 30, tzinfo=UTC)
    shown = agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert 'value="2099-01-05T14:30"' in shown and 'id="due-by-hand"' in shown and 'id="clear-due"' in shown
    assert 'id="history"' in shown and "set by hand" in shown and "Agent" in shown
    assert "stays when the priority changes" in shown
    cleared = agent.post(f"/agent/tickets/{ticket_id}/due", data={"action": "clear", "csrf_token": token})
    assert cleared.status_code == 302
    found = desk.tickets.get(ticket_id)
    assert not found.due_by_hand and found.due_at is not None and found.due_at != computed  # urgent now
    arabic = agent.get(f"/agent/tickets/{ticket_id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "السجل" in arabic and "ضُبط يدويًا" in arabic


def test_a_past_due_time_is_set_with_a_warning(app: Flask, agent: FlaskClient) -> None:
    ticket_id = arabic_ticket(app)
    token = csrf(agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True))
    done = agent.post(f"/agent/tickets/{ticket_id}/due", data={"due": "2020-01-05T10:00", "due_zone": "Asia/Riyadh",
                                                               "csrf_token": token}, follow_redirects=True)
    assert "It is in the past, so the ticket shows as overdue." in done.get_data(as_text=True)
    assert app.extensions["desk"].tickets.get(ticket_id).due_by_hand


def test_bad_due_input_names_the_field_keeps_the_text_and_writes_nothing(app: Flask, agent: FlaskClient) -> None:
    desk = app.extensions["desk"]
    ticket_id = arabic_ticket(app)
    before = desk.tickets.get(ticket_id).due_at
    token = csrf(agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True))
    for data, problem in [({"due": "next friday", "due_zone": "Asia/Riyadh"}, "due time: &#39;next friday&#39; is not"),
                          ({"due": "2099-01-05T14:30"}, "due time: &#39;2099-01-05T14:30&#39; has no time zone"),
                          ({"due": "", "due_zone": "Asia/Riyadh"}, "due time: is empty")]:
        refused = agent.post(f"/agent/tickets/{ticket_id}/due", data={**data, "csrf_token": token})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400 and problem in html and 'id="due-error"' in html
        assert f'value="{data["due"]}"' in html.split('id="due-input"')[1].split(">")[0]
    assert desk.tickets.get(ticket_id).due_at == before and not desk.tickets.get(ticket_id).due_by_hand
    assert [c for c in desk.tickets.changes(ticket_id) if hasattr(c, "by_hand")] == []
    assert agent.get(f"/agent/tickets/{ticket_id}/due").status_code == 405  # POST only
    assert agent.post(f"/agent/tickets/{ticket_id}/due", data={"due": "2099-01-05T14:30",
                                                               "due_zone": "Asia/Riyadh"}).status_code == 400  # CSRF
    assert not desk.tickets.get(ticket_id).due_by_hand


def test_a_bulk_due_time_sets_every_checked_ticket_or_none(app: Flask, agent: FlaskClient) -> None:
    desk = app.extensions["desk"]
    first, second = arabic_ticket(app), arabic_ticket(app)
    desk.tickets.update(second, status="solved")  # a solved ticket has nothing due: the whole action is refused
    inbox = agent.get("/agent/").get_data(as_text=True)
    assert '<option value="due">Set due time</option>' in inbox
    assert 'A due time: date and time in Asia/Riyadh, e.g. <bdi dir="ltr">2026-12-05T14:30</bdi>.' in inbox
    token = csrf(inbox)
    refused = agent.post("/agent/bulk", follow_redirects=True, data={
        "ticket": [str(first), str(second)], "action": "due", "value": "2099-01-05T14:30", "csrf_token": token,
        "back": "/agent/"}).get_data(as_text=True)
    assert "due time: a solved or closed ticket has nothing due" in refused
    assert 'value="2099-01-05T14:30"' in refused and '<option value="due" selected>' in refused
    assert not desk.tickets.get(first).due_by_hand
    garbled = agent.post("/agent/bulk", follow_redirects=True, data={
        "ticket": [str(first)], "action": "due", "value": "soon", "csrf_token": token, "back": "/agent/"})
    assert "due time: &#39;soon&#39; is not a date and time" in garbled.get_data(as_text=True)
    third = arabic_ticket(app)
    agent.post("/agent/bulk", data={"ticket": [str(first), str(third)], "action": "due", "value": "2099-01-05T14:30",
                                    "csrf_token": token, "back": "/agent/"})
    for ticket_id in (first, third):
        found = desk.tickets.get(ticket_id)
        assert found.due_by_hand and found.due_at.replace(tzinfo=UTC) == datetime(2099, 1, 5, 11, 30, tzinfo=UTC)
