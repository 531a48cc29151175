"""`POST /api/v1/hooks/git`: a push to the content repository asks `kb worker` to re-index it.

The hook only proves who sent it (GitHub's HMAC signature or GitLab's token, against
`KB_WEBHOOK_SECRET`) and records a sync request in the data directory (webapp/sync_queue.py);
it answers 202 at once because git hosts give a hook a few seconds. It never indexes: a web
worker serves searches, and `kb worker` (one process per deployment) runs the syncs. Every web
worker sees the new index when the sync publishes it. Pushes that arrive during a run coalesce
into one follow-up run (it indexes HEAD, which includes all of them).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint, jsonify, request

from indexer.git_sync import read_state
from webapp import state
from webapp.api import token_or_agent_required
from webapp.sync_queue import SyncQueue

bp = Blueprint("hooks", __name__, url_prefix="/api/v1/hooks")

SECRET_ENV = "KB_WEBHOOK_SECRET"  # Settings.webhook_secret, named in the error that says how to enable the hook
MAX_HOOK_BYTES = 25 * 1024 * 1024  # GitHub's own cap on a delivery; the app's default is 1 MiB
PUSH_EVENTS = {"X-GitHub-Event": "push", "X-Gitlab-Event": "Push Hook"}


def sync_queue() -> SyncQueue:
    return SyncQueue(state.settings().data_dir)


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
    secret = state.settings().webhook_secret
    if not secret:
        return jsonify({"error": f"the git hook is not enabled on this server: set {SECRET_ENV}"}), 404
    request.max_content_length = MAX_HOOK_BYTES
    if not signature_ok(secret, request.get_data(cache=True), request.headers):
        return jsonify({"error": "bad or missing signature (X-Hub-Signature-256 or X-Gitlab-Token)"}), 401
    event = _ignored_event()
    if event is not None:
        return jsonify({"queued": False, "event": event}), 200
    return jsonify({"queued": True, "job": sync_queue().request()}), 202


@bp.get("/git/status")
@token_or_agent_required("sync:read")
def git_status():
    """The last run's outcome, for operators and for waiting on a job; no secrets in it."""
    body = sync_queue().status().as_json()
    indexed = read_state(state.settings().data_dir)
    body["indexed_commit"] = indexed.commit if indexed else None
    return jsonify(body)
