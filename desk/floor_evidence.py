"""The stored search log as evidence for abstention floors, per language and per cross-lingual direction (`kb floors`,
issue #18).

`kb floors` (webapp.floor_commands) fits floors on a help center's own log with copilot.learnt_floors and lets them
replace the floors in use only if the log's own evidence says they do better (the guard, bench/RESULTS.md guard22).
This module reads that evidence from the shadow log (Events.shadow_log through desk.reports.answered_log, so an
agent's internal article never counts as an answer) and labels it with the one rule the abstention report uses
(desk.search_labels.search_labels; one question per desk.search_labels.question_key, as click feedback keys queries):

- **taught** labels: the searches that showed results, and the abstained ones an agent answered from an article;
- **judged** labels: the same plus the abstained searches whose ticket no agent answered from the help center (an
  agent writing from scratch: the floors' likely right abstentions). They judge the floors and never teach them:
  the floors' own abstention is no evidence for them to learn from (search_labels' docstring).

Each labelled query carries the signals of its newest logged search (the index as it is now) and whether that search
abstained. A language's evidence is the searches its same-language floors (`abstain_floors`) decide. A search only the
other language's articles answered (copilot.retrieval's `_abstains(..., only_elsewhere=True)`, which marks it with
the CROSS_DECIDES signal) is evidence for its direction's cross-lingual floors ("ar>en": Arabic questions, English
articles; `cross_floors`) when those floors decided it, labelled apart from the language's own questions by the same
rule. Left out and counted: a search without the shadow log (no signals); when the caller names the floors in use (their
fingerprint, copilot.tuning.SearchTuning.floors_fingerprint), one that other floors decided ("under other floors": a
`kb floors --write` and a restart inside the window) or that was logged before searches carried it ("under unknown
floors"), so the floors in use are judged on their own abstentions only; one that found no article at all (it showed
nothing whatever the floors); one whose first result is another language's article without the mark (another
language's article went first over the query language's own, which no floor judges, or it was logged before the
mark); and a marked one another part of the cross-lingual rule decided (a title name spelt, the heading floor), which
no floor changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from copilot.learnt_floors import CROSS_DECIDES
from desk.events import ShadowSearch
from desk.reports import logged_searches
from desk.search_labels import Key, search_labels


@dataclass(frozen=True)
class FloorRow:
    """One labelled query. `judged`/`taught`: True not answered, False answerable, None no such label."""

    key: Key
    query: str  # its newest logged search as typed (the caller reads its register from it)
    signals: dict[str, float]
    abstained: bool  # the floors in use abstained on that search
    judged: bool | None
    taught: bool | None


@dataclass(frozen=True)
class FloorEvidence:
    lang: str  # a language (its same-language floors), or a direction "ar>en" (its cross-lingual floors)
    rows: list[FloorRow]  # in key order
    left_out: Counter[str] = field(default_factory=Counter)  # searches, by why: see the module docstring

    def counts(self) -> tuple[int, int, int]:
        """Labelled queries: answerable and not answered (taught), and judge-only ones."""
        taught = [r.taught for r in self.rows if r.taught is not None]
        judge_only = sum(r.taught is None and r.judged is not None for r in self.rows)
        return taught.count(False), taught.count(True), judge_only


LEFT_OUT = ("not logged", "under other floors", "under unknown floors", "no result", "other language", "another rule")


def answered_elsewhere(search: ShadowSearch) -> bool:
    """A logged search whose first result is another language's article: its signals say which floors judged it."""
    return search.logged and search.first_article is not None and not search.first_article.startswith(
        f"{search.lang}/")


def where_it_counts(
    search: ShadowSearch, signals: dict[str, float] | None, floors: str | None = None
) -> tuple[str, str | None]:
    """Whose evidence a search is (its language, or its direction "ar>en") and why it is left out of it (LEFT_OUT),
    or None. `logged` is whether its signals are stored (Events.shadow_log), whether or not they were read;
    `signals` are read for the searches `answered_elsewhere` only (the mark); `floors`: the fingerprint of the floors
    in use, None to keep the searches of any floors (a search left out for another reason counts there only)."""
    group, why = _where(search, signals)
    if why is None and floors is not None and search.floors != floors:
        return group, "under unknown floors" if search.floors is None else "under other floors"
    return group, why


def _where(search: ShadowSearch, signals: dict[str, float] | None) -> tuple[str, str | None]:
    if not search.logged:
        return search.lang, "not logged"
    if search.first_article is None:
        return search.lang, "no result"
    if not answered_elsewhere(search):
        return search.lang, None
    mark = (signals or {}).get(CROSS_DECIDES)
    if mark is None:
        return search.lang, "other language"
    direction = f"{search.lang}>{search.first_article.split('/', 1)[0]}"
    return direction, None if mark == 1.0 else "another rule"


def floor_evidence(
    log: Sequence[ShadowSearch],
    signals_of: Callable[[Sequence[int]], dict[int, dict[str, float]]] | None = None,
    floors: str | None = None,
) -> dict[str, FloorEvidence]:
    """Per language and direction (sorted), the labelled queries of `log` (desk.reports.answered_log, oldest first).
    `signals_of` (the desk's Events.search_signals): the log was read without its signals, and only the searches
    answered elsewhere and each labelled question's newest search's are read, by id; without it the log must carry
    them (answered_log's `signals`). Each group is labelled on its own searches: a question answered in its own
    language and, another week, only elsewhere is a row of each. `floors`: only the searches the floors of this
    fingerprint decided (where_it_counts); None: every search, whatever floors decided it."""
    elsewhere = [s.id for s in log if answered_elsewhere(s)]
    marks = signals_of(elsewhere) if signals_of is not None and elsewhere else {}
    groups: dict[str, list[ShadowSearch]] = {}
    left_out: dict[str, Counter[str]] = {}
    for search in log:
        group, why = where_it_counts(search, marks.get(search.id, search.signals), floors)
        if why is None:
            groups.setdefault(group, []).append(search)
        else:
            left_out.setdefault(group, Counter())[why] += 1
    out = {}
    for group in sorted(set(groups) | set(left_out)):  # a language all of whose searches were its direction's: none
        evidence = FloorEvidence(group, [], left_out.get(group, Counter()))
        evidence.rows.extend(_rows(groups.get(group, []), marks, signals_of))
        out[group] = evidence
    return out


def _rows(
    kept: Sequence[ShadowSearch],
    read_before: dict[int, dict[str, float]],
    signals_of: Callable[[Sequence[int]], dict[int, dict[str, float]]] | None,
) -> list[FloorRow]:
    """One group's labelled queries, in key order, each with its newest search's signals."""
    logged = logged_searches(kept)
    taught = search_labels(logged)
    judged = search_labels(
        replace(ls, abstained=False) if ls.abstained and ls.ticket and not ls.answered_by else ls for ls in logged
    )  # a hidden search's uncited ticket read as what it is: a visit that found nothing and wrote
    newest = {ls.key: s for s, ls in zip(kept, logged, strict=True)}  # oldest first: the last one wins
    keys = sorted(set(judged) | set(taught))
    unread = [newest[key].id for key in keys if newest[key].id not in read_before]
    read = {**(signals_of(unread) if signals_of is not None and unread else {}), **read_before}
    rows = []
    for key in keys:
        search = newest[key]
        signals = read.get(search.id, search.signals) or {}
        rows.append(FloorRow(key, search.query, dict(signals), search.abstained, judged.get(key), taught.get(key)))
    return rows
