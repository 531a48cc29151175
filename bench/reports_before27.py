"""The content gaps report's pages as session 26 built them (desk.reports.content_gaps_page then): every gap's count in
one GROUP BY per query as typed, folded per `normalise_query` in Python to rank a page, then the page's rows. What
bench/shadow_log_bench.py times beside the pages ranked in SQL now ("session 26"). Kept verbatim but for the names
(`page_before27`, `gaps_before27`) and the imports; never imported by product code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, union_all

from desk.database import Database
from desk.models import ContentGap, SearchEvent
from desk.query_text import normalise_query
from desk.reports import MAX_SPELLINGS, GapRow, ReportPage, _latest


def gaps_before27(db: Database, since: datetime | None = None, until: datetime | None = None,
                 lang: str | None = None) -> list[GapRow]:
    """Searches that found nothing plus the copilot's own gaps, merged under one normalised query, most searched and
    ticketed first; in [since, until) and one language when given (the dashboard's period and filter). Every row:
    the CSV, `kb report gaps` and the dashboard's top gaps; the reports page shows one page (`content_gaps_page`)."""
    return _gap_rows(_gap_groups(db, since, until, lang))


def page_before27(db: Database, since: datetime | None = None, until: datetime | None = None,
                      lang: str | None = None, offset: int = 0, limit: int | None = None) -> ReportPage:
    """`content_gaps(...)[offset:offset + limit]` and how many rows there are, without building every row: a busy
    month's 12,598 gaps were all built and drawn on each open of the page (1.3-1.8 s, bench/RESULTS.md session 25).
    The ranking needs every gap's count, so searches and tickets are counted for all of them (in SQL per query as
    typed, then summed per `normalise_query`, which SQL cannot fold portably); the languages and the last time seen
    only for the page's gaps (the spellings that fold to them). `limit` None: every row from `offset`."""
    if limit is None:  # every row from `offset` (the CSV): each is built anyway
        every = gaps_before27(db, since, until, lang)
        return ReportPage(every[offset:], len(every))
    totals: dict[str, int] = {}
    folded: dict[str, str] = {}  # each spelling typed -> its normalised query
    with db.session() as session:
        for query, count in session.execute(_gap_counts(since, until, lang)).all():
            key = folded[query] = normalise_query(query)
            totals[key] = totals.get(key, 0) + count
    totals.pop("", None)  # only spaces typed: no question
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = {key for key, _n in ranked[offset:offset + limit]}
    if not shown:
        return ReportPage([], len(ranked))
    spellings = sorted(query for query, key in folded.items() if key in shown)
    if len(spellings) > MAX_SPELLINGS:  # more than a query's parameters may be (SQLite's 32,766): every row, sliced
        return ReportPage(gaps_before27(db, since, until, lang)[offset:offset + limit], len(ranked))
    return ReportPage(_gap_rows(_gap_groups(db, since, until, lang, spellings)), len(ranked))


def _gap_counts(since: datetime | None, until: datetime | None, lang: str | None) -> Select[str, int]:
    """Searches and tickets of the gaps per query as typed, in one GROUP BY over both."""
    typed = union_all(
        select(SearchEvent.query).where(*_gap_filters(SearchEvent, since, until, lang),
                                        or_(SearchEvent.result_count == 0, SearchEvent.abstained.is_(True))),
        select(ContentGap.query).where(*_gap_filters(ContentGap, since, until, lang)),
    ).subquery()
    return select(typed.c.query, func.count()).group_by(typed.c.query)


def _gap_filters(model: type[SearchEvent] | type[ContentGap], since: datetime | None, until: datetime | None,
                 lang: str | None) -> list[ColumnElement[bool]]:
    """The window [since, until) and the language, on searches or tickets."""
    out = []
    if since is not None:
        out.append(model.created_at >= since)
    if until is not None:
        out.append(model.created_at < until)
    if lang:
        out.append(model.lang == lang)
    return out


def _gap_groups(db: Database, since: datetime | None, until: datetime | None, lang: str | None,
                queries: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """The gaps' searches (no result, or abstained) and tickets (ContentGap), counted in SQL per query as typed and
    language with the last time, merged per `normalise_query`. `queries`: only these spellings."""
    searches = select(SearchEvent.query, SearchEvent.lang, func.count(), func.max(SearchEvent.created_at)).where(
        *_gap_filters(SearchEvent, since, until, lang), or_(SearchEvent.result_count == 0,
                                                            SearchEvent.abstained.is_(True)))
    gaps = select(ContentGap.query, ContentGap.lang, func.count(), func.max(ContentGap.created_at)).where(
        *_gap_filters(ContentGap, since, until, lang))
    if queries is not None:
        searches = searches.where(SearchEvent.query.in_(queries))
        gaps = gaps.where(ContentGap.query.in_(queries))
    with db.session() as session:
        found = session.execute(searches.group_by(SearchEvent.query, SearchEvent.lang)).all()
        missed = session.execute(gaps.group_by(ContentGap.query, ContentGap.lang)).all()
    merged: dict[str, dict[str, Any]] = {}
    for rows, counter in ((found, "searches"), (missed, "tickets")):
        for query, lang, count, last in rows:
            entry = merged.setdefault(
                normalise_query(query), {"searches": 0, "tickets": 0, "languages": set(), "last_seen": None}
            )
            entry[counter] += count
            entry["languages"].add(lang)
            entry["last_seen"] = _latest(entry["last_seen"], last)
    return merged


def _gap_rows(merged: Mapping[str, Mapping[str, Any]]) -> list[GapRow]:
    """`_gap_groups` as rows, most searched and ticketed first (then by query); no empty query."""
    out = [
        GapRow(query, e["searches"], e["tickets"], tuple(sorted(e["languages"])), e["last_seen"])
        for query, e in merged.items()
        if query
    ]
    return sorted(out, key=lambda r: (-(r.searches + r.tickets), r.query))
