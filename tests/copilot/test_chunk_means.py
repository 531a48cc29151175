"""Other-language candidates ranked by their chunks' mean cosine (copilot.chunk_means) in the fallback.

The unit tests use plain hits; the next ones index the demo help center's Arabic articles alone with
the real models (their embeddings come from the cache kept across sessions) and ask it in English; the
last ones index the whole demo and ask it in each language (own_chunk_means, the same-language side).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copilot import retrieval
from copilot.chunk_means import credit_rank, max_scores, mean_scores
from copilot.engine import Engine
from indexer.stores.base import Hit
from kb.settings import Settings


def hit(key: str, score: float) -> Hit:
    return Hit(f"{key}-{score}", score, {"key": key})


def test_an_article_scores_the_mean_of_its_chunks_not_its_best() -> None:
    """A broad page with one chunk near the question and others far off scores under an article
    whose chunks all sit fairly near it, though its best chunk is the better one."""
    chunks = [hit("ar/broad", 0.8), hit("ar/broad", 0.2), hit("ar/broad", 0.2)]
    chunks += [hit("ar/answer", 0.6), hit("ar/answer", 0.5)]
    scores = mean_scores(chunks)
    assert scores == pytest.approx({"ar/broad": 0.4, "ar/answer": 0.55})
    assert mean_scores([]) == {}
    assert mean_scores([Hit("x", 0.9, {})]) == {}  # a hit without an article key names no article


def test_the_mean_rank_joins_the_ranking_as_one_more_rrf_source() -> None:
    ranked = [hit("ar/broad", 1.0), hit("ar/answer", 0.95), hit("ar/other", 0.5)]
    credited = credit_rank(ranked, {"ar/answer": 0.55, "ar/broad": 0.4}, weight=1.0, k=1)
    assert [h.payload["key"] for h in credited] == ["ar/answer", "ar/broad", "ar/other"]
    assert credited[0].score == pytest.approx(0.95 + 1 / 2)
    assert credited[1].score == pytest.approx(1.0 + 1 / 3)
    assert credited[2].score == pytest.approx(0.5 + 1 / 4)  # unscored: ranked after every scored article
    assert credit_rank(ranked, {"ar/answer": 0.55}, weight=0.0, k=1) == ranked


def _gap(engine: Engine, query: str, answer: str, rival: str | None = None) -> float:
    """`answer`'s score minus `rival`'s (or the best other article's), asked in English."""
    results = engine.retriever.search(query, lang="en").results
    mine = next(h.score for h in results if h.id == answer)
    return mine - max(h.score for h in results if h.id != answer and rival in (None, h.id))


def test_the_answer_beats_a_broad_page_with_one_near_chunk(demo_ar: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """ "report scam": the Arabic page on sign-in problems has a chunk on suspicious messages and runs level
    with the page on phishing and scams on their best chunks (within 0.005, either side as e5's title ranking,
    retrieval.LEVERS["title_e5"], is on or off); the phishing page is about it all through, and its chunks'
    mean puts it clearly ahead (the summaries' ranking and the id's words held off: they lift the answer too,
    test_framed_lead, test_slug_words). The counterfactual is the margin, not the order: a near tie falls either
    way with the machine."""
    monkeypatch.setitem(retrieval.LEVERS, "summaries", False)
    monkeypatch.setitem(retrieval.LEVERS, "slug_words", False)
    retriever = demo_ar.retriever
    retriever.wait_for_views()
    first = retriever.search("report scam", lang="en").results[0]
    assert (first.id, first.lang, first.locale_fallback) == ("phishing-and-scams", "ar", True)
    with_means = _gap(demo_ar, "report scam", "phishing-and-scams", "sign-in-problems")
    monkeypatch.setitem(retrieval.LEVERS, "chunk_means", False)
    without = _gap(demo_ar, "report scam", "phishing-and-scams", "sign-in-problems")
    assert with_means > 0.03 and without < with_means - 0.03  # 0.049 and 0.005 here


def test_a_store_that_fails_the_means_leaves_the_ranking_as_it_was(
    demo_ar: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunk means are one more store query after the ranking's own; if it fails, the search
    still answers, ranked without them, instead of failing the customer's request."""
    retriever = demo_ar.retriever
    retriever.wait_for_views()
    monkeypatch.setitem(retrieval.LEVERS, "chunk_means", False)
    without = [h.id for h in retriever.search("report scam", lang="en").results]
    monkeypatch.setitem(retrieval.LEVERS, "chunk_means", True)
    query = retriever.store.query

    def failing(queries: list) -> list:
        if any(q.sources[0].filter.article_keys for q in queries):
            raise RuntimeError("the index went away")
        return query(queries)

    monkeypatch.setattr(retriever.store, "query", failing)
    assert [h.id for h in retriever.search("report scam", lang="en").results] == without


def test_own_language_candidates_are_reordered_by_their_chunk_means(
    demo: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "how do I return an item": a page with one chunk on returns outranks the article on starting a
    return by its best chunk; the article's chunks are about returning all through, and their mean
    reorders the first candidates of the query's own language (OWN_CHUNK_MEAN_TOP)."""
    retriever = demo.retriever
    retriever.wait_for_views()
    first = retriever.search("how do I return an item", lang="en").results[0]
    assert (first.id, first.lang, first.locale_fallback) == ("start-a-return", "en", False)
    monkeypatch.setitem(retrieval.LEVERS, "own_chunk_means", False)
    assert retriever.search("how do I return an item", lang="en").results[0].id != "start-a-return"


def test_own_chunk_means_ask_the_first_candidates_only_and_skip_tickets(
    demo: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The means query of the query's own language is filtered to its first OWN_CHUNK_MEAN_TOP
    candidates, one per model; a ticket's text is a story, not a typed question, and is ranked
    without it (QueryPlan.ticket)."""
    retriever = demo.retriever
    retriever.wait_for_views()
    query = retriever.store.query
    asked: list[tuple[str, ...]] = []

    def spying(queries: list) -> list:
        asked.extend(q.sources[0].filter.article_keys for q in queries if q.sources[0].filter.article_keys)
        return query(queries)

    monkeypatch.setattr(retriever.store, "query", spying)
    retriever.search("مده التوصيل", lang="ar")
    own = [keys for keys in asked if all(key.startswith("ar/") for key in keys)]
    assert len(own) == 2  # USE and e5
    assert all(len(keys) == retrieval.OWN_CHUNK_MEAN_TOP for keys in own)
    asked.clear()
    retriever.search("my order arrived but the blender is missing, where is it?", lang="en", ticket=True)
    assert not [keys for keys in asked if all(key.startswith("en/") for key in keys)]


@pytest.mark.parametrize(
    ("query", "answer"), [("do you deliver to Abha?", "delivery-areas"), ("plus free trial", "manzil-plus-plans")]
)
def test_an_article_whose_chunks_clearly_lead_goes_first(
    demo_ar: Engine, monkeypatch: pytest.MonkeyPatch, query: str, answer: str
) -> None:
    """The chunk means' rank gives the answer one RRF share whether its mean leads the other candidates'
    by a hair or by far; a clear lead is credited like a leading title (retrieval.CHUNK_MEAN_LEAD), and
    puts these questions' answers clearly first: without it "Abha" is third and "plus free trial" level
    with the delivery-fees page (within 0.003 either side, as e5's title ranking is on or off). The
    counterfactual is the margin over the best other article (the summaries' ranking and the id's words held
    off: "plus free trial" names manzil-plus-plans's id)."""
    monkeypatch.setitem(retrieval.LEVERS, "summaries", False)
    monkeypatch.setitem(retrieval.LEVERS, "slug_words", False)
    retriever = demo_ar.retriever
    retriever.wait_for_views()
    first = retriever.search(query, lang="en").results[0]
    assert (first.id, first.lang, first.locale_fallback) == (answer, "ar", True)
    with_lead = _gap(demo_ar, query, answer)
    monkeypatch.setitem(retrieval.LEVERS, "chunk_mean_lead", False)
    without = [h.id for h in retriever.search(query, lang="en").results]
    assert answer in without[:3]
    assert with_lead > 0.01 and _gap(demo_ar, query, answer) < with_lead - 0.015  # 0.022 -> 0.000 (plus)


def test_a_direction_without_a_mean_lead_weight_gets_no_credit(
    demo_ar: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credit is per direction (Arabic over English-only has none): with no weight for English over
    Arabic the ranking is the one with the lever off."""
    retriever = demo_ar.retriever
    retriever.wait_for_views()
    monkeypatch.setattr(retrieval, "CHUNK_MEAN_LEAD", {("ar", "en"): 0.6})
    unweighted = [h.id for h in retriever.search("do you deliver to Abha?", lang="en").results]
    monkeypatch.setitem(retrieval.LEVERS, "chunk_mean_lead", False)
    assert unweighted == [h.id for h in retriever.search("do you deliver to Abha?", lang="en").results]


def test_an_article_scores_its_best_chunk_with_max_scores() -> None:
    chunks = [hit("ar/broad", 0.8), hit("ar/broad", 0.2), hit("ar/answer", 0.6), hit("ar/answer", 0.5)]
    assert max_scores(chunks) == pytest.approx({"ar/broad": 0.8, "ar/answer": 0.6})
    assert max_scores([Hit("x", 0.9, {})]) == {}


@pytest.mark.parametrize("on", [False, True])
def test_own_chunk_max_gives_e5_the_best_chunks_vote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on: bool
) -> None:
    """LEVERS["own_chunk_max"]: among the first candidates, e5 votes by each article's best chunk (a broad page
    with one near chunk), USE still by the mean (the article near the question all through)."""
    monkeypatch.setitem(retrieval.LEVERS, "own_chunk_means", True)
    monkeypatch.setitem(retrieval.LEVERS, "own_chunk_max", on)
    monkeypatch.setattr(retrieval, "OWN_CHUNK_MEAN_WEIGHTS", {"e5": 1.0})
    (tmp_path / "content").mkdir()
    engine = Engine(Settings(content_dir=tmp_path / "content", data_dir=tmp_path / "data"), embedders=[])
    try:
        retriever = engine.retriever
        chunks = [hit("en/broad", 0.8), hit("en/broad", 0.2), hit("en/answer", 0.6), hit("en/answer", 0.5)]
        monkeypatch.setattr(retriever.store, "query", lambda queries: [chunks for _ in queries])
        ranked = [hit("en/answer", 1.0), hit("en/broad", 1.0)]
        plan = retriever.plan("return an item", "en")
        vectors = {"e5": np.ones(4, dtype=np.float32)}
        credited = retriever._credit_chunk_means(ranked, plan, vectors, "own_chunk_means")
    finally:
        engine.close()
    assert [h.payload["key"] for h in credited] == (["en/broad", "en/answer"] if on else ["en/answer", "en/broad"])
