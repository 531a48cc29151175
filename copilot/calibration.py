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
from dataclasses import dataclass
from typing import Literal

import numpy as np

from copilot.index_view import IndexSnapshot
from copilot.title_evidence import opening_keys
from copilot.title_vectors import TitleMatrix
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
    rows = IndexSnapshot.of(store).payloads(("key", "lang", "title", "text", "ordinal"))
    opening = opening_keys(rows)  # a title that is only its opening words asks for its own first sentence
    scales: dict[str, float] = {}
    for lang in langs:
        own = [r for r in rows if r.get("lang") == lang and r.get("key") not in opening]
        titles = title_sample([str(r.get("title", "")) for r in own])
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


@dataclass(frozen=True)
class CrossScale:
    """What USE scores for the right article (`true_*`) and the nearest wrong one (`wrong_*`) in
    one language's articles: medians over the index's own titles asked as queries, against the
    articles' chunks (the scale of `cross_top`) and against the other titles (`cross_title_top`).

    `measured_by` says with which questions: "titles" asks the articles' own titles (every index
    can: the scale of the article language), "pairs" asks the titles of their translations in the
    query's language (the language pair's own scale; only where translated pairs exist).
    """

    true_chunk: float
    wrong_chunk: float
    true_title: float
    wrong_title: float
    measured_by: Literal["pairs", "titles"]
    background_title: float  # the median cosine of an asked title and another article's title (unrelated)

    def chunk_share(self, score: float) -> float:
        """Where a chunk score sits from the nearest wrong article (0) to the right one (1)."""
        return (score - self.wrong_chunk) / max(self.true_chunk - self.wrong_chunk, 1e-3)

    def title_share(self, score: float) -> float:
        """Where a title score sits from the background (0: any two of the index's titles) to the nearest wrong
        title (1). Not from the nearest wrong title to the right one: a help center of near-duplicate titles (one
        support page per country, per plan) has its nearest wrong title near the right one (USE 0.757 on m365,
        0.470 on the demo), which squashed that scale and put the demo's floor above m365's answerable questions
        (bench/RESULTS.md "Session 16, xcal6"); the background is 0.12-0.13 on every index measured, and the
        nearest wrong title's height above it says how dense the index's titles are (Session 17, xscale7)."""
        return (score - self.background_title) / max(self.wrong_title - self.background_title, 1e-3)


def cross_scales(
    store: VectorStore, titles: TitleMatrix, langs: Sequence[str], pairs: bool = False, model: str = "use"
) -> dict[tuple[str, str], CrossScale]:
    """Per (query language, article language), the scale of cross-lingual scores on this index (and per
    (language, language), the same-language scale it is measured with).

    By default measured with the article language's own titles, which any index has: a help
    center missing a language entirely (the case the cross-lingual floor is for) has no pair to
    measure the language pair with. `pairs=True` measures the pair itself where at least
    MIN_TITLES articles exist in both languages (bench/eval_retrieval.py prints both).
    """
    scales: dict[tuple[str, str], CrossScale] = {}
    for target, own in own_scales(store, titles, langs, model).items():
        target_ids = [key.split("/", 1)[1] for key in titles.keys[target]]
        scales[(target, target)] = own  # the language's own scale: same-language scores as shares (use_share)
        for source in langs:
            if source == target:
                continue
            source_keys = titles.keys.get(source, ())
            rows = {key.split("/", 1)[1]: row for row, key in enumerate(source_keys)}
            paired = [(rows[i], i) for i in target_ids if i in rows]
            if pairs and len(paired) >= MIN_TITLES:
                asking = titles.vectors[source]
                scales[(source, target)] = _cross_scale(store, asking, paired, titles, target, model, "pairs")
            else:
                scales[(source, target)] = own
    return scales


def own_scales(store: VectorStore, titles: TitleMatrix, langs: Sequence[str], model: str) -> dict[str, CrossScale]:
    """Per language with at least MIN_TITLES articles, what `model` scores for the right article and
    the nearest wrong one when the language's own titles (`titles`, embedded by `model` as queries)
    are asked of its articles: the scale of that model's same-language top score on this index.

    The same-language abstention floors are fitted as shares of it (`e5_share`, `use_share`):
    raw cosines are the model's and the corpus's at once (USE's right-article median is 0.43 on the
    demo's Arabic articles and 0.53 on m365's), and a floor fitted in raw units on one help center
    flags the other's answerable questions (bench/RESULTS.md "Session 14, floors4").
    """
    scales: dict[str, CrossScale] = {}
    for lang in langs:
        keys = titles.keys.get(lang, ())
        if len(keys) < MIN_TITLES:
            continue
        ids = [key.split("/", 1)[1] for key in keys]
        scales[lang] = _cross_scale(store, titles.vectors[lang], list(enumerate(ids)), titles, lang, model, "titles")
    return scales


def _cross_scale(
    store: VectorStore,
    asking: np.ndarray,
    ids: list[tuple[int, str]],
    titles: TitleMatrix,
    target: str,
    model: str,
    measured_by: Literal["pairs", "titles"],
) -> CrossScale:
    """Ask each (row of `asking`, article id) as a query of `target`'s articles and titles."""
    true_chunk, wrong_chunk, true_title, wrong_title = title_query_scores(store, asking, ids, titles, target, model)
    return CrossScale(
        statistics.median(true_chunk) if true_chunk else 1.0,
        statistics.median(wrong_chunk) if wrong_chunk else 0.0,
        statistics.median(true_title),
        statistics.median(wrong_title),
        measured_by,
        title_background(asking, ids, titles, target),
    )


def title_query_scores(
    store: VectorStore, asking: np.ndarray, ids: list[tuple[int, str]], titles: TitleMatrix, target: str, model: str
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Each asked title's scores (a sample of TITLE_SAMPLE): its right article's best chunk, the nearest wrong
    article's, its right article's title and the nearest wrong title (what CrossScale takes the medians of)."""
    ids = _sampled(ids)
    queries = [
        StoreQuery(
            (Source(model, asking[row], PayloadFilter(langs=(target,))),),
            PayloadFilter(),
            limit=20,
            payload_fields=("article_id",),
        )
        for row, _ in ids
    ]
    position = {key.split("/", 1)[1]: row for row, key in enumerate(titles.keys[target])}
    true_chunk, wrong_chunk, true_title, wrong_title = [], [], [], []
    for (row, article), hits in zip(ids, store.query(queries), strict=True):
        best: dict[str, float] = {}
        for hit in hits:
            best.setdefault(str(hit.payload.get("article_id", "")), hit.score)
        others = [score for other, score in best.items() if other != article]
        if article in best:
            true_chunk.append(best[article])
        if others:
            wrong_chunk.append(others[0])
        title_scores = titles.vectors[target] @ asking[row]
        true_title.append(float(title_scores[position[article]]))
        wrong_title.append(float(np.delete(title_scores, position[article]).max()))
    return true_chunk, wrong_chunk, true_title, wrong_title


def title_background(asking: np.ndarray, ids: list[tuple[int, str]], titles: TitleMatrix, target: str) -> float:
    """The median cosine of an asked title (the rows of `asking` in `ids`, title_query_scores' sample) and a title of
    another of `target`'s articles: what two unrelated titles score on this index (CrossScale.title_share's zero)."""
    ids = _sampled(ids)
    article = np.array([key.split("/", 1)[1] for key in titles.keys[target]])
    scores = asking[[row for row, _ in ids]] @ titles.vectors[target].T
    return float(np.median(scores[other_articles(article, np.array([asked for _, asked in ids]))]))


def _sampled(ids: list[tuple[int, str]]) -> list[tuple[int, str]]:
    return ids[:: max(1, len(ids) // TITLE_SAMPLE)][:TITLE_SAMPLE]


def other_articles(article: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """Which cells of a score matrix (one row per asked title's article in `asked`, one column per title of
    `article`) pair a title with another article's: what "two unrelated titles" means for a background."""
    return article[None, :] != asked[:, None]


# Title density: how much of the help center sits near a question, as opposed to how well its best
# article matches it (the scores above). An out-of-scope question that one article nearly answers
# ("dimensions of the 3 seater sofa" beside the large-item delivery page) still has few titles near
# it; a question the help center is about has several. The mean cosine of the DENSITY_K nearest
# titles (e5, titles and query in e5's "query: " form: retrieval's "title_e5" vectors).
DENSITY_K = 5


@dataclass(frozen=True)
class DensityScale:
    """One article language's title density in the index's own units: `background` is the median
    cosine between two of its titles (any two: unrelated), `own` the median density of its titles
    asked as queries against the other articles' titles (what a question about the help center gets)."""

    background: float
    own: float

    def share(self, score: float) -> float:
        """Where a density sits from the background (0) to the help center's own questions (1)."""
        return (score - self.background) / max(self.own - self.background, 1e-3)


def title_density(vectors: np.ndarray, query: np.ndarray, k: int = DENSITY_K) -> float:
    """Mean cosine of the `k` titles nearest the (unit) query vector."""
    scores = vectors @ query
    k = min(k, len(scores))
    return float(np.partition(scores, len(scores) - k)[-k:].mean()) if k else 0.0


def density_scales(titles: TitleMatrix, langs: Sequence[str], k: int = DENSITY_K) -> dict[str, DensityScale]:
    """Per article language, the density scale of its titles (at least MIN_TITLES articles)."""
    scales: dict[str, DensityScale] = {}
    for lang in langs:
        keys, vectors = titles.keys.get(lang, ()), titles.vectors.get(lang)
        if vectors is None or len(set(keys)) < max(MIN_TITLES, k + 1):
            continue
        own, background = density_samples(vectors, keys, k)
        scales[lang] = DensityScale(background, statistics.median(own))
    return scales


def density_samples(vectors: np.ndarray, keys: Sequence[str], k: int = DENSITY_K) -> tuple[list[float], float]:
    """A sample of the titles' densities asked as queries against the other articles' titles (what DensityScale
    takes the median of), and the median cosine of two titles of different articles (its background)."""
    rows = np.arange(len(keys))[:: max(1, len(keys) // TITLE_SAMPLE)][:TITLE_SAMPLE]
    scores = vectors[rows] @ vectors.T
    article = np.array(keys)
    others = other_articles(article, article[rows])  # a title's own article is not its neighbour
    own = [float(np.sort(row[mask])[-k:].mean()) for row, mask in zip(scores, others, strict=True)]
    return own, float(np.median(scores[others]))
