"""The content gaps report as session 25 built and showed it: every row built (`gaps_before`, desk.reports.content_gaps
as it was) and the page drawing them all. The reference `tests/desk/test_report_gaps_page.py` compares the paged
report (desk.reports.content_gaps_page) with, and what bench/shadow_log_bench.py times beside it ("before"). Kept
verbatim but for the name; never imported by product code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from desk.database import Database
from desk.models import ContentGap, SearchEvent
from desk.query_text import normalise_query
from desk.reports import GapRow, _latest


def gaps_before(db: Database, since: datetime | None = None, until: datetime | None = None,
                lang: str | None = None) -> list[GapRow]:
    """Searches that found nothing plus the copilot's own gaps, merged under one normalised query;
    in [since, until) and one language when given (the dashboard's period and filter)."""
    searches = select(
        SearchEvent.query, SearchEvent.lang, func.count(), func.max(SearchEvent.created_at)
    ).where(or_(SearchEvent.result_count == 0, SearchEvent.abstained.is_(True)))
    gaps = select(ContentGap.query, ContentGap.lang, func.count(), func.max(ContentGap.created_at))
    if since is not None:
        searches = searches.where(SearchEvent.created_at >= since)
        gaps = gaps.where(ContentGap.created_at >= since)
    if until is not None:
        searches = searches.where(SearchEvent.created_at < until)
        gaps = gaps.where(ContentGap.created_at < until)
    if lang:
        searches = searches.where(SearchEvent.lang == lang)
        gaps = gaps.where(ContentGap.lang == lang)
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
    out = [
        GapRow(query, e["searches"], e["tickets"], tuple(sorted(e["languages"])), e["last_seen"])
        for query, e in merged.items()
        if query
    ]
    return sorted(out, key=lambda r: (-(r.searches + r.tickets), r.query))

