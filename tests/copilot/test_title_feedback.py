"""Unit tests of the title feedback's two steps (copilot.title_feedback); the lever's effect on real
rankings is measured by bench/eval_retrieval.py --suite and guarded in test_retrieval_quality.py."""

from __future__ import annotations

import numpy as np

from copilot.title_feedback import agreed_candidates, feedback_query
from copilot.title_vectors import TitleMatrix


def test_only_candidates_both_models_rank_high_are_feedback() -> None:
    e5 = {"ar/a": 0.9, "ar/b": 0.8, "ar/c": 0.1, "ar/d": 0.7}
    use = {"ar/a": 0.2, "ar/b": 0.9, "ar/c": 0.8, "ar/d": 0.7}
    ranked = ["ar/b", "ar/c", "ar/d", "ar/a"]
    # depth 2: e5's first two are a, b; USE's are b, c: of the ranking's first two (b, c) only b is agreed on
    assert agreed_candidates(ranked, [e5, use], depth=2, count=2) == ["ar/b"]
    # depth 3 adds d to both tops, but d is third in the ranking: no lower candidate stands in for c
    assert agreed_candidates(ranked, [e5, use], depth=3, count=2) == ["ar/b"]
    assert agreed_candidates(ranked, [e5, use], depth=3, count=3) == ["ar/b", "ar/d"]
    assert agreed_candidates(["ar/c", "ar/a"], [e5, use], depth=2, count=2) == []
    assert agreed_candidates(ranked, [], depth=3, count=2) == []


def test_feedback_moves_the_query_towards_the_agreed_titles() -> None:
    titles = TitleMatrix(
        keys={"ar": ("ar/a", "ar/b", "ar/c")},
        vectors={"ar": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)},
    )
    query = np.array([2.0, 0.0, 0.0])  # not a unit vector: the query counts as one unit beside the feedback
    moved = feedback_query(query, titles, ["ar/b"], beta=1.0)
    assert moved is not None
    np.testing.assert_allclose(moved, np.array([1.0, 1.0, 0.0]) / np.sqrt(2), rtol=1e-6)
    scores = titles.scores(moved, ("ar",))
    assert scores["ar/b"] > scores["ar/c"]  # b now ranks level with a, above c
    assert feedback_query(query, titles, ["ar/missing"]) is None
