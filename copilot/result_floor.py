"""How many results a page shows: those whose score stays near the best one's.

A question matches something in most articles, and a list of 25 buries the answer. Results
scoring at least RELATIVE_FLOOR x the best score are shown; the rest wait behind "more results".
At least MIN_SHOWN are shown whatever the scores, at most MAX_SHOWN.

RELATIVE_FLOOR was chosen on the demo dev set (tests/eval/dev_queries.jsonl) by
`python bench/result_floor.py`: the highest floor that keeps the relevant article among the
shown results for (nearly) every query that finds it at all, with the fewest results shown.
On the 298 dev queries whose relevant article is found at all (of 340, 2026-12-01):

    floor  kept   median shown  p90 shown
    0.00   99.7%  10            10
    0.50   99.0%   4             6
    0.60   99.0%   3             5     <- chosen: as many kept as 0.5, a result fewer
    0.65   98.7%   2             4
    0.70   97.3%   2             4
    0.80   93.3%   1             3
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from copilot.retrieval import SearchHit

RELATIVE_FLOOR = 0.6
MIN_SHOWN = 1
MAX_SHOWN = 10

Hit = TypeVar("Hit", bound=SearchHit)


def split_at_floor(hits: Sequence[Hit], floor: float | None = None) -> tuple[list[Hit], list[Hit]]:
    """(shown, more): hits scoring at least `floor` x the best, then the others, both in rank order."""
    floor = RELATIVE_FLOOR if floor is None else floor
    if not hits:
        return [], []
    best = max(hits[0].score, 1e-9)
    shown = [h for i, h in enumerate(hits) if i < MIN_SHOWN or (h.score >= floor * best and i < MAX_SHOWN)]
    cut = len(shown)
    return list(hits[:cut]), list(hits[cut:])
