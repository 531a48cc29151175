"""Whether abstention floors learnt from the search log may replace the floors in use, per language and per
cross-lingual direction (issue #18).

One decision for `kb floors` (webapp.floor_commands, which prints it and, with --write, writes the passing
languages' floors and directions' cross-lingual floors) and the reports page's `floors` report (desk.reports;
`kb report floors`), so what a lead reads and what the content team would write cannot disagree. Per language, and
per direction "ar>en" (Arabic questions only English articles answered: copilot.retrieval's cross-lingual floors,
the same fitter on their two signals, copilot.learnt_floors.CROSS_LINGUAL): the labelled queries of the stored log
(desk.floor_evidence), the floors in use and the learnt ones (cross-validated) judged on them, and the guard's verdict
(copilot.learnt_floors.judge / Evidence.replace) with why, as data; each surface words it its own way.

Imports only the pure parts of copilot (the fit, the query register, the tuning file): never search, the index or a
model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from copilot.learnt_floors import (
    CROSS_LINGUAL,
    GUARD_FOLDS,
    GUARD_MARGIN,
    GUARD_TOLERANCE,
    MIN_ANSWERABLE,
    MIN_NOT_ANSWERED,
    SAME_LANGUAGE,
    Evidence,
    Fit,
    FloorRule,
    Labelled,
    judge,
    signal_row,
    taught_rule,
)
from copilot.query_register import query_register
from copilot.tuning import TUNING_FILE, SearchTuning
from desk.floor_evidence import FloorEvidence

DEFAULT_MAX_FALSE = 0.02  # the learnt floors' answerable budget on their own labels (log_floors' --loop-max-false)
DEFAULT_MIN_LABELS = 30

# Why the floors in use stay, or that the learnt ones replace them.
Reason = Literal["passes the guard", "too few labels", "nothing to compare", "catches too little more",
                 "flags more answerable", "abstention off"]


@dataclass(frozen=True)
class FloorDecision:
    lang: str  # a language, or a direction "ar>en" (query language>articles' language: the cross-lingual floors)
    answerable: int  # labelled queries that teach the fit (desk.floor_evidence.FloorEvidence.counts)
    not_answered: int
    judge_only: int
    labelled: int  # every labelled row: what the learnt floors were read from
    left_out: Counter[str]  # searches no evidence for this language's floors, by why (desk.floor_evidence)
    compared: Evidence  # the floors in use and the learnt ones (cross-validated) on the log's judged labels
    fit: Fit | None  # the floors and offsets learnt from every teaching row: what --write would write
    reason: Reason
    needs: tuple[int, int]  # answerable and not-answered labels a fit needs (--min-labels, at least the fitter's)

    @property
    def replace(self) -> bool:
        return self.reason == "passes the guard"

    @property
    def cross(self) -> bool:
        """A direction's cross-lingual floors (`cross_floors`), not a language's own (`abstain_floors`)."""
        return is_direction(self.lang)

    def floors(self) -> dict[str, float] | None:
        """The learnt floors by signal name, rounded as they are written (None: nothing learnt)."""
        if self.fit is None:
            return None
        return {name: round(value, 3) for name, value in zip(rule_of(self.lang).signals, self.fit[0], strict=True)}


def is_direction(group: str) -> bool:
    """desk.floor_evidence's groups: a language, or a direction "ar>en"."""
    return ">" in group


def rule_of(group: str) -> FloorRule:
    """The floors a group's evidence fits: a direction's are the cross-lingual ones (no registers: that rule has no
    offsets), a language's the same-language ones."""
    return CROSS_LINGUAL if is_direction(group) else SAME_LANGUAGE


def floor_decisions(
    evidence: Mapping[str, FloorEvidence],
    abstention_off: bool,
    max_false: float = DEFAULT_MAX_FALSE,
    min_labels: int = DEFAULT_MIN_LABELS,
) -> list[FloorDecision]:
    """Per language and direction (in `evidence`'s order), the guard's decision on the log's evidence
    (desk.floor_evidence: `tallied_evidence` of desk.reports.answered_tallies, or `floor_evidence` of a list, with the
    fingerprint of the floors in use, `floors_in_use`, so that only the searches they decided are evidence).
    `abstention_off`: the tuning file in use sets `abstain_floors: null` (`floors_in_use`), so no learnt floors are
    written."""
    out = []
    for lang, found in evidence.items():
        rule = rule_of(lang)
        rows = [Labelled(signal_row(r.signals, rule.signals), "plain" if is_direction(lang) else
                         query_register(r.query, lang), r.abstained, r.judged, r.taught) for r in found.rows]
        answerable, not_answered, judge_only = found.counts()
        compared = judge(rows, max_false, GUARD_FOLDS, rule)
        fit = taught_rule(rows, max_false, min_labels, rule)
        out.append(FloorDecision(lang, answerable, not_answered, judge_only, len(rows), found.left_out, compared,
                                 fit, _reason(compared, fit, abstention_off),
                                 (max(min_labels, MIN_ANSWERABLE), max(min_labels, MIN_NOT_ANSWERED))))
    return out


class FloorsInUse(NamedTuple):
    abstention_off: bool  # the tuning file sets `abstain_floors: null`: no learnt floors can be written
    fingerprint: str  # which floors search decides by (SearchTuning.floors_fingerprint), as the engine logs it


def floors_in_use(content_dir: Path) -> FloorsInUse:
    """The content's tuning file as search loads it at its start: whether it turns abstention off, and the
    fingerprint the searches it decides carry; copilot.tuning.TuningError when the file is broken (each caller says
    so its own way)."""
    tuning = SearchTuning.load(content_dir / TUNING_FILE)
    return FloorsInUse(tuning.abstain_floors is None, tuning.floors_fingerprint())


def _reason(compared: Evidence, fit: Fit | None, abstention_off: bool) -> Reason:
    if fit is None:
        return "too few labels"
    if compared.replace(GUARD_MARGIN, GUARD_TOLERANCE):
        return "abstention off" if abstention_off else "passes the guard"
    if not compared.not_answered or not compared.answerable:
        return "nothing to compare"
    if compared.caught_gain < GUARD_MARGIN:
        return "catches too little more"
    return "flags more answerable"
