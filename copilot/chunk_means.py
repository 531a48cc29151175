"""How much of an article is about the question: the mean of its chunks' cosines, beside the best one.

English questions over Arabic-only articles mostly lose to a broad neighbour (bench/RESULTS.md,
"Session 6, enar" and after): a page that touches many topics ("change an order after placing it",
"sign-in problems", "missing or wrong item") has one chunk near almost any question about orders or
accounts, and the fallback ranks articles by their best chunk, so that one chunk wins. The answer is
about the question all through: most of its chunks sit near it. The mean cosine of an article's
chunks (its chunks' centroid, not renormalised, asked with the query) tells the two apart: a broad
page's chunks point many ways, so their mean is low for any one question.

It is measured per model (USE and e5 disagree most across languages) over the fallback's own
candidates only, in one store query per model filtered to their articles, and each model's order
of the candidates joins the fallback's RRF as one more source (copilot.retrieval.CHUNK_MEAN_WEIGHTS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from indexer.stores.base import Hit

# Chunks per article the store query may return: every article of both dev domains has fewer
# (m365 at most 58, the demo 10); a longer one is scored on its best CHUNK_DEPTH chunks.
CHUNK_DEPTH = 64


def mean_scores(hits: Sequence[Hit]) -> dict[str, float]:
    """The mean score of each article's chunks among `hits`, by the payload's article key."""
    sums: dict[str, tuple[float, int]] = {}
    for hit in hits:
        key = str(hit.payload.get("key", ""))
        total, count = sums.get(key, (0.0, 0))
        sums[key] = (total + hit.score, count + 1)
    return {key: total / count for key, (total, count) in sums.items() if key}


def max_scores(hits: Sequence[Hit]) -> dict[str, float]:
    """The best score of each article's chunks among `hits`, by the payload's article key."""
    best: dict[str, float] = {}
    for hit in hits:
        key = str(hit.payload.get("key", ""))
        if key:
            best[key] = max(best.get(key, hit.score), hit.score)
    return best


def credit_rank(ranked: Sequence[Hit], scores: Mapping[str, float], weight: float, k: int) -> list[Hit]:
    """Candidates re-sorted, best first, with their article's rank by `scores` as one more RRF
    source of `weight` and constant `k`; an article without a score ranks after every scored one."""
    order = sorted(scores, key=lambda key: -scores[key])
    rank = {key: position for position, key in enumerate(order, 1)}
    unranked = len(rank) + 1
    credited = [
        Hit(h.id, h.score + weight / (k + rank.get(str(h.payload.get("key", "")), unranked)), h.payload) for h in ranked
    ]
    return sorted(credited, key=lambda h: -h.score)
