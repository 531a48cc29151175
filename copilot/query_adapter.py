"""A per-index linear map of e5's query vector towards the help center's own passages, learnt without labels.

e5 was trained on web text; a help center's questions and passages sit in its own corner of e5's space,
and the help center itself says where: every title and heading is a short statement of what its article or
section answers (a query, in e5's "query: " form), and the index holds that article's and that section's
passage vectors. A ridge regression from the former to the latter, pulled towards the identity so that a
small help center cannot bend the space far, is fitted per language in closed form:

    W = argmin ||Q W - P||^2 + lam ||W - I||^2 = (Q'Q + lam I)^-1 (Q'P + lam I)

and a typed query is searched with q' = unit((1 - a) q + a unit(q W)). `lam` and `a` are chosen on the
index alone, never on questions: its pairs are split by article into FOLDS folds, and the choice is the
one whose held-out titles and headings rank their own article best (MRR@10 among the language's articles,
an article scoring as its best chunk); the identity (a = 0) is a candidate, so a help center the map does
not help keeps its queries as they are. bench/RESULTS.md "Session 24, adapter24" has what it moves: e5 alone
gains on every dev domain, the hybrid does not (the lever is off).

Only the same-language e5 ranking reads the adapted vector (copilot.retrieval, LEVERS["query_adapter"]):
the abstention evidence keeps the unadapted one (its floors were fitted on it), and so do the other
language's candidates (an English map applied to an Arabic question costs the demo's Arabic over English:
same note).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from copilot.query_vectors import unit
from copilot.title_vectors import TitleMatrix
from indexer.stores.base import VectorStore

LAMBDAS = (3.0, 10.0, 30.0, 100.0)  # the ridge's pull towards the identity, in units of unit-vector pairs
MIXES = (0.25, 0.5, 0.75, 1.0)  # how much of the mapped vector the query takes
FOLDS = 5
MIN_ARTICLES = 2 * FOLDS  # a language with fewer articles holding pairs gets no map (nothing to hold out)
TOP = 10  # the held-out criterion is MRR@10, as the suite's


def fit_map(queries: np.ndarray, targets: np.ndarray, lam: float) -> np.ndarray:
    """The ridge map towards the identity from `queries` rows to `targets` rows (closed form)."""
    dim = queries.shape[1]
    gram = queries.T.astype(np.float64) @ queries + lam * np.eye(dim)
    cross = queries.T.astype(np.float64) @ targets + lam * np.eye(dim, targets.shape[1])
    return np.linalg.solve(gram, cross).astype(np.float32)


def adapt(vectors: np.ndarray, matrix: np.ndarray, mix: float) -> np.ndarray:
    """unit((1 - mix) q + mix unit(q W)) for a vector or for each row."""
    return unit((1.0 - mix) * unit(vectors) + mix * unit(vectors @ matrix)).astype(np.float32)


@dataclass(frozen=True)
class LanguageMap:
    """One language's map and how it was chosen: `held_out` the held-out pairs' MRR@10 at the choice,
    `identity` theirs unadapted; `pairs` titles and headings fitted on, `articles` the articles they name."""

    matrix: np.ndarray
    lam: float
    mix: float
    held_out: float
    identity: float
    pairs: int
    articles: int


@dataclass(frozen=True)
class QueryAdapter:
    """The index's maps by language (a language without a useful one is absent) and the fit's seconds."""

    maps: dict[str, LanguageMap]
    seconds: float

    def apply(self, vector: np.ndarray, lang: str) -> np.ndarray:
        """The query's vector as the index's own passages would have it, for a query in `lang`."""
        found = self.maps.get(lang)
        return vector if found is None or found.mix == 0.0 else adapt(vector, found.matrix, found.mix)


@dataclass(frozen=True)
class Pairs:
    """One language's pseudo-queries (title and heading vectors), their targets (the unit mean of the
    article's or the section's chunk vectors) and the article key of each, row for row."""

    queries: np.ndarray
    targets: np.ndarray
    articles: tuple[str, ...]


def language_pairs(
    titles: TitleMatrix, headings: TitleMatrix, rows: Sequence[dict], chunks: np.ndarray, lang: str
) -> Pairs:
    """Each title of `lang` paired with its article's chunks, each heading (its payload `section`) with that
    section's chunks; `rows` are the chunks' payloads (key, section), row for row with `chunks`."""
    by_article: dict[str, list[int]] = {}
    by_section: dict[tuple[str, str], list[int]] = {}
    for row, payload in enumerate(rows):
        key = str(payload.get("key", ""))
        by_article.setdefault(key, []).append(row)
        by_section.setdefault((key, str(payload.get("section", "")).strip()), []).append(row)
    queries: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    articles: list[str] = []
    for matrix, sectioned in ((titles, False), (headings, True)):
        keys, texts = matrix.keys.get(lang, ()), matrix.texts.get(lang, ())
        for position, (key, text) in enumerate(zip(keys, texts or [""] * len(keys), strict=True)):
            found = by_section.get((key, text)) if sectioned else by_article.get(key)
            if found:
                queries.append(matrix.vectors[lang][position])
                targets.append(chunks[found].mean(axis=0))
                articles.append(key)
    if not queries:
        return Pairs(np.zeros((0, chunks.shape[1]), np.float32), np.zeros((0, chunks.shape[1]), np.float32), ())
    return Pairs(unit(np.stack(queries)), unit(np.stack(targets)), tuple(articles))


class _Articles:
    """The language's chunks grouped by article, to score an article as its best chunk."""

    def __init__(self, chunks: np.ndarray, keys: Sequence[str]) -> None:
        names, index = np.unique(np.asarray(keys), return_inverse=True)
        order = np.argsort(index, kind="stable")
        self.names = {name: position for position, name in enumerate(names.tolist())}
        self._chunks = unit(chunks[order])
        self._starts = np.searchsorted(index[order], np.arange(len(names)))

    def reciprocal_ranks(self, queries: np.ndarray, own: Sequence[str]) -> np.ndarray:
        """1/rank of each query's own article among all (0 past TOP), articles scored by their best chunk."""
        scores = np.maximum.reduceat(unit(queries) @ self._chunks.T, self._starts, axis=1)
        mine = scores[np.arange(len(own)), [self.names[key] for key in own]]
        rank = 1 + (scores > mine[:, None]).sum(axis=1)
        return np.where(rank <= TOP, 1.0 / rank, 0.0)


def choose(
    pairs: Pairs,
    chunks: np.ndarray,
    chunk_keys: Sequence[str],
    lambdas: Sequence[float] = LAMBDAS,
    mixes: Sequence[float] = MIXES,
    folds: int = FOLDS,
) -> dict[tuple[float, float], float]:
    """The held-out pairs' MRR@10 of their own article for each (lam, mix), (0.0, 0.0) the identity: each fold's
    articles' pairs are scored by the map fitted on the other folds' (articles in a fixed shuffled order)."""
    articles = _Articles(chunks, chunk_keys)
    names = np.array(sorted(set(pairs.articles)))
    fold_of = dict(
        zip(np.random.default_rng(0).permutation(names).tolist(), np.arange(len(names)) % folds, strict=True)
    )
    fold = np.array([fold_of[key] for key in pairs.articles])
    totals = {(0.0, 0.0): float(articles.reciprocal_ranks(pairs.queries, pairs.articles).sum())}
    for lam in lambdas:
        for held in range(folds):
            test = fold == held
            matrix = fit_map(pairs.queries[~test], pairs.targets[~test], lam)
            own = [key for key, asked in zip(pairs.articles, test, strict=True) if asked]
            for mix in mixes:
                ranks = articles.reciprocal_ranks(adapt(pairs.queries[test], matrix, mix), own)
                totals[(lam, mix)] = totals.get((lam, mix), 0.0) + float(ranks.sum())
    return {choice: total / len(pairs.articles) for choice, total in totals.items()}


def fit_language(pairs: Pairs, chunks: np.ndarray, chunk_keys: Sequence[str]) -> LanguageMap | None:
    """The map of the label-free choice (`choose`), fitted on every pair; None with too few articles."""
    if len(set(pairs.articles)) < MIN_ARTICLES:
        return None
    scores = choose(pairs, chunks, chunk_keys)
    lam, mix = max(scores, key=lambda choice: (scores[choice], -choice[1]))  # a tie keeps the query nearer as typed
    if mix == 0.0:
        return None
    matrix = fit_map(pairs.queries, pairs.targets, lam)
    return LanguageMap(
        matrix, lam, mix, scores[(lam, mix)], scores[(0.0, 0.0)], len(pairs.articles), len(set(pairs.articles))
    )


def fit_adapter(
    store: VectorStore, titles: TitleMatrix, headings: TitleMatrix, langs: Sequence[str], model: str = "e5"
) -> QueryAdapter:
    """Per language, the map from `model`'s query vectors of titles (`titles`) and headings (`headings`, their
    payload `section` as queries) to the index's own `model` passage vectors of their chunks."""
    started = time.perf_counter()
    rows, chunks = store.dense_vectors(model, ("key", "lang", "section"))
    maps: dict[str, LanguageMap] = {}
    for lang in langs:
        mine = [row for row, payload in enumerate(rows) if payload.get("lang") == lang]
        if not mine:
            continue
        own_rows, own_chunks = [rows[row] for row in mine], chunks[mine]
        pairs = language_pairs(titles, headings, own_rows, own_chunks, lang)
        found = fit_language(pairs, own_chunks, [str(payload.get("key", "")) for payload in own_rows])
        if found is not None:
            maps[lang] = found
    return QueryAdapter(maps, time.perf_counter() - started)
