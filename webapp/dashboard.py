"""The support lead's dashboard (/agent/dashboard): every figure of `desk.metrics` for a period with the
previous period beside it, spike alerts, content gaps grouped by meaning, notices, and a CSV of every
table. Leads and admins only (`webapp.roles.lead_required`).

The page is plain server-rendered HTML with inline SVG charts (webapp/svg_charts.py): readable on a
tablet, nothing to download from elsewhere, no script needed. The interface follows `?hl=ar|en`,
else the lead's chosen language, else the browser. Content gaps and spikes are grouped by meaning with the
engine's embedders (`copilot.gap_clusters`); when no model can be loaded they fall back to one row per spelling
and the page says so.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale, gettext
from flask_login import current_user

from copilot.gap_clusters import GapClusterer, preferred_embedder
from desk import metrics, reports, spikes
from desk.accounts import zone_names
from desk.business_hours import BusinessHours
from desk.metrics import Dashboard, Filters, today_in
from desk.models import CHANNELS, utcnow
from desk.tickets import InputError
from desk.translatable import N_, TranslatableError
from kb.ticket_fields import TicketField
from webapp import state
from webapp.agent import interface_language as agent_language
from webapp.agent import reader_zone
from webapp.desk_errors import desk_error, desk_problem
from webapp.formatting import digits
from webapp.roles import lead_required
from webapp.security import form_number
from webapp.svg_charts import bar_chart, line_chart
from webapp.theme import current_theme
from webapp.workspace_labels import ViewLabels, reason_counts

bp = Blueprint("dashboard", __name__, url_prefix="/agent/dashboard")
log = logging.getLogger(__name__)

DEFAULT_DAYS = 7
MAX_DAYS = 366
GAP_LIMIT = 300  # distinct gap queries grouped per page: the long tail adds rows, not insight
SPIKE_KEYS = 500  # distinct texts grouped by meaning for the spike detector, most frequent first
EXAMPLES = 5
MAX_NOTICE_HOURS = 24 * 90


class FilterError(TranslatableError):
    """A bad ?from=&to=&lang=... filter: English "field: message" for the metrics API (`str()`), and the
    dashboard's page shows it in the lead's language through `desk_error`, as every desk error."""


def _day(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(name, N_("%(value)s is not a date (YYYY-MM-DD)"), value=repr(raw)) from None


# Dates a support desk's figures can be about; outside them date arithmetic overflows.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


def parse_filters(args: Mapping[str, str], languages: tuple[str, ...], today: date | None = None,
                  require_dates: bool = False, zone: str = "UTC") -> Filters:
    """?from=&to= (whole days of ?tz=, else of `zone`, the reader's; both included) and the optional slices;
    errors name the parameter."""
    zone = zone_arg(args) or zone
    first, last = _day(args, "from"), _day(args, "to")
    if require_dates and (first is None or last is None):
        raise FilterError("from" if first is None else "to", N_("is required (YYYY-MM-DD)"))
    last = last or today or today_in(zone)
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    for name, day in (("from", first), ("to", last)):
        if not EARLIEST <= day <= LATEST:  # the previous period and age buckets count back from these
            raise FilterError(name, N_("must be between %(earliest)s and %(latest)s"), earliest=EARLIEST, latest=LATEST)
    if first > last:
        raise FilterError("from", N_("must not be after to"))
    if (last - first).days + 1 > MAX_DAYS:
        raise FilterError("from", N_("the period is at most %(days)s days"), days=MAX_DAYS)
    lang = lang_arg(args, languages)
    channel = args.get("channel") or None
    if channel and channel not in CHANNELS:
        raise FilterError("channel", N_("use one of %(allowed)s"), allowed=", ".join(CHANNELS))
    agent = args.get("agent") or None
    if agent and form_number(agent) is None:
        raise FilterError("agent", N_("must be an agent id (a number)"))
    category = (args.get("category") or "").strip()[:80] or None
    return Filters.for_days(first, last, zone, lang=lang, channel=channel, category=category,
                            agent_id=form_number(agent) if agent else None)


def lang_arg(args: Mapping[str, str], languages: tuple[str, ...]) -> str | None:
    """?lang=: one of the help center's languages, or None (every language) when not given."""
    lang = args.get("lang") or None
    if lang and lang not in languages:
        raise FilterError("lang", N_("use one of %(allowed)s"), allowed=", ".join(languages))
    return lang


def zone_arg(args: Mapping[str, str]) -> str | None:
    """?tz=: an IANA zone name zoneinfo knows (the names an agent's profile offers), or None when not given."""
    raw = (args.get("tz") or "").strip()
    if raw and raw not in zone_names():
        raise FilterError("tz", N_("%(value)s is not a time zone name such as Asia/Riyadh"), value=repr(raw[:40]))
    return raw or None


# What the page's zone picker offers after the teams' own zones (content/_business_hours.yml): UTC, the
# Arabic-speaking markets from the Gulf to the Maghreb that this desk's customers write from, then the large
# English-speaking and Asian business zones a lead reports to. Any other IANA name still works as ?tz= (the
# picker then offers it, chosen), and a lead's own zone (the picker's first choice) is any name, on the profile.
COMMON_ZONES = (
    "UTC", "Asia/Riyadh", "Asia/Dubai", "Asia/Qatar", "Asia/Kuwait", "Asia/Bahrain", "Asia/Muscat", "Asia/Baghdad",
    "Asia/Amman", "Asia/Beirut", "Asia/Damascus", "Africa/Cairo", "Africa/Khartoum", "Africa/Tripoli", "Africa/Tunis",
    "Africa/Algiers", "Africa/Casablanca", "Europe/London", "Europe/Paris", "Europe/Istanbul", "America/New_York",
    "America/Chicago", "America/Los_Angeles", "Asia/Karachi", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo",
    "Australia/Sydney",
)


@dataclass(frozen=True)
class ZonePicker:
    """The dashboard's ?tz= choices: no ?tz= (the reader's own zone, `mine`), each team's zone with its teams'
    names, the common zones, and the chosen one when it is none of those."""

    mine: str
    chosen: str  # ?tz= as given, "" for none
    teams: tuple[tuple[str, str], ...]  # (zone, the names of the teams working in it)
    common: tuple[str, ...]
    other: str | None  # a valid ?tz= outside the lists above


def zone_picker(args: Mapping[str, str], hours: BusinessHours, mine: str) -> ZonePicker:
    chosen = (args.get("tz") or "").strip()
    by_zone: dict[str, list[str]] = {}
    for team in hours.teams.values():
        by_zone.setdefault(team.zone.key, []).append(team.name)
    teams = tuple((zone, ", ".join(names)) for zone, names in by_zone.items())
    common = tuple(zone for zone in COMMON_ZONES if zone not in by_zone)
    listed = {*by_zone, *common}
    return ZonePicker(mine, chosen, teams, common,
                      chosen if chosen and chosen not in listed and chosen in zone_names() else None)


def reader_filters(args: Mapping[str, str], require_dates: bool = False) -> Filters:
    """The request's filters, their days in ?tz= or else the reader's zone (`webapp.agent.reader_zone`: the signed-in
    agent's own, else the default team's, else UTC)."""
    return parse_filters(args, state.settings().languages, require_dates=require_dates, zone=reader_zone().key)


# --- grouping by meaning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapGroup:
    label: str
    searches: int
    tickets: int
    examples: tuple[str, ...]
    languages: tuple[str, ...]


def clusterer() -> GapClusterer | None:
    """One per app (it remembers query vectors); None when the engine has no embedder to offer."""
    found = current_app.extensions.get("gap_clusterer")
    if found is None:
        embedder = preferred_embedder(state.engine().embedders)
        if embedder is None:
            return None
        found = current_app.extensions["gap_clusterer"] = GapClusterer(embedder)
    return found


def _groups(texts: list[str], counts: list[int]) -> tuple[list[tuple[int, ...]], bool]:
    """Index groups of `texts` by meaning, and whether grouping worked (else one group per text)."""
    try:
        grouper = clusterer()
        if grouper is not None and texts:
            return [g.members for g in grouper.group(texts, counts)], True
    except Exception:  # a missing or broken model must not take the dashboard down
        log.exception("content gaps could not be grouped by meaning")
    return [(i,) for i in sorted(range(len(texts)), key=lambda i: -counts[i])], not texts


def gap_groups(f: Filters) -> tuple[list[GapGroup], bool]:
    rows = reports.content_gaps_page(state.desk().db, f.start, f.end, f.lang, limit=GAP_LIMIT).rows
    members, grouped = _groups([r.query for r in rows], [r.searches + r.tickets for r in rows])
    out = [
        GapGroup(rows[m[0]].query, sum(rows[i].searches for i in m), sum(rows[i].tickets for i in m),
                 tuple(rows[i].query for i in m[:EXAMPLES]),
                 tuple(sorted({lang for i in m for lang in rows[i].languages})))
        for m in members
    ]
    return sorted(out, key=lambda g: (-(g.searches + g.tickets), g.label)), grouped


def alerts() -> list[spikes.Spike]:
    """Spikes now: failed searches and new tickets, grouped by meaning, against their usual rate."""
    now = utcnow()
    found = spikes.recent_occurrences(state.desk().db, now)
    counts: dict[str, int] = {}
    for item in found:
        counts[item.key] = counts.get(item.key, 0) + 1
    keys = sorted(counts, key=lambda k: (-counts[k], k))[:SPIKE_KEYS]
    members, _grouped = _groups(keys, [counts[k] for k in keys])
    mapping = {keys[i]: keys[m[0]] for m in members for i in m}
    return spikes.detect_spikes(spikes.regroup(found, mapping), now)


# --- what the page and the CSV files show ---------------------------------------------------------------


def _hours(value: float | None) -> str:
    return "–" if value is None else format_decimal(value, format="#,##0.0")


def _rate(value: float | None) -> str:
    return "–" if value is None else format_percent(value, format="#,##0.0%")


def _int(value: int | None) -> str:
    return "–" if value is None else format_decimal(value)


class Figure(str):
    """A headline figure formatted for the page and its CSV ("6", "14.0", "41.2%"): the CSV keeps it as it is, the page
    writes it in its digits (`dashcell`: KB_DIGITS=arab on an Arabic page)."""


class Share(float):
    """A table's fraction (a CSAT, a helpful ratio): its CSV keeps the fraction ("0.4118", `str`), the page shows the
    percentage in its language and digits ("41.2%", `dashcell`), as the cards do."""


def _share(value: float | None) -> Share | None:
    return None if value is None else Share(value)


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def summary(board: Dashboard) -> list[tuple[str, str, str, str]]:
    """(key, label, this period, previous period) for the headline figures."""
    now, before = board.current, board.previous
    out: list[tuple[str, str, str, str]] = []
    for key, label, get, shown in (
        ("created", gettext("Tickets created"), lambda x: x.tickets.created, _int),
        ("first_reply_median", gettext("First reply, median (h)"), lambda x: x.tickets.first_reply.median_hours,
         _hours),
        ("first_reply_p90", gettext("First reply, 90th percentile (h)"), lambda x: x.tickets.first_reply.p90_hours,
         _hours),
        ("first_reply_business", gettext("First reply, median (business h)"),
         lambda x: x.tickets.first_reply.median_business_hours, _hours),
        ("first_resolution_median", gettext("First resolution, median (h)"),
         lambda x: x.tickets.first_resolution.median_hours, _hours),
        ("full_resolution_median", gettext("Full resolution, median (h)"),
         lambda x: x.tickets.full_resolution.median_hours, _hours),
        ("full_resolution_business", gettext("Full resolution, median (business h)"),
         lambda x: x.tickets.full_resolution.median_business_hours, _hours),
        ("reopen_rate", gettext("Reopen rate"), lambda x: x.tickets.reopen_rate, _rate),
        ("one_touch_rate", gettext("One-touch resolution"), lambda x: x.tickets.one_touch_rate, _rate),
        ("due_breaches", gettext("Due-time breaches"), lambda x: x.tickets.due_breaches, _int),
        ("csat", gettext("Satisfaction (CSAT)"), lambda x: x.csat.satisfaction, _rate),
        ("csat_response", gettext("Survey response rate"), lambda x: x.csat.response_rate, _rate),
        ("self_service", gettext("Self-service score"), lambda x: x.self_service.score, _hours),
        ("deflection", gettext("Deflection rate"), lambda x: x.self_service.deflection_rate, _rate),
        ("click_through", gettext("Search click-through"), lambda x: x.self_service.click_through, _rate),
        ("solved_by_suggestions", gettext("Solved by suggested articles"),
         lambda x: x.self_service.solved_by_suggestions, _int),
        ("solved_by_suggestions_rate", gettext("Solved by suggested articles, share"),
         lambda x: x.self_service.solved_by_suggestions_rate, _rate),
        ("handle_time", gettext("Handle time, total (h)"), lambda x: _seconds_as_hours(x.handle_time.seconds),
         _hours),
        ("handle_time_average", gettext("Handle time per solved ticket, average (h)"),
         lambda x: _seconds_as_hours(x.handle_time.average_per_solved), _hours),
        ("handle_time_median", gettext("Handle time per solved ticket, median (h)"),
         lambda x: _seconds_as_hours(x.handle_time.median_per_solved), _hours),
        ("handle_time_reopened", gettext("Time on reopened tickets (h)"),
         lambda x: _seconds_as_hours(x.handle_time.reopened_seconds), _hours),
    ):
        render: Callable[[Any], str] = shown
        out.append((key, label, Figure(render(get(now))), Figure(render(get(before)))))
    return out


Builder = Callable[[Dashboard, list[GapGroup]], Table]


def _seconds_as_hours(seconds: float | int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _handle_table(title: str, who: str, rows_of: Callable[[metrics.HandleTime], list[metrics.HandleTimeRow]],
                  teams: bool = False) -> Builder:
    """The builder of one handle-time table (by agent, by team); `title` and `who` are N_ messages, translated when
    the table is built. A team is shown by its name in the teams file."""
    def build(board: Dashboard, _gaps: list[GapGroup]) -> Table:
        shown = business_hours().teams if teams else {}
        return Table(gettext(title), [gettext(who), gettext("Hours"), gettext("Time entries"), gettext("Tickets")],
                     [[shown[r.key].name if r.key in shown else r.key, _seconds_as_hours(r.seconds), r.entries,
                       r.tickets] for r in rows_of(board.current.handle_time)])
    return build


def _adoption_table(title: str, rows_of: Callable[[metrics.Adoption], list[metrics.AdoptionRow]],
                    named: Callable[[str], str] = str) -> Builder:
    """The builder of one copilot adoption table; `title` is an N_ message, translated when the table is built;
    `named` says a row's key."""
    return lambda board, _gaps: Table(
        gettext(title),
        [gettext("Who"), gettext("Tickets with suggestions"), gettext("Inserted"), gettext("Drafts inserted"),
         gettext("Sent unedited"), gettext("Sent edited"), gettext("Rejected")],
        [[named(r.key), r.tickets_shown, r.inserted, r.drafts_inserted, r.sent_unedited, r.sent_edited, r.rejected]
         for r in rows_of(board.current.adoption)])


def _someone(name: str) -> str:
    """A copilot event's agent as the tables name it: an event without one (the demo's, seeded before any agent
    existed) was a blank row."""
    return name or gettext("No agent")


def _query_table(title: str, rows_of: Callable[[metrics.SelfService], list[metrics.QueryCount]]) -> Builder:
    """The builder of one table of searches; `title` is an N_ message, translated when the table is built."""
    return lambda board, _gaps: Table(gettext(title), [gettext("Query"), gettext("Searches")],
                                      [[q.query, q.searches] for q in rows_of(board.current.self_service)])


def _durations(board: Dashboard, _gaps: list[GapGroup]) -> Table:
    t = board.current.tickets
    return Table(gettext("Reply and resolution times"),
                 [gettext("Measure"), gettext("Tickets"), gettext("Median (h)"), gettext("90th pct (h)"),
                  gettext("Median (business h)"), gettext("90th pct (business h)")],
                 [[name, d.count, d.median_hours, d.p90_hours, d.median_business_hours, d.p90_business_hours]
                  for name, d in ((gettext("First reply"), t.first_reply),
                                  (gettext("First resolution"), t.first_resolution),
                                  (gettext("Full resolution"), t.full_resolution))])


def age_label(bucket: str) -> str:
    """A backlog age bucket (desk.metrics.AGE_BUCKETS) as the page and its CSV name it ("<1d" was shown as is)."""
    return {"<1d": gettext("Under a day"), "1-3d": gettext("1 to 3 days"), "3-7d": gettext("3 to 7 days"),
            ">7d": gettext("Over 7 days")}.get(bucket, bucket)


def edit_label(bucket: str) -> str:
    """An edit-distance bucket (desk.metrics.EDIT_BUCKETS: characters changed between the inserted draft and the
    reply sent) as the chart names it ("1-20", ">500" said neither what nor of what)."""
    return {"0": gettext("Unchanged"), "1-20": gettext("1 to 20 characters"),
            "21-100": gettext("21 to 100 characters"), "101-500": gettext("101 to 500 characters"),
            ">500": gettext("Over 500 characters")}.get(bucket, bucket)


# Every table the page shows and a CSV can be asked for, by name, each built only when asked: an unknown CSV name is
# a 404 before the filters are read or the dashboard computed, and a CSV builds just its own table.
TABLES: dict[str, Builder] = {
    "summary": lambda board, _gaps: Table(
        gettext("Figures"), [gettext("Figure"), gettext("This period"), gettext("Previous period")],
        [[label, cur, prev] for _k, label, cur, prev in summary(board)]),
    "durations": _durations,
    "backlog": lambda board, _gaps: Table(
        gettext("Backlog by age"), [gettext("Age"), *map(ViewLabels().status, metrics.UNSOLVED), gettext("Total")],
        [[age_label(bucket), *by.values(), sum(by.values())] for bucket, by in board.current.backlog.buckets.items()]),
    "days": lambda board, _gaps: Table(
        gettext("Tickets per day"), [gettext("Day"), gettext("Created"), gettext("Solved")],
        [[d.day, d.created, d.solved] for d in board.current.days]),
    "agents": lambda board, _gaps: Table(
        gettext("Agents"),
        [gettext("Agent"), gettext("Solved"), gettext("Public replies"), gettext("Median first reply (h)"),
         gettext("Median resolution (h)"), gettext("CSAT answers"), gettext("CSAT")],
        [[r.agent, r.solved, r.public_replies, r.median_first_reply_hours, r.median_resolution_hours,
          r.csat_answered, _share(r.csat_satisfaction)] for r in board.current.agents]),
    "handle_agents": _handle_table(N_("Handle time by agent"), N_("Agent"), lambda h: h.by_agent),
    "handle_teams": _handle_table(N_("Handle time by team"), N_("Team"), lambda h: h.by_team, teams=True),
    "low_ratings": lambda board, _gaps: Table(
        gettext("Low ratings to follow up"),
        [gettext("Ticket"), gettext("Subject"), gettext("Agent"), gettext("Rating"), gettext("Comment"),
         gettext("Answered")],
        [[r.ticket_id, r.subject, r.agent, r.rating, r.comment, r.answered_at] for r in board.current.csat.low]),
    "adoption_agents": _adoption_table(N_("Copilot adoption by agent"), lambda a: a.by_agent, _someone),
    "adoption_langs": _adoption_table(N_("Copilot adoption by language"), lambda a: a.by_lang),
    "rejections": lambda board, _gaps: Table(
        gettext("Rejected suggestions"),
        [gettext("Ticket"), gettext("Language"), gettext("Agent"), gettext("Reason"), gettext("When")],
        [[r.ticket_id, r.lang, _someone(r.agent), r.reason, r.at] for r in board.current.adoption.rejections]),
    "top_queries": _query_table(N_("Top searches"), lambda s: s.top_queries),
    "zero_result": _query_table(N_("Searches with no result"), lambda s: s.zero_result),
    "abstained": _query_table(N_("Searches the answer abstained on"), lambda s: s.abstained),
    "articles": lambda board, _gaps: Table(
        gettext("Helpful votes per article"),
        [gettext("Article"), gettext("Helpful"), gettext("Votes"), gettext("Helpful ratio"), gettext("What went wrong"),
         gettext("Latest comments")],
        [[a.article_key, a.helpful, a.votes, _share(a.ratio), reason_counts(a.reasons), a.latest_comments]
         for a in board.current.self_service.articles]),
    "gaps": lambda _board, gaps: Table(
        gettext("Content gaps by meaning"),
        [gettext("Topic"), gettext("Searches"), gettext("Tickets"), gettext("Languages"), gettext("Examples")],
        [[g.label, g.searches, g.tickets, "; ".join(g.languages), "; ".join(g.examples)] for g in gaps]),
}


def tables(board: Dashboard, gaps: list[GapGroup]) -> dict[str, Table]:
    """Every table, for the page."""
    return {name: build(board, gaps) for name, build in TABLES.items()}


@bp.app_template_filter("dashcell")
def dashcell(value: object) -> str:
    """A table cell on the page: times to the minute in the page's zone (its days'), a dash for no value."""
    if value is None:
        return "–"
    if isinstance(value, Share):
        return digits(_rate(value))
    if isinstance(value, Figure) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return digits(str(value))  # a count, hours, a rating: the page's digits (a search's "123" is text)
    if isinstance(value, datetime):
        zone = g.get("days_zone")
        return (reports._aware(value).astimezone(ZoneInfo(zone)) if zone else value).strftime("%Y-%m-%d %H:%M")
    return reports.cell(value)


def to_csv(table: Table, zone: str | None = None) -> str:
    """The table as CSV, times in `zone` with their UTC offset."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows([reports._safe(reports.cell(value, zone)) for value in row] for row in table.rows)
    return buffer.getvalue()


def charts(board: Dashboard) -> dict[str, Any]:
    f = board.current
    return {
        "days": line_chart([d.day for d in f.days],
                           [(gettext("Created"), [d.created for d in f.days], "line-a"),
                            (gettext("Solved"), [d.solved for d in f.days], "line-b")],
                           gettext("Tickets per day")),
        "backlog": bar_chart([(age_label(bucket), sum(by.values())) for bucket, by in f.backlog.buckets.items()],
                             gettext("Backlog by age")),
        "csat": bar_chart([(str(r), n) for r, n in f.csat.ratings.items()], gettext("CSAT answers by rating"),
                          "bar-b"),
        "edits": bar_chart([(edit_label(bucket), n) for bucket, n in f.adoption.edit_distances.items()],
                           gettext("Drafts sent, by characters changed")),
        "positions": bar_chart([(str(p), n) for p, n in sorted(f.self_service.click_positions.items())][:10],
                               gettext("Clicks by result position"), "bar-b"),
    }


# --- the breakdown by a custom field -------------------------------------------------------------------


def breakdown_fields() -> list[TicketField]:
    """The dropdown and checkbox fields of content/_ticket_fields.yml: what the breakdown offers (a text, number or
    date field has no options to count by)."""
    return [field for field in state.desk().fields.fields if field.type in ("dropdown", "checkbox")]


def field_values(field: TicketField) -> list[str]:
    return [option.key for option in field.options] if field.type == "dropdown" else ["true", "false"]


def value_label(field: TicketField, value: str | None, lang: str) -> str:
    if value is None:
        return gettext("No value")
    option = field.option(value)
    if option is not None:
        return option.label(lang)
    if field.type == "checkbox" and value in ("true", "false"):
        return gettext("Yes") if value == "true" else gettext("No")
    return gettext("%(key)s (not in the fields file)", key=value)  # an option the file no longer has


def field_table(f: Filters, field: TicketField, facts: metrics.TicketFacts | None = None) -> Table:
    """Tickets created and solved, median first reply and resolution, CSAT per value of `field` in the period
    (`facts`: the period's `metrics.ticket_facts`, when the page has read them for its figures)."""
    lang = str(get_locale() or "en")
    rows = metrics.field_rows(state.desk().db, f, field.key, field_values(field), facts)
    return Table(gettext("Tickets by %(field)s", field=field.label(lang)),
                 [field.label(lang), gettext("Created"), gettext("Solved"), gettext("Median first reply (h)"),
                  gettext("Median resolution (h)"), gettext("CSAT answers"), gettext("CSAT")],
                 [[value_label(field, r.value, lang), r.created, r.solved, r.median_first_reply_hours,
                   r.median_resolution_hours, r.csat_answered, _share(r.csat_satisfaction)] for r in rows])


def chosen_field(args: Mapping[str, str]) -> TicketField | None:
    """?field=<key> among the breakdown's fields, else the first; a key that is none of them is a 400 naming it."""
    offered = breakdown_fields()
    key = args.get("field") or ""
    if not key:
        return offered[0] if offered else None
    found = next((field for field in offered if field.key == key), None)
    if found is None:
        raise FilterError("field", N_("%(value)s is not one of %(allowed)s"), value=repr(key[:40]),
                          allowed=", ".join(field.key for field in offered) or "-")
    return found


# --- views ---------------------------------------------------------------------------------------------


@bp.before_request
def interface_language() -> None:
    """?hl= (the page's own switch, kept in its links and forms), else the lead's chosen language and zone as on the
    other agent pages (`webapp.agent.interface_language`): without it a lead who had picked Arabic in the header
    read the dashboard in their browser's language."""
    agent_language()
    chosen = request.values.get("hl")
    if chosen in state.settings().languages:
        g.interface_lang = chosen


def _render(template: str, **context: Any) -> str:
    lang = str(get_locale() or "en")
    return render_template(template, lang=lang, dir="rtl" if lang == "ar" else "ltr",
                           brand=current_theme(state.settings().content_dir).name(lang),
                           agent=current_user, labels=ViewLabels(), **context)


def _filters_or_400() -> Filters:
    try:
        return reader_filters(request.args)
    except FilterError as error:
        abort(400, description=str(error))


@bp.get("/")
@lead_required
def index():  # type: ignore[no-untyped-def]
    return dashboard_page()


def dashboard_page(notice: Mapping[str, str] | None = None):  # type: ignore[no-untyped-def]
    """The page for the request's filters; `notice` refills the notice form a refused publish came from."""
    picker = zone_picker(request.args, state.desk().hours, reader_zone().key)
    try:
        f = reader_filters(request.args)
    except FilterError as error:
        return _render("agent/dashboard.html", error=desk_error(error), board=None, f=None, args={}, first="", last="",
                       agents=state.desk().accounts.agents(), languages=state.settings().languages,
                       channels=CHANNELS, picker=picker,
                       zone_error=desk_problem(error) if error.field == "tz" else None), 400
    desk = state.desk()
    try:
        breakdown = chosen_field(request.args)
    except FilterError as error:
        abort(400, description=str(error))
    with metrics.gc_paused():  # the whole page: its figures' rows stay alive until the breakdown has counted them
        facts = metrics.ticket_facts(desk.db, f)  # read once: the figures and the breakdown by a field count them
        board = metrics.dashboard(desk.db, f, business_hours(), facts=facts)
        gaps, grouped = gap_groups(f)
        g.days_zone = f.zone  # the page's times (dashcell) in the zone of its days
        return _render(
            "agent/dashboard.html", error=None, board=board, f=f, summary=summary(board), tables=tables(board, gaps),
            charts=charts(board), gaps=gaps, grouped=grouped, alerts=alerts(), notices=desk.notices.rows(f.start),
            agents=desk.accounts.agents(), languages=state.settings().languages, channels=CHANNELS,
            args={k: v for k, v in request.args.items() if v}, first=f.first_day, last=f.last_day,
            max_notice_hours=MAX_NOTICE_HOURS, notice=notice or {}, picker=picker, zone_error=None,
            breakdown=breakdown, breakdown_fields=breakdown_fields(),
            breakdown_table=field_table(f, breakdown, facts) if breakdown is not None else None,
        )


def business_hours() -> BusinessHours:
    """The content repo's team calendars: the desk's, which follow the file (desk.desk's `follow_rules`)."""
    return state.desk().hours


@bp.get("/<name>.csv")
@lead_required
def download(name: str) -> Response:
    build = TABLES.get(name)
    if build is None:
        abort(404)
    f = _filters_or_400()
    board = metrics.dashboard(state.desk().db, f, business_hours())
    gaps = gap_groups(f)[0] if name == "gaps" else []
    table = build(board, gaps)
    stamp = f"{f.first_day}_{f.last_day}"
    return Response(to_csv(table, f.zone), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="dashboard-{name}-{stamp}.csv"'})


@bp.get("/fields/<key>.csv")
@lead_required
def field_download(key: str) -> Response:
    """The breakdown by the field `key` as CSV, for the request's period and slices; a field the breakdown does not
    offer is a 404."""
    field = next((field for field in breakdown_fields() if field.key == key), None)
    if field is None:
        abort(404)
    f = _filters_or_400()
    stamp = f"{f.first_day}_{f.last_day}"
    return Response(to_csv(field_table(f, field), f.zone), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="dashboard-field-{key}-{stamp}.csv"'})


@bp.post("/notices")
@lead_required
def publish_notice():  # type: ignore[no-untyped-def]
    hours = request.form.get("hours", type=float)
    try:
        if hours is None or not 0 < hours <= MAX_NOTICE_HOURS:
            raise InputError("hours", N_("give the notice's duration in hours, up to %(hours)s"),
                             hours=MAX_NOTICE_HOURS)
        state.desk().notices.publish(request.form.get("text_en", ""), request.form.get("text_ar", ""),
                                     utcnow() + timedelta(hours=hours), terms=request.form.get("terms", ""),
                                     agent_id=current_user.id)
        flash(gettext("Notice published."), "ok")
    except InputError as error:
        # The same page back with what the lead typed, as the customer's contact form does; not a redirect to
        # an empty form.
        flash(desk_error(error), "error")
        return dashboard_page(request.form), 400
    return redirect(url_for(".index", hl=request.form.get("hl") or None, _anchor="notices"))


@bp.post("/notices/<int:notice_id>/end")
@lead_required
def end_notice(notice_id: int):  # type: ignore[no-untyped-def]
    if state.desk().notices.end(notice_id):
        flash(gettext("Notice ended."), "ok")
    return redirect(url_for(".index", hl=request.form.get("hl") or None, _anchor="notices"))


def active_notices(lang: str, query: str | None = None) -> list[Any]:
    """For the help center's notices include: live notices (matching the search, when one is given).
    A failure here shows no notice rather than breaking the customer's page."""
    try:
        desk = state.desk()
        return desk.notices.matching(query, lang) if query else desk.notices.active(lang)
    except Exception:
        log.exception("could not read notices")
        return []

