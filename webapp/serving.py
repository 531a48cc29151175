"""`kb serve`: the help center on gunicorn, prefork workers (one per core by default).

Why processes rather than request threads: a search spends most of its CPU in the two query
models and the rest in Python (request handling, expansion, JSON). Threads in one process share
one GIL, so that Python work and the models' hand-offs queue behind each other; separate worker
processes each have their own. Each worker builds its app after the fork (`load` runs in the
worker), because the models' thread pools and the store's handles do not survive a fork.

All workers read the one published qdrant-edge version (the store reopens when a writer moves
`CURRENT`; see indexer/stores/edge.py); nothing in a web worker writes the index: `kb index`,
`kb sync` or `kb worker` (git sync and background jobs) do.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from kb.settings import Settings
from webapp.security import GUNICORN_REQUEST_LINE

# A worker loads two models and warms the index before its first request: give it time to boot.
WORKER_BOOT_TIMEOUT_S = 120


def cores() -> int:
    """Cores this process may run on (the container's share, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_settings(settings: Settings, workers: int) -> Settings:
    """Split the model threads among the workers: N workers x 1 thread beats N x 2 on N cores."""
    return replace(settings, threads=max(1, settings.threads // max(1, workers)))


def build_app(settings: Settings) -> Flask:
    """One worker's app: its own engine, models warmed so the first customer does not pay for them."""
    from copilot.engine import Engine
    from webapp import create_app

    engine = Engine(settings)
    engine.warm_up()
    return create_app(engine=engine)


def _worker_exit(server: Any, worker: Any) -> None:
    """Release the store's handles (and the reader copy a second edge reader made) and the desk's on exit."""
    from webapp.app import close_app

    close_app(getattr(worker, "wsgi", None))


class HelpCenterServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn through its Python API: the `kb` options are the configuration, no config file."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_exit", _worker_exit)

    def load(self) -> Flask:
        return build_app(self.settings)


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        # --threads 1 (the default): one request at a time per process, no GIL, select loop or
        # thread hand-off between requests; search_bench measured it at the models' throughput.
        # More threads: keep-alive and a slow request not blocking its worker, at a cost per query.
        "worker_class": "sync" if threads == 1 else "gthread",
        "threads": threads,
        "preload_app": False,  # the app is built in each worker, after the fork
        "timeout": WORKER_BOOT_TIMEOUT_S,
        "graceful_timeout": 30,
        "keepalive": 5,
        "proc_name": "helpcenter",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        # gunicorn's own 414 is bare HTML; the app refuses at MAX_REQUEST_LINE below it, JSON under /api/.
        "limit_request_line": GUNICORN_REQUEST_LINE,
    }


def prepare_shared_state(settings: Settings) -> Settings:
    """What every worker must agree on, done once in the master before the fork: the desk schema
    upgraded (two workers migrating one fresh database at once collide), and one session secret
    (a secret each worker made for itself would log agents out whenever a request changed worker)."""
    from desk.desk import Desk
    from webapp.security import stored_secret

    Desk(settings).close()
    return settings if settings.secret_key else replace(settings, secret_key=stored_secret(settings.data_dir))


def serve(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    """Run until SIGTERM/SIGINT (gunicorn's master stops its workers gracefully)."""
    shared = prepare_shared_state(settings)
    HelpCenterServer(worker_settings(shared, workers), gunicorn_options(host, port, workers, threads)).run()
