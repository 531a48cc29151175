"""Learning from customers' clicks: a result customers chose for a query ranks a little higher for it.

A search followed by a click on a result, and NOT by a ticket in the same visit, says that result
answered that query; a click followed by a ticket says the customer read it and still had to write.
Per query (folded as the lexical side folds it: case, Arabic letter variants and prefixes, word
order; see copilot.word_folding.query_key) and language, each article earns:

    boost = MAX_BOOST x share x confidence

- share: the article's satisfied clicks over all the query's clicks (satisfied or followed by a
  ticket), so noise clicks spread over wrong results earn little; a click on a lower rank counts
  more (POSITION_BIAS: customers look at the first results most, so choosing a lower one says more);
- confidence: satisfied / (satisfied + PRIOR_VISITS), so three visits lift less than thirty;
- every click weighs 0.5 ** (age / half-life): what customers chose last year fades;
- a visit counts once per query and article however often it clicked (a few spam clicks are one
  visit), and an article needs clicks from `min_visits` distinct visits before it earns anything.

The boost is a multiplier on the result's score applied by `copilot.learning.rerank` (the agents'
learning uses the same): a boosted result moves up only past results its lifted score beats, so it
reorders near-ties and never carries a weak match past a strong one. It never lifts an internal
article for the public audience (`reorder`). Search itself never applies it: the web app does, when
`KB_CLICK_FEEDBACK` is on, so evaluation (bench/eval_retrieval.py) always measures search without
it; bench/click_replay_bench.py measures it by replaying a simulated click log split in time.

The desk stores the clicks and the web app hands them over as plain data (`Click`); the learned
table is computed by the worker (`learn`, then `ClickTable.save`) and read by web processes from
its file when it changes (`StoredClickBoosts`), so no customer's search waits on the aggregation.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from copilot.learning import rerank
from copilot.retrieval import SearchResult
from copilot.word_folding import query_key
from kb.audience import Audience, sees_internal

# The largest lift: the agents' learning caps at 0.2 too (copilot.learning.MAX_BOOST). With the
# default weighted RRF (k=10) the first result of every source scores ~9% above the second and
# ~36% above the fifth, and a title match adds up to 0.4 of a first place, so 0.2 moves a result past
# near ties, not from the bottom of a page to its top. bench/click_replay_bench.py: larger caps gain
# more on the simulated logs (m365 EN 0.724 at 0.2, 0.815 at 0.4) but that log's clicks follow the
# labels; real customers also click attractive titles that do not answer, which a small cap bounds.
MAX_BOOST = 0.2
# Pseudo-visits of doubt: with 2, three satisfied visits give 60% of the boost a share earns, ten 83%.
PRIOR_VISITS = 2.0
# Clicks older than this many half-lives weigh under 1/64 and are not read at all.
HORIZON_HALF_LIVES = 6
FILE_VERSION = 1
# Customers see the first results more than the rest, so a click on rank r counts r ** POSITION_BIAS
# in an article's share (inverse propensity, capped at rank MAX_POSITION_WEIGHT so one click deep in
# the page cannot outweigh many). bench/click_replay_bench.py (5 simulated logs per domain, min
# visits 3, cap 0.2), MRR@10 of the later searches with feedback, bias 0 -> 1: demo AR 0.906 ->
# 0.907, EN 0.937 both; m365 AR 0.734 -> 0.736, EN 0.724 both. It helps one and costs the other
# nothing, and more with a larger cap (m365 AR at 0.3: 0.739 -> 0.751).
POSITION_BIAS = 1.0
MAX_POSITION_WEIGHT = 5


class Click(Protocol):
    """One search that led to a click: what the desk stores (`desk.events.SearchClick`) and hands
    over as plain data, so the desk never imports search."""

    @property
    def query(self) -> str: ...
    @property
    def lang(self) -> str: ...
    @property
    def article_key(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def visit_id(self) -> str | None: ...
    @property
    def ticket_followed(self) -> bool: ...
    @property
    def position(self) -> int: ...


@dataclass(frozen=True)
class FeedbackPolicy:
    """How clicks become boosts; the web app builds it from `Settings` (KB_CLICK_*)."""

    half_life_days: float = 30.0
    min_visits: int = 3
    max_boost: float = MAX_BOOST
    position_bias: float = POSITION_BIAS

    def __post_init__(self) -> None:
        if self.half_life_days <= 0:
            raise ValueError(f"half_life_days must be above 0, not {self.half_life_days}")
        if self.min_visits < 1:
            raise ValueError(f"min_visits must be at least 1, not {self.min_visits}")
        if not 0 <= self.max_boost <= 1:
            raise ValueError(f"max_boost must be from 0 to 1, not {self.max_boost}")

    @property
    def horizon_days(self) -> float:
        """How far back clicks are worth reading."""
        return self.half_life_days * HORIZON_HALF_LIVES


@dataclass(frozen=True)
class ClickTable:
    """Learned boosts: language -> query key -> article key ("lang/id") -> boost in (0, max_boost]."""

    boosts: Mapping[str, Mapping[str, Mapping[str, float]]]
    computed_at: datetime | None = None

    def __call__(self, query: str, lang: str) -> dict[str, float]:
        return dict(self.boosts.get(lang, {}).get(query_key(query), {}))

    def __len__(self) -> int:
        return sum(len(articles) for queries in self.boosts.values() for articles in queries.values())

    def save(self, path: Path) -> None:
        """Write atomically (a temporary file renamed over the old one): a reader sees the old
        table or the new one, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "version": FILE_VERSION,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "boosts": self.boosts,
        }
        handle, temporary = tempfile.mkstemp(prefix=path.name, dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(body, out, ensure_ascii=False, sort_keys=True)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> ClickTable:
        """Read a saved table; a file of another shape is an error naming the file."""
        body = json.loads(path.read_text("utf-8"))
        shaped = isinstance(body, dict) and isinstance(body.get("boosts"), dict)
        if not shaped or body.get("version") != FILE_VERSION:
            raise ValueError(f"{path}: not a click feedback table of version {FILE_VERSION}")
        computed = body.get("computed_at")
        return cls(body["boosts"], datetime.fromisoformat(computed) if computed else None)


EMPTY = ClickTable({})


@dataclass(frozen=True)
class _Vote:
    decay: float  # 0.5 ** (age / half-life): what the confidence counts
    share_weight: float  # decay x the position weight: what the share counts
    satisfied: bool  # no ticket followed in the visit


def learn(clicks: Iterable[Click], now: datetime, policy: FeedbackPolicy = FeedbackPolicy()) -> ClickTable:
    """The boosts these clicks earn at `now` (see the module's docstring for the rule)."""
    # (lang, query key) -> article -> visit -> _Vote: each visit once, its most recent click.
    votes: dict[tuple[str, str], dict[str, dict[str, _Vote]]] = defaultdict(lambda: defaultdict(dict))
    for click in clicks:
        if not click.visit_id or not click.article_key:
            continue  # a click no visit owns cannot be counted once per visit
        age_days = max(0.0, (now - click.at).total_seconds() / 86400)
        if age_days > policy.horizon_days:
            continue
        key = query_key(click.query)
        if not key:
            continue
        decay = 0.5 ** (age_days / policy.half_life_days)
        seen = min(max(click.position, 1), MAX_POSITION_WEIGHT) ** policy.position_bias
        by_visit = votes[(click.lang, key)][click.article_key]
        earlier = by_visit.get(click.visit_id)
        if earlier is None or decay > earlier.decay:
            by_visit[click.visit_id] = _Vote(decay, decay * seen, not click.ticket_followed)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for (lang, key), articles in votes.items():
        total = sum(vote.share_weight for visits in articles.values() for vote in visits.values())
        for article, visits in articles.items():
            satisfied = [vote for vote in visits.values() if vote.satisfied]
            if len(satisfied) < policy.min_visits or total <= 0:
                continue
            share = sum(vote.share_weight for vote in satisfied) / total
            mass = sum(vote.decay for vote in satisfied)
            boost = policy.max_boost * share * mass / (mass + PRIOR_VISITS)
            if boost > 1e-4:
                table.setdefault(lang, {}).setdefault(key, {})[article] = round(boost, 4)
    return ClickTable(table, now)


def reorder(result: SearchResult, boosts: Mapping[str, float], audience: Audience) -> SearchResult:
    """The result with boosted hits moved up (copilot.learning.rerank); an internal article is
    never lifted for an audience that may not see it, whatever the table says."""
    if not boosts or not result.results:
        return result
    allowed = {
        hit.key: boosts[hit.key]
        for hit in result.results
        if hit.key in boosts and (not hit.internal or sees_internal(audience))
    }
    if not allowed:
        return result
    return replace(result, results=tuple(rerank(result.results, allowed)))


class StoredClickBoosts:
    """The table the worker saved, re-read by a web process when the file changes (a stat per
    search); until a first table exists, and if the file cannot be read, nothing is boosted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._table = EMPTY
        self._lock = threading.Lock()

    def table(self) -> ClickTable:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return EMPTY
        stamp = (status.st_mtime_ns, status.st_size)
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._table = ClickTable.load(self.path)
                except (OSError, ValueError):
                    self._table = EMPTY  # a broken file boosts nothing rather than failing searches
                self._stamp = stamp
            return self._table

    def __call__(self, query: str, lang: str) -> dict[str, float]:
        return self.table()(query, lang)

    def reorder(self, result: SearchResult, audience: Audience) -> SearchResult:
        return reorder(result, self(result.query, result.lang), audience)

