"""LEVERS["deep_prefetch"]: each source of a fused ranking prefetches DEEP_PREFETCH chunks before RRF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copilot.engine import Engine
from copilot.retrieval import DEEP_PREFETCH, LEVERS
from indexer.stores.base import PREFETCH, Hit, StoreQuery, fused
from kb.settings import Settings


def fused_queries(tmp_path: Path) -> list[StoreQuery]:
    """The fused store queries (the query language's ranking, the missing-translation fallback's) of one
    Arabic search on an empty help center whose languages are Arabic and English."""
    content = tmp_path / "content"
    content.mkdir(parents=True)
    engine = Engine(Settings(content_dir=content, data_dir=tmp_path / "data", languages=("ar", "en")), embedders=[])
    try:
        retriever = engine.retriever
        query = "كيف اغير كلمة المرور في حسابي"
        plan = retriever.plan(query, "ar")
        sparse = retriever.lexical.encode_query(query, "ar")
        vectors = {"e5": np.ones(4, dtype=np.float32), "use": np.ones(4, dtype=np.float32)}
        batch = retriever._batch(plan, retriever._sources(plan, vectors, sparse), vectors, sparse)
    finally:
        engine.close()
    assert batch.cross is not None
    return [batch.ranking, batch.cross.fused]


@pytest.mark.parametrize("on", [False, True])
def test_the_fused_rankings_prefetch_depth_follows_the_lever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on: bool
) -> None:
    monkeypatch.setitem(LEVERS, "deep_prefetch", on)
    depths = [query.candidates for query in fused_queries(tmp_path)]
    assert depths == [DEEP_PREFETCH if on else PREFETCH] * 2
    assert PREFETCH < DEEP_PREFETCH


def test_a_chunk_deep_in_one_list_and_high_in_another_can_win_the_fusion() -> None:
    """What the depth is for: a chunk first by one model and 60th by the other beats one first by the first
    model alone once the prefetch reaches 61 places (at 50 the two tie)."""
    filler = [Hit(f"f{i}", 1.0 - i / 1000, {}) for i in range(59)]
    one = [Hit("deep", 1.0, {}), *[Hit(f"g{i}", 0.9 - i / 1000, {}) for i in range(70)]]
    other = [Hit("alone", 1.0, {}), *filler, Hit("deep", 0.5, {})]
    shallow = fused([one[:50], other[:50]], [1.0, 1.0], 60, 3)
    deep = fused([one[:DEEP_PREFETCH], other[:DEEP_PREFETCH]], [1.0, 1.0], 60, 3)
    assert [hit.id for hit in shallow][:2] == ["alone", "deep"]  # a tie, broken by point id
    assert [hit.id for hit in deep][:2] == ["deep", "alone"]
