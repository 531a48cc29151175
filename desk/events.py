"""What customers and agents did, recorded so the team can see what works and what is missing.

Search analytics (query, language, result count, abstained, clicked result and position), helpful
votes, contact-form deflections, and the copilot's suggestion outcomes. Recording must never break
or slow the page it happens on: in the web app, views, searches, clicks, votes and deflections go
through an `AnalyticsWriter` (a bounded queue drained by one daemon thread per process, in batches,
flushed at exit), so a locked or full database delays the figures, never a customer. What cannot
be kept (queue full, database unavailable past its retries) is dropped and counted in `stats`:
analytics are the one thing this project may lose, and only in memory, per process.

`Desk.close` closes the writer (what was queued is written first, then its thread ends), so an app
that is closed lets go of its database; nothing else keeps a writer alive (the exit flush holds it
weakly), so a process that builds apps one after another does not pile up open database files.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import queue
import secrets
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, SupportsFloat

from sqlalchemy import and_, case, exists, func, null, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from copilot.tuning import CROSS_DECIDES
from desk.database import Database, StorageUnavailableError
from desk.models import (
    SUGGESTION_EVENTS,
    VOTE_REASONS,
    AnswerFeedback,
    ArticleFeedback,
    ArticleView,
    ContentGap,
    Deflection,
    SearchEvent,
    SuggestionEvent,
    Ticket,
    as_utc,
    utcnow,
)
from desk.search_labels import Alike, CitedSearch, SearchTally, TalliedLog
from desk.tickets import InputError, plain_text
from desk.translatable import N_
from kb.message_text import html_to_lines

MAX_COMMENT = 2000
# The short comment after "no" on an answer card ("What went wrong?"); the article's form allows MAX_COMMENT.
MAX_VOTE_COMMENT = 500
BATCH = 200  # rows per transaction: one fsync for a burst of page views instead of one each
# How long a batch waits out a locked database: no customer waits on it, and the bounded queue
# takes the views meanwhile, so it can outlast a lock far longer than a customer's write does.
PATIENCE_S = 60.0
log = logging.getLogger(__name__)

Write = Callable[[Session], object]
# The searches a customer settled on in the help center's search (its results page, the box's pause or click), and
# in the help widget on another site (webapp.widget: its results page or box, "widget"): SearchEvent.source's other
# value, "contact", is the contact form's suggestions for the text being written.
SETTLED_SOURCES = ("page", "instant", "widget")
# A ticket the searching visit opened at or after the search: what "a ticket followed" means to the click feedback
# (Events.search_clicks) and the shadow log (Events.shadow_log).
TICKET_AFTER_SEARCH = (Ticket.visit_id == SearchEvent.visit_id, Ticket.created_at >= SearchEvent.created_at)
_TICKET_FOLLOWED = exists().where(*TICKET_AFTER_SEARCH).correlate(SearchEvent)
# The first ticket the searching visit opened at or after the search (ShadowSearch.ticket_id).
_FIRST_TICKET = (select(func.min(Ticket.id)).where(*TICKET_AFTER_SEARCH).correlate(SearchEvent).scalar_subquery()
                 .label("ticket_id"))
_LOGGED = SearchEvent.signals.is_not(None)
SHADOW_LOG_LIMIT = 200_000  # the newest settled searches the reports read at most


# A logged search whose first result is another language's article (desk.search_labels.answered_elsewhere): the
# cross-lingual mark its signals carry; NULL for every other search (whose JSON is then never read).
_MARK = case(
    (and_(_LOGGED, SearchEvent.first_article.is_not(None),
          func.substr(SearchEvent.first_article, 1, func.length(SearchEvent.lang) + 1) != SearchEvent.lang + "/"),
     SearchEvent.signals[CROSS_DECIDES].as_float()),
    else_=None,
).label("mark")


def _settled(since: datetime | None, until: datetime | None) -> list[Any]:
    """The customers' own settled searches (SETTLED_SOURCES) in [since, until)."""
    window: list[Any] = [SearchEvent.source.in_(SETTLED_SOURCES)]
    if since is not None:
        window.append(SearchEvent.created_at >= since)
    if until is not None:
        window.append(SearchEvent.created_at < until)
    return window


def _used_articles(session: Session, since: datetime | None) -> dict[int, list[str]]:
    """Per ticket a visit opened (since `since`: in the window, after its first search), the articles of the inserts
    a sent reply followed, in the order they were inserted (Events.shadow_log says why these)."""
    inserted, sent = aliased(SuggestionEvent), aliased(SuggestionEvent)
    uses = (
        select(inserted.ticket_id, inserted.article_key)
        .join(Ticket, Ticket.id == inserted.ticket_id)
        .where(Ticket.visit_id.is_not(None), inserted.kind == "inserted", inserted.article_key.is_not(None),
               ~inserted.article_key.startswith("macro:"),
               exists().where(sent.ticket_id == inserted.ticket_id, sent.kind == "sent",
                              sent.created_at >= inserted.created_at))
        .order_by(inserted.id)
    )
    if since is not None:
        uses = uses.where(Ticket.created_at >= since)
    used: dict[int, list[str]] = {}
    for ticket_id, key in session.execute(uses).all():
        if key not in used.setdefault(ticket_id, []):
            used[ticket_id].append(str(key))
    return used


def _last_before(newest_first: Iterable[tuple[int, int | None]]) -> dict[int, int]:
    """Ticket -> its visit's last search before it, from (search id, first ticket after it), newest search first."""
    last: dict[int, int] = {}
    for search_id, ticket_id in newest_first:
        if ticket_id is not None:
            last.setdefault(ticket_id, search_id)
    return last


# The writers to flush at exit, held weakly: a registered bound method would keep every writer (and
# its database, with its open files) alive for as long as the process runs.
_LIVE_WRITERS: weakref.WeakSet[AnalyticsWriter] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for writer in list(_LIVE_WRITERS):
        writer.flush(5.0)


class AnalyticsWriter:
    """Writes analytics off the request path: `submit` never waits; a daemon thread writes batches.

    Per process and in memory (a gunicorn worker has its own, started lazily after the fork).
    `flush` waits until everything submitted so far is written or dropped; it runs at exit too.
    `close` flushes and ends the thread; what is submitted after it is dropped (and counted).
    """

    def __init__(self, db: Database, capacity: int = 10_000, patience: float = PATIENCE_S) -> None:
        self.db = db
        self.capacity = capacity
        self.patience = patience
        self.written = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._pid = -1
        self._queue: queue.Queue[Write | None] = queue.Queue(capacity)  # None ends the thread
        self._thread: threading.Thread | None = None
        self._closed = False
        _LIVE_WRITERS.add(self)

    def submit(self, write: Write) -> bool:
        """Queue one write; False (and counted as dropped) when the queue is full or the writer closed."""
        if not self._ensure_thread():
            with self._lock:
                self.dropped += 1
            return False
        try:
            self._queue.put_nowait(write)
        except queue.Full:
            with self._lock:
                self.dropped += 1
            return False
        return True

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until every write submitted so far is done (written or dropped), `timeout` at most."""
        if self._thread is None or self._pid != os.getpid():
            return self._queue.unfinished_tasks == 0
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> bool:
        """Write what is queued (`timeout` at most), then end the thread; False when the queue did
        not drain in time (the thread then ends once it has, and what was queued is still written)."""
        with self._lock:
            self._closed = True
        _LIVE_WRITERS.discard(self)
        if self._thread is None or self._pid != os.getpid():
            return self._queue.unfinished_tasks == 0
        drained = self.flush(timeout)
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.warning("analytics writer closed with %d writes still queued", self._queue.qsize())
            return False
        if drained:
            self._thread.join(timeout)
        return drained

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"written": self.written, "dropped": self.dropped, "queued": self._queue.qsize()}

    def _ensure_thread(self) -> bool:
        """A running thread for this process (False once closed)."""
        with self._lock:
            if self._closed:
                return False
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return True
            if self._pid != os.getpid():  # a forked worker: the parent's queue and thread are not ours
                self._queue = queue.Queue(self.capacity)
                self._pid = os.getpid()
            self._thread = threading.Thread(target=self._drain, name="analytics-writer", daemon=True)
            self._thread.start()
            return True

    def _drain(self) -> None:
        while True:
            batch: list[Write] = []
            item = self._queue.get()
            while item is not None:
                batch.append(item)
                if len(batch) == BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            for _ in batch:
                self._queue.task_done()
            if item is None:  # closed: everything queued before it is written
                self._queue.task_done()
                return

    def _write(self, batch: list[Write]) -> None:
        def run(session: Session) -> None:
            for write in batch:
                write(session)

        try:
            self.db.write(run, deadline=self.patience)
        except (StorageUnavailableError, SQLAlchemyError) as error:
            # One bad row must not cost the batch: try each alone, drop and count what still fails.
            log.warning("analytics batch of %d not written (%s); writing one by one", len(batch), error)
            for write in batch:
                try:
                    self.db.write(write, deadline=self.patience)
                except Exception:
                    log.exception("analytics row dropped")
                    with self._lock:
                        self.dropped += 1
                else:
                    with self._lock:
                        self.written += 1
        else:
            with self._lock:
                self.written += len(batch)


@dataclass(frozen=True)
class AgentChoice:
    """An earlier ticket's query and an article an agent inserted for it ("lang/id"): what
    `copilot.learning` lifts for similar tickets."""

    query: str
    lang: str
    article_key: str


@dataclass(frozen=True)
class SearchClick:
    """A search that led to a click on a result, and whether the same visit then opened a ticket:
    what `copilot.click_feedback` learns from (a click not followed by a ticket answered the query)."""

    query: str
    lang: str
    article_key: str
    at: datetime  # when the search was made
    visit_id: str | None
    ticket_followed: bool
    position: int  # the clicked result's rank on the page (1 = first)


@dataclass(frozen=True)
class ShadowSearch:
    """One settled search of the shadow log (SearchEvent.signals), with what followed it: whether the visit clicked
    a result, whether it then opened a ticket, and the articles an agent answered that ticket with (`used_articles`,
    Events.shadow_log says which count). Plain data for the reports and for `desk.search_labels`."""

    id: int
    query: str
    lang: str
    at: datetime
    source: str
    abstained: bool
    result_count: int
    logged: bool  # the search carries the shadow log (not before it was kept, nor the API's `?src=` records)
    signals: dict[str, float] | None  # None: not logged, or not read (Events.shadow_log's `signals`)
    first_article: str | None  # the first result as ranked before abstention ("lang/id")
    floors: str | None  # the fingerprint of the floors that decided it (SearchEvent.floors); None: unknown
    clicked: bool
    ticket_id: int | None  # the first ticket the visit opened at or after the search
    used_articles: tuple[str, ...] = ()  # on that ticket, when this was the visit's last search before it


class Events:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.writer: AnalyticsWriter | None = None

    def write_in_background(self, capacity: int = 10_000) -> AnalyticsWriter:
        """From now on views, searches, clicks, votes and deflections are queued (the web app's mode)."""
        if self.writer is None:
            self.writer = AnalyticsWriter(self.db, capacity)
        return self.writer

    def close(self) -> None:
        """Write what the background writer holds and end its thread; later records are written directly."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _record(self, write: Write) -> None:
        if self.writer is not None:
            self.writer.submit(write)
        else:
            with self.db.session() as session:
                write(session)

    def search(
        self,
        query: str,
        lang: str,
        result_count: int,
        abstained: bool,
        fallback: bool = False,
        visit_id: str | None = None,
        source: str = "page",
        signals: Mapping[str, object] | None = None,
        first_article: str | None = None,
        floors: str | None = None,
        typed_query: str | None = None,
    ) -> str:
        """Record a search; returns its token, which a later `click` names it by. `signals`, `first_article` and
        `floors` are the shadow log (SearchEvent.signals): what the floors compared, the first result as ranked before
        abstention (the key of what an unfloored search would have shown first), and which floors compared them
        (copilot.tuning.SearchTuning.floors_fingerprint). `typed_query`: what was typed, when `query` (what was
        searched) is its other keyboard layout's reading (SearchEvent.typed_query)."""
        token = secrets.token_urlsafe(12)
        event = SearchEvent(token=token, visit_id=visit_id, query=query[:600], lang=lang, result_count=result_count,
                            abstained=abstained, fallback=fallback, source=source,
                            first_article=first_article[:300] if first_article else None,
                            floors=floors[:16] if floors else None,
                            typed_query=typed_query[:600] if typed_query else None)
        if signals is not None:  # left unset otherwise: SQL NULL, where a None would be stored as JSON null
            event.signals = shadow_signals(signals)
        self._record(lambda session: session.add(event))
        return token

    def click(self, search_token: str, article_key: str, position: int, visit_id: str | None) -> None:
        """Mark which result a search led to; only the visit that searched may mark it."""
        if not search_token or len(search_token) > 32 or not 0 < position <= 1000:
            return
        self._record(lambda session: session.execute(
            update(SearchEvent)
            .where(SearchEvent.token == search_token, SearchEvent.visit_id == visit_id)
            .values(clicked_article=article_key[:300], clicked_position=position)
        ))

    def feedback(
        self, article_key: str, helpful: bool, comment: str | None, visit_id: str | None, reason: str | None = None
    ) -> None:
        """An article's "Was this helpful?"; after a "no", what went wrong (`reason`, VOTE_REASONS) and a comment."""
        reason, comment = vote_reason(helpful, reason), vote_comment(comment, MAX_COMMENT)

        def write(session: Session) -> None:
            # One visit's vote on one article counts once: a second vote (back and again, a resend) replaces it.
            earlier = _visits_vote(session, ArticleFeedback, visit_id, ArticleFeedback.article_key == article_key)
            if earlier is None:
                session.add(ArticleFeedback(article_key=article_key, helpful=helpful, comment=comment, reason=reason,
                                            visit_id=visit_id))
            else:
                earlier.helpful, earlier.comment, earlier.reason = helpful, comment, reason
                earlier.created_at = utcnow()

        self._record(write)

    def answer_feedback(
        self,
        article_key: str,
        anchor: str,
        query: str,
        lang: str,
        helpful: bool,
        visit_id: str | None,
        generated_by: str = "extractive",
        source: str = "search",
        reason: str | None = None,
        comment: str | None = None,
    ) -> None:
        """A vote on an answer card ("Did this answer your question?"), kept like article votes but
        with the section and the query it answered, so the content team sees which cards fail whom;
        after a "no", what went wrong (`reason`) and a short comment, which replace the bare "no"."""
        row = AnswerFeedback(article_key=article_key[:300], anchor=anchor[:300], query=query[:600], lang=lang[:8],
                             helpful=helpful, generated_by=generated_by[:40], source=source[:20], visit_id=visit_id,
                             reason=vote_reason(helpful, reason), comment=vote_comment(comment, MAX_VOTE_COMMENT))

        def write(session: Session) -> None:
            # One visit's vote on one card for one query counts once, the latest (as article votes).
            earlier = _visits_vote(session, AnswerFeedback, visit_id, AnswerFeedback.article_key == row.article_key,
                                   AnswerFeedback.anchor == row.anchor, AnswerFeedback.query == row.query)
            if earlier is None:
                session.add(row)
            else:
                earlier.helpful, earlier.generated_by, earlier.created_at = helpful, row.generated_by, utcnow()
                earlier.reason, earlier.comment = row.reason, row.comment

        self._record(write)

    def view(self, article_key: str, visit_id: str | None) -> None:
        row = ArticleView(article_key=article_key, visit_id=visit_id)
        self._record(lambda session: session.add(row))

    def most_viewed(self, lang: str, days: int = 30, limit: int = 5) -> list[str]:
        """Article keys of one language by page views over the last `days`."""
        since = utcnow() - timedelta(days=days)
        with self.db.session() as session:
            rows = session.execute(
                select(ArticleView.article_key, func.count().label("views"))
                .where(ArticleView.article_key.startswith(f"{lang}/"), ArticleView.created_at >= since)
                .group_by(ArticleView.article_key)
                .order_by(func.count().desc(), ArticleView.article_key)
                .limit(limit)
            ).all()
        return [row[0] for row in rows]

    def deflection(self, visit_id: str, article_key: str) -> None:
        row = Deflection(visit_id=visit_id, article_key=article_key)
        self._record(lambda session: session.add(row))

    def suggestion(
        self,
        ticket_id: int,
        kind: str,
        agent_id: int | None = None,
        article_key: str | None = None,
        url: str | None = None,
        rank: int | None = None,
        score: float | None = None,
        edit_distance: int | None = None,
        reason: str | None = None,
        details: dict | None = None,
    ) -> None:
        if kind not in SUGGESTION_EVENTS:
            raise InputError("kind", N_("must be one of %(allowed)s"), allowed=", ".join(SUGGESTION_EVENTS))
        self.db.write(lambda session: session.add(  # again while the database is busy
            SuggestionEvent(
                ticket_id=ticket_id,
                agent_id=agent_id,
                kind=kind,
                article_key=article_key,
                url=url,
                rank=rank,
                score=score,
                edit_distance=edit_distance,
                reason=(reason or None) and reason[:500],
                details=details or {},
            )
        ))

    def suggestion_events(self, ticket_id: int) -> list[SuggestionEvent]:
        with self.db.session() as session:
            return list(session.scalars(
                select(SuggestionEvent).where(SuggestionEvent.ticket_id == ticket_id).order_by(SuggestionEvent.id)
            ))

    def agent_choices(self, limit: int = 5000) -> list[AgentChoice]:
        """Articles agents inserted (newest first), each with the query its ticket's suggestions were made for."""
        inserted, shown = aliased(SuggestionEvent), aliased(SuggestionEvent)
        with self.db.session() as session:
            rows = session.execute(
                select(inserted.ticket_id, inserted.article_key, shown.details)
                .join(shown, (shown.ticket_id == inserted.ticket_id) & (shown.kind == "shown"))
                .where(inserted.kind == "inserted", inserted.article_key.is_not(None))
                .order_by(inserted.id.desc(), shown.id.desc())
                .limit(limit)
            ).all()
        choices: dict[tuple[int, str], AgentChoice] = {}
        for ticket_id, key, details in rows:
            if (ticket_id, key) not in choices and details.get("query"):
                choices[(ticket_id, key)] = AgentChoice(details["query"], details.get("lang", ""), key)
        return list(choices.values())

    def search_clicks(self, since: datetime, limit: int = 100_000) -> list[SearchClick]:
        """Searches since `since` that a visit clicked a result of, newest first, `limit` at most;
        `ticket_followed` when that visit created a ticket at or after the search."""
        followed = _TICKET_FOLLOWED
        with self.db.session() as session:
            rows = session.execute(
                select(
                    SearchEvent.query, SearchEvent.lang, SearchEvent.clicked_article, SearchEvent.created_at,
                    SearchEvent.visit_id, followed, SearchEvent.clicked_position,
                )
                .where(
                    SearchEvent.clicked_article.is_not(None),
                    SearchEvent.visit_id.is_not(None),
                    SearchEvent.created_at >= since,
                )
                .order_by(SearchEvent.id.desc())
                .limit(limit)
            ).all()
        return [
            SearchClick(query, lang, str(key), as_utc(at), visit, bool(ticket), int(position or 1))
            for query, lang, key, at, visit, ticket, position in rows
        ]

    def shadow_log(self, since: datetime | None = None, until: datetime | None = None, limit: int = SHADOW_LOG_LIMIT,
                   signals: bool = True, ticketed: bool = False) -> list[ShadowSearch]:
        """Settled searches in [since, until), oldest first (`limit` newest at most), each with the ticket its visit
        opened at or after it and the help-center articles an agent answered that ticket with; their signals unless
        `signals` is False (the reports count them only: decoding them is a third of the time, 20,000 searches).

        An article counts as used when an agent inserted it (a copilot passage or draft, "inserted" with its
        article key) and a reply carrying inserted text was then sent on the ticket ("sent" at or after it):
        an insert alone may have been deleted again, "edited" and "sent" name no article, "applied" is a macro
        ("macro:" keys), and "shown" or "rejected" say nothing of use. The articles go to the visit's last search
        before the ticket, the one the contact form carried (webapp.visits.last_search): a visit's earlier searches
        may have been about something else. Whether an article is one customers can read is the caller's to check
        (the desk knows no audiences).

        Only the customers' own settled searches (SETTLED_SOURCES): the contact form searches the subject and message
        as they are typed ("contact", for its suggestions), which is neither a question typed into search nor the
        search the ticket came from.

        `ticketed`: only the searches a ticket followed (the false-abstention list needs no other; a tenth of a busy
        month's rows); the visit's last search before its ticket is among them, so `used_articles` is unchanged."""
        searches = select(
            SearchEvent.id, SearchEvent.query, SearchEvent.lang, SearchEvent.created_at, SearchEvent.source,
            SearchEvent.abstained, SearchEvent.result_count, SearchEvent.signals.is_not(None).label("logged"),
            (SearchEvent.signals if signals else null()).label("signals"), SearchEvent.first_article,
            SearchEvent.floors, SearchEvent.clicked_article.is_not(None).label("clicked"), _FIRST_TICKET,
        ).where(*_settled(since, until))
        if ticketed:
            searches = searches.where(_TICKET_FOLLOWED)
        with self.db.session() as session:
            rows = session.execute(searches.order_by(SearchEvent.id.desc()).limit(limit)).all()
            used = _used_articles(session, since)
        last_before = _last_before((row.id, row.ticket_id) for row in rows)
        return [
            ShadowSearch(
                search_id, query, lang, as_utc(at), source, bool(abstained), count, bool(logged), stored, first,
                floors, bool(clicked), ticket,
                tuple(used.get(ticket, ())) if last_before.get(ticket) == search_id else (),
            )  # unpacked rather than read by name: 100,000 rows are read on a busy month
            for search_id, query, lang, at, source, abstained, count, logged, stored, first, floors, clicked, ticket
            in reversed(rows)
        ]

    def search_tallies(self, since: datetime | None = None, limit: int = SHADOW_LOG_LIMIT) -> TalliedLog:
        """The shadow log of `shadow_log(since, limit=limit)` as the abstention and floors reports read it: its
        searches counted in SQL by what they read (desk.search_labels.Alike) and outcome (SearchTally), and the few
        an agent then answered from an article one by one (CitedSearch, `used_articles` as shadow_log gives them).
        A busy month's 100,000 searches were 100,000 objects built and labelled one by one on each open of those
        reports (seconds, bench/shadow_log_bench.py); grouped, they are one row per question and outcome.

        `mark` is read from the stored signals (the JSON column) for the searches `answered_elsewhere` only."""
        clicked = SearchEvent.clicked_article.is_not(None)
        with self.db.session() as session:
            window = _settled(since, None)
            cutoff = session.scalar(select(SearchEvent.id).where(*window).order_by(SearchEvent.id.desc())
                                    .offset(limit - 1).limit(1))
            if cutoff is not None:  # shadow_log's `limit` newest searches
                window.append(SearchEvent.id >= cutoff)
            alike = (SearchEvent.lang, SearchEvent.query, _LOGGED, SearchEvent.first_article, SearchEvent.floors,
                     _MARK)
            # Counted without asking whether a ticket followed (a subquery per search, per count), then corrected
            # by the searches a ticket did follow, a tenth of a busy month's, read one by one.
            counted = session.execute(
                select(*alike, func.count(), func.sum(case((SearchEvent.abstained.is_(True), 1), else_=0)),
                       func.sum(case((and_(SearchEvent.abstained.is_(False), clicked), 1), else_=0)),
                       func.max(SearchEvent.id))
                .where(*window).group_by(*alike)
            ).all()
            ticketed = session.execute(
                select(SearchEvent.id, _FIRST_TICKET, SearchEvent.abstained, clicked, *alike)
                .where(*window, _TICKET_FOLLOWED).order_by(SearchEvent.id.desc())
            ).all()
            used = _used_articles(session, since)
        # The columns' types give bools, floats and ints on both databases: each row is taken as it comes.
        tallies = {Alike._make(row[:6]): row[6:] for row in counted}
        outcomes: dict[Alike, list[int]] = {}  # shown and clicked, shown and not, hidden, hidden and not clicked
        answered: list[CitedSearch] = []
        last_before: dict[int, int] = {}
        for search_id, ticket_id, hid, was_clicked, *row in ticketed:  # newest first
            alike_of = Alike._make(row)
            counts = outcomes.setdefault(alike_of, [0, 0, 0, 0])
            counts[(2 if hid else 0) + (0 if was_clicked else 1)] += 1
            if ticket_id not in last_before:
                last_before[ticket_id] = search_id
                if ticket_id in used:
                    answered.append(CitedSearch(alike_of, search_id, bool(hid), tuple(used[ticket_id])))
        out = []
        for alike_of, (searches, hid, shown_clicked, newest) in tallies.items():
            good_ticket, bad, hid_clicked, hid_unclicked = outcomes.get(alike_of, (0, 0, 0, 0))
            out.append(SearchTally(alike_of, searches, hid, searches - hid, shown_clicked - good_ticket, bad,
                                   hid_clicked + hid_unclicked, hid_unclicked, newest))
        return TalliedLog(out, answered[::-1])

    def newest_searches(self, ids: Sequence[int]) -> dict[int, tuple[bool, dict[str, float]]]:
        """Whether these logged searches abstained, and their stored signals: the floors report's newest search of
        each labelled question (desk.floor_evidence)."""
        out: dict[int, tuple[bool, dict[str, float]]] = {}
        with self.db.session() as session:
            for start in range(0, len(ids), SIGNAL_BATCH):
                chunk = list(ids[start:start + SIGNAL_BATCH])
                for search_id, hid, stored in session.execute(
                    select(SearchEvent.id, SearchEvent.abstained, SearchEvent.signals)
                    .where(SearchEvent.id.in_(chunk), _LOGGED)
                ).all():
                    out[int(search_id)] = bool(hid), dict(stored)
        return out

    def search_signals(self, ids: Sequence[int]) -> dict[int, dict[str, float]]:
        """The stored signals of these searches (those with a shadow log): what `kb floors` and the floors report read
        for the one newest search of each labelled question, instead of decoding every search's JSON in the window
        (three fifths of the report at 100,000 searches, bench/shadow_log_bench.py)."""
        out: dict[int, dict[str, float]] = {}
        with self.db.session() as session:
            for start in range(0, len(ids), SIGNAL_BATCH):
                chunk = list(ids[start:start + SIGNAL_BATCH])
                for search_id, stored in session.execute(
                    select(SearchEvent.id, SearchEvent.signals).where(SearchEvent.id.in_(chunk),
                                                                      SearchEvent.signals.is_not(None))
                ).all():
                    out[int(search_id)] = dict(stored)
        return out

    def content_gap(self, query: str, lang: str, ticket_id: int | None = None) -> None:
        """One gap per ticket however often its page is opened (the copilot re-answers each time)."""

        def write(session: Session) -> None:
            if ticket_id is not None and session.scalar(
                select(ContentGap.id).where(ContentGap.ticket_id == ticket_id).limit(1)
            ) is not None:
                return
            session.add(ContentGap(ticket_id=ticket_id, query=query[:600], lang=lang))

        self.db.write(write)  # again while the database is busy


    def suggestion_shown(self, ticket_id: int, agent_id: int, version: str, details: dict) -> bool:
        """Record "shown" once per agent and ticket version (thread + index); False when already recorded.

        The ticket page asks for this by POST after it rendered, so reloading a page (a GET) writes
        nothing and the counts mean "agents who saw these suggestions", not "page loads".
        """

        def write(session: Session) -> bool:
            earlier = session.scalars(
                select(SuggestionEvent.details).where(
                    SuggestionEvent.ticket_id == ticket_id,
                    SuggestionEvent.agent_id == agent_id,
                    SuggestionEvent.kind == "shown",
                )
            )
            if any((d or {}).get("version") == version for d in earlier):
                return False
            session.add(SuggestionEvent(ticket_id=ticket_id, agent_id=agent_id, kind="shown",
                                        details={**details, "version": version}))
            return True

        return self.db.write(write)  # again while the database is busy


SIGNAL_BATCH = 500  # ids per IN (...) read: well under SQLite's and PostgreSQL's bound parameters
SIGNAL_DECIMALS = 4  # the floors compare to 0.01 or coarser (copilot.retrieval's constants); 4 places lose nothing


def shadow_signals(signals: Mapping[str, object]) -> dict[str, float]:
    """A search's abstention signals as stored: finite numbers rounded to SIGNAL_DECIMALS places. A NaN or an
    infinity (a score over an empty scale) is left out rather than failing the write: JSON has no such number, and
    one bad float must not cost the search's row."""
    out: dict[str, float] = {}
    for name, value in signals.items():
        if isinstance(value, bool) or not isinstance(value, SupportsFloat):
            continue
        number = float(value)
        if math.isfinite(number):
            out[str(name)[:60]] = round(number, SIGNAL_DECIMALS)
    return out


def vote_reason(helpful: bool, reason: str | None) -> str | None:
    """What went wrong, one of VOTE_REASONS; none for a "yes" (nothing went wrong) or when not given."""
    if helpful or not reason:
        return None
    if reason not in VOTE_REASONS:
        raise InputError("reason", N_("must be one of %(allowed)s, not %(value)s"),
                         allowed=", ".join(VOTE_REASONS), value=repr(reason[:40]))
    return reason


def vote_comment(comment: str | None, limit: int) -> str | None:
    """A reader's comment as plain text: markup dropped (its text kept), controls removed, at most `limit`."""
    text = plain_text(html_to_lines(comment or ""))
    if len(text) > limit:
        raise InputError("comment", N_("is %(length)s characters long; the limit is %(limit)s"),
                         length=f"{len(text):,}", limit=f"{limit:,}")
    return text or None


def _visits_vote(session: Session, model: Any, visit_id: str | None, *same: Any) -> Any:
    """The visit's latest vote on the same thing (article, or card and query), which a new vote replaces; None
    for a vote with no visit (nothing to tell it from another reader's)."""
    if not visit_id:
        return None
    return session.scalar(select(model).where(model.visit_id == visit_id, *same).order_by(model.id.desc()).limit(1))
