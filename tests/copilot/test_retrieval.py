"""The search pipeline: its query plan, degraded answers, named fallbacks and the audience filter.

Real models, a real qdrant-edge index of the test slice; the only stand-ins are a model that
fails and a store that cannot be reached, which is what these tests are about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

import numpy as np
import pytest

import copilot.retrieval as retrieval
from copilot.engine import Engine
from copilot.retrieval import FallbackReason, Retriever, SearchUnavailable
from indexer.embedders import Embedder
from indexer.stores.base import StoreQuery

INTERNAL = "refund-approval-limits"


class BrokenEmbedder:
    """A model that loaded but fails every query (an out-of-memory, a corrupt file)."""

    def __init__(self, model: Embedder) -> None:
        self.name, self.model_id, self.dim = model.name, model.model_id, model.dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("model crashed")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("model crashed")


def test_a_failing_model_degrades_search_to_lexical_with_a_named_reason(indexed: Engine) -> None:
    broken = Retriever(indexed.settings, indexed.store, [BrokenEmbedder(e) for e in indexed.embedders], indexed.lexical)
    result = broken.search("how do I reset my password", lang="en")
    assert (result.mode, result.degraded, result.degraded_reason) == ("lexical", True, "embedding_unavailable")
    assert result.results[0].id == "reset-password"  # lexical search still answers
    body = result.as_json()
    assert body["degraded"] is True and body["degraded_reason"] == "embedding_unavailable"
    healthy = indexed.retriever.search("how do I reset my password", lang="en")
    assert (healthy.mode, healthy.degraded, healthy.degraded_reason) == ("hybrid", False, None)


def test_an_unreachable_index_is_a_named_outage_not_a_crash(indexed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(queries: Sequence[StoreQuery]) -> list:
        raise ConnectionError("qdrant: connection refused")

    monkeypatch.setattr(indexed.store, "query", refuse)
    with pytest.raises(SearchUnavailable) as raised:
        indexed.retriever.search("refund", lang="en")
    assert raised.value.reason == "index_unavailable"
    assert isinstance(raised.value.__cause__, ConnectionError)  # the real error stays attached


def test_a_missing_translation_is_a_named_reason_with_its_language(indexed: Engine) -> None:
    result = indexed.retriever.search("كيف أستخدم بطاقة الهدايا من منزل", lang="ar")
    fallback = [hit for hit in result.results if hit.locale_fallback]
    assert fallback and fallback[0].id == "gift-cards" and fallback[0].lang == "en"
    assert result.fallback_reason in get_args(FallbackReason) and result.fallback_reason != "no_searchable_terms"
    assert result.fallback_lang == "ar"
    assert result.as_json()["fallback_reason"] == result.fallback_reason
    plain = indexed.retriever.search("how long until my refund reaches my card", lang="en")
    assert not any(hit.locale_fallback for hit in plain.results[:1])


def test_the_query_expansion_runs_once_per_search(indexed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dialect rewrite and the synonym lookup feed the dense text, the lexical query and the
    bridge into the other language: worked out once in the plan, not once per use."""
    calls = {"dialect": 0, "synonyms": 0}
    rewrite = retrieval.dialect_to_msa

    def counted_rewrite(text: str) -> str:
        calls["dialect"] += 1
        return rewrite(text)

    monkeypatch.setattr(retrieval, "dialect_to_msa", counted_rewrite)
    synonyms = indexed.retriever.synonyms
    assert synonyms is not None
    expand = synonyms.expand

    def counted_expand(query: str) -> list[str]:
        calls["synonyms"] += 1
        return expand(query)

    monkeypatch.setattr(synonyms, "expand", counted_expand)
    result = indexed.retriever.search("عايز استرجع فلوسي", lang="ar")
    assert result.results
    assert calls == {"dialect": 1, "synonyms": 1}


def test_the_plan_names_what_the_search_will_do(indexed: Engine) -> None:
    plan = indexed.retriever.plan("  عايز   refund ", limit=500, categories=["returns"])
    assert (plan.query, plan.lang, plan.others, plan.limit) == ("عايز refund", "ar", ("en",), 50)
    assert plan.register == "mixed" and plan.audience == "public"
    assert plan.base_filter.visibilities == ("public",) and plan.base_filter.categories == ("returns",)
    assert plan.expansion.msa != plan.query  # the dialect word read as MSA for the dense models


@pytest.mark.parametrize("audience", [None, "public", "Agent", "admin", "internal", ""])
def test_anything_but_the_agent_audience_sees_public_articles_only(indexed: Engine, audience: object) -> None:
    result = indexed.retriever.search("refund approval limits for team leads", lang="en", limit=50,
                                      audience=audience)  # type: ignore[arg-type]
    assert result.results and INTERNAL not in {hit.id for hit in result.results}
    assert indexed.retriever.plan("refund", audience=audience).audience == "public"  # type: ignore[arg-type]


def test_the_agent_audience_sees_internal_articles(indexed: Engine) -> None:
    result = indexed.retriever.search("refund approval limits for team leads", lang="en", limit=50, audience="agent")
    assert INTERNAL in {hit.id for hit in result.results}


def test_an_internal_translation_does_not_hide_the_public_article_from_its_language(engine: Engine) -> None:
    """Arabic customers get the public English article when its Arabic version is agents-only."""
    arabic = engine.settings.content_dir / "ar/payments/apple-pay.md"
    arabic.write_text(arabic.read_text("utf-8").replace("visibility: public", "visibility: internal"), "utf-8")
    assert engine.index(show_progress=False).exit_code == 0
    query = "الدفع عبر Apple Pay من الآيفون"
    public = {(hit.lang, hit.id): hit for hit in engine.retriever.search(query, lang="ar").results}
    assert ("ar", "apple-pay") not in public
    assert public[("en", "apple-pay")].locale_fallback
    agent = engine.retriever.search(query, lang="ar", audience="agent").results
    assert (agent[0].lang, agent[0].id, agent[0].locale_fallback) == ("ar", "apple-pay", False)
    assert not any(hit.id == "apple-pay" and hit.locale_fallback for hit in agent)


def test_a_tickets_text_is_searched_without_verbal_nouns(indexed: Engine) -> None:
    """Typed queries read their verbs as the index's verbal nouns; a ticket's story does not (Retriever._expansion)."""
    query = "كيف اقسط المبلغ"
    assert indexed.retriever.plan(query, lang="ar").expansion.verbal_nouns  # the index's "تقسيط"
    assert indexed.retriever.plan(query, lang="ar", ticket=True).expansion.verbal_nouns == ()
