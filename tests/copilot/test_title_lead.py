"""The leading title's credit (copilot.title_lead) in the fallback for English over Arabic-only articles.

The unit tests use plain scores and hits; the last ones index the demo help center's Arabic articles
alone with the real models (their embeddings come from the cache kept across sessions) and ask it in
English, the direction retrieval.TITLE_LEAD credits.
"""

from __future__ import annotations

import pytest

from copilot import retrieval
from copilot.engine import Engine
from copilot.title_lead import TitleLead, best_lead, credit_lead, title_lead
from indexer.stores.base import Hit


def hit(key: str, score: float) -> Hit:
    return Hit(key, score, {"key": key})


def test_the_lead_is_the_gap_to_the_second_title_in_the_scores_spread() -> None:
    lead = title_lead({"ar/a": 0.9, "ar/b": 0.5, "ar/c": 0.4, "ar/d": 0.4})
    assert lead is not None and lead.key == "ar/a"
    spread = (0.17 / 4) ** 0.5  # population standard deviation of the four scores (mean 0.55)
    assert lead.lead == pytest.approx(0.4 / spread)


def test_the_same_gap_leads_less_where_titles_spread_more() -> None:
    """The unit is the query's own spread: m365's near-duplicate titles sit close together, so a
    small gap there stands out as much as a larger one among the demo's varied titles."""
    tight = title_lead({"a": 0.52, "b": 0.50, "c": 0.50, "d": 0.49})
    wide = title_lead({"a": 0.52, "b": 0.50, "c": 0.20, "d": 0.10})
    assert tight is not None and wide is not None
    assert tight.lead > wide.lead


def test_no_lead_without_enough_titles_or_any_spread() -> None:
    assert title_lead({"a": 0.9, "b": 0.1}) is None
    assert title_lead({"a": 0.5, "b": 0.5, "c": 0.5}) is None
    tie = title_lead({"a": 0.5, "b": 0.5, "c": 0.1})
    assert tie is not None and tie.lead == 0.0


def test_the_credit_grows_with_the_lead_up_to_full() -> None:
    ranked = [hit("hub", 1.0), hit("answer", 0.9), hit("other", 0.8)]
    small = title_lead({"answer": 0.6, "hub": 0.59, "other": 0.0, "x": 0.0})
    large = title_lead({"answer": 0.9, "hub": 0.3, "other": 0.0, "x": 0.0})
    assert small is not None and large is not None and large.lead > 1.5
    assert [h.id for h in credit_lead(ranked, small, credit=0.2, full_lead=1.5)] == ["hub", "answer", "other"]
    lifted = credit_lead(ranked, large, credit=0.2, full_lead=1.5)
    assert [h.id for h in lifted] == ["answer", "hub", "other"]
    assert lifted[0].score == pytest.approx(1.1)  # capped at the full credit


def test_nothing_moves_without_a_lead_a_credit_or_the_article_among_the_candidates() -> None:
    ranked = [hit("hub", 1.0), hit("answer", 0.9)]
    lead = title_lead({"answer": 0.9, "hub": 0.3, "x": 0.0})
    assert credit_lead(ranked, None, credit=0.2, full_lead=1.5) == ranked
    assert credit_lead(ranked, lead, credit=0.0, full_lead=1.5) == ranked
    elsewhere = title_lead({"missing": 0.9, "hub": 0.3, "x": 0.0})
    assert credit_lead(ranked, elsewhere, credit=0.2, full_lead=1.5) == ranked


def test_the_larger_lead_of_the_question_and_its_intent_counts() -> None:
    """A question naming a product is asked whole and without the name: the product's pages tie on
    the whole question, the task's own title stands out on the intent."""
    whole = TitleLead("ar/teams-overview", 0.2)
    intent = TitleLead("ar/renew-your-subscription", 1.8)
    assert best_lead([whole, intent]) == intent
    assert best_lead([whole, None]) == whole
    assert best_lead([None, None]) is None


def _lead_over_the_rest(engine: Engine, query: str) -> float:
    """The cancelling article's score minus the best other article's, asked in English."""
    results = engine.retriever.search(query, lang="en").results
    mine = next(hit.score for hit in results if hit.id == "cancel-order")
    return mine - max(hit.score for hit in results if hit.id != "cancel-order")


def test_a_leading_title_beats_the_broad_neighbour(demo_ar: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """For "cancel order" the Arabic page on changing an order after placing it ties the cancelling
    article on both models' chunk rankings (within 0.001 here; ahead of it on the embeddings of another
    CPU); the cancelling article's title leads every other title, and that lead puts it clearly first.
    The counterfactual is the margin, not the order: a near tie falls either way with the machine."""
    retriever = demo_ar.retriever
    retriever.wait_for_views()
    monkeypatch.setitem(retrieval.LEVERS, "chunk_means", False)  # it lifts the answer too (test_chunk_means)
    monkeypatch.setitem(retrieval.LEVERS, "summaries", False)  # and so does this (test_framed_lead)
    first = retriever.search("cancel order", lang="en").results[0]
    assert (first.id, first.lang, first.locale_fallback) == ("cancel-order", "ar", True)
    with_lead = _lead_over_the_rest(demo_ar, "cancel order")
    monkeypatch.setitem(retrieval.LEVERS, "title_lead", False)
    without = _lead_over_the_rest(demo_ar, "cancel order")
    assert with_lead > 0.05 and without < with_lead - 0.05


def test_a_direction_with_no_weight_gets_no_credit(demo_ar: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The credit is per direction (Arabic over English-only, which it moved -0.014..+0.010, has none):
    without a weight for English over Arabic, "cancel order" ranks as with the lever off."""
    demo_ar.retriever.wait_for_views()
    monkeypatch.setitem(retrieval.LEVERS, "chunk_means", False)
    monkeypatch.setitem(retrieval.LEVERS, "summaries", False)
    monkeypatch.setitem(retrieval.LEVERS, "title_lead", False)
    lever_off = _lead_over_the_rest(demo_ar, "cancel order")
    monkeypatch.setitem(retrieval.LEVERS, "title_lead", True)
    credited = _lead_over_the_rest(demo_ar, "cancel order")
    monkeypatch.setattr(retrieval, "TITLE_LEAD", {("ar", "en"): 0.6})
    assert _lead_over_the_rest(demo_ar, "cancel order") == pytest.approx(lever_off)
    assert credited > lever_off + 0.05  # the English-over-Arabic weight is what made the difference
