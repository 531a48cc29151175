"""The app served on a free localhost port in a background thread, for browser tests and benchmarks.

Waitress, a production WSGI server, rather than Flask's dev server; in one process, because
here one process is the point (the test holds the engine and the database it asserts on).
`kb serve` runs the same app on gunicorn worker processes (webapp/serving.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server


@contextmanager
def serving(app: Flask, threads: int = 8) -> Iterator[str]:
    # poll(), not select(): a long test session holds more than FD_SETSIZE (1024) descriptors, and select() on a
    # socket numbered past it raises "filedescriptor out of range" in the loop thread (waitress's asyncore_use_poll)
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="helpcenter", asyncore_use_poll=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        _stop(server, thread)


def _stop(server: Any, thread: threading.Thread) -> None:
    """Stop a server `serving` started. Waitress has no API to stop a server running in another thread: its
    `close()` closes the listening socket and the trigger from the caller's thread while the loop thread is
    still selecting on them (an OSError "Bad file descriptor" killed that thread, a warning in CI), and leaves
    the open keep-alive connections in the loop's map (the loop ran on: the join waited its 5 s).

    So the worker threads finish their requests first (the loop still sends their answers); then the loop
    thread itself closes the sockets it polls (a thunk through the server's trigger), and with its map empty
    the loop ends. The trigger's pipe is closed last, here: the thunk may run before `pull_trigger` has
    written to the pipe, and the server's own `close()` would close it, so the listening socket is closed
    with the dispatcher's."""
    server.task_dispatcher.shutdown()

    def close_in_loop() -> None:
        server.trigger.del_channel()
        wasyncore.dispatcher.close(server)
        wasyncore.close_all(server._map)

    server.trigger.pull_trigger(close_in_loop)
    thread.join(timeout=5)
    server.trigger.close()
