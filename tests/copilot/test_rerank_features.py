"""The features a learned re-ranking of the final candidates was studied on (bench/rerank_features.py).

The unit tests use plain values; the last one indexes the whole demo help center with the real models
(embeddings from the kept cache) and checks that the bench's instrument records every typed search's
final candidates with the evidence gathered from the index, and changes no result.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.rerank_features import (
    NAMES,
    RERANK_TOP,
    SIGNALS,
    best_chunk,
    chunk_evidence,
    feature_matrix,
    first_stage,
    instrument,
)
from bench.rerank_fit import pairs, reranked
from copilot.engine import Engine
from indexer.stores.base import Hit


def test_features_are_ranks_and_shares_among_the_candidates_whatever_the_scale() -> None:
    """BM25 scores of 30 and 3 give the same features: only the order and the shares of the best count;
    a candidate without a value gets 0 for both."""
    keys = ["en/a", "en/b", "en/c"]
    big = {"en/a": {"bm25_max": 15.0}, "en/b": {"bm25_max": 30.0}}
    small = {"en/a": {"bm25_max": 1.5}, "en/b": {"bm25_max": 3.0}}
    x = feature_matrix(keys, [0.9, 0.45, 0.3], big)
    assert x.shape == (3, len(NAMES)) and len(NAMES) == 2 + 3 * len(SIGNALS)
    assert np.allclose(x, feature_matrix(keys, [0.09, 0.045, 0.03], small))
    assert x[:, NAMES.index("bm25_max_rank")].tolist() == [0.5, 1.0, 0.0]
    assert x[:, NAMES.index("bm25_max_share")].tolist() == [0.5, 1.0, 0.0]
    assert x[:, NAMES.index("rank")].tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert x[:, NAMES.index("score_share")].tolist() == pytest.approx([1.0, 0.5, 1 / 3])


def test_negative_cosines_are_shares_of_the_candidates_range() -> None:
    x = feature_matrix(["en/a", "en/b"], [1.0, 0.5], {"en/a": {"e5_max": -0.2}, "en/b": {"e5_max": 0.2}})
    assert x[:, NAMES.index("e5_max_share")].tolist() == pytest.approx([0.0, 1.0])


def test_close_cosines_spread_over_the_candidates_range() -> None:
    """Near neighbours' cosines (0.84, 0.82, 0.80) all share ~1 of the best; their spread tells them apart."""
    keys = ["en/a", "en/b", "en/c"]
    x = feature_matrix(
        keys, [1.0, 0.9, 0.8], {k: {"use_max": v} for k, v in zip(keys, (0.84, 0.82, 0.80), strict=True)}
    )
    assert x[:, NAMES.index("use_max_share")].min() > 0.95
    assert x[:, NAMES.index("use_max_spread")].tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_store_answers_become_each_articles_evidence() -> None:
    hits = [Hit("1", 0.8, {"key": "ar/x"}), Hit("2", 0.6, {"key": "ar/y"}), Hit("3", 0.2, {"key": "ar/x"})]
    assert chunk_evidence(hits, "use") == {
        "ar/x": {"use_max": 0.8, "use_mean": pytest.approx(0.5), "chunks": 2},
        "ar/y": {"use_max": 0.6, "use_mean": 0.6, "chunks": 1},
    }
    assert best_chunk(hits, "bm25_max") == {"ar/x": {"bm25_max": 0.8}, "ar/y": {"bm25_max": 0.6}}
    assert first_stage(hits) == {
        "ar/x": {"first_stage": 1.0, "first_stage_chunks": 2},
        "ar/y": {"first_stage": 0.5, "first_stage_chunks": 1},
    }


def test_a_model_re_sorts_the_first_candidates_only_and_pairs_the_answer_with_its_neighbours() -> None:
    row = {"keys": ["en/a", "en/b", "en/c", "en/d"], "relevant": ["c"], "rank": 3, "features": [[0.0] * len(NAMES)] * 4}
    assert reranked(row, np.array([0.0, 0.0, 1.0, 0.0]), top=4) == 1
    assert reranked(row, np.array([0.0, 0.0, 1.0, 0.0]), top=2) == 3  # the answer sits below the re-sorted two
    assert reranked(row, np.zeros(4), top=4) == 3  # ties keep the product's order
    diffs, ahead = pairs([row], top=4)
    assert len(diffs) == 3 and sorted(ahead.tolist()) == [-2.0, -1.0, 1.0]


def test_the_instrument_records_the_final_candidates_and_changes_nothing(demo: Engine) -> None:
    """A typed search reports its final candidates with the evidence from the index (each model's
    chunks, BM25, the three title views, the first stage); its results stay the same; a ticket's
    search reports nothing."""
    retriever = demo.retriever
    retriever.wait_for_views()
    before = [h.key for h in retriever.search("how do I return an item", lang="en").results]
    seen: list[tuple[str, list[str], np.ndarray]] = []
    instrument(retriever, lambda query, lang, kind, keys, x: seen.append((kind, keys, x)))
    after = [h.key for h in retriever.search("how do I return an item", lang="en").results]
    assert after == before
    ((kind, keys, x),) = seen
    assert kind == "same" and keys == before[:RERANK_TOP]
    for signal in ("e5_max", "use_mean", "bm25_max", "title_use", "title_e5", "heading_use", "first_stage", "chunks"):
        assert x[:, NAMES.index(f"{signal}_share")].max() == pytest.approx(1.0), signal
    seen.clear()
    retriever.search("my order arrived but the blender is missing, where is it?", lang="en", ticket=True)
    assert seen == []
