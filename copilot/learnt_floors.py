"""Abstention floors fitted on labelled queries' signals, and the guard that decides whether they may replace the
shipped ones (issue #18).

One fitter for the bench and the product: bench/tune_fusion.py fits the shipped floors (copilot.tuning) on a dev
set's out-of-scope labels, bench/log_floors.py on a simulated search log's behaviour labels, and `kb floors`
(webapp.floor_commands) on the help center's own stored log (desk.floor_evidence). Pure numpy over plain rows: no
SQL, no index; the caller reads each query's signals (copilot.retrieval's `signals`, floors compared as "every
signal under its floor") and register (copilot.query_register).

The guard (`judge`, `Evidence.replace`): learnt floors replace the shipped ones only if, on the log's own evidence,
they catch at least GUARD_MARGIN more of the not-answered queries and flag no more of the answerable ones, the learnt
floors cross-validated over GUARD_FOLDS folds. bench/RESULTS.md "### Session 22, shadowlog22/shownlabels22/guard22"
(guard22): on simulated logs of the demo, m365 and GNOME this guard never let floors through that flag more
answerable questions than the shipped ones, where a guard on the label count alone did once a long tail of
never-repeated out-of-scope variants grew the labels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from copilot.tuning import CROSS_FLOOR_SIGNALS

# The lexical evidence in the index's own units (copilot.calibration), so fitted floors carry over.
SIGNALS = ("e5_top", "use_top", "lexical_share", "field_top")
OFFSET_SIGNALS = ("e5_top", "use_top", "lexical_share")  # field_top is a share of words, not a model's score
MAX_GRID = 100  # candidate floors per signal at most (`_thinned`)
MIN_REGISTER_QUERIES = 5  # answerable queries a register needs (and plain too) to get its own offsets
# Fewer labels than these of a kind and nothing is fitted: two not-answered queries are the least a floor can sit
# between, five answerable ones the least a false-flag share means anything on.
MIN_NOT_ANSWERED = 2
MIN_ANSWERABLE = 5
# The guard (guard22 in bench/RESULTS.md, "### Session 22"): held-out folds, how much more of the not-answered
# evidence the learnt floors must catch, and how much more of the answerable they may flag (none).
GUARD_FOLDS = 5
GUARD_MARGIN = 0.05
GUARD_TOLERANCE = 0.0


Fit = tuple[list[float], dict[str, dict[str, float]]]  # floors in the rule's signal order, offsets per register


@dataclass(frozen=True)
class FloorRule:
    """Which signals a kind of floors compares ("abstain when every one is under its floor") and the candidate
    floors the fit tries for each: a thinning step over the observed values (`_thinned`) or fixed candidates, and
    an "off" floor above any score appended, or not. The same fitter fits both kinds (`choose_floors`)."""

    signals: tuple[str, ...]
    grids: tuple[int | tuple[float, ...], ...]
    offs: tuple[float | None, ...]
    offset_signals: tuple[str, ...] = ()  # those register offsets shift (none: the rule has no offsets)

    def candidates(self, scores: np.ndarray) -> list[np.ndarray]:
        out = []
        for i, (spec, off) in enumerate(zip(self.grids, self.offs, strict=True)):
            grid = _thinned(scores[:, i], spec) if isinstance(spec, int) else np.array(spec, dtype=float)
            out.append(grid if off is None else np.append(grid, off))
        return out


# Same-language: every 3rd e5, every 6th USE and lexical score, USE and lexical may be off, and `field_top` takes
# half, most or all of the query only.
SAME_LANGUAGE = FloorRule(SIGNALS, (3, 6, 6, (0.5, 0.7, 9.0)), (None, 9.0, 999.0, None), OFFSET_SIGNALS)
# Cross-lingual (a question only the other language's articles answer: copilot.retrieval's `_abstains(...,
# only_elsewhere=True)`, abstaining when both shares are under their floors): every 3rd chunk and title share; the
# title floor may be off (the chunk share decides alone).
CROSS_LINGUAL = FloorRule(CROSS_FLOOR_SIGNALS, (3, 3), (None, 999.0))


def signal_row(signals: dict[str, float], names: Sequence[str] = SIGNALS) -> tuple[float, ...]:
    """A search's signals in `names` order; a signal the search did not measure counts as 0 (under any floor)."""
    return tuple(float(signals.get(name, 0.0)) for name in names)


def register_offsets(
    scores: np.ndarray, registers: Sequence[str], answerable: np.ndarray, rule: FloorRule = SAME_LANGUAGE
) -> dict[str, dict[str, float]]:
    """Per register, how much lower its answerable queries' median evidence is than plain queries'.

    Fitted on answerable queries only, which a help center has plenty of (search logs with clicks),
    unlike out-of-scope ones; clipped at zero, so a register never makes abstaining easier.
    """
    regs = np.asarray(registers)
    plain = answerable & (regs == "plain")
    offsets: dict[str, dict[str, float]] = {}
    if plain.sum() < MIN_REGISTER_QUERIES or not rule.offset_signals:
        return offsets
    for register in sorted(set(registers) - {"plain"}):
        group = answerable & (regs == register)
        if group.sum() < MIN_REGISTER_QUERIES:
            continue
        shift = np.median(scores[group], axis=0) - np.median(scores[plain], axis=0)
        offsets[register] = {
            name: round(float(min(0.0, shift[i])), 3)
            for i, name in enumerate(rule.signals)
            if name in rule.offset_signals
        }
    return offsets


def adjusted(scores: np.ndarray, registers: Sequence[str], offsets: dict[str, dict[str, float]]) -> np.ndarray:
    """Scores minus their register's offsets: comparing these to plain floors is comparing the raw
    scores to the register's floors. Offsets name SIGNALS only (a rule without offsets has none)."""
    out = scores.copy()
    for i, register in enumerate(registers):
        if shift := offsets.get(register):
            out[i] -= [shift.get(name, 0.0) for name in SIGNALS]
    return out


def flag_counts(scores: np.ndarray, grids: Sequence[np.ndarray]) -> np.ndarray:
    """How many rows every combination of floors flags (every score under its floor), one count per grid point.

    A row is flagged at floor indices (a, b, c, d) when each index is at least the number of grid values at or
    below the row's score; so the counts are the 4-d prefix sums of a histogram of those numbers. The same counts
    as comparing every row with every combination (which bench/log_floors.py's fits on a thousand logged queries
    spent minutes on), in the size of the grid instead of rows times grid."""
    for grid in grids:
        if not (np.diff(grid) > 0).all():
            raise ValueError("each floor grid must be strictly increasing")
    first = [np.searchsorted(grid, scores[:, i], side="right") for i, grid in enumerate(grids)]
    counts = np.zeros([len(grid) + 1 for grid in grids], dtype=np.int32)  # whole counts: half float64's memory
    np.add.at(counts, tuple(first), 1)
    for axis in range(len(grids)):
        counts.cumsum(axis=axis, dtype=np.int32, out=counts)  # in place: a fit's largest arrays are these
    return counts[tuple(slice(0, len(grid)) for grid in grids)]


def choose_floors(
    scores: np.ndarray, out_of_scope: np.ndarray, max_false: float, rule: FloorRule = SAME_LANGUAGE
) -> tuple[float, float, list[float]]:
    """The floors that flag most out-of-scope queries with at most `max_false` of answerable ones.

    Abstain when every signal is under its floor. The grids are the rule's (FloorRule.candidates): the observed
    values thinned, plus "off" where the rule allows it, coarse on purpose, so that the floors are not fitted to a
    handful of queries. Returns (recall, false rate, floors); ties go to the fewer false flags.
    """
    grids = rule.candidates(scores)
    false_rate = flag_counts(scores[~out_of_scope], grids) / int((~out_of_scope).sum())
    recall = (
        flag_counts(scores[out_of_scope], grids) / int(out_of_scope.sum())
        if out_of_scope.any()
        else np.zeros(false_rate.shape)
    )
    score = np.where(false_rate <= max_false, recall * 1000 - false_rate, -1.0)
    best = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(recall[best]), float(false_rate[best]), [float(grids[i][best[i]]) for i in range(len(grids))]


def _thinned(values: np.ndarray, step: int) -> np.ndarray:
    """A signal's candidate floors: its distinct observed values (to 3 decimals), every `step`-th, and never more
    than MAX_GRID of them (a coarser step past that). The counts are the grid's size (`flag_counts`): three signals'
    grids of 500 values, what a busy help center's 90-day log gives, are 750 million cells, gigabytes and seconds
    per fit where a report page refits six times (bench/RESULTS.md "Session 23, floorsreport23"). Below
    MAX_GRID x step distinct values the grid is the step's alone, as every fit measured before the cap."""
    unique = np.unique(values.round(3))
    return unique[:: max(step, -(-len(unique) // MAX_GRID))]


def fit_rule(
    scores: np.ndarray,
    registers: Sequence[str],
    out_of_scope: np.ndarray,
    max_false: float,
    offsets_on: bool,
    rule: FloorRule = SAME_LANGUAGE,
) -> Fit:
    """Register offsets (from the answerable rows, when `offsets_on`) and the floors chosen on the adjusted scores."""
    offsets = register_offsets(scores, registers, ~out_of_scope, rule) if offsets_on else {}
    _, _, floors = choose_floors(adjusted(scores, registers, offsets), out_of_scope, max_false, rule)
    return floors, offsets


def learn(
    scores: np.ndarray,
    registers: Sequence[str],
    not_answered: np.ndarray,
    max_false: float,
    min_labels: int = 0,
    rule: FloorRule = SAME_LANGUAGE,
) -> Fit | None:
    """Floors and offsets fitted on labelled queries (`fit_rule`, offsets on), or None (nothing learnt) with fewer
    than MIN_NOT_ANSWERED not-answered or MIN_ANSWERABLE answerable labels, or fewer than `min_labels` of either."""
    if not_answered.sum() < max(MIN_NOT_ANSWERED, min_labels) or (~not_answered).sum() < max(
        MIN_ANSWERABLE, min_labels
    ):
        return None
    return fit_rule(scores, registers, not_answered, max_false, True, rule)


def flags(scores: np.ndarray, registers: Sequence[str], floors: list[float], offsets: dict) -> np.ndarray:
    """Which rows the floors abstain on: every (register-adjusted) signal under its floor."""
    return np.asarray((adjusted(scores, registers, offsets) < np.asarray(floors)).all(axis=1))


def cross_validate(
    scores: np.ndarray,
    registers: Sequence[str],
    out_of_scope: np.ndarray,
    max_false: float,
    offsets_on: bool,
    folds: int = 5,
    repeats: int = 5,
) -> tuple[float, float]:
    """Recall and false-flag rate on held-out queries (stratified k-fold, repeated): what to expect
    on queries the floors were not chosen on. Training-set figures flatter the rule."""
    hits = false = 0
    for seed in range(repeats):
        rng = np.random.default_rng(seed)
        fold = np.empty(len(out_of_scope), dtype=int)
        for label in (True, False):  # stratified: each fold gets its share of out-of-scope queries
            members = rng.permutation(np.flatnonzero(out_of_scope == label))
            fold[members] = np.arange(len(members)) % folds
        for k in range(folds):
            test = fold == k
            regs = np.asarray(registers)
            floors, offsets = fit_rule(scores[~test], list(regs[~test]), out_of_scope[~test], max_false, offsets_on)
            flagged = flags(scores[test], list(regs[test]), floors, offsets)
            hits += int(flagged[out_of_scope[test]].sum())
            false += int(flagged[~out_of_scope[test]].sum())
    return hits / (repeats * max(int(out_of_scope.sum()), 1)), false / (repeats * int((~out_of_scope).sum()))


@dataclass(frozen=True)
class Labelled:
    """One query of a search log as the guard reads it: its signals (the rule's order) and register, whether the floors
    in use abstained on it, the label it is judged by and the one it teaches the fit with (True: not answered;
    None: it does not judge, or does not teach: a hidden search's uncited ticket judges but never teaches, since
    the floors' own abstention is no evidence for them to learn from)."""

    scores: tuple[float, ...]
    register: str
    abstained: bool
    judged: bool | None
    taught: bool | None


@dataclass(frozen=True)
class Evidence:
    """The shipped and the learnt floors judged on the same logged evidence: the queries labelled from shown
    searches and cited tickets plus the hidden searches' uncited tickets (an agent writing from scratch: the
    floors' likely right abstentions; without them the shipped floors' own catches have no label). Learnt flags
    cross-validated: each query flagged by floors fitted without its fold's labels."""

    not_answered: int = 0
    answerable: int = 0
    shipped_caught: int = 0
    shipped_false: int = 0
    learnt_caught: int = 0
    learnt_false: int = 0

    @property
    def caught_gain(self) -> float:
        """How much more of the not-answered labels the learnt floors catch than the shipped ones (a share; 0 with
        none)."""
        return (self.learnt_caught - self.shipped_caught) / self.not_answered if self.not_answered else 0.0

    @property
    def flagged_more(self) -> int:
        """How many more of the answerable labels the learnt floors flag than the shipped ones."""
        return self.learnt_false - self.shipped_false

    def replace(self, margin: float = GUARD_MARGIN, tolerance: float = GUARD_TOLERANCE) -> bool:
        """Whether the learnt floors win on both counts: catch at least `margin` more of the not-answered labels
        than the shipped floors, and flag at most `tolerance` more of the answerable ones."""
        if not self.not_answered or not self.answerable:
            return False
        return self.caught_gain >= margin and self.flagged_more / self.answerable <= tolerance


def judge(
    rows: Sequence[Labelled], max_false: float, folds: int = GUARD_FOLDS, rule: FloorRule = SAME_LANGUAGE
) -> Evidence:
    """The guard's comparison on `rows` (in a fixed order: the judged ones are dealt to `folds` folds by position):
    each judged row counted with the floors in use (its `abstained`) and with floors learnt from the teaching rows
    of the other folds (a row that judges nothing is never held out)."""
    judged = [r for r in rows if r.judged is not None]
    counts = Counter[str]()
    for fold in range(folds):
        held = judged[fold::folds]
        out = {id(r) for r in held}
        fit = taught_rule([r for r in rows if id(r) not in out], max_false, rule=rule)
        if fit is None or not held:
            learnt = [False] * len(held)
        else:
            scores = np.array([r.scores for r in held], dtype=float)
            learnt = [bool(f) for f in flags(scores, [r.register for r in held], *fit)]
        for row, flag in zip(held, learnt, strict=True):
            kind = "caught" if row.judged else "false"
            counts["not_answered" if row.judged else "answerable"] += 1
            counts[f"shipped_{kind}"] += row.abstained
            counts[f"learnt_{kind}"] += flag
    return Evidence(**counts)


def taught_rule(
    rows: Sequence[Labelled], max_false: float, min_labels: int = 0, rule: FloorRule = SAME_LANGUAGE
) -> Fit | None:
    """The floors and offsets learnt from every teaching row (what a guard that passes would write), or None."""
    teach = [r for r in rows if r.taught is not None]
    scores = np.array([r.scores for r in teach], dtype=float).reshape(-1, len(rule.signals))
    return learn(scores, [r.register for r in teach], np.array([r.taught for r in teach], dtype=bool), max_false,
                 min_labels, rule)
