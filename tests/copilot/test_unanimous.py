"""copilot.unanimous (LEVERS["unanimous_first"]): a candidate every source places above the first goes first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copilot.engine import Engine
from copilot.retrieval import LEVERS
from copilot.unanimous import UNANIMOUS_TOP, unanimous_first
from indexer.stores.base import Hit
from kb.settings import Settings


def chunks(*keys: str) -> list[Hit]:
    """A source's ranked chunks, one per key given (a key twice: the article's second chunk)."""
    return [Hit(f"{key}#{n}", 1.0 - n / 100, {"key": key}) for n, key in enumerate(keys)]


def keys(hits: list[Hit]) -> list[str]:
    return [str(h.payload["key"]) for h in hits]


def test_a_candidate_every_source_places_above_the_first_goes_first() -> None:
    ranked = chunks("titled", "other", "answer")  # the credits lifted "titled"
    e5, use, bm25 = chunks("answer", "titled"), chunks("answer", "answer", "other", "titled"), chunks("other", "answer")
    # BM25 ranks "titled" nowhere: below every article it ranks
    assert keys(unanimous_first(ranked, [e5, use, bm25])) == ["answer", "titled", "other"]


def test_one_source_that_disagrees_keeps_the_order() -> None:
    ranked = chunks("titled", "answer")
    assert keys(unanimous_first(ranked, [chunks("answer", "titled"), chunks("titled", "answer")])) == keys(ranked)


def test_only_the_first_candidates_and_more_than_one_source_count() -> None:
    ranked = chunks(*[f"a{n}" for n in range(UNANIMOUS_TOP)], "deep")
    agreed = [chunks("deep", "a0"), chunks("deep", "a0")]
    assert keys(unanimous_first(ranked, agreed)) == keys(ranked)  # "deep" is past UNANIMOUS_TOP
    assert keys(unanimous_first(chunks("b", "a"), [chunks("a", "b")])) == ["b", "a"]  # one source: no verdict
    assert unanimous_first([], agreed) == []


@pytest.mark.parametrize("on", [False, True])
def test_the_batch_asks_each_source_alone_only_with_the_lever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on: bool
) -> None:
    monkeypatch.setitem(LEVERS, "unanimous_first", on)
    (tmp_path / "content").mkdir()
    engine = Engine(Settings(content_dir=tmp_path / "content", data_dir=tmp_path / "data"), embedders=[])
    try:
        retriever = engine.retriever
        query = "how do I return an item"
        vectors = {"e5": np.ones(4, dtype=np.float32), "use": np.ones(4, dtype=np.float32)}
        sparse = retriever.lexical.encode_query(query, "en")
        batches = []
        for ticket in (False, True):
            plan = retriever.plan(query, "en", ticket=ticket)
            batches.append(retriever._batch(plan, retriever._sources(plan, vectors, sparse), vectors, sparse))
    finally:
        engine.close()
    typed, ticket = batches
    assert [q.sources for q in typed.singles] == ([(s,) for s in typed.ranking.sources] if on else [])
    assert ticket.singles == ()  # a ticket's text is a story: ranked as before
