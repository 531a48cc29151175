"""Article votes: each source's ranking read as a ranking of articles, one place per article.

The store fuses chunk rankings (weighted RRF over each source's first chunks): an article with several
chunks matching a query word holds several places of a source's list, and every article below it ranks
lower there by as many places. A long page that repeats one of the question's words (the steps of
m365's "former employee" series all say موظف, employee, again and again) pushes the page the question
is about down the BM25 list by its own repetitions, and the fused score reads that lower rank: the
lexical ranking is the signal at fault in most dev misses on both dev domains (bench/miss_signals.py,
bench/RESULTS.md "Session 17, mfault7").

Read as articles, each source gives every article one place, its best chunk's: an article's RRF share
in that source is w / (k + its place among the articles) instead of w / (k + its chunk's place among
the chunks). The correction is added to the store's fused score (whose own formula stays the store's),
so a candidate whose chunks are all above its rivals' moves nothing, and one ranked below another
article's extra chunks gets back the places they took. No words, no language: only the rankings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from indexer.stores.base import Hit


def article_places(hits: Sequence[Hit]) -> tuple[dict[str, int], dict[str, int]]:
    """Per article key, the 1-based place of its best chunk among the chunks and among the articles."""
    chunks: dict[str, int] = {}
    articles: dict[str, int] = {}
    for position, hit in enumerate(hits, 1):
        key = str(hit.payload.get("key", hit.id))
        if key not in chunks:
            chunks[key] = position
            articles[key] = len(articles) + 1
    return chunks, articles


def vote_credit(rankings: Sequence[tuple[float, Sequence[Hit]]], k: int) -> dict[str, float]:
    """Per article key, what its sources' RRF shares gain read as article places: sum over the sources
    (weight, ranked chunks) of w / (k + article place) - w / (k + chunk place)."""
    credit: dict[str, float] = {}
    for weight, hits in rankings:
        chunks, articles = article_places(hits)
        for key, place in articles.items():
            credit[key] = credit.get(key, 0.0) + weight / (k + place) - weight / (k + chunks[key])
    return credit


def credit_votes(ranked: Sequence[Hit], credit: Mapping[str, float]) -> list[Hit]:
    """The candidates with each article's vote credit added, best first."""
    if not credit:
        return list(ranked)
    rescored = [Hit(h.id, h.score + credit.get(str(h.payload.get("key", h.id)), 0.0), h.payload) for h in ranked]
    return sorted(rescored, key=lambda h: -h.score)
