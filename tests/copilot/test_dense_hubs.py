"""Dense hubs (copilot.dense_hubs): pages e5 puts near the titles of unrelated articles lose near ties.

The unit tests use a fake store whose rankings are written out; the others index the demo help
center with the real models (embeddings from the cache kept across sessions) and check what the
index calls a dense hub and what the lever does to a return question that hub used to win.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from copilot import retrieval
from copilot.dense_hubs import dense_hub_shares, shares_for
from copilot.engine import Engine
from copilot.hub_articles import hub_shares
from copilot.title_vectors import TitleMatrix
from indexer.stores.base import Hit, StoreQuery


class RankingStore:
    """Answers a title's query (a one-hot vector: the title's row) with the articles written for it."""

    def __init__(self, rankings: list[list[str]]) -> None:
        self.rankings = rankings

    def query(self, queries: Sequence[StoreQuery]) -> list[list[Hit]]:
        out = []
        for query in queries:
            vector: Any = query.sources[0].vector
            row = int(np.argmax(vector))
            out.append([Hit(f"{key}#0", 1.0, {"key": key}) for key in self.rankings[row]])
        return out


def test_a_page_near_unrelated_titles_is_a_hub_and_a_series_parent_is_not() -> None:
    keys = [f"en/a{i}" for i in range(24)]
    # a1..a10 are each near "broad" (no word in common with them); a11..a20 near "parent", whose
    # title shares the series' word with theirs; every title is near its own article and a neighbour.
    rankings = []
    for i, key in enumerate(keys):
        near = [key, keys[(i + 1) % len(keys)]]
        if 1 <= i <= 10:
            near.insert(1, "en/a22")
        elif 11 <= i <= 20:
            near.insert(1, "en/a23")
        rankings.append(near)
    terms = {key: frozenset({i}) for i, key in enumerate(keys)}
    for key in [*keys[11:21], "en/a23"]:
        terms[key] = terms[key] | {999}  # the series' word
    titles = TitleMatrix({"en": tuple(keys)}, {"en": np.eye(len(keys), dtype=np.float32)})
    shares = dense_hub_shares(RankingStore(rankings), titles, "e5", terms, ("en",))  # type: ignore[arg-type]
    assert shares.get("en/a22", 0.0) > 0.5
    assert "en/a23" not in shares
    assert all(shares.get(key, 0.0) == 0.0 for key in keys[:22])  # one neighbour's title is no breadth


def test_a_dense_hub_keeps_its_place_when_the_words_put_it_first() -> None:
    lexical = {"en/policy": 0.5}
    dense = {"en/policy": 1.0, "en/missing": 0.8}
    assert shares_for(lexical, dense, None) == {"en/policy": 1.0, "en/missing": 0.8}
    assert shares_for(lexical, dense, "en/missing") == {"en/policy": 1.0}
    assert shares_for(lexical, dense, "en/policy") == {"en/policy": 0.5, "en/missing": 0.8}
    assert shares_for(lexical, {}, None) is lexical


def test_the_index_names_the_page_e5_puts_near_everything(demo: Engine) -> None:
    """The page "An item is missing or I received the wrong item" is near the titles of returns, refunds and
    tracking for e5; it is no longer than most pages, so the lexical hub count does not see it."""
    retriever: Any = demo.retriever
    retriever.wait_for_views()
    dense = retriever._dense_hubs.get()
    assert dense.get("en/missing-or-wrong-item", 0.0) >= 0.5
    assert hub_shares(demo.store, demo.lexical, ("en",)).get("en/missing-or-wrong-item", 0.0) == 0.0
    assert dense.get("en/apple-pay", 0.0) == 0.0  # a one-case page is nobody's neighbour


def test_a_return_question_gets_the_return_policy_not_the_dense_hub(
    demo: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = "I don't like the lamp, can I send it back"
    retriever = demo.retriever
    retriever.wait_for_views()
    # The chunks' mean of the first candidates (own_chunk_means) puts the hub back first for this one
    # query (1 -> 2; bench/RESULTS.md "Session 8, samemeans"): the dense hub lever is measured without it.
    monkeypatch.setitem(retrieval.LEVERS, "own_chunk_means", False)
    assert retriever.search(query, lang="en").results[0].id == "return-policy"
    saved = dict(retrieval.LEVERS)
    retrieval.LEVERS.update(dense_hubs=False)  # the lever is what does it
    try:
        assert retriever.search(query, lang="en").results[0].id == "missing-or-wrong-item"
    finally:
        retrieval.LEVERS.update(saved)
