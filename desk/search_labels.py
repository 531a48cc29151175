"""What a help center's own search log says about its queries: answerable, or not answered (issue #18).

One rule, read by the product's abstention report (desk.reports) and by the offline measurement of floors fitted on
such labels (bench/log_floors.py, which simulates the log): pure functions over plain data, no SQL, so a worker that
one day fits floors from the stored log (desk.events.Events.shadow_log) labels it the same way.

Two kinds of evidence:

- **Behaviour** (`behaviour_labels`): a good visit clicked a result and no ticket followed; a bad one clicked nothing
  and a ticket followed. The product's rule is "share" (LABEL_RULE): on the simulated logs it gave the floors that
  transfer best (bench/RESULTS.md "### Session 21, logfloors21": GNOME 61% of out-of-scope flagged at 4.0% of
  answerable after 30 days, "majority" 28%).
- **The desk's** (`search_labels`): a search whose visit then opened a ticket that an agent answered with a help
  center article through the copilot was answerable, by that article, whatever the customer clicked.

A search the floors abstained on showed nothing, so its customer could click nothing: its behaviour says nothing of
whether it was answerable, and labelling it "not answered" teaches floors their own mistakes (logfloors21, shown
shipped: 4.6-10% of answerable flagged). `search_labels` therefore reads behaviour from the searches that showed
results only; an abstained search is labelled by the desk's evidence alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

from copilot.word_folding import query_key
from desk.query_text import normalise_query

LABEL_RULES = ("majority", "share")
LABEL_RULE = "share"  # the product's (see the module docstring)

Key = tuple[str, str]  # (language, question_key(query)); bench/log_floors.py keys its simulated log the same way
FOLDED_QUERIES = 1 << 17  # distinct queries whose key is kept (question_key): a busy month's 20,000 and more


@lru_cache(maxsize=FOLDED_QUERIES)
def question_key(query: str) -> str:
    """One question however it is typed: copilot.word_folding.query_key, the key click feedback learns by (folded
    words, each once, sorted: "reset password" and "Password reset!" are one question), so a label and a click
    speak of the same question. Keyed by case and spaces only, the word-order, punctuation and Arabic-prefix
    variants of one question were each its own, thinner-labelled question (bench/RESULTS.md labelkey23).

    A query with no word to fold (only punctuation or emoji) keys by its spelling (desk.query_text.normalise_query):
    an empty key would make every such query ("?", "!!!", an emoji) one question whose label mixes unrelated
    visits, and leaving them unlabelled would drop searches customers did make from the report's count of
    questions. Such a key never meets a folded one: folded keys are words, it has none.

    Kept per query for the process (a pure function of the text): folding a busy month's 20,000 distinct queries
    took longer than counting its 100,000 searches, on every open of a report (bench/shadow_log_bench.py)."""
    return query_key(query) or normalise_query(query)


@dataclass(frozen=True)
class Visit:
    """One search as behaviour labels read it: its query's key, whether a result was clicked, whether a ticket
    followed in the same visit."""

    key: Key
    clicked: bool
    ticket: bool
    cited: bool = False  # the visit's ticket was answered with an article of the help center (the desk's evidence)


@dataclass(frozen=True)
class LoggedSearch:
    """One settled search as the desk's labels read it. `answered_by`: the help-center articles an agent answered
    the ticket this search led to with (empty when none did, or no ticket followed)."""

    key: Key
    abstained: bool
    clicked: bool
    ticket: bool
    answered_by: tuple[str, ...] = ()


def behaviour_labels(visits: Iterable[Visit], rule: str = "majority") -> dict[Key, bool]:
    """Per query, True = not answered, False = answerable, no entry = no label. A query with a cited visit (its
    ticket answered with an article) is answerable whatever else its log says. Otherwise a good visit clicked a
    result and no ticket followed; a bad one clicked nothing and a ticket followed (`behaviour_label`)."""
    _known(rule)
    good: Counter[Key] = Counter()
    bad: Counter[Key] = Counter()
    every: Counter[Key] = Counter()
    cited: set[Key] = set()
    for visit in visits:
        every[visit.key] += 1
        good[visit.key] += visit.clicked and not visit.ticket
        bad[visit.key] += not visit.clicked and visit.ticket and not visit.cited
        if visit.cited:
            cited.add(visit.key)
    out = {key: label for key in every if (label := behaviour_label(good[key], bad[key], every[key], rule)) is not None}
    return {**out, **dict.fromkeys(cited, False)}


def behaviour_label(good: int, bad: int, every: int, rule: str = "majority") -> bool | None:
    """One query's label from its visits, none cited: `good` and `bad` of `every` (at least one). "majority": more
    bad visits than good ones is not answered, more good than bad answerable, a tie none. "share": good visits half
    or more of all the query's visits is answerable, fewer with at least one bad visit not answered (a customer who
    clicks a wrong result and leaves without a ticket is not counted as an answer unless half the visits are like
    that). The one rule of `behaviour_labels` (visit by visit) and `tally_labels` (searches counted by SQL)."""
    if rule == "majority":
        return None if bad == good else bad > good
    if good * 2 >= every or bad:
        return good * 2 < every
    return None


def _known(rule: str) -> None:
    if rule not in LABEL_RULES:
        raise ValueError(f"unknown label rule {rule!r} (majority, share)")


def search_labels(searches: Iterable[LoggedSearch]) -> dict[Key, bool]:
    """Per query, True = not answered, False = answerable (LABEL_RULE): the searches that showed results, and the
    abstained ones an agent answered from an article (cited: answerable, whatever behaviour said: the customer did
    not find it; the help center had it). An abstained search nobody answered from an article says nothing."""
    return behaviour_labels(
        (Visit(s.key, s.clicked, s.ticket, bool(s.answered_by)) for s in searches if not s.abstained or s.answered_by),
        LABEL_RULE,
    )


def false_abstention(search: LoggedSearch) -> bool:
    """The help center told the customer nothing fits, and an agent answered them from the help center."""
    return search.abstained and bool(search.answered_by)


class Alike(NamedTuple):
    """What the abstention and floors reports read of a settled search besides its outcome: searches alike in
    these are counted together (SearchTally)."""

    lang: str
    query: str
    logged: bool  # it carries the shadow log (signals)
    first_article: str | None
    floors: str | None  # the fingerprint of the floors that decided it
    mark: float | None  # its CROSS_DECIDES signal when `answered_elsewhere`, else None


@dataclass(frozen=True)
class SearchTally:
    """Settled searches alike (`alike`), counted by outcome: what the reports read of a window's log without an
    object per search (desk.events.Events.search_tallies groups them in SQL; desk.reports.tally_log a list)."""

    alike: Alike
    searches: int
    abstained: int
    shown: int  # not abstained: results shown
    shown_good: int  # ... a result clicked and no ticket followed
    shown_bad: int  # ... nothing clicked and a ticket followed
    hidden_ticket: int  # abstained, and a ticket followed
    hidden_unclicked: int  # ... and nothing clicked
    newest: int  # the newest search's id


@dataclass(frozen=True)
class CitedSearch:
    """A search an agent answered from the help center (LoggedSearch.answered_by), also counted in its tally."""

    alike: Alike
    id: int
    abstained: bool
    answered_by: tuple[str, ...]


@dataclass(frozen=True)
class TalliedLog:
    tallies: list[SearchTally]
    cited: list[CitedSearch]  # only those with an article customers can read (desk.reports filters)


def tally_key(tally: SearchTally | CitedSearch) -> Key:
    return tally.alike.lang, question_key(tally.alike.query)


def tally_labels(tallies: Iterable[SearchTally], cited: Iterable[Key], judged: bool = False) -> dict[Key, bool]:
    """`search_labels` over counted searches: the same labels as LoggedSearch by LoggedSearch (a cited query is
    answerable whatever its counts; an abstained search otherwise says nothing). `judged`: an abstained search a
    ticket followed reads as a visit that found nothing and wrote (desk.floor_evidence's judged labels)."""
    good: Counter[Key] = Counter()
    bad: Counter[Key] = Counter()
    every: Counter[Key] = Counter()
    for tally in tallies:
        key = tally_key(tally)
        every[key] += tally.shown + (tally.hidden_ticket if judged else 0)
        good[key] += tally.shown_good
        bad[key] += tally.shown_bad + (tally.hidden_unclicked if judged else 0)
    out = {key: label for key, n in every.items()
           if n and (label := behaviour_label(good[key], bad[key], n, LABEL_RULE)) is not None}
    return {**out, **dict.fromkeys(cited, False)}


class Searched(Protocol):
    """What `answered_elsewhere` reads: a desk.events.ShadowSearch, or an Alike."""

    @property
    def lang(self) -> str: ...
    @property
    def logged(self) -> bool: ...
    @property
    def first_article(self) -> str | None: ...


def answered_elsewhere(search: Searched) -> bool:
    """A logged search whose first result is another language's article: its signals say which floors judged it
    (desk.floor_evidence)."""
    return search.logged and search.first_article is not None and not search.first_article.startswith(
        f"{search.lang}/")
