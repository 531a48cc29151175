"""The query language's own titles, ranked by e5 alone, as one more gentle RRF source (lever own_titles).

A unit test of the credit's arithmetic on letter-count vectors, and the real pipeline: the lever
is asked for the query's own language, and not at all when it is switched off.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import copilot.retrieval as retrieval
from copilot.engine import Engine
from copilot.own_titles import INTENT_MIX, title_query, written_titles
from copilot.retrieval import Retriever
from copilot.title_vectors import TitleMatrix, TitleVectors
from indexer.stores.base import Hit
from tests.copilot.test_title_vectors import LetterEmbedder


def _hit(key: str, score: float) -> Hit:
    return Hit(key, score, {"key": key, "lang": "en"})


def test_the_nearest_title_wins_a_near_tie_not_a_clear_lead() -> None:
    model = LetterEmbedder("e5")
    rows = [
        {"key": "en/refund", "lang": "en", "title": "Refund timing"},
        {"key": "en/track", "lang": "en", "title": "Track an order"},
        {"key": "ar/refund", "lang": "ar", "title": "Refund timing"},  # another language: not ranked
    ]
    titles = TitleVectors(model, lambda: list(rows), lambda: "v1", as_queries=True)  # type: ignore[arg-type]
    query = model.embed_queries(["refund"])[0]
    owner = SimpleNamespace(rrf_k=10)
    weight, k = 0.4 * 61, 60  # the first title adds 0.4, the second 0.4 * 61 / 62
    near = [_hit("en/track", 1.0), _hit("en/refund", 0.996)]
    credited, scores = Retriever._credit_title_rank(owner, near, titles.get(), query, ["en"], weight, k)  # type: ignore[arg-type]
    assert set(scores) == {"en/refund", "en/track"}
    assert [h.id for h in credited] == ["en/refund", "en/track"]
    assert credited[0].score == pytest.approx(0.996 + 0.4) and credited[1].score == pytest.approx(1.0 + weight / 62)
    clear = [_hit("en/track", 1.01), _hit("en/refund", 0.996)]
    assert [h.id for h in Retriever._credit_title_rank(owner, clear, titles.get(), query, ["en"], weight, k)[0]] == [
        "en/track",
        "en/refund",
    ]  # the slope is gentle: the second title loses 0.4 / 62 only


def test_the_search_credits_its_own_language_titles_only_when_the_lever_is_on(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = indexed.retriever
    asked: list[tuple[tuple[str, ...], int | None]] = []
    real = Retriever._credit_title_rank

    def spy(self: Retriever, ranked: list[Hit], titles: TitleMatrix, query: np.ndarray, langs, weight, k=None):  # type: ignore[no-untyped-def]
        asked.append((tuple(langs), k))
        return real(self, ranked, titles, query, langs, weight, k)

    monkeypatch.setattr(Retriever, "_credit_title_rank", spy)
    query = "how long does a refund take"
    assert retriever.search(query, lang="en").results
    assert (("en",), retrieval.OWN_TITLE_K) in asked
    asked.clear()
    monkeypatch.setitem(retrieval.LEVERS, "own_titles", False)
    assert retriever.search(query, lang="en").results
    assert all(k != retrieval.OWN_TITLE_K for _, k in asked)


def test_cut_off_opening_words_are_no_title_to_rank_by() -> None:
    cut = Hit("a", 1.0, {"title": "The Daily Mail newspaper reported in 2012 that …"})
    written = Hit("b", 1.0, {"title": "Reset your password"})
    assert written_titles([written, written, cut]) and not written_titles([cut, cut, written])
    assert not written_titles([])


def test_a_query_naming_a_product_asks_the_titles_its_intent_too() -> None:
    query, intent = np.array([3.0, 0.0]), np.array([0.0, 1.0])
    assert title_query(query, None) is query  # no product named: the whole query
    blended = title_query(query, intent)
    assert blended == pytest.approx([1 - INTENT_MIX, INTENT_MIX])  # each unit length, the intent at its share
    assert title_query(query, intent, 0.75) == pytest.approx([0.25, 0.75])  # a family-framed query's share


def test_the_search_asks_the_titles_the_intent_only_when_the_lever_is_on(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = indexed.retriever
    asked: list[np.ndarray] = []
    real = Retriever._credit_title_rank

    def spy(self: Retriever, ranked: list[Hit], titles: TitleMatrix, query: np.ndarray, langs, weight, k=None):  # type: ignore[no-untyped-def]
        if k == retrieval.OWN_TITLE_K:
            asked.append(query)
        return real(self, ranked, titles, query, langs, weight, k)

    monkeypatch.setattr(Retriever, "_credit_title_rank", spy)
    monkeypatch.setattr(retriever._names, "get", lambda: frozenset({"iphone"}))
    query = "refund for my iPhone order"
    whole = retriever.query_vectors(query)["e5"]
    assert retriever.search(query, lang="en").results
    assert asked and not np.allclose(asked[-1], whole)  # the intent ("refund for my order") was blended in
    monkeypatch.setitem(retrieval.LEVERS, "titles_by_intent", False)
    assert retriever.search(query, lang="en").results
    assert np.allclose(asked[-1], whole)
