"""The abstention floors' fitter (copilot.learnt_floors: bench/tune_fusion.py, bench/log_floors.py and `kb floors`
all fit with it) and the guard that lets learnt floors replace the shipped ones."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.learnt_floors import (
    CROSS_LINGUAL,
    GUARD_FOLDS,
    GUARD_MARGIN,
    MAX_GRID,
    SIGNALS,
    Evidence,
    Labelled,
    choose_floors,
    flag_counts,
    flags,
    judge,
    learn,
    register_offsets,
    signal_row,
    taught_rule,
)
from copilot.tuning import CROSS_FLOOR_SIGNALS


def test_register_offsets_come_from_answerable_queries_and_never_raise_a_floor() -> None:
    plain = [[0.90, 0.30, 10.0, 0.0]] * 6
    dialect = [[0.88, 0.35, 10.0, 0.0]] * 6  # lower e5, higher USE
    out_of_scope = [[0.50, 0.0, 0.0, 0.0]] * 3  # far below: must not move anything
    scores = np.array(plain + dialect + out_of_scope)
    registers = ["plain"] * 6 + ["dialect"] * 9
    answerable = np.array([True] * 12 + [False] * 3)
    offsets = register_offsets(scores, registers, answerable)
    assert offsets == {"dialect": {"e5_top": pytest.approx(-0.02), "use_top": 0.0, "lexical_share": 0.0}}
    few = register_offsets(scores[:8], registers[:8], answerable[:8])  # 2 dialect queries: too few
    assert few == {}


def test_choose_floors_respects_the_false_flag_budget() -> None:
    rng = np.random.default_rng(0)
    answerable = np.column_stack(
        [rng.uniform(0.85, 0.95, 40), rng.uniform(0.2, 0.5, 40), np.full(40, 10.0), np.zeros(40)]
    )
    out = np.column_stack([rng.uniform(0.78, 0.84, 10), rng.uniform(0.0, 0.15, 10), np.full(10, 2.0), np.zeros(10)])
    scores = np.vstack([answerable, out])
    out_of_scope = np.array([False] * 40 + [True] * 10)
    recall, false_rate, floors = choose_floors(scores, out_of_scope, 0.05)
    assert false_rate <= 0.05 and recall == 1.0
    flagged = (scores < np.asarray(floors)).all(axis=1)
    assert flagged[out_of_scope].all() and flagged[~out_of_scope].mean() <= 0.05


def test_a_large_log_fits_on_at_most_max_grid_candidate_floors_per_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy help center's log has thousands of distinct scores per signal: the grids are capped (a coarser step),
    so a fit's counts stay MAX_GRID-sized per signal instead of growing with the cube of the log; a small set's grids
    are its step's alone (the fits measured before the cap)."""
    sizes: list[list[int]] = []
    real = flag_counts

    def counting(scores: np.ndarray, grids: list[np.ndarray]) -> np.ndarray:
        sizes.append([len(g) for g in grids])
        return real(scores, grids)

    monkeypatch.setattr("copilot.learnt_floors.flag_counts", counting)
    rng = np.random.default_rng(1)
    big = np.column_stack([rng.uniform(0.5, 1.0, 5000), rng.uniform(0, 1, 5000), rng.uniform(0, 3, 5000),
                           rng.uniform(0, 1, 5000)])
    _, false_rate, floors = choose_floors(big, rng.random(5000) < 0.2, 0.02)
    assert false_rate <= 0.02 and len(floors) == len(SIGNALS)
    assert all(n <= MAX_GRID + 1 for n in sizes[-1][:3]) and sizes[-1][0] > MAX_GRID // 2
    small = big[:200]
    choose_floors(small, np.arange(200) < 40, 0.02)
    assert sizes[-1][0] == len(np.unique(small[:, 0].round(3))[::3])
    assert sizes[-1][1] == len(np.unique(small[:, 1].round(3))[::6]) + 1


def test_flag_counts_are_the_rows_every_combination_of_floors_flags() -> None:
    rng = np.random.default_rng(1)
    scores = np.column_stack(
        [
            rng.uniform(0.7, 0.95, 60).round(2),
            rng.uniform(0.1, 0.6, 60),
            rng.uniform(0, 1, 60),
            rng.choice([0.5, 0.7, 1.0], 60),
        ]
    )  # rounded e5 scores: some sit exactly on a floor (not under it, not flagged)
    grids = [
        np.unique(scores[:, 0])[::3],
        np.append(np.unique(scores[:, 1].round(3))[::6], 9.0),
        np.array([0.2, 0.5, 999.0]),
        np.array([0.5, 0.7, 9.0]),
    ]
    counts = flag_counts(scores, grids)
    for point in np.ndindex(*counts.shape):
        floors = np.array([grid[i] for grid, i in zip(grids, point, strict=True)])
        assert counts[point] == (scores < floors).all(axis=1).sum()
    with pytest.raises(ValueError, match="strictly increasing"):
        flag_counts(scores, [grids[0][::-1], *grids[1:]])


def test_well_apart_labels_get_the_floors_between_them() -> None:
    """Answerable queries at e5 0.90-0.99 with whole titles matched; not-answered ones at e5 0.80 matching nothing.
    The e5 grid is every third observed value (0.80, 0.92, ...): the first floor above 0.80 is 0.92, which alone
    would flag 0.90 and 0.91, so the title share (field_top 0.5) is what keeps them; USE and lexical are off."""
    answerable = [[0.90 + i / 100, 0.5, 1.0, 1.0] for i in range(10)]
    not_answered = [[0.80, 0.1, 0.2, 0.0]] * 4
    scores = np.array(answerable + not_answered)
    labels = np.array([False] * 10 + [True] * 4)
    fit = learn(scores, ["plain"] * 14, labels, 0.0)
    assert fit == ([0.92, 9.0, 999.0, 0.5], {})
    assert list(flags(scores, ["plain"] * 14, *fit)) == list(labels)
    assert learn(scores[:11], ["plain"] * 11, labels[:11], 0.0) is None  # one not-answered label: nothing learnt
    assert learn(scores, ["plain"] * 14, labels, 0.0, min_labels=5) is None  # four of them: under the guard's count


def test_the_cross_lingual_rule_is_fitted_and_judged_on_its_two_signals_by_the_same_fitter() -> None:
    """Questions only the other language's articles answer: answerable ones high on the chunk share, not-answered ones
    low on it, the title share no help (the same for both): the chunk floor sits among the not-answered ones (every
    third observed value: -3.0, -2.97, -2.94, -2.91, then -0.8, which would flag the answerable -1.0 and -0.9) and
    the title floor is off; the guard compares them with the floors in use as for a language's own floors (here
    catching none), no register offsets."""
    answerable = [(-1.0 + i / 10, 0.5) for i in range(30)]
    not_answered = [(-3.0 + i / 100, 0.5) for i in range(10)]
    rows = [Labelled(r, "plain", False, False, False) for r in answerable]
    rows += [Labelled(r, "plain", False, True, True) for r in not_answered]
    fit = taught_rule(rows, 0.0, rule=CROSS_LINGUAL)
    assert fit == ([-2.91, 999.0], {})  # the title floor off: it separates nothing
    evidence = judge(rows, 0.0, rule=CROSS_LINGUAL)
    assert evidence == Evidence(10, 30, 0, 0, 8, 0) and evidence.replace()
    assert CROSS_FLOOR_SIGNALS == ("cross_share", "cross_title_share")
    assert signal_row({"cross_title_share": 0.4, "e5_top": 0.9}, CROSS_FLOOR_SIGNALS) == (0.0, 0.4)


def test_a_signal_row_is_in_signals_order_with_missing_ones_at_zero() -> None:
    assert SIGNALS == ("e5_top", "use_top", "lexical_share", "field_top")
    assert signal_row({"field_top": 0.5, "e5_top": 0.9, "cross_top": 0.7}) == (0.9, 0.0, 0.0, 0.5)


def _rows(shipped_catches: bool, answerable_low: int = 0) -> list[Labelled]:
    """60 answerable queries high on every signal (`answerable_low` of them as low as the not-answered ones) and 20
    not-answered queries low on all; the shipped floors abstain on the not-answered ones or on none."""
    rows = [Labelled((0.9 + (i % 7) / 100, 0.5, 1.0, 1.0), "plain", False, False, False) for i in range(60)]
    for i in range(answerable_low):
        rows[i * 7] = Labelled((0.8 + i / 1000, 0.1, 0.2, 0.0), "plain", False, False, False)
    rows += [Labelled((0.8 + i / 1000, 0.1, 0.2, 0.0), "plain", shipped_catches, True, True) for i in range(20)]
    return rows


def test_the_guard_replaces_floors_that_catch_more_and_flag_no_more() -> None:
    evidence = judge(_rows(shipped_catches=False), 0.02)
    assert evidence == Evidence(20, 60, 0, 0, 20, 0)
    assert evidence.replace() and GUARD_MARGIN == 0.05 and GUARD_FOLDS == 5


def test_the_guard_keeps_the_shipped_floors_without_the_margin() -> None:
    evidence = judge(_rows(shipped_catches=True), 0.02)
    assert (evidence.shipped_caught, evidence.learnt_caught) == (20, 20)
    assert not evidence.replace()


def test_the_guard_keeps_the_shipped_floors_when_the_learnt_ones_flag_more_answerable() -> None:
    """One answerable query in 60 as low as the not-answered ones: within the fit's 2% budget, so the learnt floors
    flag it when it is held out, where the shipped floors did not."""
    evidence = judge(_rows(shipped_catches=False, answerable_low=1), 0.02)
    assert evidence.learnt_caught - evidence.shipped_caught >= GUARD_MARGIN * evidence.not_answered
    assert evidence.learnt_false > evidence.shipped_false == 0
    assert not evidence.replace()


def test_too_few_labels_learn_nothing_and_keep_the_shipped_floors() -> None:
    rows = _rows(shipped_catches=False)
    few = rows[:4] + rows[60:]  # four answerable labels: under the fit's five
    assert judge(few, 0.02).learnt_caught == 0 and not judge(few, 0.02).replace()
    assert taught_rule(rows, 0.02) is not None
    assert taught_rule(rows, 0.02, min_labels=30) is None  # 20 not-answered labels: under a guard of 30


def test_a_row_that_only_judges_never_teaches() -> None:
    """A hidden search's uncited ticket (taught None) counts in the comparison, never in the fit."""
    rows = _rows(shipped_catches=False)
    judge_only = [Labelled((0.99, 0.9, 2.0, 1.0), "plain", True, True, None)] * 10  # high: would drag floors up
    assert taught_rule(rows + judge_only, 0.02) == taught_rule(rows, 0.02)
    evidence = judge(rows + judge_only, 0.02)
    assert (evidence.not_answered, evidence.shipped_caught) == (30, 10)
    teach_only = Labelled((0.8, 0.1, 0.2, 0.0), "plain", False, None, True)  # judges nothing: never held out
    assert judge([*rows, teach_only], 0.02).not_answered == 20
