"""Cross-lingual title evidence: the query's USE vector against every article title's own vector.

A chunk's vector blends its title with a few hundred characters of body; across languages the
body is where USE's alignment is weakest (product vocabulary, steps, lists), while a title is a
short, plain statement of what the article answers. Scored alone, titles separate the right
article from its neighbours better than chunks for a query in another language: USE alone over
the demo's English articles, Arabic queries, MRR@10 0.586 by chunks, 0.651 by chunk plus half the
title cosine (bench/eval_retrieval.py --suite gives the product's figures with the rest of the
pipeline). Titles are few (one per article and language), so their vectors live in memory,
built from the live index and rebuilt when it changes; a title seen before keeps its vector.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from copilot.index_view import FromIndex
from indexer.embedders import Embedder


@dataclass(frozen=True)
class TitleMatrix:
    """Article keys ("lang/id") per language and their titles' unit vectors, row for row."""

    keys: dict[str, tuple[str, ...]]
    vectors: dict[str, np.ndarray]

    def scores(self, query: np.ndarray, langs: Sequence[str]) -> dict[str, float]:
        """Cosine of the query's vector with each title of these languages, by article key."""
        out: dict[str, float] = {}
        for lang in langs:
            matrix = self.vectors.get(lang)
            if matrix is None or not len(matrix):
                continue
            out.update(zip(self.keys[lang], (matrix @ query).tolist(), strict=True))
        return out


class TitleVectors:
    """The live index's titles embedded by one model (USE: aligned across languages)."""

    def __init__(
        self, embedder: Embedder, payloads: Callable[[], list[dict]], version: Callable[[], str | None]
    ) -> None:
        self.embedder = embedder
        self._payloads = payloads
        self._known: dict[str, np.ndarray] = {}  # title -> unit vector, kept across index versions
        self._lock = threading.Lock()
        self._matrix = FromIndex(version, self._build)

    def get(self) -> TitleMatrix:
        return self._matrix.get()

    def _build(self) -> TitleMatrix:
        titles: dict[str, dict[str, str]] = {}
        for payload in self._payloads():
            key, title = str(payload.get("key", "")), str(payload.get("title", "")).strip()
            if key and title:
                titles.setdefault(str(payload.get("lang", "")), {})[key] = title
        with self._lock:
            wanted = {t for by_key in titles.values() for t in by_key.values()}
            new = sorted(wanted - set(self._known))
            if new:
                embedded = self.embedder.embed_passages(new)
                norms = np.linalg.norm(embedded, axis=1, keepdims=True)
                for title, vector in zip(new, embedded / np.maximum(norms, 1e-9), strict=True):
                    self._known[title] = vector.astype(np.float32)
            self._known = {t: v for t, v in self._known.items() if t in wanted}  # edited titles go
            keys = {lang: tuple(sorted(by_key)) for lang, by_key in titles.items()}
            vectors = {lang: np.stack([self._known[titles[lang][k]] for k in ks]) for lang, ks in keys.items() if ks}
        return TitleMatrix(keys, vectors)
