"""The stored search log as evidence for abstention floors, per language (`kb floors`, issue #18).

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
abstained. Only the searches the same-language floors (`abstain_floors`) decide: a search whose first result, as
ranked before abstention, is another language's article was answered only elsewhere (or another language's article
went first), and copilot.retrieval's `_abstains` judges those by the cross-lingual floors; a search that found no
article at all showed nothing whatever the floors; a search without the shadow log has no signals. All three are
left out and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

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
    lang: str
    rows: list[FloorRow]  # in key order
    left_out: Counter[str] = field(default_factory=Counter)  # searches, by why: see the module docstring

    def counts(self) -> tuple[int, int, int]:
        """Labelled queries: answerable and not answered (taught), and judge-only ones."""
        taught = [r.taught for r in self.rows if r.taught is not None]
        judge_only = sum(r.taught is None and r.judged is not None for r in self.rows)
        return taught.count(False), taught.count(True), judge_only


LEFT_OUT = ("not logged", "no result", "other language")


def why_left_out(search: ShadowSearch) -> str | None:
    """Why a search is no evidence for its language's floors (LEFT_OUT), or None. `logged` is whether its signals
    are stored (Events.shadow_log), whether or not they were read."""
    if not search.logged:
        return "not logged"
    if search.first_article is None:
        return "no result"
    if not search.first_article.startswith(f"{search.lang}/"):
        return "other language"
    return None


def floor_evidence(
    log: Sequence[ShadowSearch], signals_of: Callable[[Sequence[int]], dict[int, dict[str, float]]] | None = None
) -> dict[str, FloorEvidence]:
    """Per language, the labelled queries of `log` (desk.reports.answered_log, oldest first). `signals_of` (the
    desk's Events.search_signals): the log was read without its signals, and only each labelled question's newest
    search's are read, by id; without it the log must carry them (answered_log's `signals`)."""
    out = {lang: FloorEvidence(lang, []) for lang in sorted({s.lang for s in log})}
    kept = []
    for search in log:
        if (why := why_left_out(search)) is None:
            kept.append(search)
        else:
            out[search.lang].left_out[why] += 1
    logged = logged_searches(kept)
    taught = search_labels(logged)
    judged = search_labels(
        replace(ls, abstained=False) if ls.abstained and ls.ticket and not ls.answered_by else ls for ls in logged
    )  # a hidden search's uncited ticket read as what it is: a visit that found nothing and wrote
    newest = {ls.key: s for s, ls in zip(kept, logged, strict=True)}  # oldest first: the last one wins
    keys = sorted(set(judged) | set(taught))
    read = signals_of([newest[key].id for key in keys]) if signals_of is not None else {}
    for key in keys:
        search = newest[key]
        signals = read.get(search.id, search.signals) or {}
        out[key[0]].rows.append(FloorRow(
            key, search.query, dict(signals), search.abstained, judged.get(key), taught.get(key)))
    return out
