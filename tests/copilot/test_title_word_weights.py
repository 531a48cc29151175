"""Title word weights (copilot.title_word_weights): the field credit counts a matched title word by how
specific it is to the index's chunks.

A small fake index: forty chunks that all say "computer", one page on sharing the desktop and one on
firmware. "a friend wants to take control of my computer" matches one typed word in the title "My
computer will not turn on": counted alike, that word's credit puts the page above the desktop-sharing
one just ahead of it; counted by how many chunks hold it, it earns next to nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.common_terms import ChunkFrequencies
from copilot.retrieval import LEVERS, Retriever
from copilot.title_word_weights import TitleWordWeights
from indexer.stores.base import Hit
from tests.copilot.test_title_rarity import _retriever as rarity_retriever

ROWS = [
    *(
        {"key": f"en/page-{n}", "lang": "en", "title": f"Computer topic {n}", "text": f"Your computer does thing {n}."}
        for n in range(40)
    ),
    {"key": "en/wont-start", "lang": "en", "title": "My computer will not turn on", "text": "Check the power cable."},
    {"key": "en/share", "lang": "en", "title": "Share your desktop", "text": "Let someone see your screen."},
    {"key": "en/firmware", "lang": "en", "title": "Update the firmware", "text": "Firmware updates fix bugs."},
]


def _retriever(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Retriever:
    """test_title_rarity's retriever (its store's titles), counting these chunks' terms."""
    retriever = rarity_retriever(tmp_path)
    frequencies = ChunkFrequencies.of(ROWS, retriever._document_terms)
    monkeypatch.setattr(retriever._chunk_frequencies, "peek", lambda: frequencies)
    return retriever


def _hit(key: str, score: float) -> Hit:
    row = next(r for r in ROWS if r["key"] == key)
    return Hit(f"{key}#0", score, {"key": key, "lang": "en", "title": row["title"]})


def _ranking(retriever: Retriever, query: str, hits: list[Hit]) -> list[str]:
    searched = typed = retriever.lexical.encode_query(query, "en")
    credited = retriever._credit_fields(hits, {"en": (searched, typed)}, credit=0.4)
    return [str(hit.payload["key"]) for hit in credited]


def test_a_common_matched_word_counts_less_than_a_specific_one() -> None:
    weights = TitleWordWeights(ChunkFrequencies({"en": {1: 50, 2: 1}}, {"en": 100}))
    assert weights.weight("en", 2) == 1.0  # one chunk of a hundred holds it: specific
    assert weights.weight("en", 9) == 1.0  # no chunk holds it (a typo, a new word): counts fully
    assert 0.0 < weights.weight("en", 1) < 0.5  # half the chunks hold it
    assert weights.share({2}, {1, 2}, "en") == pytest.approx(0.5)  # each typed word still counts one
    assert weights.share({1}, {1, 2}, "en") < 0.25  # the common word earns under half its share
    assert weights.share({1, 2, 3}, {1, 2}, "en") == 1.0  # a synonym matched beside them: capped
    assert weights.share({1}, set(), "en") == 0.0


def test_a_one_term_query_on_a_common_word_no_longer_earns_the_whole_credit() -> None:
    weights = TitleWordWeights(ChunkFrequencies({"en": {1: 50}}, {"en": 100}))
    assert weights.share({1}, {1}, "en") < 0.5  # a bridge term every other chunk prints


def test_the_lever_keeps_an_incidental_common_word_from_deciding_a_near_tie(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = _retriever(tmp_path, monkeypatch)
    query = "a friend wants to take control of my computer"
    hits = [_hit("en/share", 0.50), _hit("en/wont-start", 0.49)]
    monkeypatch.setitem(LEVERS, "title_word_weights", False)
    assert _ranking(retriever, query, hits) == ["en/wont-start", "en/share"]
    monkeypatch.setitem(LEVERS, "title_word_weights", True)
    assert _ranking(retriever, query, hits) == ["en/share", "en/wont-start"]
    # a title holding the question's specific word keeps its credit
    firmware = [_hit("en/share", 0.50), _hit("en/firmware", 0.40)]
    assert _ranking(retriever, "computer firmware", firmware) == ["en/firmware", "en/share"]


def test_the_retriever_counts_the_chunks_with_the_lever_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    retriever = rarity_retriever(tmp_path)
    monkeypatch.setitem(LEVERS, "common_terms", False)
    monkeypatch.setitem(LEVERS, "title_word_weights", False)
    assert retriever._chunk_frequencies not in retriever._views()
    monkeypatch.setitem(LEVERS, "title_word_weights", True)
    assert retriever._chunk_frequencies in retriever._views()
