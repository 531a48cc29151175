"""The app served on a free localhost port in a background thread, for browser tests and benchmarks.

Waitress, a production WSGI server, rather than Flask's dev server; in one process, because
here one process is the point (the test holds the engine and the database it asserts on).
`kb serve` runs the same app on gunicorn worker processes (webapp/serving.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from waitress.server import create_server


@contextmanager
def serving(app: Flask, threads: int = 8) -> Iterator[str]:
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="helpcenter")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)
