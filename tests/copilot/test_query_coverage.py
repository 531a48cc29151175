"""Near-topic evidence: how much of a question the first article holds, on the index's own coverage scale."""

import pytest

from copilot import retrieval
from copilot.engine import Engine
from copilot.query_coverage import (
    NEAR_TOPIC_FLOORS,
    CoverageScale,
    article_terms,
    coverage,
    coverage_scales,
    held_terms,
    near_topic,
)
from copilot.section_choice import terms


def test_an_article_holds_the_terms_of_its_title_headings_and_every_chunk() -> None:
    rows = [
        {"key": "en/a", "title": "Gift cards", "heading_path": ["Buy a card"], "text": "Pay at checkout."},
        {"key": "en/a", "title": "Gift cards", "heading_path": ["Balance"], "text": "Check the balance online."},
        {"key": "en/b", "title": "Delivery fees", "heading_path": [], "text": "Free over 200."},
    ]
    held = article_terms(rows)
    assert set(terms("gift cards buy checkout balance online")) <= held["en/a"]
    assert not set(terms("delivery")) & held["en/a"] and set(terms("delivery fees")) <= held["en/b"]


def test_coverage_is_the_share_of_the_question_terms_the_article_holds() -> None:
    held = frozenset(terms("Gift cards: check the balance of a gift card"))
    assert coverage("check my gift card balance", held) == 1.0
    assert coverage("do you sell gift wrapping", held) == pytest.approx(1 / 3)  # gift, not sell or wrapping
    assert coverage("how do I?", held) is None  # nothing asked but stop words


def test_an_arabic_word_is_found_by_its_root_where_the_stems_differ() -> None:
    """A customer's verb and the article's noun ("ادفع" / "الدفع", "يستبدلها" / "الاستبدال") share no stem."""
    for asked, written in (("ادفع", "الدفع"), ("يستبدلها", "الاستبدال"), ("يوصلني", "التوصيل")):
        assert not set(terms(asked)) & set(terms(written))
        assert coverage(asked, held_terms(written)) == 1.0
    assert coverage("ادفع", held_terms("رسوم التوصيل")) == 0.0


def test_a_share_places_coverage_between_the_background_and_the_own_article() -> None:
    scale = CoverageScale(own=1.0, background=0.4)
    assert scale.share(1.0) == pytest.approx(1.0) and scale.share(0.4) == pytest.approx(0.0)
    assert scale.share(0.1) < 0 < scale.share(0.7) < 1


def test_near_topic_needs_every_signal_under_its_floor() -> None:
    under = {name: floor - 0.01 for name, floor in NEAR_TOPIC_FLOORS.items()}
    assert near_topic(under)
    for name in NEAR_TOPIC_FLOORS:
        assert not near_topic({**under, name: NEAR_TOPIC_FLOORS[name]})  # one at its floor: not near-topic
        assert not near_topic({k: v for k, v in under.items() if k != name})  # one not measured: no judgement


def test_the_index_scale_and_every_typed_search_carry_the_coverage(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = indexed.retriever
    assert "coverage" not in retriever.search("how long does a refund take", lang="en").signals  # lever off: unread
    monkeypatch.setitem(retrieval.LEVERS, "query_coverage", True)
    rows = indexed.store.payloads(("key", "lang", "title", "heading_path", "text"))
    scales = coverage_scales(rows, article_terms(rows), ("en", "fr"))
    assert set(scales) == {"en"}  # no French article: nothing to measure
    assert scales["en"].own == 1.0 > scales["en"].background > 0  # a heading's own article holds it, others some
    answered = retriever.search("how long does a refund to my card take", lang="en")
    near = retriever.search("can I get my refund as bitcoin to a crypto wallet", lang="en")
    assert answered.signals["coverage"] > near.signals["coverage"]
    share = retriever._coverage_scales.get()["en"].share(answered.signals["coverage"])
    assert answered.signals["coverage_share"] == pytest.approx(share)
    assert "use_share" in answered.signals
    ticket = retriever.search("how long does a refund to my card take", lang="en", ticket=True)
    assert "coverage" not in ticket.signals  # a ticket is a story: its words are not one ask


def test_a_near_topic_reading_abstains_when_the_models_would_not(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = indexed.retriever
    monkeypatch.setitem(retrieval.LEVERS, "query_coverage", True)
    sure = {"e5_top": 0.99, "use_top": 0.9, "lexical_share": 2.0, "field_top": 0.0}  # over every model floor
    near = {**sure, **{name: floor - 0.5 for name, floor in NEAR_TOPIC_FLOORS.items()}}
    assert retriever._abstains("en", near) and not retriever._abstains("en", {**near, "coverage_share": 1.0})
    monkeypatch.setitem(retrieval.LEVERS, "query_coverage", False)
    assert not retriever._abstains("en", near)
