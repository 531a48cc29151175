"""The content team's reports in the agents' workspace (leads and admins), each with a CSV download.

The same rows as `kb report`; both call desk.reports, so a number on the page and in the file
an admin downloads cannot disagree. Their times are in ?tz= (the page's zone picker, as the dashboard's), else the
reader's zone (as the dashboard's days);
?days=N is the last N calendar days of that zone (today so far and the N-1 days before, from local midnight), as
`kb report --days N --tz`.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, request

from desk.reports import REPORTS, cell, cells, columns, since_days, to_csv
from webapp import state
from webapp.agent import _page, reader_zone
from webapp.dashboard import FilterError, zone_arg, zone_picker
from webapp.desk_errors import desk_error, desk_problem
from webapp.roles import lead_required
from webapp.workspace_labels import ReportLabels

bp = Blueprint("reports", __name__, url_prefix="/agent/reports")
MAX_DAYS = 3650


def _zone() -> str:
    """?tz=, else the reader's zone (`webapp.agent.reader_zone`): the reports' times are shown in it. A bad name is a
    400 naming `tz`."""
    try:
        return zone_arg(request.args) or reader_zone().key
    except FilterError as error:
        abort(400, description=str(error))


def _days() -> int | None:
    """?days=N: the stale threshold, and the window of the other reports (all time when absent)."""
    days = request.args.get("days", type=int)
    return None if days is None else max(0, min(days, MAX_DAYS))


@bp.get("/")
@lead_required
def index():  # type: ignore[no-untyped-def]
    days, desk, catalog = _days(), state.desk(), state.catalog()
    picker = zone_picker(request.args, desk.hours, reader_zone().key)
    try:
        zone = zone_arg(request.args) or picker.mine
    except FilterError as error:  # the page again, the picker marked and the problem beside it: not a bare 400
        return _page("agent/reports.html", sections=[], days=days, tz=None, since=None, zone=picker.mine,
                     picker=picker, zone_error=desk_problem(error), error=desk_error(error),
                     labels=ReportLabels()), 400
    sections = [
        (report, columns(report.row_type), cells(report.build(desk, catalog, days, zone), report.row_type, zone))
        for report in REPORTS.values()
    ]
    g.interface_zone = zone  # the header's "Times in ..." names the zone the rows' times are in
    since = since_days(days, zone=zone) if days else None  # the window's first local midnight, said on the page
    return _page("agent/reports.html", sections=sections, days=days, tz=request.args.get("tz") or None,
                 since=cell(since, zone)[:16] if since else None, zone=zone, picker=picker, zone_error=None, error=None,
                 labels=ReportLabels())


@bp.get("/<name>.csv")
@lead_required
def download(name: str) -> Response:
    report = REPORTS.get(name)
    if report is None:
        abort(404)
    zone = _zone()
    rows = report.build(state.desk(), state.catalog(), _days(), zone)
    return Response(
        to_csv(rows, report.row_type, zone),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="kb-report-{name}.csv"'},
    )
