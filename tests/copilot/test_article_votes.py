"""Article votes (copilot.article_votes): each source's chunk ranking read as one place per article.

A small fake index's rankings, written out: BM25 puts three chunks of a series step above the alias
page's one; e5 puts the alias page first. Read as chunks the step wins the fusion, read as articles
the alias page does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.article_votes import article_places, credit_votes, vote_credit
from copilot.retrieval import LEVERS, Retriever
from indexer.lexical import SPARSE_VECTOR
from indexer.stores.base import Hit, Source
from kb.settings import Settings
from tests.copilot.test_query_terms import _NoStore

K = 10


def chunks(*keys: str) -> list[Hit]:
    """A source's ranking: each key's chunks numbered in the order the source lists them."""
    return [Hit(f"{key}#{keys[:i].count(key)}", 0.0, {"key": key}) for i, key in enumerate(keys)]


def rrf(rankings: list[tuple[float, list[Hit]]]) -> dict[str, float]:
    """The chunk-level fusion a store does: each article's best chunk's weighted RRF score."""
    scores: dict[str, float] = {}
    for weight, hits in rankings:
        for place, hit in enumerate(hits, 1):
            scores[hit.id] = scores.get(hit.id, 0.0) + weight / (K + place)
    best: dict[str, Hit] = {}
    for chunk_id, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        key = chunk_id.split("#")[0]
        best.setdefault(key, Hit(chunk_id, score, {"key": key}))
    return {key: hit.score for key, hit in best.items()}


LEXICAL = chunks("step-4", "step-4", "step-4", "alias", "other")
E5 = chunks("alias", "step-4", "step-1")
RANKINGS = [(0.6, LEXICAL), (1.0, E5)]


def test_article_places_count_each_article_once() -> None:
    by_chunk, by_article = article_places(LEXICAL)
    assert by_chunk == {"step-4": 1, "alias": 4, "other": 5}
    assert by_article == {"step-4": 1, "alias": 2, "other": 3}


def test_an_article_below_another_ones_repeated_chunks_gets_their_places_back() -> None:
    fused = rrf(RANKINGS)
    ranked = sorted((Hit(key, score, {"key": key}) for key, score in fused.items()), key=lambda h: -h.score)
    assert [h.id for h in ranked][:2] == ["step-4", "alias"]  # chunk places: the repeated step wins
    credit = vote_credit(RANKINGS, K)
    assert credit["step-4"] == 0.0  # first everywhere it is ranked by its best chunk: nothing to give back
    assert credit["alias"] == pytest.approx(0.6 / (K + 2) - 0.6 / (K + 4))
    voted = credit_votes(ranked, credit)
    assert [h.id for h in voted][:2] == ["alias", "step-4"]
    # the credit turns the chunk fusion into the article fusion: the same sums over article places
    article_fused = rrf([(0.6, chunks("step-4", "alias", "other")), (1.0, E5)])
    assert {h.id: h.score for h in voted} == pytest.approx(article_fused)


def test_no_rankings_no_change() -> None:
    ranked = [Hit("a", 0.2, {"key": "a"}), Hit("b", 0.1, {"key": "b"})]
    assert credit_votes(ranked, vote_credit([], K)) == ranked


def test_the_retriever_asks_each_fused_source_alone_only_with_the_lever_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch carries one single-source query per fused source (its weight beside it) and reads their
    answers back in order; with the lever off the batch is what it was."""
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    retriever = Retriever(settings, _NoStore(), [])  # type: ignore[arg-type]
    plan = retriever.plan("refund status", "en")
    sparse = retriever.lexical.encode_query("refund status", "en")
    sources = [Source("e5", [1.0, 0.0], plan.same_lang, 1.0), Source(SPARSE_VECTOR, sparse, plan.same_lang, 0.6)]
    monkeypatch.setitem(LEVERS, "article_votes", False)
    off = retriever._batch(plan, sources, {}, sparse)
    assert off.votes == ()
    monkeypatch.setitem(LEVERS, "article_votes", True)
    batch = retriever._batch(plan, sources, {}, sparse)
    assert [(weight, query.sources) for weight, query in batch.votes] == [(1.0, (sources[0],)), (0.6, (sources[1],))]
    assert all(query.limit == batch.ranking.candidates for _, query in batch.votes)
    assert batch.queries() == [*off.queries(), *(query for _, query in batch.votes)]
    e5, lexical = chunks("alias", "step-4"), chunks("step-4", "step-4", "alias")
    answers = batch.read([chunks("step-4", "alias"), [], [], e5, lexical])
    assert answers.votes == [(1.0, e5), (0.6, lexical)]
    assert retriever._batch(retriever.plan("refund status", "en", only="e5"), sources[:1], {}, None).votes == ()
