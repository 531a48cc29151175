"""Hub articles: pages that mention everything, told apart from the specific article by the index.

A help center has pages whose text touches most of its topics: a policy that lists every case
("Return policy"), a troubleshooting page ("Problems signing in"), a multi-step series' overview,
a GDPR page, a feature description. For a query about one of those topics such a page holds a
matching chunk, often several, and it outranks the article written for exactly that question
(the issue's "hub articles", in Arabic most of all, where the specific article's title and the
customer's words share fewer terms).

A hub is broad: it has more sections (chunks) than the language's median article, so a help
center of one-section pages, or a benchmark of single passages (xquad: its passages of one
Wikipedia article are each other's title neighbours), has none. Which broad pages are hubs needs
no list and no labelled query: ask the index its own titles (each a writer's statement of what
one article answers) and count, for every article, how many *other* articles' titles rank it
among their first HUB_RANKS. A specific article answers its own title
and perhaps a neighbour's; a hub is near the top for many. The count, as a share of HUB_FULL
times the average count in that language (capped at 1), becomes a small demotion of the
article's fused score (a share of the best fused score, as the title credit is), so a hub still
wins when it is clearly the best match and loses the near ties it wins by mentioning everything.
Computed from the live index (lexical title queries, one batch, like copilot.calibration) and
rebuilt when the index changes.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from copilot.index_view import IndexSnapshot
from indexer.lexical import SPARSE_VECTOR, LexicalEncoder
from indexer.stores.base import Hit, PayloadFilter, Source, StoreQuery, VectorStore

HUB_RANKS = 3  # an article counts as near another's title when it is among that title's first three
MIN_HUB_COUNT = 2  # one neighbouring title is what a specific article also gets: not a hub
HUB_FULL = 4.0  # near this many times the average count of titles, an article is a full hub
MIN_ARTICLES = 20  # below this many articles per language, counts are too small to mean anything
_CANDIDATES = 30  # chunks asked per title: enough to see its first few articles


def hub_shares(store: VectorStore, lexical: LexicalEncoder, langs: Sequence[str]) -> dict[str, float]:
    """Per article key, how much of a hub it is: the other titles it ranks near, as a share of the
    most near titles a full hub of its language has (0 for specific articles)."""
    rows = IndexSnapshot.of(store).payloads(("lang", "title", "key"))
    shares: dict[str, float] = {}
    for lang in langs:
        titles = {str(r["key"]): str(r.get("title", "")) for r in rows if r.get("lang") == lang and r.get("key")}
        if len(titles) < MIN_ARTICLES:
            continue
        sections = Counter(str(r["key"]) for r in rows if r.get("lang") == lang and r.get("key"))
        typical = statistics.median(sections.values())
        keys = [key for key, title in titles.items() if title.strip()]
        vectors = [lexical.encode_query(titles[key], lang) for key in keys]
        asked = [(key, vector) for key, vector in zip(keys, vectors, strict=True) if vector.indices]
        queries = title_queries(SPARSE_VECTOR, [vector for _, vector in asked], lang)
        counts: Counter[str] = Counter()
        for (key, _), hits in zip(asked, store.query(queries) if queries else [], strict=True):
            near = list(dict.fromkeys(str(hit.payload.get("key")) for hit in hits))[:HUB_RANKS]
            counts.update(other for other in near if other != key)
        # Each title places HUB_RANKS - 1 other articles: that is the average count. A full hub is
        # near HUB_FULL times as many titles as that; the busiest one is no yardstick (m365's 170
        # near-identical "contact support in <country>" titles make one country page near all).
        full = HUB_FULL * sum(counts.values()) / len(titles)
        shares.update(
            {key: min(1.0, n / full) for key, n in counts.items() if n >= MIN_HUB_COUNT and sections[key] > typical}
        )
    return shares


def title_queries(vector_name: str, vectors: Sequence[Any], lang: str) -> list[StoreQuery]:
    """Each title's vector (`vector_name`: the sparse one here, e5's in copilot.dense_hubs) asked for
    the article keys of the first _CANDIDATES chunks in its own language: which articles it is near."""
    return [
        StoreQuery(
            (Source(vector_name, vector, PayloadFilter(langs=(lang,))),),
            PayloadFilter(),
            limit=_CANDIDATES,
            payload_fields=("key",),
        )
        for vector in vectors
    ]


def demote_hubs(ranked: Sequence[Hit], shares: dict[str, float], penalty: float) -> list[Hit]:
    """The ranking with each hub's score lowered by `penalty` times its hub share, best first."""
    if not shares or penalty <= 0:
        return list(ranked)
    rescored = [Hit(h.id, h.score - penalty * shares.get(str(h.payload.get("key")), 0.0), h.payload) for h in ranked]
    return sorted(rescored, key=lambda h: -h.score)
