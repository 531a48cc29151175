"""What a learned re-ranking of a search's final candidates could read of each (bench/rerank_fit.py).

The retriever's levers each move a candidate by a hand-set weight, fitted one at a time. A re-ranker
would instead weigh, for the final top RERANK_TOP articles, the evidence the pipeline holds about
each: its final rank and score, each model's best and mean chunk cosine (an answer has most of its
chunks near the question, a broad page one), its best BM25 chunk, its title's and best heading's
cosines, the share of the typed terms its title holds, how much of a hub it is, its length in
chunks, and the fused first stage's view of it (its rank before any credit, its chunks in that
list). Every raw value becomes two features relative to the other candidates of the same search:
the reciprocal of its rank among them and its share of the best one's value. Nothing depends on an
index's score scale (BM25's IDF, a model's cosine range), so weights fitted on one help center would
mean the same on another.

The study found no weights that gain on a held-out domain (bench/RESULTS.md, "Session 9, ltr"), so
no product code reads these: `instrument` wraps one retriever's last ranking step, for the bench
only, and gathers the evidence with one more store round trip per search.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from copilot.chunk_means import CHUNK_DEPTH
from copilot.query_vectors import unit
from copilot.title_vectors import TitleMatrix
from indexer.lexical import SPARSE_VECTOR, SparseVector
from indexer.stores.base import Hit, PayloadFilter, Source, StoreQuery, VectorStore

if TYPE_CHECKING:
    from copilot.retrieval import QueryPlan, Retriever, SearchHit

RERANK_TOP = 10  # the final candidates a re-ranker would re-sort

# The raw evidence per candidate, in feature order (each gives a rank and a share feature).
SIGNALS = (
    "e5_max",
    "e5_mean",
    "use_max",
    "use_mean",
    "bm25_max",
    "title_use",
    "title_e5",
    "heading_use",
    "title_terms",
    "hub",
    "chunks",
    "first_stage",
    "first_stage_chunks",
)
# The candidate's place in the retriever's own order: the prior the model keeps unless evidence disagrees.
BASE = ("rank", "score_share")
PARTS = ("rank", "share", "spread")
NAMES = BASE + tuple(f"{signal}_{part}" for signal in SIGNALS for part in PARTS)


def chunk_evidence(hits: Sequence[Hit], prefix: str) -> dict[str, dict[str, float]]:
    """Per article key, its best and its mean chunk score among `hits` (one model's store answer
    filtered to the candidates), as `<prefix>_max` and `<prefix>_mean`."""
    scores: dict[str, list[float]] = {}
    for hit in hits:
        key = str(hit.payload.get("key", ""))
        if key:
            scores.setdefault(key, []).append(hit.score)
    return {
        key: {f"{prefix}_max": max(values), f"{prefix}_mean": sum(values) / len(values), "chunks": len(values)}
        for key, values in scores.items()
    }


def first_stage(hits: Sequence[Hit]) -> dict[str, dict[str, float]]:
    """Per article key, the fused first stage's view of it (the store's ranked chunks, before any
    credit): the reciprocal of its best chunk's article rank, and how many of its chunks made the list."""
    out: dict[str, dict[str, float]] = {}
    for hit in hits:
        key = str(hit.payload.get("key", ""))
        if not key:
            continue
        if key not in out:
            out[key] = {"first_stage": 1.0 / (len(out) + 1), "first_stage_chunks": 0.0}
        out[key]["first_stage_chunks"] += 1
    return out


def best_chunk(hits: Sequence[Hit], name: str) -> dict[str, dict[str, float]]:
    """Per article key, its best chunk's score among `hits`, as `name`."""
    best: dict[str, dict[str, float]] = {}
    for hit in hits:
        key = str(hit.payload.get("key", ""))
        if key and key not in best:  # hits arrive best first
            best[key] = {name: hit.score}
    return best


def _relative(values: Sequence[float | None]) -> tuple[list[float], list[float], list[float]]:
    """Each value's reciprocal rank among the candidates, its share of the best, and its place in the
    candidates' range (0 the lowest, 1 the best: cosines of near neighbours differ in the second
    decimal, their shares all sit near 1); all 0 when missing. A share is taken over the values' range
    above the lowest candidate's when any is negative."""
    present = [v for v in values if v is not None]
    if not present:
        return [0.0] * len(values), [0.0] * len(values), [0.0] * len(values)
    order = sorted(present, reverse=True)
    low = min(0.0, min(present))
    top = order[0] - low
    ranks = [1.0 / (order.index(v) + 1) if v is not None else 0.0 for v in values]
    shares = [((v - low) / top if top > 0 else 1.0) if v is not None else 0.0 for v in values]
    width = order[0] - order[-1]
    spread = [((v - order[-1]) / width if width > 0 else 1.0) if v is not None else 0.0 for v in values]
    return ranks, shares, spread


def feature_matrix(
    keys: Sequence[str], scores: Sequence[float], evidence: Mapping[str, Mapping[str, float]]
) -> np.ndarray:
    """One row of NAMES per candidate, in the retriever's order. `evidence`: per key, raw SIGNALS values."""
    n = len(keys)
    columns: list[list[float]] = [
        [1.0 / (i + 1) for i in range(n)],
        _relative(list(scores))[1],
    ]
    for signal in SIGNALS:
        columns += list(_relative([evidence.get(key, {}).get(signal) for key in keys]))
    return np.array(columns, dtype=float).T.reshape(n, len(NAMES))


def gather(
    store: VectorStore,
    base: PayloadFilter,
    keys: Sequence[str],
    vectors: Mapping[str, np.ndarray],
    sparse: Mapping[str, SparseVector],
    titles: Mapping[str, tuple[TitleMatrix, np.ndarray]],
) -> dict[str, dict[str, float]]:
    """The candidates' store evidence in one round trip: per model (`vectors`) their chunks' best and
    mean cosines, per language's lexical query (`sparse`) their best BM25 chunk, and each title view's
    cosine (`titles`: signal name -> the matrix and the query vector in its model)."""
    langs = sorted({key.split("/", 1)[0] for key in keys})
    chosen = PayloadFilter(article_keys=tuple(keys))
    dense = [name for name in ("e5", "use") if name in vectors]
    queries = [
        StoreQuery((Source(name, vectors[name], chosen),), base, limit=CHUNK_DEPTH * len(keys), payload_fields=("key",))
        for name in dense
    ]
    lexical = [(lang, vector) for lang, vector in sparse.items() if vector.indices and lang in langs]
    queries += [
        StoreQuery(
            (Source(SPARSE_VECTOR, vector, PayloadFilter(langs=(lang,), article_keys=tuple(keys))),),
            base,
            limit=CHUNK_DEPTH * len(keys),
            payload_fields=("key",),
        )
        for lang, vector in lexical
    ]
    answers = store.query(queries) if queries else []
    evidence: dict[str, dict[str, float]] = {key: {} for key in keys}
    for name, hits in zip(dense, answers, strict=False):
        for key, values in chunk_evidence(hits, name).items():
            evidence.setdefault(key, {}).update(values)
    for hits in answers[len(dense) :]:
        for key, values in best_chunk(hits, "bm25_max").items():
            evidence.setdefault(key, {}).update(values)
    for signal, (matrix, query) in titles.items():
        scores = matrix.scores(unit(query), langs)
        for key in keys:
            if key in scores:
                evidence[key][signal] = scores[key]
    return evidence


# (query, lang, kind, candidate keys, feature rows) per search; kind "same" when a candidate is in the
# query's language, "cross" when every one is another language's (a missing translation).
Recorder = Callable[[str, str, str, list[str], np.ndarray], None]


def instrument(retriever: Retriever, record: Recorder) -> None:
    """Every typed search of `retriever` reports its final candidates' features to `record`; its
    results stay as they were. It wraps the last ranking step (`_missing_translations`, whose answer
    is the final list) on this instance only: bench instrumentation, not a product hook."""
    original = retriever._missing_translations

    def wrapped(plan: QueryPlan, batch: Any, answers: Any, vectors: dict[str, np.ndarray], *rest: Any) -> Any:
        out = original(plan, batch, answers, vectors, *rest)
        top = out[0][:RERANK_TOP]
        if len(top) >= 2 and not plan.ticket and not plan.evaluating:
            evidence = candidate_evidence(retriever, plan, vectors, answers, top)
            keys = [h.key for h in top]
            kind = "same" if any(h.lang == plan.lang for h in top) else "cross"
            record(plan.query, plan.lang, kind, keys, feature_matrix(keys, [h.score for h in top], evidence))
        return out

    retriever._missing_translations = wrapped  # type: ignore[method-assign,assignment]


def candidate_evidence(
    retriever: Retriever, plan: QueryPlan, vectors: dict[str, np.ndarray], answers: Any, top: Sequence[SearchHit]
) -> dict[str, dict[str, float]]:
    """The SIGNALS of each final candidate, from what the retriever holds and one store round trip;
    the other languages' candidates are asked the query's bridge terms lexically."""
    sparse, typed = retriever._lexical_vectors(plan)
    lexical: dict[str, tuple[SparseVector, SparseVector]] = {}
    for lang in sorted({h.lang for h in top}):
        searched, asked = (sparse, typed) if lang == plan.lang else (None, None)
        if lang != plan.lang:
            bridge = plan.expansion.cross_lingual_terms(plan.query, lang)
            searched = asked = retriever.lexical.encode_query(bridge, lang) if bridge else None
        if searched and asked:
            lexical[lang] = (searched, asked)
    named = {"title_e5": "title_e5", "headings": "heading_use"}
    views = [("title_use", retriever._titles, "use")]
    views += [(named[name], view, view.embedder.name) for name, view in retriever._more_titles.items()]
    titles = {
        name: (matrix, vectors[model])
        for name, view, model in views
        if view is not None and model in vectors and (matrix := view.peek()) is not None
    }
    keys = [h.key for h in top]
    evidence = gather(
        retriever.store, plan.base_filter, keys, vectors, {lang: pair[0] for lang, pair in lexical.items()}, titles
    )
    hubs = retriever._hub_shares(plan, answers.evidence)
    stage = {**first_stage(answers.cross_fused), **first_stage(answers.ranking)}
    for hit in top:
        row = evidence.setdefault(hit.key, {})
        row["hub"] = hubs.get(hit.key, 0.0)
        row.update(stage.get(hit.key, {}))
        if hit.lang in lexical:
            title = Hit(hit.key, 0.0, {"key": hit.key, "title": hit.title})
            row["title_terms"] = retriever._field_share(title, *lexical[hit.lang], hit.lang)
    return evidence
