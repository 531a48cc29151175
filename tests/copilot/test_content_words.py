"""copilot.content_words: the query's content words as one more dense query of the missing-translation fallback."""

from __future__ import annotations

from types import MethodType, SimpleNamespace

import numpy as np
import pytest

from copilot import content_words, retrieval
from copilot.content_words import CONTENT_WEIGHT, applies, content_sources, content_text, with_content
from indexer.lexical import LexicalEncoder
from indexer.stores.base import PayloadFilter, Source

LEXICAL = LexicalEncoder()


def _keeps(lang: str):  # type: ignore[no-untyped-def]
    return lambda word: bool(LEXICAL.encode_query(word, lang))


def test_the_analyzers_stopwords_go_and_the_topic_stays_in_order() -> None:
    assert content_text("كيف احذف ملف من الجهاز", _keeps("ar")) == "احذف ملف الجهاز"
    assert content_text("where do my screenshots get saved?", _keeps("en")) == "screenshots get saved"


def test_nothing_to_ask_when_no_word_or_every_word_would_go() -> None:
    assert content_text("سرعة مؤشر الماوس", _keeps("ar")) is None  # nothing dropped: the query's own vector
    assert content_text("كيف من", _keeps("ar")) is None  # nothing left
    assert content_text("", _keeps("ar")) is None


def test_the_sources_rank_at_the_content_weight_for_the_chosen_models_only() -> None:
    where = PayloadFilter(langs=("en",))
    vectors = {"use": np.ones(3), "e5": np.ones(3)}
    sources = content_sources(vectors, {"use": 1.0, "e5": 1.0}, where)
    assert [(s.vector_name, s.weight, s.filter) for s in sources] == [("use", CONTENT_WEIGHT, where)]
    assert [s.vector_name for s in content_sources(vectors, {"use": 0.0}, where, ("use", "e5"))] == ["e5"]


def test_replace_mode_puts_the_content_vector_in_the_first_ranking_of_its_model_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where = PayloadFilter(langs=("en",))
    whole, intent, content = np.ones(3), np.full(3, 3.0), np.full(3, 2.0)
    sources = [Source("e5", whole, where), Source("use", whole, where), Source("use", intent, where, 0.75)]
    monkeypatch.setattr(content_words, "MODE", "add")
    added = with_content(sources, {"use": content}, {"use": 1.0}, where)
    assert [(s.vector_name, s.weight) for s in added] == [
        ("e5", 1.0),
        ("use", 1.0),
        ("use", 0.75),
        ("use", CONTENT_WEIGHT),
    ]
    monkeypatch.setattr(content_words, "MODE", "replace")
    replaced = with_content(sources, {"use": content}, {"use": 1.0}, where)
    assert [(s.vector_name, s.weight) for s in replaced] == [("e5", 1.0), ("use", 1.0), ("use", 0.75)]
    assert [float(s.vector[0]) for s in replaced] == [1.0, 2.0, 3.0]  # type: ignore[index]
    assert with_content(sources, {}, {"use": 1.0}, where) == sources


def test_applies_by_language_and_register(monkeypatch: pytest.MonkeyPatch) -> None:
    assert applies("ar", "dialect") and applies("ar", "plain") and not applies("en", "plain")
    monkeypatch.setattr(content_words, "LANGS", ("ar", "en"))
    assert applies("en", "plain")
    monkeypatch.setattr(content_words, "REGISTERS", ("dialect",))
    assert applies("ar", "dialect") and not applies("ar", "plain")
    assert not applies("fr", "dialect")


def _retriever(asked: list[str]) -> SimpleNamespace:
    def query_vectors(text: str, only: str | None = None) -> dict[str, np.ndarray]:
        asked.append(text)
        return {only or "use": np.full(3, 2.0)}

    fake = SimpleNamespace(
        lexical=LEXICAL, _dense_text=lambda plan: "كيف احذف ملف من الجهاز", query_vectors=query_vectors, translator=None
    )
    fake._translated_sources = MethodType(retrieval.Retriever._translated_sources, fake)  # the real one: no translator
    return fake


def _plan(**changes: object) -> SimpleNamespace:
    fields: dict[str, object] = {
        "lang": "ar",
        "register": "dialect",
        "others": ("en",),
        "base_filter": PayloadFilter(),
        "same_lang": PayloadFilter(langs=("ar",)),
        "limit": 10,
        "evaluating": False,
        "ticket": False,
        "query": "ازاي احذف ملف من الجهاز",
        "expansion": SimpleNamespace(cross_lingual_terms=lambda query, target: "", translations=()),
    }
    return SimpleNamespace(**{**fields, **changes})


def test_the_retriever_embeds_the_dense_texts_content_words_for_use_only() -> None:
    asked: list[str] = []
    vectors = {"e5": np.ones(3), "use": np.ones(3)}
    got = retrieval.Retriever._content_vectors(_retriever(asked), _plan(), vectors)  # type: ignore[arg-type]
    assert asked == ["احذف ملف الجهاز"] and list(got) == ["use"]
    assert retrieval.Retriever._content_vectors(_retriever(asked), _plan(), {"e5": np.ones(3)}) == {}  # type: ignore[arg-type]


def test_the_fallback_fuses_the_content_vector_only_with_the_lever(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    retriever = _retriever(asked)
    retriever.rrf_k = 60
    retriever._cross_lingual_embedder = retrieval.Retriever._cross_lingual_embedder
    retriever._content_vectors = lambda plan, vectors: retrieval.Retriever._content_vectors(retriever, plan, vectors)  # type: ignore[arg-type]
    vectors = {"e5": np.ones(3), "use": np.ones(3)}

    def fused() -> list[tuple[str, float, float]]:
        batch = retrieval.Retriever._batch(retriever, _plan(), [], vectors, None)  # type: ignore[arg-type]
        assert batch.cross is not None
        return [(s.vector_name, s.weight, float(s.vector[0])) for s in batch.cross.fused.sources]  # type: ignore[index]

    monkeypatch.setitem(retrieval.LEVERS, "content_words", False)
    assert fused() == [("e5", 1.0, 1.0), ("use", 1.0, 1.0)] and asked == []
    monkeypatch.setitem(retrieval.LEVERS, "content_words", True)
    assert fused() == [("e5", 1.0, 1.0), ("use", 1.0, 2.0)]  # USE ranks by the content words' vector
    assert asked == ["احذف ملف الجهاز"]
    monkeypatch.setattr(content_words, "MODE", "add")
    assert fused() == [("e5", 1.0, 1.0), ("use", 1.0, 1.0), ("use", CONTENT_WEIGHT, 2.0)]
