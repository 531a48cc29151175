"""A ticket of several sentences is searched as a whole and as its questions, the rankings fused."""

from __future__ import annotations

import json

import pytest

from copilot.engine import Engine
from copilot.retrieval import SearchHit
from copilot.suggestions import QUESTION_WEIGHT, Suggester, fuse_rankings, ticket_query
from tests.conftest import CONTENT


def hit(article_id: str, score: float, anchor: str = "", fallback: bool = False) -> SearchHit:
    return SearchHit(
        id=article_id, lang="en", title=article_id, section="", anchor=anchor, snippet="", score=score,
        locale_fallback=fallback, category="orders", internal=False, text=f"{article_id} text",
    )


def test_the_question_query_is_the_subject_and_the_sentences_that_ask() -> None:
    query = ticket_query(
        "Wrong address on my order",
        ["I typed my office address by mistake, the parcel should go home. The order is confirmed. "
         "Can I still change the address?"],
    )
    assert query.subject == "Wrong address on my order"
    assert query.question_text() == "Wrong address on my order. Can I still change the address?"


def test_a_ticket_that_is_only_its_question_or_has_none_is_searched_once() -> None:
    assert ticket_query("Refund", ["How long does a card refund take?"]).question_text() is None
    assert ticket_query("Refund", ["My refund has not arrived. It has been twelve days."]).question_text() is None
    # A subject that is itself the question is not repeated.
    assert ticket_query("Can I change the address?", ["Can I change the address?"]).question_text() is None


def test_arabic_question_sentences_are_found_too() -> None:
    query = ticket_query("عايز أغير العنوان", ["كتبت عنوان الشغل بالغلط. الطلب لسه مؤكد. ينفع أغير رقم الموبايل؟"])
    assert query.lang == "ar"
    assert query.question_text() == "عايز أغير العنوان. ينفع أغير رقم الموبايل؟"


def test_fusion_lifts_the_article_both_searches_rank_and_keeps_the_whole_texts_scale_and_chunk() -> None:
    whole = [hit("delivery-areas", 0.262), hit("change-order", 0.256, anchor="opening"), hit("phishing", 0.18)]
    asked = [hit("change-order", 0.41, anchor="what-can-change"), hit("change-email", 0.3), hit("delivery-areas", 0.2)]
    fused = fuse_rankings(whole, asked, QUESTION_WEIGHT, limit=5)
    assert [h.id for h in fused] == ["change-order", "delivery-areas", "phishing", "change-email"]
    assert fused[0].score == 0.262  # the whole search's best score, given to the fused first
    assert fused[0].anchor == "opening"  # the whole text's chunk of the article
    assert [h.score for h in fused] == sorted((h.score for h in fused), reverse=True)
    assert len(fuse_rankings(whole, asked, QUESTION_WEIGHT, limit=2)) == 2


def test_fusion_leaves_cross_language_fallbacks_and_empty_rankings_alone() -> None:
    whole = [hit("a", 0.3, fallback=True), hit("b", 0.2)]
    assert fuse_rankings(whole, [hit("b", 0.5)], QUESTION_WEIGHT, 5) == whole
    assert fuse_rankings(whole[1:], [], QUESTION_WEIGHT, 5) == whole[1:]


def test_a_demo_ticket_with_a_question_among_its_story_finds_the_answering_article(indexed: Engine) -> None:
    """T-1006 (reset link never arrives; the test slice holds reset-password) through the real search,
    both queries: the article stays first and every passage is on one descending scale."""
    tickets = [json.loads(line) for line in (CONTENT / "_demo/tickets.jsonl").read_text("utf-8").splitlines()]
    ticket = next(t for t in tickets if t["external_id"] == "T-1006")
    messages = [m["body"] for m in ticket["messages"] if m["author"] == "customer"]
    assert ticket_query(ticket["subject"], messages).question_text() is not None
    suggestions = Suggester(indexed.retriever).suggest(ticket["subject"], messages)
    assert suggestions.passages[0].id == "reset-password"
    scores = [h.score for h in suggestions.passages]
    assert scores == sorted(scores, reverse=True)
    assert len({h.key for h in suggestions.passages}) == len(suggestions.passages)


def test_both_searches_of_a_ticket_are_ticket_searches(indexed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suggester tells search that the text is a ticket's (QueryPlan.ticket), so the levers that
    read a typed query as a title or an intent skip it, for the whole text and for its questions."""
    plans: list[bool] = []
    plan = indexed.retriever.plan

    def spy_plan(*args: object, **kwargs: object) -> object:
        made = plan(*args, **kwargs)  # type: ignore[arg-type]
        plans.append(made.ticket)
        return made

    monkeypatch.setattr(indexed.retriever, "plan", spy_plan)
    Suggester(indexed.retriever).suggest("Reset link", ["I asked for a new password. Why does the link never arrive?"])
    assert plans == [True, True]
    indexed.retriever.search("reset link never arrives")
    assert plans[-1] is False
