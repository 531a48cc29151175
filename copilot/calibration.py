"""Abstention floors in the index's own units: what its titles score when asked as queries.

A BM25 score means nothing across help centers: its scale follows the corpus's IDF (how many
articles, how long, how repetitive). The lexical floor the demo help center was tuned with (about
8 points) is a weak match in a large Arabic corpus and a strong one in a small one. Every index
can measure its own scale without any labelled query: ask its articles' titles as queries (a
title is the writer's short statement of what the article answers) and take the median top
score. A floor written as a share of that median moves with the corpus; the share is what gets
fitted on one help center and reused on the next (bench/eval_retrieval.py --suite prints how
well it transfers). Computed from the live index, so it follows every sync.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from indexer.lexical import SPARSE_VECTOR, LexicalEncoder
from indexer.stores.base import PayloadFilter, Source, StoreQuery, VectorStore

TITLE_SAMPLE = 300  # titles asked per language: the median settles long before, the batch stays cheap
# The scale when a language has too few titles to measure (an almost empty index): the demo
# help center's own, so a new help center's first articles behave as the demo did.
MIN_TITLES = 5
DEFAULT_LEXICAL_SCALE = 14.0


def title_sample(titles: Sequence[str], size: int = TITLE_SAMPLE) -> list[str]:
    """Distinct titles, spread evenly over their sorted order: the same sample for the same index."""
    unique = sorted(set(t for t in titles if t.strip()))
    step = max(1, len(unique) // size)
    return unique[::step][:size]


def lexical_scales(store: VectorStore, lexical: LexicalEncoder, langs: Sequence[str]) -> dict[str, float]:
    """Per language, the median BM25 top score of its own titles asked as queries."""
    rows = store.payloads(("lang", "title"))
    scales: dict[str, float] = {}
    for lang in langs:
        titles = title_sample([str(r.get("title", "")) for r in rows if r.get("lang") == lang])
        vectors = [lexical.encode_query(title, lang) for title in titles]
        queries = [
            StoreQuery(
                (Source(SPARSE_VECTOR, vector, PayloadFilter(langs=(lang,))),),
                PayloadFilter(),
                limit=1,
                payload_fields=("key",),
            )
            for vector in vectors
            if vector.indices
        ]
        tops = [hits[0].score for hits in store.query(queries) if hits] if queries else []
        scales[lang] = statistics.median(tops) if len(tops) >= MIN_TITLES else DEFAULT_LEXICAL_SCALE
    return scales
