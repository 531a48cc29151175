"""Dense-guided lexical feedback: which words of the dense models' best chunks the lexical side also searches."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot import retrieval
from copilot.dense_feedback import (
    FeedbackVocabulary,
    agreed_article,
    asks_unheld,
    feedback_terms,
    feedback_words,
    first_articles,
)
from copilot.engine import Engine
from copilot.retrieval import Expansion
from indexer.embedders import Embedder
from indexer.stores.base import Hit
from kb.settings import Settings
from tests.conftest import copy_slice, indexed_engine

ROWS = [
    {"key": "ar/license", "lang": "ar", "title": "منح الترخيص", "text": "منح الترخيص للمستخدمين من مركز الإدارة"},
    {"key": "ar/license", "lang": "ar", "title": "منح الترخيص", "text": "يمكنك منح ترخيص للحساب"},
    {"key": "ar/billing", "lang": "ar", "title": "الفواتير", "text": "الفواتير في مركز الإدارة للحساب"},
    {"key": "ar/mfa", "lang": "ar", "title": "المصادقة", "text": "المصادقة متعددة العوامل للحساب في مركز الإدارة"},
    {"key": "en/license", "lang": "en", "title": "Assign licenses", "text": "Assign a license to 2 users"},
]


def test_words_count_once_per_article_per_language() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    assert vocabulary.articles == {"ar": 3, "en": 1}
    [grant] = feedback_words("منح")
    assert vocabulary.df["ar"][grant] == 1  # two chunks of one article
    assert vocabulary.idf("حساب", "ar") == pytest.approx(0.0)  # every Arabic article holds it
    assert vocabulary.idf(grant, "ar") > vocabulary.idf("اداره", "ar") == pytest.approx(0.0)


def test_short_words_and_numbers_are_no_feedback_words() -> None:
    assert feedback_words("Assign a license to 2 users") == ["assign", "license", "users"]


def test_the_rarest_words_the_query_lacks_come_first_as_written() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    sections = ["منح الترخيص من مركز الإدارة للحساب", "الفواتير في مركز الإدارة"]
    terms = feedback_terms("كيف ادي الترخيص", sections, "ar", vocabulary, limit=2)
    # one article holds منح, one الفواتير: the better (first) chunk's word leads the tie; every article holds
    # مركز, الإدارة, حساب; the query asks الترخيص already
    assert terms == ("منح", "الفواتير")


def test_words_every_article_holds_are_never_added() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    assert feedback_terms("الفواتير", ["مركز الإدارة للحساب"], "ar", vocabulary) == ()


def test_a_word_two_sections_hold_outranks_an_equally_rare_one_that_one_holds() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    sections = ["المصادقة متعددة", "الفواتير المصادقة"]
    assert feedback_terms("سجل دخول بخطوتين", sections, "ar", vocabulary, limit=1) == ("المصادقة",)


def test_feedback_ranks_but_is_no_evidence_for_abstaining() -> None:
    expansion = Expansion(msa="ادي الترخيص", feedback=("منح",))
    weight = retrieval.EXPANSION_WEIGHTS["feedback"]
    assert ("منح", weight) in expansion.lexical_parts("ادي الترخيص")
    assert all("منح" not in text for text, _ in expansion.lexical_parts("ادي الترخيص", ranking=False))


def test_only_a_query_typing_a_word_no_article_holds_asks_for_feedback() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    assert asks_unheld("كيف ادي الترخيص", "ar", vocabulary)  # no Arabic article writes ادي
    assert not asks_unheld("منح الترخيص للحساب", "ar", vocabulary)
    assert asks_unheld("assign licenses", "ar", vocabulary)  # no Arabic article writes them
    assert not asks_unheld("assign a license", "en", vocabulary)


def test_first_articles_reads_a_ranking_of_chunks_as_distinct_articles() -> None:
    assert first_articles(["a", "a", "b", "a", "c", "d"], 3) == ["a", "b", "c"]
    assert first_articles(["a", "a"], 3) == ["a"]


def test_the_gate_needs_both_dense_models_first_and_bm25_missing_it() -> None:
    # chunks' article keys, best first
    assert agreed_article(["a", "b"], ["a", "c"], ["b", "c", "d", "a"], 1, 3) == "a"  # BM25 ranks it 4th
    assert agreed_article(["a", "b"], ["a", "c"], ["b", "c", "a"], 1, 3) is None  # BM25 ranks it 3rd: no feedback
    assert agreed_article(["a", "b"], ["a", "c"], ["b", "c", "a"], 1, 2) == "a"  # ... outside the first 2
    assert agreed_article(["a", "a", "b"], ["b", "a"], ["c"], 1, 3) is None  # the first articles differ
    assert agreed_article(["a", "a", "b"], ["b", "a"], ["c"], 2, 3) == "a"  # both hold a and b in their first 2
    assert agreed_article(["a", "b"], ["c", "b"], ["d"], 2, 3) == "b"
    assert agreed_article(["a"], ["a"], [], 1, 3) == "a"  # a lexical side that ranks nothing missed it too
    assert agreed_article(["a", "b"], ["a"], ["c", "a"], 1, 5) is None


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Iterator[Engine]:
    root: Path = tmp_path_factory.mktemp("agreed-feedback")
    settings = Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data")
    yield from indexed_engine(settings, embedders)


def _ranking(*keys: str) -> list[Hit]:
    """A fake ranking: one chunk per article, its title for text (copilot.dense_feedback reads key, title, text)."""
    titles = {"ar/refund-timing": "متى يصلني المبلغ المسترد", "ar/delivery-fees": "رسوم التوصيل"}
    return [
        Hit(key, 1.0 / rank, {"key": key, "title": titles.get(key, ""), "text": ""}) for rank, key in enumerate(keys, 1)
    ]


def test_agreed_feedback_feeds_the_agreed_article_words_only_where_bm25_missed_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With fake rankings where e5 and USE both put refund-timing first: BM25 ranking it fourth gives the lexical
    query that article's rare words (ranking only); BM25 ranking it first gives none, and the lever off none."""
    retriever = engine.retriever
    monkeypatch.setitem(retrieval.LEVERS, "agreed_feedback", True)
    retriever.refresh_views()
    retriever.wait_for_views()
    query = "ابي فلوسي ترجع"
    plan = retriever.plan(query, lang="ar")
    vectors = retriever.query_vectors(query)
    dense = _ranking("ar/refund-timing", "ar/delivery-fees")
    missed = [dense, dense, _ranking("ar/delivery-fees", "ar/apple-pay", "ar/reset-password", "ar/refund-timing")]
    monkeypatch.setattr(retriever, "_agreement_rankings", lambda plan, vectors: missed)
    assert retriever._agreed_feedback(plan, vectors) == ("ar/refund-timing", ["متى يصلني المبلغ المسترد "])
    fed = retriever._with_feedback(plan, vectors).expansion.feedback
    assert fed and set(fed) <= {"متى", "يصلني", "المبلغ", "المسترد"}  # that article's words, never رسوم التوصيل
    found = [dense, dense, _ranking("ar/refund-timing", "ar/delivery-fees")]
    monkeypatch.setattr(retriever, "_agreement_rankings", lambda plan, vectors: found)
    assert retriever._agreed_feedback(plan, vectors) == (None, [])
    assert retriever._with_feedback(plan, vectors).expansion.feedback == ()
    monkeypatch.setattr(retriever, "_agreement_rankings", lambda plan, vectors: missed)
    monkeypatch.setitem(retrieval.LEVERS, "agreed_feedback", False)
    assert retriever._with_feedback(plan, vectors).expansion.feedback == ()


def test_the_agreement_rankings_are_each_model_and_bm25_alone_in_the_query_language(engine: Engine) -> None:
    retriever = engine.retriever
    plan = retriever.plan("كم رسوم التوصيل", lang="ar")
    rankings = retriever._agreement_rankings(plan, retriever.query_vectors(plan.query))
    assert rankings is not None and len(rankings) == 3
    assert all(hit.payload["key"].startswith("ar/") for hits in rankings for hit in hits)
    assert rankings[2][0].payload["key"] == "ar/delivery-fees"  # BM25 reads رسوم التوصيل in its title
    assert retriever._agreement_rankings(plan, {}) is None  # no dense model: nothing to agree
