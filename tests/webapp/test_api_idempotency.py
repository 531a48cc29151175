"""`Idempotency-Key` on the token API's POSTs that write (`/api/v1/tickets`, `/api/v1/tickets/<id>/messages`): a
client's retry with the key gets the first answer back marked `Idempotent-Replayed: true` and nothing is written
twice (a multipart retry too, between another boundary); another request with the key is a 422 and a request while
the key's first one runs a 409, both naming the header; a bad key is a 400 naming it; keys are each token's own;
a 503 is not kept (the retry runs), a 400 is; an expired key is never answered from and the worker purges it; a GET
never writes one. The real app under a real server (waitress), SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import event, func, select, update

from desk.desk import Desk
from desk.models import IdempotencyKey, Message, Ticket, utcnow
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.faults import driver_error
from tests.webapp.light_app import light_settings  # noqa: F401
from webapp import create_app
from webapp.background import serving
from webapp.worker import JOBS, WorkerContext, run_pass

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
TICKET = {"email": "omar@example.com", "subject": "Lost parcel", "body": "Order 4471 never came."}
HEADER = "Idempotency-Key"


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    return create_app(replace(light_settings, rate_limits=False))


def desk_of(app: Flask) -> Desk:
    return app.extensions["desk"]


def token(app: Flask, name: str = "partner") -> str:
    return str(desk_of(app).accounts.create_token(name))


def headers(secret: str, key: str | None = None) -> dict[str, str]:
    sent = {"Authorization": f"Bearer {secret}"}
    if key is not None:
        sent[HEADER] = key
    return sent


def counts(app: Flask) -> tuple[int, int, int]:
    """Tickets, messages and keys stored."""
    with desk_of(app).db.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                     for model in (Ticket, Message, IdempotencyKey))


def test_a_retry_gets_the_first_answer_and_writes_nothing(app: Flask) -> None:
    secret = token(app)
    with serving(app) as base:
        first = requests.post(f"{base}/api/v1/tickets", json=TICKET, headers=headers(secret, "order-4471"), timeout=30)
        assert first.status_code == 201 and HEADER.lower() not in first.headers and "Idempotent-Replayed" not in (
            first.headers)
        again = requests.post(f"{base}/api/v1/tickets", json=TICKET, headers=headers(secret, "order-4471"), timeout=30)
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert counts(app) == (1, 1, 1)

        # The customer's message with files, as multipart: the retry's parts come between another boundary.
        path = f"{base}/api/v1/tickets/{first.json()['id']}/messages"
        files = [("attachments[]", ("receipt.pdf", PDF, "application/pdf"))]
        sent = [requests.post(path, data={"body": "The receipt"}, files=files, headers=headers(secret, "msg-1"),
                              timeout=30) for _ in range(2)]
        assert [s.status_code for s in sent] == [201, 201] and sent[0].json() == sent[1].json()
        assert sent[1].headers["Idempotent-Replayed"] == "true" and len(sent[0].json()["attachments"]) == 1
        assert counts(app) == (1, 2, 2)

        # Another request with a key already used: another body, another file, another route.
        for url, body, extra in ((f"{base}/api/v1/tickets", {**TICKET, "body": "Order 4472"}, {}),
                                 (path, {"body": "The receipt"}, {"files": [("attachments[]", ("receipt.pdf", PDF[:-1],
                                                                                               "application/pdf"))]}),
                                 (path, TICKET | {"body": "x"}, {})):
            reused = requests.post(url, data=body if extra else None, json=None if extra else body,
                                   headers=headers(secret, "msg-1" if extra else "order-4471"), timeout=30, **extra)
            assert reused.status_code == 422, reused.text
            assert reused.json()["error"].startswith(f"{HEADER}: already used with another request")
        assert counts(app) == (1, 2, 2)

        # Without a key, as before: a second ticket.
        assert requests.post(f"{base}/api/v1/tickets", json=TICKET, headers=headers(secret),
                             timeout=30).status_code == 201
        assert counts(app) == (2, 3, 2)


def test_a_refused_request_is_kept_and_a_bad_key_is_a_400_naming_the_header(app: Flask) -> None:
    secret = token(app)
    client = app.test_client()
    for sent in ("", "x" * 256, "caf\u00e9", "tab\there"):
        response = client.post("/api/v1/tickets", json=TICKET, headers=headers(secret, sent))
        assert response.status_code == 400 and response.get_json()["error"] == (
            f"{HEADER}: must be 1 to 255 printable ASCII characters (a UUID, say)"), sent
    assert counts(app) == (0, 0, 0)
    # A 400 naming a field and a 404 ticket are answers about the request: kept, and given back.
    for path, body, status in (("/api/v1/tickets", {**TICKET, "prioity": "high"}, 400),
                               ("/api/v1/tickets/999/messages", {"body": "hello"}, 404)):
        answers = [client.post(path, json=body, headers=headers(secret, f"k-{status}")) for _ in range(2)]
        assert [a.status_code for a in answers] == [status, status]
        assert answers[0].get_json() == answers[1].get_json()
        assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert counts(app) == (0, 0, 2)
    # A key of 255 characters, any printable ASCII (a space too), is a key.
    assert client.post("/api/v1/tickets", json=TICKET, headers=headers(secret, " ~" + "k" * 253)).status_code == 201


def test_a_key_is_each_tokens_own(app: Flask) -> None:
    partner, other = token(app, "partner"), token(app, "other desk")
    client = app.test_client()
    made = [client.post("/api/v1/tickets", json=TICKET, headers=headers(secret, "same-key")).get_json()["id"]
            for secret in (partner, other)]
    assert made[0] != made[1] and counts(app) == (2, 2, 2)
    replayed = client.post("/api/v1/tickets", json=TICKET, headers=headers(other, "same-key"))
    assert replayed.get_json()["id"] == made[1] and replayed.headers["Idempotent-Replayed"] == "true"


def test_a_request_while_the_keys_first_one_runs_is_a_409(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two clients' threads against the real server: the first request is held inside its write (after its key was
    claimed), the second with the same key is told to come back; once the first is answered, the retry gets it."""
    secret = token(app)
    desk = desk_of(app)
    inside, go_on = threading.Event(), threading.Event()
    create = desk.tickets.create_with_files

    def held(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        assert go_on.wait(30)
        return create(*args, **kwargs)

    monkeypatch.setattr(desk.tickets, "create_with_files", held)
    answers: list[requests.Response] = []
    with serving(app) as base:
        first = threading.Thread(target=lambda: answers.append(requests.post(
            f"{base}/api/v1/tickets", json=TICKET, headers=headers(secret, "slow"), timeout=60)))
        first.start()
        assert inside.wait(30)
        busy = requests.post(f"{base}/api/v1/tickets", json=TICKET, headers=headers(secret, "slow"), timeout=30)
        assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
        assert busy.json()["error"].startswith(f"{HEADER}: the first request with this key is still running")
        assert counts(app) == (0, 0, 1)
        go_on.set()
        first.join(60)
        assert [a.status_code for a in answers] == [201]
        retry = requests.post(f"{base}/api/v1/tickets", json=TICKET, headers=headers(secret, "slow"), timeout=30)
        assert retry.json() == answers[0].json() and retry.headers["Idempotent-Replayed"] == "true"
    assert counts(app) == (1, 1, 1)


def test_a_503_is_not_kept_so_the_retry_runs(app: Flask) -> None:
    """The database refuses the ticket's INSERT (the driver's own disk-full error): a 503 that says nothing was
    stored, the key let go; the client's retry with the same key is written once."""
    secret = token(app)
    desk = desk_of(app)
    failed: list[str] = []

    def full_disk(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("INSERT INTO tickets") and not failed:
            failed.append(statement)
            raise driver_error(desk.db, "full")

    client = app.test_client()
    event.listen(desk.db.engine, "before_cursor_execute", full_disk)
    try:
        refused = client.post("/api/v1/tickets", json=TICKET, headers=headers(secret, "k1"))
    finally:
        event.remove(desk.db.engine, "before_cursor_execute", full_disk)
    assert failed and refused.status_code == 503 and "nothing was stored" in refused.get_json()["error"]
    assert counts(app) == (0, 0, 0)
    retry = client.post("/api/v1/tickets", json=TICKET, headers=headers(secret, "k1"))
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert counts(app) == (1, 1, 1)


def test_an_expired_key_is_never_answered_from_and_the_worker_purges_it(app: Flask) -> None:
    secret = token(app)
    desk = desk_of(app)
    client = app.test_client()
    for key in ("kept-unpurged", "purged"):
        assert client.post("/api/v1/tickets", json=TICKET, headers=headers(secret, key)).status_code == 201
    with desk.db.session() as session:  # both first sent a day ago
        session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=24, seconds=1)))
    # Past KB_IDEMPOTENCY_KEY_HOURS, before any purge: the request runs again.
    again = client.post("/api/v1/tickets", json=TICKET, headers=headers(secret, "kept-unpurged"))
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert counts(app) == (3, 3, 2)
    job = next(job for job in JOBS if job.name == "idempotency-keys")
    worker = WorkerContext(desk.settings)
    try:
        assert run_pass(worker, [job]) == {"idempotency-keys": 1}
    finally:
        worker.close()
    with desk.db.session() as session:
        assert list(session.scalars(select(IdempotencyKey.key))) == ["kept-unpurged"]
    assert client.post("/api/v1/tickets", json=TICKET, headers=headers(secret, "purged")).status_code == 201
    assert counts(app) == (4, 4, 2)


def test_a_get_never_writes_a_key(app: Flask) -> None:
    secret = token(app)
    ticket = desk_of(app).tickets.create(NewTicket(email="sam@example.com", subject="Lost", body="Where is it?"))
    client = app.test_client()
    for _ in range(2):
        read = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers(secret, "a-get"))
        assert read.status_code == 200 and "Idempotent-Replayed" not in read.headers
    assert counts(app) == (1, 1, 0)


def test_a_retry_past_the_two_minute_rule_is_still_answered_from_its_key(app: Flask) -> None:
    """The same words again after RESEND_WINDOW are a new message; with the first post's key they are its answer:
    here a message to a closed ticket, which started a follow-up, is not sent to the follow-up a second time."""
    secret = token(app)
    desk = desk_of(app)
    closed = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost", body="Where is it?"))
    desk.tickets.update(closed.id, status="closed")
    client = app.test_client()
    path = f"/api/v1/tickets/{closed.id}/messages"
    first = client.post(path, json={"body": "It broke again."}, headers=headers(secret, "broke-again"))
    assert first.status_code == 201 and first.get_json()["follow_up_of"] == closed.id
    with desk.db.session() as session:  # the retry comes three minutes later
        session.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=3)))
    again = client.post(path, json={"body": "It broke again."}, headers=headers(secret, "broke-again"))
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert counts(app) == (2, 2, 1)
    unkeyed = client.post(path, json={"body": "It broke again."}, headers=headers(secret))
    # What the key saved the client from: without it, the same words three minutes on are a second follow-up.
    assert unkeyed.status_code == 201 and unkeyed.get_json()["ticket_id"] != first.get_json()["ticket_id"]
    assert counts(app) == (3, 3, 1)
