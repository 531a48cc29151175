import numpy as np

from bench.eval_retrieval import product_rule, product_rule_fit
from copilot.heading_floor import HEADING_FLOOR

# Columns: cross_share, cross_title_share, cross_heading_top, title_names, cross_density_share.
ROWS = np.array([
    [-3.0, -0.7, 0.3, 0.0, 0.0],  # out of scope, low on both shares
    [-2.5, -0.3, 0.3, 0.0, 0.0],  # out of scope, its title matches well
    [-3.0, -0.8, 0.3, 1.0, 0.0],  # answerable, low on both but names a title
    [-2.6, -0.6, 0.3, 0.0, 0.0],  # answerable, lower than the second on both, above the first
    [-1.0, -0.2, HEADING_FLOOR - 0.01, 0.0, 0.0],  # answerable, no heading speaks to it
    [-1.0, -0.2, 0.4, 0.0, 0.0],  # answerable
])  # fmt: skip
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
