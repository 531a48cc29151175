"""webapp.background.serving, the waitress server the browser tests and benchmarks start and stop in-process."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

import pytest
from flask import Flask

from webapp.background import serving


def test_serving_stops_its_threads_and_every_connection_without_a_thread_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Session 14's CI: waitress's close() closed the listening socket and the trigger from the test's thread
    while the loop thread was still selecting on them ("Bad file descriptor" killed that thread: a warning),
    and the loop ran on for a browser's open keep-alive connection (the join waited 5 s and gave up). Now the
    loop thread closes what it polls and ends; its workers and the connection are gone when `serving` returns."""
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    app = Flask("serving")
    app.add_url_rule("/", "index", lambda: "ok")
    before = threading.active_count()
    with serving(app, threads=2) as url:
        address = urlsplit(url)
        kept = http.client.HTTPConnection(address.hostname or "", address.port, timeout=5)
        kept.request("GET", "/")  # keep-alive, left open as a browser leaves it
        assert kept.getresponse().read() == b"ok"
        assert threading.active_count() > before
    assert threading.active_count() == before and raised == []
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        kept.request("GET", "/")
        kept.getresponse()
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection(address.hostname or "", address.port, timeout=5).request("GET", "/")
