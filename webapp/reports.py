"""The content team's reports in the agents' workspace (leads and admins), each with a CSV download.

/agent/reports/ lists them; /agent/reports/<name> shows one, the list beside it, and builds only that one (the
floors and abstention reports took seconds on a busy search log, before session 25 counted it in SQL: a page of all
ten made a lead wait for every one);
/agent/reports/<name>.csv is its rows as a file, every one of them, streamed (the page shows `PAGE_SIZE` at a time,
?page=N: a busy month's content gaps were 12,598 rows drawn at once, seconds a load). Links between them carry ?days=
and ?tz=; the content gaps also take ?lang= (one language, as on the dashboard), which its pages and its CSV keep.

The same rows as `kb report`; both call desk.reports, so a number on the page and in the file
an admin downloads cannot disagree. Their times are in ?tz= (the page's zone picker, as the dashboard's), else the
reader's zone (as the dashboard's days);
?days=N is the last N calendar days of that zone (today so far and the N-1 days before, from local midnight), as
`kb report --days N --tz`.
"""

from __future__ import annotations

from dataclasses import fields
from itertools import chain, islice

from flask import Blueprint, Response, abort, g, request

from desk.reports import REPORTS, Report, cell, cells, columns, csv_lines, report_page, report_rows, since_days
from webapp import state
from webapp.agent import _page, interface_language, reader_zone
from webapp.dashboard import FilterError, lang_arg, zone_arg, zone_picker
from webapp.desk_errors import desk_error, desk_problem
from webapp.paging import paged
from webapp.roles import lead_required
from webapp.workspace_labels import ReportLabels

bp = Blueprint("reports", __name__, url_prefix="/agent/reports")
MAX_DAYS = 3650
# Rows a report's page shows: Zendesk Explore's and Intercom's tables page theirs too; the CSV has every row.
PAGE_SIZE = 50
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


def _lang(report: Report) -> str | None:
    """?lang= for a report that filters by language (`Report.page`: the content gaps), else None whatever was sent.
    A language the help center does not have raises FilterError naming `lang`."""
    return lang_arg(request.args, state.settings().languages) if report.page is not None else None


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
    """The reports page: the list of every report, and ?page= of `shown`'s rows in ?days=, ?lang= and ?tz= (or the
    reader's zone). A bad ?tz= or ?lang= is the page again, the problem beside it (400), nothing built."""
    days, desk = _days(), state.desk()
    picker = zone_picker(request.args, desk.hours, reader_zone().key)
    common = {"reports": list(REPORTS.values()), "shown": shown, "days": days, "picker": picker,
              "labels": ReportLabels(), "languages": state.settings().languages, "report_lang": None,
              "tz": request.args.get("tz") or None}
    try:
        zone = zone_arg(request.args) or picker.mine
    except FilterError as error:  # the page again, the picker marked and the problem beside it: not a bare 400
        return _page("agent/reports.html", section=None, since=None, zone=picker.mine,
                     zone_error=desk_problem(error), error=desk_error(error), **dict(common, tz=None)), 400
    try:
        lang = _lang(shown) if shown is not None else None
    except FilterError as error:
        return _page("agent/reports.html", section=None, since=None, zone=zone, zone_error=None,
                     error=desk_error(error), **common), 400
    section = None
    if shown is not None:
        found, paging = paged(lambda limit, offset: report_page(shown, desk, state.catalog(), days, zone, lang,
                                                                offset, limit), PAGE_SIZE)
        section = {"names": columns(shown.row_type), "rows": cells(found.rows, shown.row_type, zone),
                   "figures": figure_columns(shown.row_type),
                   "total": found.total, "first": (paging.number - 1) * PAGE_SIZE + 1, "paging": paging}
    g.interface_zone = zone  # the header's "Times in ..." names the zone the rows' times are in
    since = since_days(days, zone=zone) if days else None  # the window's first local midnight, said on the page
    return _page("agent/reports.html", section=section, since=cell(since, zone)[:16] if since else None, zone=zone,
                 zone_error=None, error=None, **dict(common, report_lang=lang))


def figure_columns(row_type: type) -> list[bool]:
    """Which of a report's columns are figures (counts, shares: `int` or `float` fields), written in the page's digits
    (KB_DIGITS=arab on an Arabic page); a ticket's number and every text (a search's "123") stay as they are, and so
    does the CSV."""
    return [f.name != "ticket_id" and str(f.type).split(" |")[0] in ("int", "float") for f in fields(row_type)]


@bp.get("/<name>.csv")
@lead_required
def download(name: str) -> Response:
    """Every row of the report (all its pages), in ?days=, ?lang= and ?tz= as its page, streamed as the database
    hands them over (the content gaps: 12,598 rows on a busy month) rather than built whole first."""
    report = REPORTS.get(name)
    if report is None:
        abort(404)
    zone = _zone()
    try:
        lang = _lang(report)
    except FilterError as error:
        abort(400, description=str(error))
    rows = iter(report_rows(report, state.desk(), state.catalog(), _days(), zone, lang))
    first = list(islice(rows, 1))  # the query runs here: a database that cannot answer is an error page, not a cut file
    # No request context kept for the stream (stream_with_context): the rows need none, and a kept one left pushed by
    # an unread response lent its `g`, and so its signed-in lead, to the next request in the thread.
    return Response(
        csv_lines(chain(first, rows), report.row_type, zone),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="kb-report-{name}.csv"'},
    )
