"""bench/confidence_thresholds.py: a row takes its rank with the translation only when its confidence passes."""

from __future__ import annotations

import pytest

from bench.confidence_thresholds import gated_ranks, mrr

OFF = [{"query": "وين طلبي", "lang": "ar", "rank": 3}, {"query": "فلوسي", "lang": "ar", "rank": 1},
       {"query": "refund", "lang": "en", "rank": None}]
ON = [{"query": "وين طلبي", "lang": "ar", "rank": 1}, {"query": "فلوسي", "lang": "ar", "rank": None},
      {"query": "refund", "lang": "en", "rank": 2}]
CONFIDENCE = {("وين طلبي", "ar"): -0.2, ("فلوسي", "ar"): -1.1}  # "refund" was not scored


def test_each_row_takes_the_translated_rank_only_at_or_above_the_threshold() -> None:
    assert gated_ranks(OFF, ON, CONFIDENCE, -0.5) == [1, 1, None]
    assert gated_ranks(OFF, ON, CONFIDENCE, -1.1) == [1, None, None]
    assert gated_ranks(OFF, ON, CONFIDENCE, 0.0) == [3, 1, None]
    assert mrr([1, 1, None]) == pytest.approx(2 / 3)


def test_runs_of_different_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="different rows"):
        gated_ranks(OFF, list(reversed(ON)), CONFIDENCE, -0.5)
