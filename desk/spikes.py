"""Spike detection: a group of similar tickets or failed searches arriving well above its usual rate.

Pure data: the caller says which group each occurrence belongs to (a normalised query here in the
desk; a cluster of meaning when the web app has the copilot's embeddings), and this module compares
the group's count in the recent window with what its baseline rate predicts for a window that long.

A group spikes when both hold:
- at least `min_count` occurrences in the window (five failed payments is a story; two is noise), and
- at least `factor` times the expected count, where expected = baseline count x window / baseline
  length, floored at `MIN_EXPECTED` (one per window), so a topic never seen before needs
  max(`min_count`, `factor`) occurrences in the window.
The defaults follow the issue's example: "card payment failed" five times the daily rate since 10:00.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from desk.database import Database
from desk.models import SearchEvent, Ticket
from desk.query_text import normalise_query

WINDOW = timedelta(hours=6)
BASELINE = timedelta(days=14)
FACTOR = 5.0
MIN_COUNT = 5
MIN_EXPECTED = 1.0
EXAMPLES = 5


@dataclass(frozen=True)
class Occurrence:
    key: str  # the group: a normalised query or a cluster label
    at: datetime
    text: str  # what the customer wrote: a search or a ticket subject
    ticket_id: int | None = None  # None: a failed search


@dataclass(frozen=True)
class Spike:
    key: str
    count: int  # occurrences in the window
    expected: float  # what the baseline rate predicts for the window
    factor: float  # count / expected
    since: datetime  # the first occurrence in the window
    examples: tuple[str, ...]  # distinct texts, most recent first
    ticket_ids: tuple[int, ...]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def detect_spikes(
    occurrences: Iterable[Occurrence],
    now: datetime,
    window: timedelta = WINDOW,
    baseline: timedelta = BASELINE,
    factor: float = FACTOR,
    min_count: int = MIN_COUNT,
) -> list[Spike]:
    """Groups whose count in [now - window, now) is well above their rate over the baseline before it."""
    now = _utc(now)
    recent: dict[str, list[Occurrence]] = {}
    before: dict[str, int] = {}
    for item in occurrences:
        when = _utc(item.at)
        if now - window <= when < now:
            recent.setdefault(item.key, []).append(item)
        elif now - window - baseline <= when < now - window:
            before[item.key] = before.get(item.key, 0) + 1
    spikes = []
    for key, items in recent.items():
        expected = max(before.get(key, 0) * (window / baseline), MIN_EXPECTED)
        if len(items) >= min_count and len(items) >= factor * expected:
            items.sort(key=lambda o: _utc(o.at), reverse=True)
            examples = tuple(dict.fromkeys(o.text for o in items))[:EXAMPLES]
            tickets = tuple(dict.fromkeys(o.ticket_id for o in items if o.ticket_id is not None))[:EXAMPLES]
            spikes.append(Spike(key, len(items), round(expected, 2), round(len(items) / expected, 1),
                                _utc(items[-1].at), examples, tickets))
    return sorted(spikes, key=lambda s: (-s.factor, -s.count, s.key))


def recent_occurrences(db: Database, now: datetime, window: timedelta = WINDOW,
                       baseline: timedelta = BASELINE, limit: int = 50_000) -> list[Occurrence]:
    """Failed searches (no result or an abstained answer) and new tickets over the window and its
    baseline, grouped by their normalised text (the web app may regroup them by meaning)."""
    since = _utc(now) - window - baseline
    with db.session() as session:
        searches = session.execute(
            select(SearchEvent.query, SearchEvent.created_at)
            .where(SearchEvent.created_at >= since, SearchEvent.created_at < now,
                   or_(SearchEvent.result_count == 0, SearchEvent.abstained.is_(True)))
            .order_by(SearchEvent.created_at.desc()).limit(limit)).all()
        tickets = session.execute(
            select(Ticket.id, Ticket.subject, Ticket.created_at)
            .where(Ticket.created_at >= since, Ticket.created_at < now)
            .order_by(Ticket.created_at.desc()).limit(limit)).all()
    return [Occurrence(normalise_query(q), at, q) for q, at in searches] + [
        Occurrence(normalise_query(subject), at, subject, tid) for tid, subject, at in tickets]


def regroup(occurrences: Iterable[Occurrence], groups: dict[str, str]) -> list[Occurrence]:
    """The same occurrences under new group keys (text key -> group label), e.g. clusters of meaning."""
    return [Occurrence(groups.get(o.key, o.key), o.at, o.text, o.ticket_id) for o in occurrences]
