"""copilot.slug_words: an untranslated article's id words credit it for the other language's customers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from copilot import retrieval
from copilot.engine import Engine
from copilot.slug_words import SlugTerms, id_words, slug_ids
from indexer.lexical import LexicalEncoder
from indexer.stores.base import Hit

IDS = [
    ("ar/taiwan", "taiwan"),
    ("ar/thailand", "thailand"),
    ("ar/sierra-leone", "sierra-leone"),
    ("ar/get-help-support", "get-help-support"),
    ("ar/convert-user-mailbox-to-shared-mailbox", "convert-user-mailbox-to-shared-mailbox"),
    ("ar/arabic-only", "صفحة"),
]


def query(lexical: LexicalEncoder, text: str) -> frozenset[int]:
    return frozenset(lexical.encode_query(text, "en").indices)


def test_id_words_reads_latin_words_only() -> None:
    assert id_words("sierra-leone") == "sierra leone"
    assert id_words("set_up.mfa") == "set up mfa"
    assert id_words("صفحة-الدفع") == ""


def test_the_named_country_gets_the_whole_credit_its_neighbour_none() -> None:
    lexical = LexicalEncoder()
    slugs = SlugTerms(lexical, IDS)
    shares = slugs.shares([k for k, _ in IDS], query(lexical, "is there a toll-free support line in Taiwan?"))
    assert shares["ar/taiwan"] == 1.0
    assert shares["ar/thailand"] == 0.0
    assert 0.0 < shares["ar/get-help-support"] < 0.5  # one common word of three
    assert "ar/arabic-only" not in shares  # no Latin id: nothing to credit


def test_rarer_id_words_weigh_more() -> None:
    lexical = LexicalEncoder()
    slugs = SlugTerms(lexical, IDS)
    shares = slugs.shares(["ar/convert-user-mailbox-to-shared-mailbox"], query(lexical, "a shared inbox"))
    partial = shares["ar/convert-user-mailbox-to-shared-mailbox"]
    assert 0.0 < partial < 1.0


def test_one_ordinary_shared_word_credits_nothing_with_the_rare_words_rule() -> None:
    """LEVERS["slug_rare_words"]: "office" alone (ordinary in English) no longer credits sign-up-for-office-365;
    a rare word ("mailbox"), two words agreeing ("phone number") and a one-word id said whole ("india") still do."""
    ids = [
        ("ar/sign-up-for-office-365", "sign-up-for-office-365"),
        ("ar/update-phone-number-and-email-address", "update-phone-number-and-email-address"),
        ("ar/create-a-shared-mailbox", "create-a-shared-mailbox"),
        ("ar/india", "india"),
    ]
    lexical = LexicalEncoder()
    slugs = SlugTerms(lexical, ids)
    keys = [k for k, _ in ids]

    def credited(text: str, lone_ordinary: bool) -> set[str]:
        return {k for k, v in slugs.shares(keys, query(lexical, text), lone_ordinary).items() if v > 0}

    assert credited("the office printer is jammed", True) == {"ar/sign-up-for-office-365"}
    assert credited("the office printer is jammed", False) == set()
    assert credited("my phone is broken", False) == set()
    assert credited("change my phone number", False) == {"ar/update-phone-number-and-email-address"}
    assert credited("a mailbox for the team", False) == {"ar/create-a-shared-mailbox"}
    assert credited("call support in India", False) == {"ar/india"}


def test_slug_ids_once_per_article() -> None:
    payloads = [{"key": "ar/a", "article_id": "a"}, {"key": "ar/a", "article_id": "a"}, {"key": "ar/b"}]
    assert slug_ids(payloads) == [("ar/a", "a")]


def _rank(engine: Engine, query: str, answer: str) -> int:
    ids = [hit.id for hit in engine.retriever.search(query, lang="en").results]
    return ids.index(answer) + 1 if answer in ids else 99


def test_an_english_question_naming_the_id_lifts_the_arabic_page(
    demo_ar: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "does Manzil Care cover dropping my phone?": the Arabic manzil-care page, whose id the question
    says, goes first; without the id's words it was 8th (bench/RESULTS.md, Session 11, m365cust)."""
    demo_ar.retriever.wait_for_views()
    query = "does Manzil Care cover dropping my phone?"
    assert _rank(demo_ar, query, "manzil-care") == 1
    monkeypatch.setitem(retrieval.LEVERS, "slug_words", False)
    assert _rank(demo_ar, query, "manzil-care") > 1


def test_the_fallback_reads_the_rare_words_lever(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retriever._credit_slugs reads LEVERS["slug_rare_words"]: "office" puts the office page first only with it off."""
    lexical = LexicalEncoder()
    ids = [("ar/sign-up-for-office-365", "sign-up-for-office-365"), ("ar/scanners", "scanners")]
    slugs = SlugTerms(lexical, ids)
    retriever = SimpleNamespace(_slugs=SimpleNamespace(peek=lambda: slugs), lexical=lexical)
    plan = SimpleNamespace(query="the office printer is jammed", lang="en")
    ranked = [Hit("1", 1.0, {"key": "ar/scanners"}), Hit("2", 0.9, {"key": "ar/sign-up-for-office-365"})]

    def first() -> str:
        return str(retrieval.Retriever._credit_slugs(retriever, ranked, plan, 1.0)[0].payload["key"])  # type: ignore[arg-type]

    monkeypatch.setitem(retrieval.LEVERS, "slug_words", True)
    monkeypatch.setitem(retrieval.LEVERS, "slug_rare_words", False)
    assert first() == "ar/sign-up-for-office-365"
    monkeypatch.setitem(retrieval.LEVERS, "slug_rare_words", True)
    assert first() == "ar/scanners"
