"""The missing-translation fallback's field credit counts a bridge over the typed question's own words
(LEVERS["bridge_share"], Retriever._bridge_typed): one loanword of a long Arabic question ("الكمبيوتر":
computer) no longer gives every English title holding "computer" the whole credit (bench/RESULTS.md
"Session 25, gxl25": GNOME's power-hotcomputer won three dev questions that way)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import copilot.retrieval as retrieval_module
from copilot.retrieval import Retriever
from indexer.lexical import LexicalEncoder
from indexer.stores.base import Hit

_HOT = Hit("hot", 1.0, {"key": "en/power-hotcomputer", "lang": "en", "title": "Why is my computer getting hot?"})
_ADD = Hit("add", 1.0, {"key": "en/user-add", "lang": "en", "title": "Add a new user account"})


def _retriever() -> Retriever:
    """A Retriever with only what the field credit reads: the lexical encoder, no opening-title keys."""
    retriever = Retriever.__new__(Retriever)
    retriever.lexical = LexicalEncoder()
    retriever._fields = {}
    retriever._opening = SimpleNamespace(get=lambda: frozenset())  # type: ignore[assignment]
    return retriever


def _credits(
    query: str, bridge_text: str, on: bool, monkeypatch: pytest.MonkeyPatch, synonyms: tuple[str, ...] = ()
) -> dict[str, float]:
    monkeypatch.setitem(retrieval_module.LEVERS, "bridge_share", on)
    monkeypatch.setitem(retrieval_module.LEVERS, "title_rarity", False)
    monkeypatch.setitem(retrieval_module.LEVERS, "title_word_weights", False)
    retriever = _retriever()
    bridge = retriever.lexical.encode_query(bridge_text, "en")
    plan = SimpleNamespace(query=query, lang="ar", expansion=SimpleNamespace(synonyms=synonyms))
    terms = {"en": (bridge, retriever._bridge_typed(plan, "en", bridge))}  # type: ignore[arg-type]
    return {h.id: h.score - 1.0 for h in retriever._credit_fields([_HOT, _ADD], terms, 0.4)}


def test_one_loanword_of_a_long_question_is_not_the_whole_question(monkeypatch: pytest.MonkeyPatch) -> None:
    query = "ابي اضيف حساب لولدي على الكمبيوتر يكون له ملفاته"  # the bridge reads only الكمبيوتر: computer
    assert _credits(query, "computer", False, monkeypatch)["hot"] == pytest.approx(0.4)  # as before: all of it
    on = _credits(query, "computer", True, monkeypatch)
    assert 0.0 < on["hot"] <= 0.4 / 6  # one of the question's eight own words
    assert on["add"] == 0.0


def test_a_question_typed_in_the_titles_words_keeps_its_credit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Latin words typed in an Arabic question are in the bridge already: counted once, not again as Arabic terms
    assert _credits("computer hot", "computer hot", True, monkeypatch)["hot"] == pytest.approx(0.4)
    assert _credits("الكمبيوتر computer hot", "computer hot", True, monkeypatch)["hot"] == pytest.approx(0.4 * 2 / 3)


def test_a_bridge_the_synonym_groups_give_keeps_its_own_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # the help center's bilingual groups say what its word means there ("الكمبيوتر" <-> "computer" listed)
    query = "ابي اضيف حساب لولدي على الكمبيوتر يكون له ملفاته"
    credits = _credits(query, "computer", True, monkeypatch, synonyms=("computer", "الكمبيوتر"))
    assert credits["hot"] == pytest.approx(0.4)
