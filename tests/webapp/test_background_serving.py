"""webapp.background.serving, the waitress server the browser tests and benchmarks start and stop in-process."""

from __future__ import annotations

import http.client
import os
import threading
from urllib.parse import urlsplit

import pytest
from flask import Flask

from webapp.background import serving

pytestmark = pytest.mark.no_database  # no database at all: the PostgreSQL run leaves it out


def test_serving_stops_its_threads_and_every_connection_without_a_thread_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Session 14's CI: waitress's close() closed the listening socket and the trigger from the test's thread
    while the loop thread was still selecting on them ("Bad file descriptor" killed that thread: a warning),
    and the loop ran on for a browser's open keep-alive connection (the join waited 5 s and gave up). Now the
    loop thread closes what it polls and ends; its workers and the connection are gone when `serving` returns.
    Session 22's CI: the threads are compared by identity, not counted - an earlier test's thread that ended
    meanwhile made the count one short."""
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    app = Flask("serving")
    app.add_url_rule("/", "index", lambda: "ok")
    before = set(threading.enumerate())
    with serving(app, threads=2) as url:
        address = urlsplit(url)
        kept = http.client.HTTPConnection(address.hostname or "", address.port, timeout=5)
        kept.request("GET", "/")  # keep-alive, left open as a browser leaves it
        assert kept.getresponse().read() == b"ok"
        assert set(threading.enumerate()) - before
    assert not set(threading.enumerate()) - before and raised == []
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        kept.request("GET", "/")
        kept.getresponse()
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection(address.hostname or "", address.port, timeout=5).request("GET", "/")


def test_serving_answers_when_the_process_holds_more_descriptors_than_select_takes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Session 15's CI: late in the suite the process held over 1,024 descriptors, the server's socket was numbered
    past select()'s FD_SETSIZE, the loop thread died with "filedescriptor out of range in select()" and the request
    timed out. The server polls instead (waitress's asyncore_use_poll)."""
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    app = Flask("serving")
    app.add_url_rule("/", "index", lambda: "ok")
    held: list[int] = []
    try:
        while not held or held[-1] < 1100:  # the next sockets are numbered past 1,024
            held.append(os.open(os.devnull, os.O_RDONLY))
        with serving(app, threads=2) as url:
            address = urlsplit(url)
            connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
            connection.request("GET", "/")
            assert connection.getresponse().read() == b"ok"
            connection.close()
    finally:
        for fd in held:
            os.close(fd)
    assert raised == []
