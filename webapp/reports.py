"""The content team's reports in the agents' workspace (leads and admins), each with a CSV download.

/agent/reports/ lists them; /agent/reports/<name> shows one, the list beside it, and builds only that one (the
floors and abstention reports took seconds on a busy search log, before session 25 counted it in SQL: a page of all
ten made a lead wait for every one);
/agent/reports/<name>.csv is its rows as a file. Links between them carry ?days= and ?tz=.

The same rows as `kb report`; both call desk.reports, so a number on the page and in the file
an admin downloads cannot disagree. Their times are in ?tz= (the page's zone picker, as the dashboard's), else the
reader's zone (as the dashboard's days);
?days=N is the last N calendar days of that zone (today so far and the N-1 days before, from local midnight), as
`kb report --days N --tz`.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, request

from desk.reports import REPORTS, Report, cell, cells, columns, since_days, to_csv
from webapp import state
from webapp.agent import _page, interface_language, reader_zone
from webapp.dashboard import FilterError, zone_arg, zone_picker
from webapp.desk_errors import desk_error, desk_problem
from webapp.roles import lead_required
from webapp.workspace_labels import ReportLabels

bp = Blueprint("reports", __name__, url_prefix="/agent/reports")
MAX_DAYS = 3650
# The lead's chosen interface language (the header's picker), as on the agent's own pages: without it the reports
# followed the browser's language whatever the lead had picked.
bp.before_request(interface_language)


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
    """The list of reports to pick from, with the days and zone controls, and no report built.

    A landing list rather than the first report: Zendesk Explore opens on its library of reports and dashboards and
    Intercom's Reports on its list of reports, so a lead expects to pick; and a list costs nothing, where any
    report built by default (gaps, or floors at seconds on a busy search log) would be paid by every lead who came
    for another one."""
    return _reports_page(None)


@bp.get("/<name>")
@lead_required
def report(name: str):  # type: ignore[no-untyped-def]
    """One report, the list of the others beside it: only this one's `build` runs (`index` builds none)."""
    shown = REPORTS.get(name)
    if shown is None:
        abort(404)
    return _reports_page(shown)


def _reports_page(shown: Report | None):  # type: ignore[no-untyped-def]
    """The reports page: the list of every report, and `shown`'s rows in ?days= and ?tz= (or the reader's zone).
    A bad ?tz= is the page again, picker marked and the problem beside it (400), nothing built."""
    days, desk = _days(), state.desk()
    picker = zone_picker(request.args, desk.hours, reader_zone().key)
    common = {"reports": list(REPORTS.values()), "shown": shown, "days": days, "picker": picker,
              "labels": ReportLabels()}
    try:
        zone = zone_arg(request.args) or picker.mine
    except FilterError as error:  # the page again, the picker marked and the problem beside it: not a bare 400
        return _page("agent/reports.html", section=None, tz=None, since=None, zone=picker.mine,
                     zone_error=desk_problem(error), error=desk_error(error), **common), 400
    section = None
    if shown is not None:
        rows = shown.build(desk, state.catalog(), days, zone)
        section = (columns(shown.row_type), cells(rows, shown.row_type, zone))
    g.interface_zone = zone  # the header's "Times in ..." names the zone the rows' times are in
    since = since_days(days, zone=zone) if days else None  # the window's first local midnight, said on the page
    return _page("agent/reports.html", section=section, tz=request.args.get("tz") or None,
                 since=cell(since, zone)[:16] if since else None, zone=zone, zone_error=None, error=None, **common)


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
