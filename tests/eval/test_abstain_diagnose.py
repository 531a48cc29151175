"""bench/abstain_diagnose.py: which signals hold an out-of-scope question above the shipped floors."""

from __future__ import annotations

from bench.abstain_diagnose import _SCORES, _SOURCES, _deeper, _recording, floors_for, holders, line
from copilot.tuning import ABSTAIN_FLOORS, ABSTAIN_OFFSETS
from indexer.stores.base import Hit, PayloadFilter, Source


def _row(query: str, lang: str, **signals: float) -> dict:
    return {"query": query, "lang": lang, "signals": signals, "titles": ["Why won't DVDs play?"], "relevant": []}


def test_holders_are_the_signals_at_or_above_their_floors() -> None:
    floors = ABSTAIN_FLOORS["en"]
    row = _row("install Steam games", "en", e5_top=0.85, use_top=floors["use_top"] + 0.04, lexical_share=0.5)
    assert holders(row) == ["use_top"]
    assert holders(_row("install Steam games", "en", e5_top=0.85, use_top=0.1, lexical_share=0.5)) == []  # flagged
    assert "use_top 0.327/0.287*" in line(row) and "DVDs" in line(row)


def test_the_floors_are_the_question_register_s() -> None:
    shift = ABSTAIN_OFFSETS["ar"]["mixed"]["lexical_share"]
    assert floors_for("ar", "ابي احذف الaccount")["lexical_share"] == ABSTAIN_FLOORS["ar"]["lexical_share"] + shift
    assert floors_for("ar", "كيف احذف حسابي") == ABSTAIN_FLOORS["ar"]


def test_each_source_s_articles_and_best_score_per_article_are_recorded() -> None:
    _SOURCES.clear()
    _SCORES.clear()
    hits = [Hit("a1", 0.9, {"key": "en/a"}), Hit("a2", 0.8, {"key": "en/a"}), Hit("b1", 0.7, {"key": "en/b"})]
    signals = _recording({"e5": hits})
    assert signals["e5_top"] == 0.9 and signals["e5_margin"] == 0.9 - 0.8  # as the product reads them
    assert _SOURCES[-1] == {"e5": ["en/a", "en/b"]} and _SCORES[-1] == {"e5": [0.9, 0.7]}


def test_only_the_evidence_queries_are_asked_deeper() -> None:
    source = (Source("e5", [0.1, 0.2], PayloadFilter()),)
    assert _deeper(source, PayloadFilter(), limit=2, payload_fields=("key",)).limit == 40
    assert (
        _deeper(source, PayloadFilter(), limit=40).limit == 40 and _deeper(source, PayloadFilter(), limit=2).limit == 2
    )
