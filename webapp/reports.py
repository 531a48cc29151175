"""The content team's reports in the agents' workspace (leads and admins), each with a CSV download.

The same rows as `kb report`; both call desk.reports, so a number on the page and in the file
an admin downloads cannot disagree.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from desk.reports import REPORTS, cells, columns, to_csv
from webapp import state
from webapp.agent import _page
from webapp.roles import lead_required
from webapp.workspace_labels import ReportLabels

bp = Blueprint("reports", __name__, url_prefix="/agent/reports")
MAX_DAYS = 3650


def _days() -> int | None:
    """?days=N: the stale threshold, and the window of the other reports (all time when absent)."""
    days = request.args.get("days", type=int)
    return None if days is None else max(0, min(days, MAX_DAYS))


@bp.get("/")
@lead_required
def index() -> str:
    days = _days()
    desk, catalog = state.desk(), state.catalog()
    sections = [
        (report, columns(report.row_type), cells(report.build(desk, catalog, days), report.row_type))
        for report in REPORTS.values()
    ]
    return _page("agent/reports.html", sections=sections, days=days, labels=ReportLabels())


@bp.get("/<name>.csv")
@lead_required
def download(name: str) -> Response:
    report = REPORTS.get(name)
    if report is None:
        abort(404)
    rows = report.build(state.desk(), state.catalog(), _days())
    return Response(
        to_csv(rows, report.row_type),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="kb-report-{name}.csv"'},
    )
