"""`Idempotency-Key` under hostile input and real races (session 28), over HTTP against real servers.

- Keys as a client or a proxy may really send them, written raw on the wire (http.client): empty, 255 and 256
  characters, 300 kB, UTF-8 and Latin-1 bytes, control characters, tabs and spaces around, the draft's quoted form
  (`"abc"`), two keys in one header, the header twice. Each is either a key (the POST answers 201 and the same key
  again gets that answer back, `Idempotent-Replayed`, nothing written twice) or refused with a 400 (naming the header
  when the app answers, or the server's own 400/431 for a header HTTP itself refuses), with nothing written; never a
  500. Which it is follows the documented rule (`webapp.idempotency.valid_key`) on the value as HTTP delivers it.
- The same key from many threads at the same instant, against one server, and from two server processes on the
  same database: one ticket (one message), every answer the first one or a 409 asking to come back; the same key
  from two tokens at once: one ticket each.
- A key replayed after its ticket was merged into another or closed: the first answer back, no second ticket, no
  follow-up; a new key's message to the closed ticket starts one follow-up.

The real app (light: no models) under waitress, SQLite and (`--postgresql`) PostgreSQL. KB_FUZZ_EXAMPLES (default
40) examples per property.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from desk.desk import Desk
from desk.models import IdempotencyKey, Message, Ticket
from kb.settings import Settings
from tests.conftest import ROOT
from tests.webapp.light_app import light_settings  # noqa: F401
from tests.webapp.test_concurrent_tickets import in_parallel
from webapp import create_app
from webapp.background import serving
from webapp.idempotency import HEADER, KEY_PROBLEM, REPLAYED, valid_key

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
THREADS = 8
ROUNDS = 4

# Raw header values (bytes, as they travel): what broke a header parser somewhere once.
RAW_KEYS = [
    b"", b" ", b"k", b"k" * 255, b"k" * 256, b"k" * 300_000, b" padded ", b"\tk\t", b'"quoted"', b"'k'", b"a, b",
    b"caf\xc3\xa9", b"caf\xe9", b"\xff\xfe", b"k\x00k", b"k\x01", b"k\x7f", b"k\x1b[31m", b"k\rk", b"k\r\nX-Evil: 1",
    b"k\n k", b"%00", b"\xd9\xa1\xd9\xa2", b"\xe2\x80\xae", b"*", b"null", b"-1", b"0" * 255 + b" ",
]  # fmt: skip
KEYS = (st.sampled_from(RAW_KEYS) | st.binary(max_size=40) | st.text(max_size=40).map(lambda s: s.encode("utf-8"))
        | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=255)
        .map(str.encode))
TICKET = {"email": "omar@example.com", "subject": "Lost parcel", "body": "Order 4471 never came."}


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    return create_app(replace(light_settings, rate_limits=False))


@pytest.fixture
def base(app: Flask) -> Iterator[str]:
    with serving(app, threads=THREADS) as url:
        yield url


def desk_of(app: Flask) -> Desk:
    return app.extensions["desk"]


def counts(app: Flask) -> tuple[int, int, int]:
    """Tickets, messages and keys stored."""
    with desk_of(app).db.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                     for model in (Ticket, Message, IdempotencyKey))


def raw_post(base: str, path: str, secret: str, keys: list[bytes], body: Any) -> tuple[int, bytes, str]:
    """POST with each of `keys` as an `Idempotency-Key` line, bytes as given (no client checks them): the status,
    the body and the `Idempotent-Replayed` header."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
    try:
        data = json.dumps(body).encode()
        connection.putrequest("POST", path)
        connection.putheader("Authorization", f"Bearer {secret}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(data)))
        for key in keys:
            connection._output(b"Idempotency-Key: " + key)  # type: ignore[attr-defined]  # raw, unchecked
        connection.endheaders(data)
        response = connection.getresponse()
        return response.status, response.read(), response.getheader(REPLAYED) or ""
    except (ConnectionError, http.client.RemoteDisconnected):  # the server hung up on a header HTTP refuses
        return 400, b"", ""
    finally:
        connection.close()


def delivered(keys: list[bytes]) -> str | None:
    """The header's value as a WSGI app reads it (RFC 9110: whitespace around it is not part of it; lines of one
    name joined by ", "; bytes as Latin-1), or None for a line with a CR, LF or NUL: the server refuses it, or ends
    the line there (what follows a CRLF is another header), or folds it; its value is the server's to read."""
    if any(c in key for key in keys for c in b"\r\n\x00"):
        return None
    return ", ".join(key.decode("latin-1").strip(" \t") for key in keys)


@FUZZ
@given(keys=st.lists(KEYS, min_size=1, max_size=2))
@example(keys=[b'"quoted"'])
@example(keys=[b"k" * 300_000])
@example(keys=[b"caf\xc3\xa9"])
@example(keys=[b" " + b"k" * 255 + b" "])
@example(keys=[b"a", b"b"])
def test_a_hostile_key_is_a_key_or_a_400_and_never_writes_twice(app: Flask, base: str, keys: list[bytes]) -> None:
    secret = desk_of(app).accounts.create_token("partner")  # a key is its token's: each example a new client
    before = counts(app)
    first = raw_post(base, "/api/v1/tickets", secret, keys, TICKET)
    value = delivered(keys)
    assert first[0] != 500 and b"Traceback" not in first[1]
    if (value is not None and valid_key(value)) or (value is None and first[0] == 201):
        assert first[0] == 201, (keys, first)
        again = raw_post(base, "/api/v1/tickets", secret, keys, TICKET)
        assert again == (201, again[1], "true") and json.loads(again[1]) == json.loads(first[1])
        assert counts(app) == (before[0] + 1, before[1] + 1, before[2] + 1)
    else:
        assert first[0] in (400, 431), (keys, first)
        if value is not None and first[1].startswith(b"{"):  # (a CRLF CRLF in a line ends the headers there)
            assert json.loads(first[1]) == {"error": KEY_PROBLEM}, (keys, first)
        # Nothing written; a line the server read as a valid key followed by the end of the headers (a CRLF CRLF
        # inside it) leaves a JSON body unread: the view's 400 about the body, kept under that key as any 400 is.
        after = counts(app)
        assert after[:2] == before[:2] and after[2] - before[2] in ((0, 1) if value is None else (0,)), (keys, first)


def one_answer(answers: list[requests.Response]) -> dict[str, object]:
    """Every answer is the first request's (201, the same body) or a 409 naming the header: the first's body."""
    assert {a.status_code for a in answers} <= {201, 409}, [(a.status_code, a.text) for a in answers]
    made = [a.json() for a in answers if a.status_code == 201]
    assert made and all(m == made[0] for m in made)
    assert all(a.json()["error"].startswith(f"{HEADER}: ") for a in answers if a.status_code == 409)
    return made[0]


def sent_in_parallel(urls: list[str], secrets: list[str], key: str, body: Any) -> list[requests.Response]:
    """One POST per url (with the secret at the same place, cycled) and `key`, released together."""
    return in_parallel(len(urls), lambda i: requests.post(
        urls[i], json=body, headers={"Authorization": f"Bearer {secrets[i % len(secrets)]}", HEADER: key},
        timeout=120))


def test_one_key_from_many_threads_at_once_writes_once(app: Flask, base: str) -> None:
    secret, other = (desk_of(app).accounts.create_token(name) for name in ("partner", "other desk"))
    for number in range(ROUNDS):
        before = counts(app)
        ticket = one_answer(sent_in_parallel([f"{base}/api/v1/tickets"] * THREADS, [secret], f"race-{number}", TICKET))
        assert counts(app) == (before[0] + 1, before[1] + 1, before[2] + 1)
        # The customer's message, the same way.
        message = one_answer(sent_in_parallel([f"{base}/api/v1/tickets/{ticket['id']}/messages"] * THREADS, [secret],
                                          f"race-{number}-message", {"body": "Any news?"}))
        assert message["ticket_id"] == ticket["id"] and counts(app) == (before[0] + 1, before[1] + 2, before[2] + 2)
        # The same key from two tokens at once: each token's own, one ticket each.
        answers = sent_in_parallel([f"{base}/api/v1/tickets"] * 2, [secret, other], f"shared-{number}", TICKET)
        assert [a.status_code for a in answers] == [201, 201] and answers[0].json()["id"] != answers[1].json()["id"]
        assert counts(app) == (before[0] + 3, before[1] + 4, before[2] + 4)


def start_server(settings: Settings) -> tuple[subprocess.Popen[str], str]:
    """A real server process on `settings`' database (tests/webapp/fault_server.py)."""
    env = {**os.environ, "KB_CONTENT_DIR": str(settings.content_dir), "KB_DATA_DIR": str(settings.data_dir),
           "KB_RATE_LIMITS": "off", "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    server = subprocess.Popen([sys.executable, "-m", "tests.webapp.fault_server"], stdout=subprocess.PIPE, env=env,
                              cwd=ROOT, text=True)
    assert server.stdout is not None
    return server, f"http://127.0.0.1:{server.stdout.readline().strip()}"


def test_one_key_sent_to_two_server_processes_at_once_writes_once(app: Flask) -> None:
    """Two processes on one database (as gunicorn's workers are): a client's retry may reach the other one."""
    settings: Settings = app.extensions["settings"]
    secret = desk_of(app).accounts.create_token("partner")
    servers = [start_server(settings) for _ in range(2)]
    try:
        for number in range(ROUNDS):
            before = counts(app)
            urls = [f"{url}/api/v1/tickets" for _, url in servers] * (THREADS // 2)
            one_answer(sent_in_parallel(urls, [secret], f"two-processes-{number}", TICKET))
            assert counts(app) == (before[0] + 1, before[1] + 1, before[2] + 1)
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait(30)


def test_a_key_replayed_after_its_ticket_was_merged_or_closed_writes_nothing(app: Flask, base: str) -> None:
    desk = desk_of(app)
    secret = desk.accounts.create_token("partner")
    agent = desk.accounts.create_agent("agent@example.com", "a long enough password", name="Agent").id
    sent = {"Authorization": f"Bearer {secret}"}

    def post(path: str, body: Any, key: str) -> requests.Response:
        return requests.post(f"{base}{path}", json=body, headers={**sent, HEADER: key}, timeout=60)

    kept, duplicate = (post("/api/v1/tickets", TICKET, key).json() for key in ("first", "duplicate"))
    message = post(f"/api/v1/tickets/{duplicate['id']}/messages", {"body": "Any news?"}, "message").json()
    desk.tickets.merge(duplicate["id"], kept["id"], agent, "Merged into your other ticket.")
    desk.tickets.update(kept["id"], status="closed", agent_id=agent)
    before = counts(app)
    for path, body, key, first in (("/api/v1/tickets", TICKET, "duplicate", duplicate),
                                   (f"/api/v1/tickets/{duplicate['id']}/messages", {"body": "Any news?"}, "message",
                                    message),
                                   ("/api/v1/tickets", TICKET, "first", kept)):
        again = post(path, body, key)
        assert (again.status_code, again.headers.get(REPLAYED), again.json()) == (201, "true", first)
    assert counts(app) == before
    # A new key: a message to the closed ticket starts one follow-up, and its retry gets the same one back.
    follow_ups = [post(f"/api/v1/tickets/{kept['id']}/messages", {"body": "It broke again."}, "later")
                  for _ in range(2)]
    assert [f.status_code for f in follow_ups] == [201, 201] and follow_ups[0].json() == follow_ups[1].json()
    assert follow_ups[0].json()["follow_up_of"] == kept["id"] and follow_ups[0].json()["ticket_id"] != kept["id"]
    assert counts(app) == (before[0] + 1, before[1] + 1, before[2] + 1)
