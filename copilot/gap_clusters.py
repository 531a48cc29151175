"""Content gaps grouped by meaning: "12 people asked about Tabby instalments" instead of 12 rows.

Takes plain query strings with their counts (failed searches, abstained drafts: the caller counts
them) and one of the project's `Embedder`s, and groups queries whose meaning is close: greedy leader
clustering in order of frequency, each query joining the group whose centroid is most similar if
that similarity reaches the model's threshold, else starting its own group. Greedy leader keeps it
O(queries x groups) for the few hundred distinct gap queries a dashboard shows, deterministic, and
free of a clustering dependency.

Thresholds per model, from the cosine matrix of 14 support queries in both languages (tabby/تابي
instalments, forgot/reset password, card declined, refund status, delivery, gift cards):
- USE multilingual: same topic 0.55-0.75 (Arabic-English pairs included), different topics at most
  0.44 ("forgot my password" vs "my card was declined"): 0.5 separates them.
- e5-small: everything sits at 0.75-0.94 and unrelated pairs reach 0.89, so only near-paraphrases
  (0.92+) are grouped; USE is preferred when the engine has it.
No Flask, no SQL: the web app hands in the strings and reads back groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from copilot.query_vectors import unit
from indexer.embedders import Embedder

THRESHOLDS = {"use": 0.5, "e5": 0.92}
DEFAULT_THRESHOLD = 0.9
CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class QueryGroup:
    label: str  # the group's most frequent query
    members: tuple[int, ...]  # indices into the input, most frequent first
    count: int  # the members' counts added up


def preferred_embedder(embedders: Sequence[Embedder]) -> Embedder | None:
    """The embedder whose similarities separate topics best (USE), else the first one."""
    for embedder in embedders:
        if embedder.name == "use":
            return embedder
    return embedders[0] if embedders else None


class GapClusterer:
    """Groups queries by meaning; remembers each query's vector, since the same gaps come back on
    every dashboard load."""

    def __init__(self, embedder: Embedder, threshold: float | None = None) -> None:
        self.embedder = embedder
        self.threshold = threshold if threshold is not None else THRESHOLDS.get(embedder.name, DEFAULT_THRESHOLD)
        self._vectors: dict[str, np.ndarray] = {}

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            if len(self._vectors) + len(missing) > CACHE_LIMIT:
                self._vectors.clear()
            vectors = np.asarray(self.embedder.embed_queries(missing), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            for text, vector in zip(missing, vectors / np.where(norms == 0, 1, norms), strict=True):
                self._vectors[text] = vector
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)

    def group(self, queries: Sequence[str], counts: Sequence[int]) -> list[QueryGroup]:
        if len(queries) != len(counts):
            raise ValueError("queries and counts must have the same length")
        order = sorted(range(len(queries)), key=lambda i: (-counts[i], queries[i]))
        vectors = self._embed([queries[i] for i in order])
        # Centroids live in one preallocated matrix: each step is one (groups x dim) product, no copying.
        centroids = np.zeros((len(order), vectors.shape[1] if len(order) else 1), dtype=np.float32)
        sums: list[np.ndarray] = []
        members: list[list[int]] = []
        for row, index in enumerate(order):
            vector = vectors[row]
            if members:
                similarities = centroids[:len(members)] @ vector
                best = int(np.argmax(similarities))
                if similarities[best] >= self.threshold:
                    members[best].append(index)
                    sums[best] = sums[best] + vector
                    centroids[best] = unit(sums[best])
                    continue
            centroids[len(members)] = vector
            sums.append(vector.copy())
            members.append([index])
        groups = [QueryGroup(queries[m[0]], tuple(m), sum(counts[i] for i in m)) for m in members]
        return sorted(groups, key=lambda g: (-g.count, g.label))
