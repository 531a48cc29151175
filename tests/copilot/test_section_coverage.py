"""Near-topic evidence: the IDF-weighted share of a question the first result's best section holds."""

from dataclasses import replace

import pytest

from copilot import retrieval
from copilot.engine import Engine
from copilot.query_coverage import held_terms, word_forms
from copilot.section_coverage import (
    SECTION_FLOORS,
    SectionScale,
    SectionTerms,
    near_section,
    section_coverage,
    section_scales,
)

SECTIONS = (  # (article key, title, heading, text): one section each
    ("en/cards", "Gift cards", "Buy a card", "Buy a gift card."),
    ("en/cards", "Gift cards", "Card balance", "Check the gift card balance online in your account."),
    ("en/fees", "Delivery fees", "Fees by city", "City delivery costs 20; over 200 is free to your account address."),
    ("en/returns", "Returns", "Return window", "Return an item within 14 days from your account."),
    ("en/returns", "Returns", "Refund to a card", "Refunds reach the card you paid with in 5 days."),
    ("ar/fees", "رسوم التوصيل", "الرسوم حسب المدينة", "يكلف التوصيل 20 ريالا والطلبات فوق 200 مجانا."),
    ("ar/returns", "الاسترجاع", "مدة الاسترجاع", "يمكنك استرجاع المنتج خلال 14 يوما."),
)  # fmt: skip
ROWS = [
    {"key": key, "lang": key.split("/")[0], "title": title, "heading_path": [heading], "text": text, "ordinal": i}
    for i, (key, title, heading, text) in enumerate(SECTIONS)
]


def test_a_word_weighs_by_how_few_of_its_languages_articles_hold_it() -> None:
    terms = SectionTerms.of(ROWS)
    assert terms.articles == {"en": 3, "ar": 2}
    [account], [gift], [bunk] = word_forms("account"), word_forms("gift"), word_forms("bunk")
    assert terms.weight(account, "en") == pytest.approx(0.0)  # every English article says it
    assert 0 < terms.weight(gift, "en") < terms.weight(bunk, "en")  # one article; none at all
    [fees] = word_forms("رسوم")
    assert terms.weight(fees, "ar") < terms.weight(fees, "en")  # counted per language: no English article holds it


def test_coverage_reads_the_section_and_weighs_the_rare_word_over_the_common_ones() -> None:
    terms = SectionTerms.of(ROWS)
    balance = ROWS[1]
    assert section_coverage("gift card balance in my account", balance, "en", terms) == pytest.approx(1.0)
    # "buy" is in the article's other section, not this one: the ask is answered in one place
    assert section_coverage("buy a gift card", balance, "en", terms) < 1.0
    near = section_coverage("gift card as a bitcoin wallet in my account", balance, "en", terms)
    assert near is not None and near < 0.5  # "gift card account" held, but "bitcoin wallet" weigh most
    assert section_coverage("how do I?", balance, "en", terms) is None  # nothing asked


def test_an_unknown_word_is_asked_as_what_search_read_it_as() -> None:
    """A typo no article holds weighs most and is held nowhere; search's correction of it is what was asked."""
    terms = SectionTerms.of(ROWS)
    balance = ROWS[1]
    assert section_coverage("gift card blance", balance, "en", terms) < 0.5
    assert section_coverage("gift card blance", balance, "en", terms, ["balance"]) == pytest.approx(1.0)
    # a known word stays asked as typed whatever else was read: "account" is no typo
    assert section_coverage("bitcoin account", balance, "en", terms, ["bitcoin"]) == pytest.approx(
        section_coverage("bitcoin account", balance, "en", terms)
    )


def test_an_indexed_section_is_read_from_the_index_and_any_other_now() -> None:
    terms = SectionTerms.of(ROWS)
    assert terms.section(ROWS[1]) is terms.held[1]  # a search's hit: its terms were read with the index
    unseen = {**ROWS[1], "ordinal": 99, "text": "Bitcoin wallets."}
    assert terms.section(unseen) == held_terms("Gift cards Card balance Bitcoin wallets.")


def test_an_arabic_customer_verb_is_held_by_the_sections_noun() -> None:
    terms = SectionTerms.of(ROWS)
    assert section_coverage("متى يوصلني الطلب", ROWS[-2], "ar", terms) == pytest.approx(1.0)  # التوصيل, الطلبات
    assert section_coverage("متى يوصلني الطلب", ROWS[-1], "ar", terms) == pytest.approx(0.0)


def test_the_index_scale_puts_an_answered_heading_at_one_over_the_fields_background() -> None:
    scales = section_scales(SectionTerms.of(ROWS))
    assert scales["en"].answered == 1.0 > scales["en"].background >= 0  # own section holds it, others a little
    assert "ar" not in scales  # two headings: fewer than the MIN_TITLES a scale needs
    scale = SectionScale(answered=1.0, background=0.2)
    assert scale.share(1.0) == pytest.approx(1.0) and scale.share(0.2) == pytest.approx(0.0)


def test_near_section_needs_every_signal_under_its_floor() -> None:
    under = {name: floor - 0.01 for name, floor in SECTION_FLOORS.items()}
    assert near_section(under)
    for name in SECTION_FLOORS:
        assert not near_section({**under, name: SECTION_FLOORS[name]})
        assert not near_section({k: v for k, v in under.items() if k != name})  # not measured: no judgement


def test_typed_searches_carry_the_section_evidence_when_the_setting_is_on(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = indexed.retriever
    assert "section_share" not in retriever.search("how long does a refund take", lang="en").signals  # off: unread
    monkeypatch.setattr(retriever, "settings", replace(retriever.settings, near_topic_abstention=True))
    answered = retriever.search("how long does a refund to my card take", lang="en")
    near = retriever.search("can I get my refund as bitcoin to a crypto wallet", lang="en")
    assert answered.signals["section_coverage"] > near.signals["section_coverage"]
    scale = retriever._section_scales.get()["en"]
    assert answered.signals["section_share"] == pytest.approx(scale.share(answered.signals["section_coverage"]))
    assert "use_share" in answered.signals
    ticket = retriever.search("how long does a refund to my card take", lang="en", ticket=True)
    assert "section_share" not in ticket.signals  # a ticket is a story: its words are not one ask


def test_the_setting_and_the_lever_each_turn_the_rule_on(indexed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    retriever = indexed.retriever
    sure = {"e5_top": 0.99, "use_top": 0.9, "lexical_share": 2.0, "field_top": 0.0}  # over every model floor
    near = {**sure, **{name: floor - 0.5 for name, floor in SECTION_FLOORS.items()}}
    assert not retriever._abstains("en", near)  # shipped off
    monkeypatch.setattr(retriever, "settings", replace(retriever.settings, near_topic_abstention=True))
    assert retriever._abstains("en", near) and not retriever._abstains("en", {**near, "section_share": 9.0})
    monkeypatch.setattr(retriever, "settings", replace(retriever.settings, near_topic_abstention=False))
    monkeypatch.setitem(retrieval.LEVERS, "section_coverage", True)
    assert retriever._abstains("en", near)
