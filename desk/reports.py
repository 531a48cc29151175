"""The content team's reports: what customers looked for and did not find, what the copilot got wrong,
which articles readers find unhelpful or nobody has touched in a while, which translations lag, and where search
told a customer nothing fits though the help center had the answer (the search shadow log, issue #18), and whether
abstention floors learnt from that log may replace the ones in use (what `kb floors` decides).

Each report is one function returning rows (frozen dataclasses), so the CLI table, the admin page and
the CSV export show the same thing. Counting and grouping happen in SQL that SQLite and PostgreSQL
both run (plain GROUP BY, CASE, COUNT DISTINCT); only what SQL cannot do portably, such as folding
Unicode case and collapsing whitespace in a customer's query, is done in Python: on the grouped rows,
which are far fewer than the events, or on write (the content gaps group by each search's stored
`normalised_query`, so they are ranked and paged in SQL).
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, distinct, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from copilot.tuning import CROSS_DECIDES, TuningError
from desk.database import Database
from desk.desk import Desk
from desk.events import ShadowSearch
from desk.metrics import LATEST_COMMENTS, latest_texts, local_midnight, reason_counts, today_in
from desk.models import (
    GAP_SEARCH,
    AnswerFeedback,
    ArticleFeedback,
    ContentGap,
    Deflection,
    SearchEvent,
    SuggestionEvent,
    Ticket,
    utcnow,
)
from desk.notices import NoticeRow
from desk.query_text import normalise_query
from desk.search_labels import (
    Alike,
    CitedSearch,
    LoggedSearch,
    SearchTally,
    TalliedLog,
    answered_elsewhere,
    false_abstention,
    question_key,
    tally_key,
    tally_labels,
)
from kb.articles import Article
from kb.catalog import Catalog
from kb.translations import translation_status

if TYPE_CHECKING:
    from desk.floor_decision import FloorDecision

STALE_DAYS = 180
MAX_SPELLINGS = 10_000  # queries named in one SQL query (the gaps' loose rows, content_gaps_page); more: every row read
LATEST_REASONS = 3
# What spreadsheet programs run as a formula; customer text starting with one must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def since_days(days: int | None, now: datetime | None = None, zone: str = "UTC") -> datetime | None:
    """The start (UTC) of the last `days` calendar days of `zone`: today so far and the `days` - 1 days before,
    from local midnight, as Zendesk, Intercom and Chatwoot count "the last N days" in the account's zone (a
    summer-time day is 23 or 25 hours long). None: all time; 0: no day at all (the window starts now); more days
    than the calendar holds: all time."""
    if days is None:
        return None
    now = _aware(now or utcnow())
    if days <= 0:
        return now
    today = today_in(zone, now)
    first = today.toordinal() - (days - 1)
    if first < 2:  # back to the calendar's first day, where a zone east of UTC would overflow: everything
        return None
    return local_midnight(dt.date.fromordinal(first), ZoneInfo(zone))


@dataclass(frozen=True)
class GapRow:
    query: str
    searches: int  # customer searches with no results or an abstained answer
    tickets: int  # tickets the copilot could not answer (ContentGap rows)
    languages: tuple[str, ...]
    last_seen: datetime | None


@dataclass(frozen=True)
class RejectedRow:
    ticket_id: int
    subject: str
    lang: str
    rejections: int
    reasons: tuple[str, ...]
    last_rejected: datetime | None


@dataclass(frozen=True)
class UnhelpfulRow:
    article_key: str
    title: str
    not_helpful: int
    votes: int
    share: float  # of all votes on the article, 0..1
    latest_comments: tuple[str, ...]  # the article's and its answer cards' "no" comments, newest first
    card_not_helpful: int = 0  # "no" on answer cards quoting the article ("Did this answer your question?")
    # What went wrong, article and card votes together: "reason: count", most given first (VOTE_REASONS).
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class StaleRow:
    article_key: str
    title: str
    path: str
    updated: dt.date | None  # None: the article has no `updated` date at all
    age_days: int | None


@dataclass(frozen=True)
class TranslationRow:
    article_id: str
    lang: str
    status: str
    path: str | None
    source_path: str | None
    changed_sections: tuple[str, ...]


@dataclass(frozen=True)
class DeflectionRow:
    visits: int  # visits that opened an article from the contact form's suggestions
    deflected: int  # ... and sent no ticket
    ticketed: int  # ... and sent one anyway
    rate: float  # deflected / visits, 0..1


@dataclass(frozen=True)
class ReportPage:
    rows: list[Any]  # one page of the report's rows, in the report's order
    total: int  # rows in the whole report (every page)


def content_gaps(db: Database, since: datetime | None = None, until: datetime | None = None,
                 lang: str | None = None) -> list[GapRow]:
    """Searches that found nothing plus the copilot's own gaps, merged under one normalised query, most searched and
    ticketed first; in [since, until) and one language when given (the dashboard's period and filter). Every row:
    `kb report gaps`; the reports page shows one page (`content_gaps_page`), its CSV streams them (`gap_rows`)."""
    return list(gap_rows(db, since, until, lang))


def gap_rows(db: Database, since: datetime | None = None, until: datetime | None = None,
             lang: str | None = None) -> Iterator[GapRow]:
    """`content_gaps` one row at a time, read from the database as they are written out (the CSV of a busy month's
    12,598 gaps is not held whole), in one transaction."""
    with db.session() as session:
        loose = _loose_gaps(session, since, until, lang)
        if loose:
            yield from _merged_gaps(session, since, until, lang, 0, None, loose)
        else:
            yield from (row for row, _total in _stored_gaps(session, since, until, lang))


def content_gaps_page(db: Database, since: datetime | None = None, until: datetime | None = None,
                      lang: str | None = None, offset: int = 0, limit: int | None = None) -> ReportPage:
    """`content_gaps(...)[offset:offset + limit]` and how many rows there are, ranked, counted and paged in SQL by each
    row's stored `normalised_query` (folded on insert, desk.models): one query over the gaps (`_stored_gaps`), nothing
    built but the page's rows. Session 26 counted every spelling typed and folded them in Python to rank a page (0.10
    s of CPU at 100,000 searches, bench/RESULTS.md). Rows an older release wrote unfolded during a rolling deploy are
    folded here in Python and merged (`_merged_gaps`) until `kb worker` folds them. `limit` None: every row from
    `offset`."""
    with db.session() as session:
        loose = _loose_gaps(session, since, until, lang)
        if not loose:
            found = list(_stored_gaps(session, since, until, lang, offset, limit))
            total = found[0][1] if found else _count_gaps(session, since, until, lang)  # past the end: counted apart
            return ReportPage([row for row, _total in found], total)
        rows = list(_merged_gaps(session, since, until, lang, offset, limit, loose))
        held = {row.query for row, _total in _stored_gaps(session, since, until, lang, keys=loose)}
        return ReportPage(rows, _count_gaps(session, since, until, lang) + len(loose.keys() - held))


def _merged_gaps(session: Session, since: datetime | None, until: datetime | None, lang: str | None, offset: int,
                 limit: int | None, loose: Mapping[str, GapRow]) -> Iterator[GapRow]:
    """The report's rows `offset` to `offset + limit` (None: to the end) where some rows have no `normalised_query`
    (`_loose_gaps`: an older release's, rare and few): their gaps are added to the stored ones of the same query and
    merged into SQL's order, which reads `limit + len(loose)` stored rows from the first to be sure of the page."""
    held = {row.query: row for row, _total in _stored_gaps(session, since, until, lang, keys=loose)}
    merged = sorted((_add_gaps(held[key], row) if key in held else row for key, row in loose.items()), key=_gap_rank)
    end = None if limit is None else offset + limit
    rest = (row for row, _total in _stored_gaps(session, since, until, lang, 0,
                                                 None if end is None else end + len(loose)) if row.query not in loose)
    yield from islice(heapq.merge(rest, merged, key=_gap_rank), offset, end)


def _stored_gaps(session: Session, since: datetime | None, until: datetime | None, lang: str | None,
                 offset: int = 0, limit: int | None = None, keys: Collection[str] | None = None
                 ) -> Iterator[tuple[GapRow, int]]:
    """The gaps of the rows with a `normalised_query`, in the report's order, `offset` to `offset + limit`, each with
    how many there are in all: one GROUP BY over the searches and tickets (`_gap_ranking`), ranked, paged and counted
    in SQL. A gap's languages are its least and greatest (all of them when there are at most two, as with ar and en);
    a gap in more languages has them read apart. `keys`: only these (at most MAX_SPELLINGS of them, else every row is
    read and these kept)."""
    if keys is not None and len(keys) > MAX_SPELLINGS:  # more than a query's parameters may be (SQLite's 32,766)
        yield from ((row, n) for row, n in _stored_gaps(session, since, until, lang) if row.query in keys)
        return
    ranking = _gap_ranking(since, until, lang, None if keys is None else sorted(keys))
    key, searches, tickets = (ranking.selected_columns[name] for name in ("key", "searches", "tickets"))
    query = (ranking.add_columns(func.count().over().label("total"))
             .order_by((searches + tickets).desc(), _codepoints(key, session)).offset(offset or None).limit(limit))
    rows = session.execute(query, execution_options={"yield_per": 1000})
    for chunk in rows.partitions():
        many = [r.key for r in chunk if r.languages > 2]
        spoken = _gap_languages(session, since, until, lang, many) if many else {}
        for r in chunk:
            languages = spoken[r.key] if r.languages > 2 else tuple(sorted({r.first_lang, r.last_lang}))
            yield GapRow(r.key, int(r.searches), int(r.tickets), languages, _aware(r.last_seen)), int(r.total)


def _gap_ranking(since: datetime | None, until: datetime | None, lang: str | None,
                 keys: Sequence[str] | None = None) -> Select[Any]:
    """Per stored `normalised_query` (none empty): its searches and tickets, last time seen, and least and greatest
    language and how many, in one GROUP BY over both kinds of rows (read from ix_search_events_gap_key and
    ix_content_gaps_key alone)."""
    one: ColumnElement[int] = literal_column("1")
    zero: ColumnElement[int] = literal_column("0")
    rows = union_all(*(
        select(model.normalised_query.label("key"), model.lang.label("lang"), model.created_at.label("at"),
               (one if model is SearchEvent else zero).label("searches"),
               (zero if model is SearchEvent else one).label("tickets")).where(*where)
        for model, where in _gap_sources(since, until, lang, keys)
    )).subquery()
    return (select(rows.c.key.label("key"), func.sum(rows.c.searches).label("searches"),
                   func.sum(rows.c.tickets).label("tickets"), func.max(rows.c.at).label("last_seen"),
                   func.min(rows.c.lang).label("first_lang"), func.max(rows.c.lang).label("last_lang"),
                   func.count(distinct(rows.c.lang)).label("languages"))
            .where(rows.c.key != "").group_by(rows.c.key))


def _count_gaps(session: Session, since: datetime | None, until: datetime | None, lang: str | None) -> int:
    """How many stored gaps there are (rows of `_gap_ranking`)."""
    return int(session.scalar(select(func.count()).select_from(_gap_ranking(since, until, lang).subquery())) or 0)


def _gap_languages(session: Session, since: datetime | None, until: datetime | None, lang: str | None,
                   keys: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The languages of the gaps `keys`, each sorted."""
    spoken: dict[str, set[str]] = {}
    for model, where in _gap_sources(since, until, lang, keys):
        for key, language in session.execute(select(model.normalised_query, model.lang).where(*where).distinct()):
            spoken.setdefault(str(key), set()).add(language)
    return {key: tuple(sorted(languages)) for key, languages in spoken.items()}


def _gap_sources(since: datetime | None, until: datetime | None, lang: str | None, keys: Sequence[str] | None
                 ) -> list[tuple[type[SearchEvent] | type[ContentGap], list[ColumnElement[bool]]]]:
    """The searches that found nothing and the gap tickets, with a `normalised_query` (in `keys` when given), in the
    window and language."""
    out: list[tuple[type[SearchEvent] | type[ContentGap], list[ColumnElement[bool]]]] = []
    for model in (SearchEvent, ContentGap):
        where = [*_gap_filters(model, since, until, lang), model.normalised_query.is_not(None)]
        if model is SearchEvent:
            where.append(GAP_SEARCH)
        if keys is not None:
            where.append(model.normalised_query.in_(keys))
        out.append((model, where))
    return out


def _codepoints(key: Any, session: Session) -> Any:
    """`key` ordered by code point, as Python orders strings (the report's ties go by query): SQLite's own order;
    PostgreSQL's follows the database's collation (en_US puts "q10" before "q1 "), hence "C" there."""
    return key.collate("C") if session.get_bind().dialect.name == "postgresql" else key


def _gap_rank(row: GapRow) -> tuple[int, str]:
    """The report's order: most searched and ticketed first, then by query."""
    return -(row.searches + row.tickets), row.query


def _add_gaps(a: GapRow, b: GapRow) -> GapRow:
    return GapRow(a.query, a.searches + b.searches, a.tickets + b.tickets,
                  tuple(sorted(set(a.languages) | set(b.languages))), _latest(a.last_seen, b.last_seen))


def _loose_gaps(session: Session, since: datetime | None, until: datetime | None, lang: str | None
                ) -> dict[str, GapRow]:
    """The gaps of rows without a `normalised_query` (an older release wrote them during a rolling deploy; `kb
    worker` folds them, desk.query_keys), folded here by `normalise_query` as they would have been: per folded query,
    with their counts, languages and last time. Found by ix_search_events_unfolded (empty once folded)."""
    return {r.query: r for r in _gap_rows(_gap_groups(session, since, until, lang, unfolded=True))}


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


def _gap_groups(session: Session, since: datetime | None, until: datetime | None, lang: str | None,
                unfolded: bool = False) -> dict[str, dict[str, Any]]:
    """The gaps' searches (no result, or abstained) and tickets (ContentGap), counted in SQL per query as typed and
    language with the last time, merged per `normalise_query`. `unfolded`: only rows without a `normalised_query`."""
    searches = select(SearchEvent.query, SearchEvent.lang, func.count(), func.max(SearchEvent.created_at)).where(
        *_gap_filters(SearchEvent, since, until, lang), GAP_SEARCH)
    gaps = select(ContentGap.query, ContentGap.lang, func.count(), func.max(ContentGap.created_at)).where(
        *_gap_filters(ContentGap, since, until, lang))
    if unfolded:
        searches = searches.where(SearchEvent.normalised_query.is_(None))
        gaps = gaps.where(ContentGap.normalised_query.is_(None))
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
    return sorted(out, key=_gap_rank)


def rejected_tickets(db: Database, since: datetime | None = None) -> list[RejectedRow]:
    """Tickets where agents turned down every suggestion they acted on: the copilot's misses.

    A ticket with one rejection and one insert (or a sent draft) is not here: something helped.
    """
    acted = case((SuggestionEvent.kind.in_(("inserted", "sent")), 1), else_=0)
    rejected = case((SuggestionEvent.kind == "rejected", 1), else_=0)
    last = func.max(case((SuggestionEvent.kind == "rejected", SuggestionEvent.created_at), else_=None))
    query = (
        select(Ticket.id, Ticket.subject, Ticket.lang, func.sum(rejected), last)
        .join(SuggestionEvent, SuggestionEvent.ticket_id == Ticket.id)
        .where(SuggestionEvent.kind.in_(("inserted", "sent", "rejected")))
        .group_by(Ticket.id, Ticket.subject, Ticket.lang)
        .having(func.sum(acted) == 0, func.sum(rejected) > 0)
    )
    if since is not None:
        query = query.where(SuggestionEvent.created_at >= since)
    with db.session() as session:
        rows = session.execute(query).all()
        reasons = latest_texts(
            session.execute(
                select(SuggestionEvent.ticket_id, SuggestionEvent.reason)
                .where(SuggestionEvent.kind == "rejected", SuggestionEvent.reason.is_not(None),
                       SuggestionEvent.ticket_id.in_([row[0] for row in rows]))
                .order_by(SuggestionEvent.id.desc())
            ).all(),
            LATEST_REASONS,
        )
    out = [RejectedRow(tid, subject, lang, int(count), reasons.get(tid, ()), when)
           for tid, subject, lang, count, when in rows]
    return sorted(out, key=lambda r: (-r.rejections, -r.ticket_id))


def unhelpful_articles(db: Database, since: datetime | None = None) -> list[UnhelpfulRow]:
    """Articles by "not helpful" votes (and "no" on the answer cards quoting them), with what went wrong
    (count per reason) and the readers' latest comments saying what was missing."""
    not_helpful = func.sum(case((ArticleFeedback.helpful.is_(False), 1), else_=0))
    query = (
        select(ArticleFeedback.article_key, not_helpful, func.count())
        .group_by(ArticleFeedback.article_key)
        .having(not_helpful > 0)
    )
    cards = (select(AnswerFeedback.article_key, func.count()).where(AnswerFeedback.helpful.is_(False))
             .group_by(AnswerFeedback.article_key))
    said = []
    for model in (ArticleFeedback, AnswerFeedback):
        said.append(select(model.article_key, model.reason, model.comment, model.created_at, model.id)
                    .where(model.helpful.is_(False), or_(model.reason.is_not(None), model.comment.is_not(None))))
    if since is not None:
        query = query.where(ArticleFeedback.created_at >= since)
        cards = cards.where(AnswerFeedback.created_at >= since)
        said = [q.where(q.selected_columns[3] >= since) for q in said]
    with db.session() as session:
        rows = {key: (int(bad), int(votes)) for key, bad, votes in session.execute(query).all()}
        card_rows = {key: int(n) for key, n in session.execute(cards).all()}
        answers = [row for q in said for row in session.execute(q).all()]
    answers.sort(key=lambda r: (_aware(r[3]), r[4]), reverse=True)  # newest first, both kinds together
    latest = latest_texts(((key, comment) for key, _reason, comment, _at, _id in answers), LATEST_COMMENTS)
    reasons = reason_counts((key, reason) for key, reason, *_rest in answers)
    out = []
    for key in rows.keys() | card_rows.keys():
        bad, votes = rows.get(key, (0, 0))
        given = reasons.get(key, ())
        out.append(UnhelpfulRow(key, "", bad, votes, round(bad / votes, 3) if votes else 0.0, latest.get(key, ()),
                                card_rows.get(key, 0), tuple(f"{reason}: {n}" for reason, n in given)))
    return sorted(out, key=lambda r: (-r.not_helpful, -r.card_not_helpful, -r.share, r.article_key))


def stale_articles(articles: Iterable[Article], days: int = STALE_DAYS, today: dt.date | None = None) -> list[StaleRow]:
    """Articles whose `updated` date is older than `days`; undated ones too, since nobody can tell."""
    today = today or dt.date.today()
    out = []
    for article in articles:
        age = (today - article.updated).days if article.updated else None
        if age is None or age > days:
            out.append(StaleRow(article.key, article.title, article.path, article.updated, age))
    return sorted(out, key=lambda r: (r.age_days is not None, -(r.age_days or 0), r.article_key))


def translation_rows(catalog: Catalog) -> list[TranslationRow]:
    """Only what needs a translator: missing, stale and untracked translations."""
    settings = catalog.settings
    return [
        TranslationRow(s.id, s.lang, s.status, s.path, s.source_path, s.changed_sections or ())
        for s in translation_status(settings.content_dir, settings.languages, catalog.snapshot().articles.values())
        if s.status not in ("source", "up-to-date")
    ]


@dataclass(frozen=True)
class AbstentionRow:
    lang: str
    searches: int  # settled searches
    abstained: int  # ... that abstained: "No article matches" and no results shown
    abstained_share: float  # abstained / searches, 0..1
    queries: int  # distinct questions (desk.search_labels.question_key: word order and punctuation folded)
    answerable: int  # questions the log labels answerable (desk.search_labels.search_labels)
    not_answered: int  # ... and not answered
    false_abstentions: int  # abstained searches an agent then answered from the help center (FalseAbstentionRow)
    logged: int  # searches that carry the shadow log (signals and first result; none before it was kept)


@dataclass(frozen=True)
class FalseAbstentionRow:
    query: str
    lang: str
    searched_at: datetime
    article_key: str  # the article an agent answered the visit's ticket with
    title: str
    ticket_id: int
    first_result: str | None  # the search's first result as ranked before abstention; None: not logged
    first_result_matches: bool | None  # ... was that article; None: not logged


def answered_log(desk: Desk, catalog: Catalog, since: datetime | None = None,
                 ticketed: bool = False, signals: bool = False) -> list[ShadowSearch]:
    """The shadow log (Events.shadow_log; `ticketed`: only searches a ticket followed; `signals`: with the searches'
    signals, which the reports only count) with only the used articles customers can read: an agent answering from
    an internal article says nothing of what the help center could have shown."""
    articles = catalog.snapshot().articles
    return [
        replace(s, used_articles=_readable(s.used_articles, articles)) if s.used_articles else s
        for s in desk.events.shadow_log(since, signals=signals, ticketed=ticketed)
    ]


def answered_tallies(desk: Desk, catalog: Catalog, since: datetime | None = None) -> TalliedLog:
    """`answered_log` counted (Events.search_tallies): what the abstention and floors reports read, grouped in SQL;
    a search answered only from internal articles is not cited, as there."""
    articles = catalog.snapshot().articles
    tallied = desk.events.search_tallies(since)
    return replace(tallied, cited=[replace(c, answered_by=used) for c in tallied.cited
                                   if (used := _readable(c.answered_by, articles))])


def _readable(used: tuple[str, ...], articles: Mapping[str, Article]) -> tuple[str, ...]:
    """The used articles customers can read."""
    return tuple(k for k in used if (a := articles.get(k)) and not a.internal)


def tally_log(log: Iterable[ShadowSearch], signals: Callable[[ShadowSearch], dict[str, float] | None] | None = None
              ) -> TalliedLog:
    """A list of searches (answered_log) counted as Events.search_tallies counts the stored log: one tally per
    desk.search_labels.Alike, and the searches with `used_articles` cited. `signals`: where a search answered
    elsewhere finds its mark (default: its own `signals`)."""
    counts: dict[Alike, list[int]] = {}
    cited = []
    for s in log:
        mark = (((signals or _own_signals)(s) or {}).get(CROSS_DECIDES) if answered_elsewhere(s) else None)
        alike = Alike(s.lang, s.query, s.logged, s.first_article, s.floors, mark)
        ticket, shown = s.ticket_id is not None, not s.abstained
        n = counts.setdefault(alike, [0] * 8)
        for i, add in enumerate((True, s.abstained, shown, shown and s.clicked and not ticket,
                                 shown and not s.clicked and ticket, s.abstained and ticket,
                                 s.abstained and ticket and not s.clicked)):
            n[i] += add
        n[7] = max(n[7], s.id)
        if s.used_articles:
            cited.append(CitedSearch(alike, s.id, s.abstained, s.used_articles))
    return TalliedLog([SearchTally(alike, *n) for alike, n in counts.items()], cited)


def _own_signals(search: ShadowSearch) -> dict[str, float] | None:
    return search.signals


def logged_searches(log: Iterable[ShadowSearch]) -> list[LoggedSearch]:
    """The log as `desk.search_labels` reads it, one question per language and `question_key` (the key click
    feedback learns by; the gaps report and notices group by `normalise_query`, which keeps the words as typed
    for people to read)."""
    return [LoggedSearch((s.lang, question_key(s.query)), s.abstained, s.clicked, s.ticket_id is not None,
                         s.used_articles) for s in log]


def abstention(log: Sequence[ShadowSearch]) -> list[AbstentionRow]:
    """Per language: how often search abstained, and what the log says of the questions (desk.search_labels)."""
    return abstention_rows(tally_log(log))


def abstention_rows(log: TalliedLog) -> list[AbstentionRow]:
    """The abstention report of counted searches (answered_tallies, or `tally_log` of a list)."""
    labels = tally_labels(log.tallies, (tally_key(c) for c in log.cited))
    out = []
    for lang in sorted({t.alike.lang for t in log.tallies}):
        mine = [t for t in log.tallies if t.alike.lang == lang]
        said = [not_answered for (key_lang, _q), not_answered in labels.items() if key_lang == lang]
        searches, hid = sum(t.searches for t in mine), sum(t.abstained for t in mine)
        out.append(AbstentionRow(
            lang, searches, hid, round(hid / searches, 3), len({tally_key(t) for t in mine}),
            said.count(False), said.count(True), sum(c.abstained for c in log.cited if c.alike.lang == lang),
            sum(t.searches for t in mine if t.alike.logged),
        ))
    return out


def false_abstentions(log: Sequence[ShadowSearch], catalog: Catalog) -> list[FalseAbstentionRow]:
    """Searches that abstained though an agent then answered the visit's ticket from the help center, newest first:
    the article used (the search's own first result when the agent used it), and whether search ranked it first."""
    articles = catalog.snapshot().articles
    out = []
    for search, logged in zip(log, logged_searches(log), strict=True):
        if not false_abstention(logged) or search.ticket_id is None:
            continue
        key = search.first_article if search.first_article in search.used_articles else search.used_articles[0]
        found = articles.get(key)
        out.append(FalseAbstentionRow(
            search.query, search.lang, search.at, key, found.title if found else "", search.ticket_id,
            search.first_article, None if search.first_article is None else search.first_article == key,
        ))
    return out[::-1]


@dataclass(frozen=True)
class FloorsRow:
    """What `kb floors` decides for a language (desk.floor_decision), with its defaults: shares of the log's judged
    labels, None when there are none of that kind."""

    lang: str
    answerable: int  # labelled questions that teach the fit
    not_answered: int
    judge_only: int  # abstained searches whose ticket no agent answered from the help center: they only judge
    other_floors: int  # searches left out: logged under other floors than those in use, or before searches said which
    in_use_caught: float | None  # share of the not-answered questions the floors in use abstain on, 0..1
    in_use_flagged: float | None  # share of the answerable ones they abstain on, 0..1
    learnt_caught: float | None  # ... the learnt floors (cross-validated)
    learnt_flagged: float | None
    decision: str  # "replace" or "keep"
    reason: str  # desk.floor_decision.Reason


def learnt_floors(decisions: Iterable[FloorDecision]) -> list[FloorsRow]:
    """Per language, the floors in use and the learnt ones on the log's evidence, and the guard's decision."""
    out = []
    for d in decisions:
        c = d.compared
        out.append(FloorsRow(
            d.lang, d.answerable, d.not_answered, d.judge_only,
            d.left_out["under other floors"] + d.left_out["under unknown floors"],
            _share(c.shipped_caught, c.not_answered),
            _share(c.shipped_false, c.answerable), _share(c.learnt_caught, c.not_answered),
            _share(c.learnt_false, c.answerable), "replace" if d.replace else "keep", d.reason,
        ))
    return out


def _floors_report(desk: Desk, catalog: Catalog, since: datetime | None) -> list[FloorsRow]:
    """The `floors` report with `kb floors`' defaults, on the searches the floors in use decided.
    desk.floor_decision and desk.floor_evidence are imported here: they read this module's `tally_log`."""
    from desk.floor_decision import floor_decisions, floors_in_use
    from desk.floor_evidence import tallied_evidence

    try:
        off, floors = floors_in_use(catalog.settings.content_dir)
    except TuningError as error:  # a sync brought a broken file: search keeps what it started with; so does this,
        logging.getLogger(__name__).warning("floors report: %s", error)  # on every search (which floors: unknown)
        off, floors = False, None
    evidence = tallied_evidence(answered_tallies(desk, catalog, since), desk.events.newest_searches, floors)
    return learnt_floors(floor_decisions(evidence, off))


def _share(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


def deflection(db: Database, since: datetime | None = None) -> list[DeflectionRow]:
    """Did opening a suggested article from the contact form spare the visitor a ticket?"""
    ticketed = select(Ticket.id).where(Ticket.visit_id == Deflection.visit_id).exists()
    visits = select(func.count(distinct(Deflection.visit_id)))
    with_ticket = select(func.count(distinct(Deflection.visit_id))).where(ticketed)
    if since is not None:
        visits, with_ticket = (q.where(Deflection.created_at >= since) for q in (visits, with_ticket))
    with db.session() as session:
        total = int(session.scalar(visits) or 0)
        sent = int(session.scalar(with_ticket) or 0)
    return [DeflectionRow(total, total - sent, sent, round((total - sent) / total, 3) if total else 0.0)]


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    row_type: type
    # (desk, catalog, days, zone): `days` counts calendar days of `zone` (`since_days`), or the stale threshold.
    build: Callable[[Desk, Catalog, int | None, str], list[Any]]
    # (desk, days, zone, lang, offset, limit): one page of `build`'s rows in one language (None: every language), and
    # how many there are in it, built without the others where the report can rank them so (gaps). None: no
    # language filter, and a page is `build`'s rows sliced (`report_page`).
    page: Callable[[Desk, int | None, str, str | None, int, int | None], ReportPage] | None = None
    # (desk, days, zone, lang): every row of `page`, read as they are written out (the CSV, `kb report`); None: the
    # rows `report_page` builds.
    rows: Callable[[Desk, int | None, str, str | None], Iterable[Any]] | None = None


def report_page(report: Report, desk: Desk, catalog: Catalog, days: int | None, zone: str, lang: str | None = None,
                offset: int = 0, limit: int | None = None) -> ReportPage:
    """`limit` rows of `report` from `offset` (None: all of them), in `lang` where the report filters by language:
    what the reports page shows (a page) and its CSV (every row), the one way both read a report."""
    if report.page is not None:
        return report.page(desk, days, zone, lang, offset, limit)
    rows = report.build(desk, catalog, days, zone)
    return ReportPage(rows[offset:] if limit is None else rows[offset:offset + limit], len(rows))


def report_rows(report: Report, desk: Desk, catalog: Catalog, days: int | None, zone: str,
                lang: str | None = None) -> Iterable[Any]:
    """Every row of `report` in `lang` (where it filters by language), in its order: what its CSV and `kb report`
    write, streamed from the database where the report can (gaps), else built whole."""
    if report.rows is not None:
        return report.rows(desk, days, zone, lang)
    return report_page(report, desk, catalog, days, zone, lang).rows


def _with_titles(rows: list[UnhelpfulRow], catalog: Catalog) -> list[UnhelpfulRow]:
    articles = catalog.snapshot().articles
    return [
        replace(r, title=a.title if (a := articles.get(r.article_key)) else "")
        for r in rows
    ]


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report("gaps", "Content gaps: searches and tickets nothing answered", GapRow,
               lambda desk, _catalog, days, zone: content_gaps(desk.db, since_days(days, zone=zone)),
               lambda desk, days, zone, lang, offset, limit: content_gaps_page(
                   desk.db, since_days(days, zone=zone), lang=lang, offset=offset, limit=limit),
               lambda desk, days, zone, lang: gap_rows(desk.db, since_days(days, zone=zone), lang=lang)),
        Report("rejected", "Tickets where agents rejected every suggestion", RejectedRow,
               lambda desk, _catalog, days, zone: rejected_tickets(desk.db, since_days(days, zone=zone))),
        Report("unhelpful", "Articles voted not helpful", UnhelpfulRow,
               lambda desk, catalog, days, zone: _with_titles(unhelpful_articles(desk.db, since_days(days, zone=zone)),
                                                              catalog)),
        Report("stale", "Articles not updated recently", StaleRow,
               lambda _desk, catalog, days, zone: stale_articles(catalog.snapshot().articles.values(),
                                                                 STALE_DAYS if days is None else days, today_in(zone))),
        Report("translations", "Translations that need work", TranslationRow,
               lambda _desk, catalog, _days, _zone: translation_rows(catalog)),
        Report("deflection", "Contact-form deflection", DeflectionRow,
               lambda desk, _catalog, days, zone: deflection(desk.db, since_days(days, zone=zone))),
        Report("notices", "Notices published to customers", NoticeRow,
               lambda desk, _catalog, days, zone: desk.notices.rows(since_days(days, zone=zone))),
        Report("abstention", "Search abstention by language, and what the log says of the questions", AbstentionRow,
               lambda desk, catalog, days, zone: abstention_rows(answered_tallies(desk, catalog,
                                                                                  since_days(days, zone=zone)))),
        Report("false-abstentions", "Searches that found nothing though an agent answered from the help center",
               FalseAbstentionRow,
               lambda desk, catalog, days, zone: false_abstentions(
                   answered_log(desk, catalog, since_days(days, zone=zone), ticketed=True), catalog)),
        Report("floors", "Abstention floors learnt from the search log, and whether they may replace the floors in use",
               FloorsRow, lambda desk, catalog, days, zone: _floors_report(desk, catalog, since_days(days, zone=zone))),
    )
}


def columns(row_type: type) -> list[str]:
    return [f.name for f in fields(row_type)]


def cell(value: object, zone: str | None = None) -> str:
    """A value as one table or CSV cell: dates as ISO, lists joined with "; ", numbers as they are. Given a
    `zone` (an IANA name, the reader's), a time is shown in it with its UTC offset ("2026-12-04 01:30:00+03:00")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if zone is not None:
            value = _aware(value).astimezone(ZoneInfo(zone))
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list | set):
        return "; ".join(str(v) for v in value)
    return str(value)


def cells(rows: Sequence[Any], row_type: type, zone: str | None = None) -> list[list[str]]:
    """Rows as strings, one per column, times in `zone`: what the page, the table and the CSV all show."""
    names = columns(row_type)
    return [_row_cells(row, names, zone) for row in rows]


def _row_cells(row: Any, names: Sequence[str], zone: str | None) -> list[str]:
    return [cell(getattr(row, name), zone) for name in names]


def to_csv(rows: Sequence[Any], row_type: type | None = None, zone: str | None = None) -> str:
    """CSV with a header row, times in `zone`; `row_type` gives the header when there are no rows."""
    kind = row_type or (type(rows[0]) if rows else None)
    if kind is None or not is_dataclass(kind):
        return ""
    return "".join(csv_lines(rows, kind, zone))


def csv_lines(rows: Iterable[Any], row_type: type, zone: str | None = None, batch: int = 500) -> Iterator[str]:
    """`to_csv` a piece at a time (the header, then `batch` rows a piece), reading `rows` only as far as written: a
    report's download streams its rows (`report_rows`) rather than building the file whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = columns(row_type)
    writer.writerow(names)
    for n, row in enumerate(rows, 1):
        writer.writerow([_safe(text) for text in _row_cells(row, names, zone)])
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _safe(text: str) -> str:
    """Customers typed these queries and comments; a spreadsheet must not run them as formulas."""
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two times, aware (UTC) whichever engine read them: SQLite's naive time came back as it was when
    a gap had one spelling and language, so a report's times had an offset or not by how often a question was asked."""
    if a is None or b is None:
        return None if a is None and b is None else _aware(a or b)  # type: ignore[arg-type]
    return max(_aware(a), _aware(b))


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


