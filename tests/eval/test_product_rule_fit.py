import numpy as np
import pytest

from bench.eval_retrieval import fused_floor_fit, product_rule, product_rule_fit
from copilot import retrieval
from copilot.heading_floor import HEADING_FLOOR
from copilot.retrieval import LEVERS

# Columns: cross_share, cross_title_share, cross_heading_top, title_names, cross_density_share, cross_fused_top.
ROWS = np.array([
    [-3.0, -0.7, 0.3, 0.0, 0.0, 9.0],  # out of scope, low on both shares
    [-2.5, -0.3, 0.3, 0.0, 0.0, 9.0],  # out of scope, its title matches well
    [-3.0, -0.8, 0.3, 1.0, 0.0, 9.0],  # answerable, low on both but names a title
    [-2.6, -0.6, 0.3, 0.0, 0.0, 9.0],  # answerable, lower than the second on both, above the first
    [-1.0, -0.2, HEADING_FLOOR - 0.01, 0.0, 0.0, 9.0],  # answerable, no heading speaks to it
    [-1.0, -0.2, 0.4, 0.0, 0.0, 9.0],  # answerable
])  # fmt: skip
# The same questions with their fused scores (in first places): the second out-of-scope one's rankings scattered.
SCATTERED = ROWS.copy()
SCATTERED[:, 5] = [5.0, 3.0, 2.0, 4.0, 5.0, 6.0]
OOS = np.array([True, True, False, False, False, False])


def test_the_rule_exempts_named_titles_and_flags_under_the_heading_floor_or_both_share_floors() -> None:
    flagged = product_rule(ROWS, ("ar", "en"), (-2.8, -0.5))
    assert flagged.tolist() == [True, False, False, False, True, False]


def test_the_fit_takes_the_most_out_of_scope_questions_within_the_answerable_budget() -> None:
    # One answerable question of four (the heading floor's) is always flagged: a budget of 25% allows no more.
    _, flagged = product_rule_fit(ROWS, OOS, ("ar", "en"), 0.25)
    assert flagged.tolist() == [True, False, False, False, True, False]
    _, flagged = product_rule_fit(ROWS, OOS, ("ar", "en"), 0.5)  # one more answerable question allowed
    assert flagged[OOS].all() and flagged[~OOS].sum() == 2 and flagged[3]
    _, flagged = product_rule_fit(ROWS, OOS, ("ar", "en"), 0.0)  # nothing fits: the floors flag no share
    assert flagged.tolist() == [False, False, False, False, True, False]


def test_with_density_agreement_the_rule_reads_the_density_floor_only_with_a_share_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # English over Arabic (a density floor): the last row sparse, its shares above both floors, then one under.
    floor = retrieval.CROSS_DENSITY_FLOORS[("en", "ar")]
    rows = np.array([[-1.0, -0.2, 0.4, 0.0, floor - 0.1, 5.0], [-3.0, -0.2, 0.4, 0.0, floor - 0.1, 5.0]])
    assert product_rule(rows, ("en", "ar"), (-2.8, -0.5)).tolist() == [True, True]
    monkeypatch.setitem(LEVERS, "density_agreement", True)
    assert product_rule(rows, ("en", "ar"), (-2.8, -0.5)).tolist() == [False, True]


def test_the_fused_floor_flags_under_it_with_the_lever_or_when_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LEVERS, "fused_floor", False)
    off = product_rule(SCATTERED, ("ar", "en"), (-2.8, -0.5))
    assert off.tolist() == [True, False, False, False, True, False]  # the shares and the heading
    given = product_rule(SCATTERED, ("ar", "en"), (-2.8, -0.5), fused=3.5)
    assert given.tolist() == [True, True, False, False, True, False]
    monkeypatch.setitem(LEVERS, "fused_floor", True)
    monkeypatch.setattr(retrieval, "CROSS_FUSED_FLOOR", 4.5)
    assert product_rule(SCATTERED, ("ar", "en"), (-2.8, -0.5)).tolist() == [True, True, False, True, True, False]


def test_the_fused_floor_fit_takes_the_out_of_scope_question_the_shares_miss_within_the_budget() -> None:
    # The rule flags one answerable of four (the heading's): a floor between 3.0 and 4.0 adds the second
    # out-of-scope question and no answerable one; above 4.0 one more answerable, over a budget of 25%.
    floor = fused_floor_fit(SCATTERED, OOS, ("ar", "en"), (-2.8, -0.5), 0.25)
    assert 3.0 < floor < 4.0
    assert product_rule(SCATTERED, ("ar", "en"), (-2.8, -0.5), fused=floor)[OOS].all()
    budget_left = SCATTERED.copy()
    budget_left[1, 5] = 4.5  # now only a floor above the answerable 4.0 reaches it: not within the budget
    assert fused_floor_fit(budget_left, OOS, ("ar", "en"), (-2.8, -0.5), 0.25) == -np.inf
