"""JSON API v1: search for any front end (the site's own as-you-type box, other help desks)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from copilot.retrieval import QueryError
from webapp import state

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_LIMIT = 50


def _error(message: str, status: int = 400):
    return jsonify({"error": message}), status


@bp.get("/search")
def search():
    """`q` (required), `lang` (en|ar, detected when absent), `limit` (1-50, default 10)."""
    raw_limit = request.args.get("limit", "10")
    try:
        limit = int(raw_limit)
    except ValueError:
        return _error(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw_limit!r}")
    if not 1 <= limit <= MAX_LIMIT:
        return _error(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    category = request.args.get("category") or None
    try:
        result = state.engine().retriever.search(
            request.args.get("q", ""),
            lang=request.args.get("lang") or None,
            limit=limit,
            audience="public",
            categories=[category] if category else None,
        )
    except QueryError as error:
        return _error(str(error))
    return jsonify(result.as_json())


@bp.get("/health")
def health():
    count = state.engine().store.count()
    return jsonify({"status": "ok" if count else "empty", "chunks": count})
