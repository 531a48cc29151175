"""Heading word -> body words, mined from the index's own sections: what pairs, what never does."""

from __future__ import annotations

from copilot.heading_associations import MAX_SOURCE_SHARE, MIN_SHARED, HeadingAssociations
from copilot.retrieval import Expansion
from copilot.term_table import TermMiner
from indexer.lexical import LexicalEncoder

LEXICAL = LexicalEncoder()


def _section(title: str, heading: str, text: str, lang: str = "en") -> dict:
    return {"lang": lang, "title": title, "heading_path": [heading], "text": text}


# Enough unrelated sections that a word a few of them hold is rare (under MAX_SOURCE_SHARE of them).
FILLER = [
    _section(f"Topic q{i}x", f"Part z{i}y", f"Unrelated w{i}v text common") for i in range(int(4 / MAX_SOURCE_SHARE))
]
VERIFICATION = [_section("Two-step verification", f"Step s{i}t", f"Authentication p{i}k.") for i in range(MIN_SHARED)]


def _mine(rows: list[dict]) -> HeadingAssociations:
    return HeadingAssociations.mine(TermMiner(LEXICAL), rows)


def _terms(text: str, lang: str = "en") -> tuple[int, ...]:
    return LEXICAL.encode_query(text, lang).indices


def test_a_heading_word_brings_the_body_words_its_sections_share() -> None:
    table = _mine([*FILLER, *VERIFICATION])
    words = table.associate(_terms("verification"), "en")
    assert words == ["authentication"]  # the per-section words share one section each
    assert "common" not in words  # every section holds it: no association
    assert table.associate(_terms("verification"), "ar") == []  # per language


def test_one_section_fewer_than_min_shared_is_chance() -> None:
    table = _mine([*FILLER, *VERIFICATION[:-1]])
    assert table.associate(_terms("verification"), "en") == []


def test_a_heading_word_most_sections_hold_brings_nothing() -> None:
    common = [_section("Billing help", f"Part b{i}c", f"Pay invoices u{i}u") for i in range(len(FILLER))]
    table = _mine([*common, *VERIFICATION])
    assert table.associate(_terms("billing"), "en") == []
    assert "authentication" in table.associate(_terms("verification"), "en")


def test_words_the_query_says_are_left_out() -> None:
    table = _mine([*FILLER, *VERIFICATION])
    assert "authentication" not in table.associate(_terms("verification"), "en", exclude=["authentication"])


def test_arabic_sections_pair_too() -> None:
    filler = [_section(f"موضوع {i}", f"جزء {i}", f"نص عام {i}", "ar") for i in range(len(FILLER))]
    mfa = [_section("المصادقة متعددة العوامل", f"خطوة {i}", f"بخطوتين كلمة{i}", "ar") for i in range(3)]
    table = _mine([*filler, *mfa])
    assert table.associate(_terms("المصادقة", "ar"), "ar") == ["بخطوتين"]


def test_associations_rank_but_are_no_evidence() -> None:
    expansion = Expansion("verification", associations=("authentication",))
    assert ("authentication", 0.3) in expansion.lexical_parts("verification")
    assert all("authentication" not in part for part, _ in expansion.lexical_parts("verification", ranking=False))
