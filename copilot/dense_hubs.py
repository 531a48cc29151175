"""Dense hubs: pages the embedding model puts near everything, counted from the index's own titles.

copilot.hub_articles finds broad pages by the words their text shares with other articles' titles
(BM25), and only among pages longer than the language's median. A page can be broad for the
embedding model without being long or sharing words: "An item is missing or I received the wrong
item" speaks of sending back, refunds and where an order is, so e5 places it near the titles of
returns, refunds and tracking alike, and first for customers' return wording ("how to retrun item",
"I don't like the lamp, can I send it back") above the article that answers.

The count is the lexical one's, asked of the model instead: each title of a language (in e5's query
form, copilot.title_vectors) is asked against that language's chunks, and an article among the
first HUB_RANKS of many *other* titles is near everything. Two things keep the count to breadth:
- only titles that share no term with the article's own title count: a series' parent page ("usage
  analytics") is near the titles of its own sub-pages ("enable usage analytics", "usage analytics
  errors") because it is their topic, not because it is broad;
- only articles near at least DENSE_HUB_LEAST of what a full hub is (hub_articles.HUB_FULL times
  the average count of all neighbours) are hubs, with the lexical hubs' graded share above that:
  the model's neighbour counts are noisier than the words' (e5's cosines sit in a narrow band).

A dense hub is the models' error, not the words': the article the query's own BM25 ranking puts
first keeps its lexical share only (`shares_for`). Rebuilt when the index changes, in the
background (one batch of title queries, as hub_shares).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from copilot.hub_articles import HUB_FULL, HUB_RANKS, MIN_ARTICLES, MIN_HUB_COUNT, title_queries
from copilot.title_vectors import TitleMatrix
from indexer.lexical import LexicalEncoder
from indexer.stores.base import VectorStore

# An article is a dense hub from this share of a full hub's count of unrelated titles. Hybrid MRR@10,
# lever off -> on (bench/lever_ablation.py --levers dense_hubs): demo EN 0.914 -> 0.919, AR 0.889 ->
# 0.893, m365 and both cross-lingual cases unchanged. From any count (0): EN 0.919 but AR 0.884; 0.75:
# EN 0.919, AR 0.889; every neighbour counted, words shared or not (from a full count): m365 AR
# 0.839 -> 0.835 (a series' parent page demoted). bench/RESULTS.md "Session 8, framing3".
DENSE_HUB_LEAST = 0.5


def title_terms(payloads: Sequence[dict], lexical: LexicalEncoder) -> dict[str, frozenset[int]]:
    """Each article's title as its lexical terms (the analyzer's, so "returns" meets "return")."""
    titles = {str(p["key"]): (str(p.get("title", "")), str(p.get("lang", ""))) for p in payloads if p.get("key")}
    return {key: frozenset(lexical.encode_query(title, lang).indices) for key, (title, lang) in titles.items()}


def dense_hub_shares(
    store: VectorStore,
    titles: TitleMatrix,
    vector_name: str,
    terms: dict[str, frozenset[int]],
    langs: Sequence[str],
) -> dict[str, float]:
    """Per article key, how much of a dense hub it is (0 for most): of `vector_name`'s ranking for the
    other titles of its language, how many unrelated ones (no term of `terms` in common) place it among
    their first HUB_RANKS, as a share of a full hub's count (capped at 1)."""
    shares: dict[str, float] = {}
    for lang in langs:
        keys, matrix = titles.keys.get(lang, ()), titles.vectors.get(lang)
        if matrix is None or len(set(keys)) < MIN_ARTICLES:
            continue
        queries = title_queries(vector_name, list(matrix), lang)
        near_all: Counter[str] = Counter()  # every other title an article is near
        unrelated: Counter[str] = Counter()  # those sharing no term with its own title
        for key, hits in zip(keys, store.query(queries), strict=True):
            near = [o for o in dict.fromkeys(str(hit.payload.get("key")) for hit in hits)][:HUB_RANKS]
            others = [o for o in near if o != key]
            near_all.update(others)
            own = terms.get(key, frozenset())
            unrelated.update(o for o in others if not terms.get(o, frozenset()) & own)
        full = HUB_FULL * sum(near_all.values()) / len(set(keys))
        least = max(DENSE_HUB_LEAST * full, MIN_HUB_COUNT)
        shares.update({key: min(1.0, n / full) for key, n in unrelated.items() if full > 0 and n >= least})
    return shares


def shares_for(hubs: dict[str, float], dense: dict[str, float], lexical_first: str | None) -> dict[str, float]:
    """The hub shares a query's ranking is demoted by: each article's larger share, except that the
    article the query's own BM25 ranking puts first keeps only its lexical one (the words chose it)."""
    if not dense:
        return hubs
    merged = dict(hubs)
    for key, share in dense.items():
        if key != lexical_first:
            merged[key] = max(merged.get(key, 0.0), share)
    return merged
