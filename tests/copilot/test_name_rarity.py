"""Name rarity (LEVERS["name_rarity"]): in the field credit only the question's product names count by how few of
the first candidates' titles print them; every other word counts one.

candidate_rarity (off) weighed every word so and lost where siblings share their topic word: among password pages
"password" is in every title, and an incidental word one sibling's title adds decided (bench/RESULTS.md "Session 26,
framing26"). Restricted to the names the question frames its request with (copilot.product_names), "refund for my
Sync" still puts the refund page above the product's pages, while "reset my password" among password pages is
credited as with the lever off.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from copilot.framed_lead import framing_names
from copilot.product_names import intent_part
from copilot.retrieval import LEVERS, Retriever
from copilot.title_rarity import NameRarity, TitleRarity
from indexer.stores.base import Hit
from tests.copilot.test_candidate_rarity import SYNC_PAGES, _framed, _hit
from tests.copilot.test_title_rarity import _retriever


def _credited(retriever: Retriever, query: str, ranked: list[Hit], names: frozenset[str]) -> list[str]:
    searched = typed = retriever.lexical.encode_query(query, "en")
    credited = retriever._credit_fields(ranked, {"en": (searched, typed)}, credit=0.4, names=names)
    return [str(hit.payload["key"]).removeprefix("en/") for hit in credited]


def test_the_framing_name_comes_from_the_intent_the_question_leaves() -> None:
    """What the retriever passes the field credit: the Latin words copilot.product_names left out of the intent."""
    intent = intent_part("refund for my Sync", frozenset({"sync"}))
    assert intent == "refund for my"
    assert framing_names("refund for my Sync", intent) == {"sync"}


def test_the_refund_page_passes_the_product_pages_only_with_the_lever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = _retriever(tmp_path)
    monkeypatch.setitem(LEVERS, "candidate_rarity", False)
    monkeypatch.setitem(LEVERS, "name_rarity", False)
    assert _credited(retriever, "refund for my Sync", _framed(), frozenset({"sync"}))[:2] == ["sync-0", "refund-policy"]
    monkeypatch.setitem(LEVERS, "name_rarity", True)
    assert _credited(retriever, "refund for my Sync", _framed(), frozenset({"sync"}))[:2] == ["refund-policy", "sync-0"]
    # with no name typed, the lever reads nothing: the same question unframed ranks as before
    assert _credited(retriever, "refund for my Sync", _framed(), frozenset())[:2] == ["sync-0", "refund-policy"]


def test_siblings_sharing_their_topic_word_are_credited_as_without_the_lever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """candidate_rarity's loss: among password pages the shared words are the topic, not a name, and weighed by
    the candidates the word one sibling's title alone adds ("change") decides; name_rarity counts each word one."""
    retriever = _retriever(tmp_path)
    pages = ["Password expiry policy", "Change a password", "Password expiry notices", "Password rules"]
    ranked = [_hit(f"password-{n}", title, 0.52 - n * 0.005) for n, title in enumerate(pages)]
    query = "change the password expiry"
    monkeypatch.setitem(LEVERS, "candidate_rarity", False)
    monkeypatch.setitem(LEVERS, "name_rarity", False)
    as_before = _credited(retriever, query, ranked, frozenset({"sync"}))
    assert as_before[0] == "password-0"
    monkeypatch.setitem(LEVERS, "name_rarity", True)
    assert _credited(retriever, query, ranked, frozenset({"sync"})) == as_before
    monkeypatch.setitem(LEVERS, "name_rarity", False)
    monkeypatch.setitem(LEVERS, "candidate_rarity", True)
    assert _credited(retriever, query, ranked, frozenset({"sync"}))[0] == "password-1"


def test_a_name_counts_by_how_few_candidates_print_it_and_other_words_count_one() -> None:
    rows = [{"key": f"en/{n}", "lang": "en", "title": t} for n, t in enumerate([*SYNC_PAGES, "Refund policy"])]
    first = TitleRarity.of(rows, lambda row, lang: frozenset(str(row["title"]).lower().split()))
    weights = NameRarity(first, {"en": frozenset({"sync"})})
    words = {"sync", "refund"}
    assert weights.weight("en", "refund") == 1.0  # type: ignore[arg-type]
    assert weights.weight("en", "sync") == pytest.approx(math.log1p(5 / 4) / math.log1p(5))  # type: ignore[arg-type]
    assert weights.share({"refund"}, words, "en") > weights.share({"sync"}, words, "en")  # type: ignore[arg-type]
    assert NameRarity(first, {"en": frozenset({"refund"})}).weight("en", "refund") == 1.0  # type: ignore[arg-type]
