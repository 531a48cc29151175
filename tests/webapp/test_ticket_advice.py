"""The ticket page does its work once: advice is computed by the background pass and stored with its
thread and index versions; the page's GET writes nothing (counted over every table); "shown" is
recorded once per agent and version by the page's POST."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.models import Base, ContentGap
from desk.tickets import NewTicket
from tests.webapp.conftest import csrf
from tests.webapp.test_agent_workspace import arabic_ticket
from webapp.ticket_advice import precompute_suggestions


def row_counts(app: Flask) -> dict[str, int]:
    db = app.extensions["desk"].db
    with db.engine.connect() as connection:
        return {t.name: connection.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def shown_payload(html: str) -> dict:
    version = re.search(r'data-version="([^"]*)"', html).group(1)
    details = json.loads(re.search(r'<script type="application/json" id="shown-details">(.*?)</script>', html).group(1))
    return {"version": version, "details": details}


def test_a_get_of_the_ticket_page_writes_no_row_stored_advice_or_not(app: Flask, agent: FlaskClient) -> None:
    ticket_id = arabic_ticket(app)
    before = row_counts(app)
    fresh = agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert 'data-stored="no"' in fresh and "مرحبًا خالد" in fresh  # computed on the fly, not stored
    assert row_counts(app) == before
    poll, headers = f"/agent/tickets/{ticket_id}/presence", {"X-CSRFToken": csrf(fresh)}
    assert agent.post(poll, json={"waiting_for_advice": True}, headers=headers).get_json()["advice_ready"] is False
    desk, engine = app.extensions["desk"], app.extensions["engine"]
    assert precompute_suggestions(desk, engine) == 1
    assert agent.post(poll, json={"waiting_for_advice": True}, headers=headers).get_json()["advice_ready"] is True
    before = row_counts(app)
    stored = agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert 'data-stored="yes"' in stored and "مرحبًا خالد" in stored
    assert 'data-article="ar/reset-password"' in stored.split('class="insert-passage"', 2)[1]
    assert agent.get("/agent/", query_string={"q": "خالد", "view": "mentions"}).status_code == 200
    updates = agent.get("/agent/updates", query_string={"since": "2026-01-01T00:00:00"}).get_json()
    assert [c["id"] for c in updates["changed"]] == [ticket_id]
    assert row_counts(app) == before


def test_advice_is_recomputed_only_when_the_thread_or_the_index_changes(app: Flask) -> None:
    desk, engine = app.extensions["desk"], app.extensions["engine"]
    ticket_id = arabic_ticket(app)
    assert precompute_suggestions(desk, engine) == 1
    first = desk.advice.get(ticket_id)
    assert first.index_version == engine.store.version() and first.payload["suggestions"]["lang"] == "ar"
    assert precompute_suggestions(desk, engine) == 0  # nothing changed: nothing recomputed
    ticket = desk.tickets.get(ticket_id)
    desk.tickets.customer_reply(ticket.reference, "ما زال الرابط لا يعمل")
    assert precompute_suggestions(desk, engine) == 1
    assert desk.advice.get(ticket_id).thread_version > first.thread_version
    desk.advice.save(ticket_id, desk.advice.get(ticket_id).thread_version, "an older index", {})
    assert desk.advice.pending(engine.store.version()) == [ticket_id]
    desk.tickets.update(ticket_id, status="solved")
    assert desk.advice.pending(engine.store.version()) == []  # solved tickets are not worth the work


def test_shown_is_recorded_once_per_agent_and_advice_version(app: Flask, agent: FlaskClient) -> None:
    ticket_id = arabic_ticket(app)
    precompute_suggestions(app.extensions["desk"], app.extensions["engine"])
    html = agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    url, headers, body = f"/agent/tickets/{ticket_id}/shown", {"X-CSRFToken": csrf(html)}, shown_payload(html)
    assert agent.post(url, json=body).status_code == 400  # no CSRF token
    assert agent.post(url, json={"version": body["version"]}, headers=headers).status_code == 400
    assert agent.post(url, json=body, headers=headers).get_json()["recorded"] is True
    assert agent.post(url, json=body, headers=headers).get_json()["recorded"] is False
    events = app.extensions["desk"].events.suggestion_events(ticket_id)
    assert [e.kind for e in events] == ["shown"]
    assert events[0].details["passages"][0].startswith("ar/reset-password") and events[0].details["query"]
    assert events[0].details["version"] == body["version"]


def test_the_worker_pass_records_an_abstained_draft_as_a_content_gap_once(app: Flask) -> None:
    desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="z@example.com", subject="Zebra grooming appointments",
                                           body="Can you book a zebra grooming appointment for my pet zebra?"))
    precompute_suggestions(desk, app.extensions["engine"])
    assert precompute_suggestions(desk, app.extensions["engine"]) == 0
    with desk.db.session() as session:
        gaps = session.scalars(select(ContentGap.ticket_id)).all()
    assert gaps == [ticket.id]


def test_the_stored_draft_is_signed_by_the_assignee_and_acknowledges_a_customer_writing_again(app: Flask) -> None:
    desk, engine = app.extensions["desk"], app.extensions["engine"]
    ticket_id = arabic_ticket(app)
    agent = desk.accounts.find("agent@example.com")
    desk.tickets.update(ticket_id, assignee_id=agent.id, agent_id=agent.id)
    assert precompute_suggestions(desk, engine) == 1
    first = desk.advice.get(ticket_id).payload["draft"]["text"]
    assert first.endswith(f"مع أطيب التحيات،\n{agent.name}\nفريق خدمة عملاء منزل") and "نعتذر" not in first
    desk.tickets.reply(ticket_id, agent.id, "جرّب طلب رابط جديد من صفحة الدخول.")
    desk.tickets.customer_reply(desk.tickets.get(ticket_id).reference, "جربت وما زال الرابط لا يعمل، كيف أدخل حسابي؟")
    assert precompute_suggestions(desk, engine) == 1
    draft = desk.advice.get(ticket_id).payload["draft"]
    assert "نعتذر لأن هذه رسالتك الثانية بخصوص هذا الموضوع" in draft["text"]
    assert [line for line in draft["text"].split("\n") if "/articles/" in line] == draft["citations"]  # own lines


def test_an_abstained_draft_says_why_once(app: Flask, agent: FlaskClient) -> None:
    """The page printed "No article covers this. No article covers this" (its own sentence, then the
    drafter's reason saying the same)."""
    desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="z@example.com", subject="Zebra grooming appointments",
                                           body="Can you book a zebra grooming appointment for my pet zebra?"))
    page = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    said = re.search(r'<p class="abstained" role="status">(.*?)</p>', page, re.S)
    assert said is not None
    assert said.group(1).strip() == "No article covers this."
