"""Click feedback: which clicks earn a boost, how much, for how long, and how far it moves a result."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from copilot.click_feedback import (
    MAX_BOOST,
    ClickTable,
    FeedbackPolicy,
    StoredClickBoosts,
    learn,
    query_key,
    reorder,
)
from copilot.retrieval import SearchHit, SearchResult

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
POLICY = FeedbackPolicy(half_life_days=30, min_visits=3)


@dataclass(frozen=True)
class Click:
    query: str
    lang: str
    article_key: str
    at: datetime
    visit_id: str | None
    ticket_followed: bool = False
    position: int = 1


def clicks(article: str, visits: int, query: str = "refund late", days_ago: float = 0, **kw: object) -> list[Click]:
    at = NOW - timedelta(days=days_ago)
    return [Click(query, "en", article, at, f"v-{article}-{days_ago}-{i}", **kw) for i in range(visits)]  # type: ignore[arg-type]


def hit(article_id: str, score: float, internal: bool = False, fallback: bool = False, lang: str = "en") -> SearchHit:
    return SearchHit(article_id, lang, article_id, "", "", "", score, fallback, "returns", internal, "")


def result(*hits: SearchHit, query: str = "refund late") -> SearchResult:
    return SearchResult(query, "en", "hybrid", 1.0, tuple(hits))


def test_queries_compare_folded_whatever_the_case_word_order_or_arabic_letter_variants() -> None:
    assert query_key("Refund late") == query_key("late   REFUND!") == "late refund"
    assert query_key("إسترداد المبلغ") == query_key("استرداد مبلغ")  # hamza and the article folded
    assert query_key("refund late") != query_key("refund policy")
    table = learn(clicks("en/refund-timing", 3, query="Refund late"), NOW, POLICY)
    assert table("late refund?", "en") == table("refund late", "en") != {}
    assert table("refund late", "ar") == {}  # feedback is per language


def test_an_article_needs_clicks_from_distinct_visits_and_a_spamming_visit_counts_once() -> None:
    assert learn(clicks("en/refund-timing", 2), NOW, POLICY)("refund late", "en") == {}
    spam = [Click("refund late", "en", "en/spam", NOW - timedelta(minutes=i), "one-visit") for i in range(50)]
    table = learn(spam + clicks("en/refund-timing", 3), NOW, POLICY)
    boosts = table("refund late", "en")
    assert set(boosts) == {"en/refund-timing"}
    anonymous = [Click("refund late", "en", "en/refund-timing", NOW, None) for _ in range(10)]
    assert learn(anonymous, NOW, POLICY)("refund late", "en") == {}  # no visit: cannot count visits


def test_the_boost_grows_with_visits_and_never_passes_the_cap() -> None:
    few = learn(clicks("en/refund-timing", 3), NOW, POLICY)("refund late", "en")["en/refund-timing"]
    many = learn(clicks("en/refund-timing", 1000), NOW, POLICY)("refund late", "en")["en/refund-timing"]
    assert 0 < few < many <= MAX_BOOST and many > 0.99 * MAX_BOOST
    capped = learn(clicks("en/refund-timing", 1000), NOW, FeedbackPolicy(min_visits=3, max_boost=0.05))
    assert capped("refund late", "en")["en/refund-timing"] <= 0.05


def test_clicks_fade_with_age_and_past_the_horizon_count_for_nothing() -> None:
    fresh = learn(clicks("en/a", 10), NOW, POLICY)("refund late", "en")["en/a"]
    month = learn(clicks("en/a", 10, days_ago=30), NOW, POLICY)("refund late", "en")["en/a"]
    year = learn(clicks("en/a", 10, days_ago=365), NOW, POLICY)("refund late", "en")
    assert fresh > month > 0 and year == {}
    shorter = learn(clicks("en/a", 10, days_ago=30), NOW, FeedbackPolicy(half_life_days=7, min_visits=3))
    assert shorter("refund late", "en")["en/a"] < month


def test_a_click_followed_by_a_ticket_is_no_vote_and_noise_clicks_earn_a_small_share() -> None:
    followed = learn(clicks("en/a", 10, ticket_followed=True), NOW, POLICY)
    assert followed("refund late", "en") == {}
    alone = learn(clicks("en/a", 10), NOW, POLICY)("refund late", "en")["en/a"]
    diluted = learn(clicks("en/a", 10) + clicks("en/a", 10, days_ago=0.5, ticket_followed=True), NOW, POLICY)
    assert diluted("refund late", "en")["en/a"] < alone
    mixed = learn(clicks("en/right", 20) + clicks("en/wrong", 3), NOW, POLICY)("refund late", "en")
    assert mixed["en/right"] > 4 * mixed["en/wrong"]


def test_a_boost_reorders_near_ties_but_not_a_weak_match_past_a_strong_one() -> None:
    ranked = result(hit("a", 0.20), hit("b", 0.19), hit("c", 0.10))
    assert [h.id for h in reorder(ranked, {"en/b": 0.1}, "public").results] == ["b", "a", "c"]
    assert [h.id for h in reorder(ranked, {"en/c": MAX_BOOST}, "public").results] == ["a", "b", "c"]
    assert reorder(ranked, {}, "public") is ranked
    fallback_first = result(hit("x", 0.5, fallback=True, lang="ar"), hit("a", 0.20), hit("b", 0.19))
    assert [h.id for h in reorder(fallback_first, {"en/b": MAX_BOOST}, "public").results] == ["x", "b", "a"]


def test_a_click_further_down_the_page_says_more_than_one_on_the_first_result() -> None:
    first = clicks("en/top", 5) + [replace(c, article_key="en/third", position=1) for c in clicks("en/third", 5)]
    lower = clicks("en/top", 5) + [replace(c, position=3) for c in clicks("en/third", 5)]
    even = learn(first, NOW, POLICY)("refund late", "en")
    assert even["en/third"] == even["en/top"]
    deeper = learn(lower, NOW, POLICY)("refund late", "en")
    assert deeper["en/third"] > even["en/third"] and deeper["en/top"] < even["en/top"]
    unbiased = learn(lower, NOW, FeedbackPolicy(min_visits=3, position_bias=0))("refund late", "en")
    assert unbiased["en/third"] == unbiased["en/top"]


def test_results_from_another_language_reorder_among_themselves_but_never_pass_ours() -> None:
    only_elsewhere = result(hit("a", 0.20, fallback=True, lang="ar"), hit("b", 0.19, fallback=True, lang="ar"))
    assert [h.id for h in reorder(only_elsewhere, {"ar/b": 0.1}, "public").results] == ["b", "a"]
    mixed = result(hit("ours", 0.20), hit("theirs", 0.19, fallback=True, lang="ar"))
    assert [h.id for h in reorder(mixed, {"ar/theirs": MAX_BOOST}, "public").results] == ["ours", "theirs"]


def test_an_internal_article_is_never_lifted_for_the_public() -> None:
    ranked = result(hit("public-faq", 0.20), hit("agents-only", 0.19, internal=True))
    boosts = {"en/agents-only": MAX_BOOST}
    assert [h.id for h in reorder(ranked, boosts, "public").results] == ["public-faq", "agents-only"]
    assert [h.id for h in reorder(ranked, boosts, "agent").results] == ["agents-only", "public-faq"]


def test_the_saved_table_is_read_again_when_the_worker_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "click-feedback.json"
    stored = StoredClickBoosts(path)
    assert stored("refund late", "en") == {}  # nothing learned yet
    learn(clicks("en/a", 5), NOW, POLICY).save(path)
    assert set(stored("refund late", "en")) == {"en/a"}
    table = learn(clicks("en/b", 9), NOW, POLICY)
    table.save(path)
    assert set(stored("refund late", "en")) == {"en/b"} and len(ClickTable.load(path)) == len(table) == 1
    assert ClickTable.load(path).computed_at == NOW
    path.write_text("{not json", "utf-8")
    assert stored("refund late", "en") == {}  # a broken file boosts nothing; search goes on
    with pytest.raises(ValueError, match=r"click-feedback\.json"):
        path.write_text('{"version": 99, "boosts": {}}', "utf-8")
        ClickTable.load(path)


def test_a_policy_refuses_values_that_make_no_sense() -> None:
    with pytest.raises(ValueError, match="half_life_days"):
        FeedbackPolicy(half_life_days=0)
    with pytest.raises(ValueError, match="min_visits"):
        FeedbackPolicy(min_visits=0)
    with pytest.raises(ValueError, match="max_boost"):
        FeedbackPolicy(max_boost=2)
