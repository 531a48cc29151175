"""Learning from agents: what earns a boost, and how far a boost can move a passage."""

from __future__ import annotations

from copilot.learning import MAX_BOOST, LearnedBoosts, rerank
from copilot.retrieval import SearchHit
from desk.events import AgentChoice


def hit(article_id: str, score: float, lang: str = "en", fallback: bool = False) -> SearchHit:
    return SearchHit(article_id, lang, article_id, "", "", "", score, fallback, "returns", False, "")


def test_similar_tickets_in_the_same_language_lift_the_articles_agents_chose() -> None:
    choices = [
        AgentChoice("Refund not received after return", "en", "en/refund-timing"),
        AgentChoice("refund not received yet after my return", "en", "en/refund-timing"),
        AgentChoice("Apple Pay fails at checkout", "en", "en/apple-pay"),
        AgentChoice("المبلغ ما رجع بعد الارجاع", "ar", "ar/refund-timing"),
    ]
    boosts = LearnedBoosts(lambda: choices)("my refund was not received after the return", "en")
    assert set(boosts) == {"en/refund-timing"} and 0 < boosts["en/refund-timing"] <= MAX_BOOST
    assert LearnedBoosts(lambda: choices)("how do I change my email address", "en") == {}


def test_a_boost_reorders_near_ties_only_and_never_passes_a_fallback_placed_first() -> None:
    passages = [hit("fallback", 0.2, "ar", fallback=True), hit("a", 0.10), hit("b", 0.095), hit("c", 0.05)]
    near = rerank(passages, {"en/b": 0.1})
    assert [h.id for h in near] == ["fallback", "b", "a", "c"]
    far = rerank(passages, {"en/c": 0.2})
    assert [h.id for h in far] == ["fallback", "a", "b", "c"]
    assert rerank(passages, {}) == passages


