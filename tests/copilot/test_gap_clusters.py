"""Content gaps grouped by meaning with the project's real embedders."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.gap_clusters import GapClusterer, preferred_embedder
from indexer.embedders import Embedder

QUERIES = ["tabby instalments", "pay with tabby in installments", "تابي تقسيط", "can I split payment with tabby",
           "forgot my password", "نسيت كلمة المرور", "reset password", "my card was declined", "card payment failed"]
COUNTS = [5, 3, 2, 2, 4, 3, 1, 2, 2]


def test_the_preferred_embedder_groups_by_meaning_across_languages(embedders: list[Embedder]) -> None:
    embedder = preferred_embedder(embedders)
    assert embedder is not None and embedder.name == "use"
    groups = GapClusterer(embedder).group(QUERIES, COUNTS)
    as_sets = [{QUERIES[i] for i in g.members} for g in groups]
    assert as_sets == [set(QUERIES[:4]), set(QUERIES[4:7]), set(QUERIES[7:])]
    assert [(g.label, g.count) for g in groups] == [("tabby instalments", 12), ("forgot my password", 8),
                                                   ("card payment failed", 4)]


class Fixed:
    """Unit-test embedder: fixed vectors, and a count of what it was asked to embed."""

    name = "fixed"
    model_id = "fixed"
    dim = 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_passages(self, texts):  # type: ignore[no-untyped-def]
        return self.embed_queries(texts)

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        self.calls.append(list(texts))
        return np.array([[1.0, 0.0] if t.startswith("a") else [0.0, 3.0] for t in texts], dtype=np.float32)


def test_vectors_are_remembered_and_inputs_checked() -> None:
    fixed = Fixed()
    clusterer = GapClusterer(fixed)  # type: ignore[arg-type]
    assert [g.members for g in clusterer.group(["a1", "b1", "a2"], [1, 5, 2])] == [(1,), (2, 0)]
    clusterer.group(["a1", "b2"], [1, 1])
    assert fixed.calls == [["b1", "a2", "a1"], ["b2"]]
    with pytest.raises(ValueError):
        clusterer.group(["a"], [])
