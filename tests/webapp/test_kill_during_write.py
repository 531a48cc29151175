"""Issue #12: `kill -9` of the server in the middle of a contact-form write loses nothing half.

The server is a real process on 127.0.0.1 (tests/webapp/fault_server.py). It is stopped with
SIGKILL after the ticket's INSERTs reached SQLite and before COMMIT: afterwards the database is
intact, the ticket is absent as a whole (no customer, ticket or message of it), and a restarted
server stores the customer's next submission.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select, text

from desk.database import Database, database_url
from desk.models import Customer, Message, Ticket
from kb.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.no_database  # SQLite of its own, killed as it writes: the same in either run

MESSAGE = "My parcel never arrived, order 4471."


def start(settings: Settings, pause: Path | None = None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "KB_CONTENT_DIR": str(settings.content_dir), "KB_DATA_DIR": str(settings.data_dir),
           "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "tests.webapp.fault_server", *([str(pause)] if pause else [])],
                              stdout=subprocess.PIPE, env=env, cwd=ROOT, text=True)
    assert server.stdout is not None
    return server, f"http://127.0.0.1:{server.stdout.readline().strip()}"


def send(base: str, timeout: float = 60) -> requests.Response:
    session = requests.Session()
    page = session.get(f"{base}/en/contact", timeout=timeout).text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert token
    return session.post(f"{base}/en/contact", allow_redirects=False, timeout=timeout, data={
        "name": "Sam", "email": "sam@example.com", "subject": "Lost parcel", "message": MESSAGE,
        "csrf_token": token.group(1)})


def counts(settings: Settings) -> tuple[int, int, int]:
    db = Database(database_url(settings))
    try:
        with db.session() as session:
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            return tuple(session.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                         for m in (Customer, Ticket, Message))
    finally:
        db.close()


def test_kill_9_during_a_contact_form_write_leaves_nothing_half_written(tmp_path: Path, content_dir: Path) -> None:
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    # The schema at head before the server starts, from this session's template (tests/fresh_schema.py: the real
    # chain made it once), so the server's own upgrade finds nothing to do instead of running every migration again.
    schema = Database(database_url(settings))
    schema.upgrade()
    schema.close()
    pause = tmp_path / "paused"
    server, base = start(settings, pause)
    try:
        answers: list[object] = []
        sender = threading.Thread(target=lambda: answers.append(_try(lambda: send(base))), daemon=True)
        sender.start()
        for _ in range(600):  # until the write is inside its transaction (bounded: 60 s)
            if pause.exists():
                break
            time.sleep(0.1)
        assert pause.exists(), "the form's write never started"
        os.kill(server.pid, signal.SIGKILL)
        server.wait(30)
        sender.join(30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)
    assert server.returncode == -signal.SIGKILL
    assert answers and not isinstance(answers[0], requests.Response)  # the customer saw the connection drop
    assert counts(settings) == (0, 0, 0)  # none of the ticket: no customer, ticket or message alone

    server, base = start(settings)
    try:
        assert send(base).status_code == 302
    finally:
        server.terminate()
        server.wait(30)
    assert counts(settings) == (1, 1, 1)


def _try(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except requests.RequestException as error:
        return error
