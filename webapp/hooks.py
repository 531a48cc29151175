"""`POST /api/v1/hooks/git`: a push to the content repository re-indexes it in the background.

The hook only proves who sent it (GitHub's HMAC signature or GitLab's token, against
`KB_WEBHOOK_SECRET`) and queues a sync; it answers 202 at once because git hosts give a hook a few
seconds. One worker thread per app runs the syncs, into the app's own engine, so the next search
in this process sees the new index. Pushes that arrive during a run coalesce into one follow-up
run (it indexes HEAD, which includes all of them); `sync_git`'s file lock keeps a `kb sync` from
cron or another server process from running at the same time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState

from indexer.git_sync import GitSyncReport, read_state
from indexer.stores.base import StoreBusyError
from webapp import state
from webapp.api import token_or_agent_required
from webapp.sync_commands import sync_engine

bp = Blueprint("hooks", __name__, url_prefix="/api/v1/hooks")

SECRET_ENV = "KB_WEBHOOK_SECRET"
WORKER_KEY = "git_sync_worker"
MAX_HOOK_BYTES = 25 * 1024 * 1024  # GitHub's own cap on a delivery; the app's default is 1 MiB
PUSH_EVENTS = {"X-GitHub-Event": "push", "X-Gitlab-Event": "Push Hook"}
BUSY_RETRY_S = 2.0
BUSY_RETRIES = 30  # a `kb index` holding the store's writer lock for a minute is still waited out

log = logging.getLogger(__name__)


class SyncWorker:
    """One thread, one sync at a time; job ids let a caller wait for "a run that started after my push"."""

    def __init__(self, run: Callable[[], GitSyncReport]) -> None:
        self.run = run
        self.runs = 0
        self._cond = threading.Condition()
        self._requested = 0  # the last job id handed out
        self._done = 0  # every job up to this id has been covered by a finished run
        self._running = False
        self._last: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None

    def submit(self) -> int:
        with self._cond:
            self._requested += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="git-sync", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            return self._requested

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {
                "running": self._running,
                "queued": self._requested > self._done and not self._running,
                "last_job": self._requested,
                "done_job": self._done,
                "runs": self.runs,
                "last_run": self._last,
            }

    def wait(self, job: int, timeout: float) -> bool:
        """For tests and scripts in the same process: block until `job` is covered."""
        with self._cond:
            return self._cond.wait_for(lambda: self._done >= job, timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._requested > self._done)
                covers = self._requested  # pushes before this point are in the HEAD this run reads
                self._running = True
            result = self._execute(covers)
            with self._cond:
                self._running = False
                self._done = covers
                self.runs += 1
                self._last = result
                self._cond.notify_all()

    def _execute(self, job: int) -> dict[str, Any]:
        started = time.time()
        result: dict[str, Any] = {"job": job, "started": _iso(started)}
        try:
            report = self._run_waiting_for_store()
        except Exception as error:  # the worker must outlive a bad run; the status says what failed
            log.exception("git sync failed")
            result.update(error=str(error) or type(error).__name__, commit=None, summary=None, exit_code=1)
        else:
            rejected = [str(e) for e in report.rejected]
            result.update(
                error=None, commit=report.to_commit, from_commit=report.from_commit, mode=report.mode,
                summary=report.summary(), rejected=rejected, exit_code=report.exit_code,
            )
        result.update(finished=_iso(time.time()), seconds=round(time.time() - started, 3))
        return result

    def _run_waiting_for_store(self) -> GitSyncReport:
        for _ in range(BUSY_RETRIES):
            try:
                return self.run()
            except StoreBusyError:  # `kb index` is writing: its lock is short-lived, so wait
                time.sleep(BUSY_RETRY_S)
        return self.run()


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


@bp.record_once
def _install_worker(setup: BlueprintSetupState) -> None:
    app: Flask = setup.app
    app.extensions[WORKER_KEY] = SyncWorker(
        lambda: sync_engine(app.extensions["engine"], fetch=True)
    )


def worker(app: Flask) -> SyncWorker:
    return app.extensions[WORKER_KEY]


def signature_ok(secret: str, body: bytes, headers: Any) -> bool:
    """GitHub: HMAC-SHA256 of the body; GitLab: the secret itself. Both compared in constant time."""
    signature = headers.get("X-Hub-Signature-256")
    if signature is not None:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))
    token = headers.get("X-Gitlab-Token")
    if token is not None:
        return hmac.compare_digest(secret.encode(), token.encode("utf-8", "replace"))
    return False


def _ignored_event() -> str | None:
    """The event name when the host says this is not a push (GitHub's ping when a hook is added)."""
    for header, push in PUSH_EVENTS.items():
        event = request.headers.get(header)
        if event is not None and event != push:
            return event
    return None


@bp.post("/git")
def git_push():
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        return jsonify({"error": f"the git hook is not enabled on this server: set {SECRET_ENV}"}), 404
    request.max_content_length = MAX_HOOK_BYTES
    if not signature_ok(secret, request.get_data(cache=True), request.headers):
        return jsonify({"error": "bad or missing signature (X-Hub-Signature-256 or X-Gitlab-Token)"}), 401
    event = _ignored_event()
    if event is not None:
        return jsonify({"queued": False, "event": event}), 200
    return jsonify({"queued": True, "job": worker(current_app).submit()}), 202


@bp.get("/git/status")
@token_or_agent_required
def git_status():
    """The last run's outcome, for operators and for waiting on a job; no secrets in it."""
    body = worker(current_app).status()
    indexed = read_state(state.settings().data_dir)
    body["indexed_commit"] = indexed.commit if indexed else None
    return jsonify(body)
