"""GET /api/v1/metrics: the dashboard's figures as JSON for teams that feed their own BI.

`from` and `to` (YYYY-MM-DD, both included) are required: whole days of `tz` (an IANA zone name), else of the
business hours' default team's zone, else UTC; the answer's `time_zone` says which. `lang`, `channel`, `category`
and `agent` (an agent id) slice every figure as on the page. The answer holds `current` and
`previous` (the period of the same length just before), each with every figure of `desk.metrics`,
and `content_gaps` grouped by meaning. Authenticated with an API token like the rest of the API.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from desk import metrics
from webapp import state
from webapp.api import error, token_required
from webapp.dashboard import FilterError, business_hours, gap_groups, reader_filters

bp = Blueprint("metrics_api", __name__, url_prefix="/api/v1")


@bp.get("/metrics")
@token_required("metrics:read")
def figures():  # type: ignore[no-untyped-def]
    try:
        f = reader_filters(request.args, require_dates=True)
    except FilterError as exc:
        return error(str(exc))
    board = metrics.dashboard(state.desk().db, f, business_hours())
    gaps, grouped = gap_groups(f)
    return jsonify({
        "time_zone": f.zone,
        "current": metrics.as_json(board.current),
        "previous": metrics.as_json(board.previous),
        "content_gaps": {"grouped_by_meaning": grouped, "groups": metrics.as_json(gaps)},
    })
