"""The stored search log as evidence for abstention floors, per language and per cross-lingual direction (`kb floors`,
issue #18).

`kb floors` (webapp.floor_commands) fits floors on a help center's own log with copilot.learnt_floors and lets them
replace the floors in use only if the log's own evidence says they do better (the guard, bench/RESULTS.md guard22).
This module reads that evidence from the shadow log, counted in SQL (Events.search_tallies through
desk.reports.answered_tallies: the floors report) or as a list (Events.shadow_log through desk.reports.answered_log:
`kb floors`), so an agent's internal article never counts as an answer, and labels it with the one rule the
abstention report uses (desk.search_labels.tally_labels, search_labels' rule over counted searches; one question per
desk.search_labels.question_key, as click feedback keys queries):

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
from dataclasses import dataclass, field

from desk.events import ShadowSearch
from desk.reports import tally_log
from desk.search_labels import Alike, Key, SearchTally, TalliedLog, answered_elsewhere, tally_key, tally_labels


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
# The newest searches' abstention and stored signals, by id (the desk's Events.newest_searches).
NewestOf = Callable[[Sequence[int]], dict[int, tuple[bool, dict[str, float]]]]


def where_it_counts(alike: Alike, floors: str | None = None) -> tuple[str, str | None]:
    """Whose evidence searches `alike` are (their language, or their direction "ar>en") and why they are left out of
    it (LEFT_OUT), or None. `logged` is whether their signals are stored; `mark` is read for the searches
    `answered_elsewhere` only; `floors`: the fingerprint of the floors in use, None to keep the searches of any
    floors (a search left out for another reason counts there only)."""
    group, why = _where(alike)
    if why is None and floors is not None and alike.floors != floors:
        return group, "under unknown floors" if alike.floors is None else "under other floors"
    return group, why


def _where(alike: Alike) -> tuple[str, str | None]:
    if not alike.logged:
        return alike.lang, "not logged"
    if alike.first_article is None:
        return alike.lang, "no result"
    if not answered_elsewhere(alike):
        return alike.lang, None
    if alike.mark is None:
        return alike.lang, "other language"
    direction = f"{alike.lang}>{alike.first_article.split('/', 1)[0]}"
    return direction, None if alike.mark == 1.0 else "another rule"


def floor_evidence(
    log: Sequence[ShadowSearch],
    signals_of: Callable[[Sequence[int]], dict[int, dict[str, float]]] | None = None,
    floors: str | None = None,
) -> dict[str, FloorEvidence]:
    """`tallied_evidence` of a list of searches (desk.reports.answered_log, oldest first). `signals_of` (the desk's
    Events.search_signals): the log was read without its signals, and only the searches answered elsewhere and each
    labelled question's newest search's are read, by id; without it the log must carry them (answered_log's
    `signals`)."""
    elsewhere = [s.id for s in log if answered_elsewhere(s)]
    marks = signals_of(elsewhere) if signals_of is not None and elsewhere else {}
    by_id = {s.id: s for s in log}

    def newest_of(ids: Sequence[int]) -> dict[int, tuple[bool, dict[str, float]]]:
        unread = [i for i in ids if i not in marks]
        read = {**(signals_of(unread) if signals_of is not None and unread else {}), **marks}
        return {i: (by_id[i].abstained, dict(read.get(i, by_id[i].signals) or {})) for i in ids}

    return tallied_evidence(tally_log(log, lambda s: marks.get(s.id, s.signals)), newest_of, floors)


def tallied_evidence(log: TalliedLog, newest_of: NewestOf, floors: str | None = None) -> dict[str, FloorEvidence]:
    """Per language and direction (sorted), the labelled queries of counted searches (desk.reports.answered_tallies,
    or tally_log of a list); `newest_of` reads each labelled question's newest search. Each group is labelled on its
    own searches: a question answered in its own language and, another week, only elsewhere is a row of each.
    `floors`: only the searches the floors of this fingerprint decided (where_it_counts); None: every search,
    whatever floors decided it."""
    groups: dict[str, list[SearchTally]] = {}
    left_out: dict[str, Counter[str]] = {}
    for tally in log.tallies:
        group, why = where_it_counts(tally.alike, floors)
        if why is None:
            groups.setdefault(group, []).append(tally)
        else:
            left_out.setdefault(group, Counter())[why] += tally.searches
    cited: dict[str, list[Key]] = {}
    for search in log.cited:
        group, why = where_it_counts(search.alike, floors)
        if why is None:
            cited.setdefault(group, []).append(tally_key(search))
    out = {}
    for group in sorted(set(groups) | set(left_out)):  # a language all of whose searches were its direction's: none
        evidence = FloorEvidence(group, [], left_out.get(group, Counter()))
        evidence.rows.extend(_rows(groups.get(group, []), cited.get(group, []), newest_of))
        out[group] = evidence
    return out


def _rows(kept: Sequence[SearchTally], cited: Sequence[Key], newest_of: NewestOf) -> list[FloorRow]:
    """One group's labelled queries, in key order, each with its newest search's signals."""
    taught = tally_labels(kept, cited)
    judged = tally_labels(kept, cited, judged=True)  # a hidden search's uncited ticket read as what it is: a visit
    # that found nothing and wrote
    newest: dict[Key, SearchTally] = {}
    for tally in kept:
        key = tally_key(tally)
        if key not in newest or tally.newest > newest[key].newest:
            newest[key] = tally
    keys = sorted(set(judged) | set(taught))
    read = newest_of([newest[key].newest for key in keys])
    rows = []
    for key in keys:
        abstained, signals = read[newest[key].newest]
        rows.append(FloorRow(key, newest[key].alike.query, signals, abstained, judged.get(key), taught.get(key)))
    return rows
