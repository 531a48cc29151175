"""Issue #12 items 5 and 10: a locked or full database never loses a customer's message.

Another process (a real `sqlite3` connection in a subprocess) holds the write lock: a contact form
is retried until the lock goes (the ticket is stored); past the deadline the customer gets a clear
page in their language with their text still in the form, the API a JSON 503 with Retry-After,
and nothing half-written. Page views and searches are recorded off the request path, so pages
answer while the lock is held and the analytics land once it is gone. A full disk (a real
size-limited tmpfs where the machine allows mounting one, else SQLite's own page limit, which
fails the same way with SQLITE_FULL) gets the same clear page, and the form works again after.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from copilot.engine import Engine
from desk.models import ArticleView, Customer, Message, SearchEvent, Ticket
from kb.settings import Settings
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings  # noqa: F401
from webapp import create_app

HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
"""
MESSAGE = "My parcel never arrived, order 4471. Please help!"


@contextmanager
def write_lock(path: Path) -> Iterator[subprocess.Popen]:
    """Another process holding SQLite's write lock on `path` until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()
        holder.wait(30)


def database_file(settings: Settings) -> Path:
    return settings.data_dir / "helpdesk.sqlite"


def tickets(app: Flask) -> tuple[int, int, int]:
    with app.extensions["desk"].db.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) or 0 for m in (Customer, Ticket, Message))  # type: ignore[return-value]


def contact(client, lang: str = "en", message: str = MESSAGE):  # type: ignore[no-untyped-def]
    token = csrf(client.get(f"/{lang}/contact").get_data(as_text=True))
    return client.post(f"/{lang}/contact", data={"name": "Sam", "email": "sam@example.com", "subject": "Lost parcel",
                                                  "message": message, "csrf_token": token})


def on_sqlite(settings: Settings, **changes: object) -> Settings:
    """These tests lock and fill an SQLite file, so they use SQLite even when the suite runs on
    PostgreSQL (whose row locks the desk's inserts never wait on)."""
    return replace(settings, database_url=None, **changes)  # type: ignore[arg-type]


def test_a_write_waits_out_a_short_lock_and_the_ticket_is_kept(
    light_settings: Settings, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    app = create_app(on_sqlite(light_settings, db_busy_timeout=0.1, db_write_deadline=60))
    client = app.test_client()
    token = csrf(client.get("/en/contact").get_data(as_text=True))
    caplog.set_level(logging.WARNING, logger="desk.database")
    answers: list[int] = []
    with write_lock(database_file(light_settings)):
        sender = threading.Thread(target=lambda: answers.append(client.post("/en/contact", data={
            "name": "Sam", "email": "sam@example.com", "subject": "Lost parcel", "message": MESSAGE,
            "csrf_token": token}).status_code))
        sender.start()
        for _ in range(600):  # until the form's write has met the lock at least once (bounded: 60 s)
            if "database busy" in caplog.text:
                break
            time.sleep(0.1)
        assert "database busy" in caplog.text and not answers  # still waiting while the lock is held
    sender.join(60)
    assert answers == [302]
    assert tickets(app) == (1, 1, 1)


def test_past_the_deadline_the_customer_keeps_their_text_and_the_api_says_503(
    light_settings: Settings,  # noqa: F811
) -> None:
    app = create_app(on_sqlite(light_settings, db_busy_timeout=0.05, db_write_deadline=0.3))
    accounts = app.extensions["desk"].accounts
    api_token = accounts.create_token("partner")
    client = app.test_client()
    arabic = "لم يصل طلبي رقم ٤٤٧١ حتى الآن، أرجو المساعدة"
    with write_lock(database_file(light_settings)):
        page = contact(client, "ar", arabic)
        api = app.test_client().post("/api/v1/tickets", headers={"Authorization": f"Bearer {api_token}"},
                                     json={"email": "sam@example.com", "subject": "Lost", "body": MESSAGE})
    assert page.status_code == 503 and page.headers["Retry-After"]
    html = page.get_data(as_text=True)
    assert arabic in html  # the text is still in the form
    assert "تعذّر علينا حفظ رسالتك الآن" in html and 'lang="ar"' in html
    assert api.status_code == 503 and api.is_json and api.headers["Retry-After"]
    assert "nothing was stored" in api.get_json()["error"]
    assert tickets(app) == (0, 0, 0)  # nothing half-written
    assert contact(client, "ar", arabic).status_code == 302  # and sending again works
    assert tickets(app) == (1, 1, 1)


def test_pages_answer_while_the_database_is_locked_and_analytics_land_after(
    settings: Settings, indexed: Engine
) -> None:
    app = create_app(on_sqlite(settings, db_busy_timeout=0.05, db_write_deadline=0.5), engine=indexed)
    client = app.test_client()
    writer = app.extensions["desk"].events.writer
    with write_lock(database_file(settings)) as holder:
        assert client.get("/en/articles/refund-timing").status_code == 200
        assert client.get("/en/search", query_string={"q": "refund"}).status_code == 200
        assert client.get("/api/v1/search", query_string={"q": "refund", "src": "instant"}).status_code == 200
        assert holder.poll() is None  # the pages answered while the other process still held the lock
    assert writer is not None and writer.flush(60)
    with app.extensions["desk"].db.session() as session:
        views = session.scalars(select(ArticleView.article_key)).all()
        searches = sorted(session.scalars(select(SearchEvent.source)).all())
    assert views == ["en/refund-timing"] and searches == ["instant", "page"]
    assert writer.stats == {"written": 3, "dropped": 0, "queued": 0}


@contextmanager
def small_filesystem(root: Path) -> Iterator[bool]:
    """A 4 MiB tmpfs at `root` (True), or nothing when mounting is not allowed here (False)."""
    root.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(root)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(root)], check=False)


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (65536, 4096, 512, 1):  # to the last byte: SQLite has no slack to write into
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                pass
    return filler


def test_a_full_disk_keeps_the_text_and_stores_nothing_half(
    light_settings: Settings, tmp_path: Path  # noqa: F811
) -> None:
    with small_filesystem(tmp_path / "small") as mounted:
        data = tmp_path / "small" / "data"
        data.mkdir()
        settings = on_sqlite(light_settings, data_dir=data)
        app = create_app(settings)
        client = app.test_client()
        token = csrf(client.get("/en/contact").get_data(as_text=True))
        db = app.extensions["desk"].db

        def page_limit(connection, _record) -> None:  # type: ignore[no-untyped-def]
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count = {pages}")

        if mounted:
            filler = fill(data)
        else:  # SQLite's page limit: the same SQLITE_FULL a full disk gives (no free pages left to reuse)
            with db.engine.connect() as connection:
                connection.exec_driver_sql("VACUUM")
            event.listen(db.engine, "connect", page_limit)
            db.engine.dispose()
        long_text = MESSAGE + " " + "x" * 4900
        page = client.post("/en/contact", data={"name": "Sam", "email": "sam@example.com", "subject": "Lost parcel",
                                                "message": long_text, "csrf_token": token})
        assert page.status_code == 503
        html = page.get_data(as_text=True)
        assert long_text in html and "could not save your message" in html
        if mounted:
            filler.unlink()
        else:
            event.remove(db.engine, "connect", page_limit)
            db.engine.dispose()
        assert tickets(app) == (0, 0, 0)  # nothing half-written
        assert contact(client).status_code == 302 and tickets(app) == (1, 1, 1)
        app.extensions["desk"].close()
    shutil.rmtree(tmp_path / "small", ignore_errors=True)
