"""Title rarity (copilot.title_rarity): the field credit counts a query term by how few titles hold it.

A small fake index: a numbered series whose six step titles all say "former employee", and the one
article whose title says "verification". "verification for employees" matches one typed term in
each; counted alike, the step keeps its place, counted by rarity the verification page goes first.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from copilot.retrieval import LEVERS, Retriever
from copilot.title_rarity import TitleRarity
from indexer.stores.base import Hit
from kb.settings import Settings

SERIES = [
    f"Step {n} - {task} for a former employee"
    for n, task in enumerate(
        (
            "Block sign-in",
            "Save the mailbox",
            "Wipe the phone",
            "Forward the mail",
            "Move the files",
            "Remove the licence",
        ),
        1,
    )
]
ROWS = [
    *({"key": f"en/step-{n}", "lang": "en", "title": title} for n, title in enumerate(SERIES, 1)),
    {"key": "en/verification", "lang": "en", "title": "Set up verification", "tags": ["sign-in"]},
    {"key": "en/verification", "lang": "en", "title": "Set up verification"},  # a second chunk: one article
    {"key": "ar/verification", "lang": "ar", "title": "إعداد التحقق"},
]


class _Titles:
    """Enough of a store for the field credit: the chunk payloads, nothing to search."""

    def version(self) -> str:
        return "v1"

    def payloads(self, fields: tuple[str, ...]) -> list[dict]:
        return [dict(row) for row in ROWS]


def _retriever(tmp_path: Path) -> Retriever:
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    return Retriever(settings, _Titles(), [])  # type: ignore[arg-type]


def _ranking(retriever: Retriever, query: str) -> list[str]:
    searched = typed = retriever.lexical.encode_query(query, "en")
    step = Hit("step-4#0", 0.52, {"key": "en/step-4", "lang": "en", "title": SERIES[3]})
    verification = Hit("verification#0", 0.50, {"key": "en/verification", "lang": "en", "title": "Set up verification"})
    credited = retriever._credit_fields([step, verification], {"en": (searched, typed)}, credit=0.4)
    return [str(hit.payload["key"]) for hit in credited]


def test_counts_each_article_once_per_language_with_its_title_and_tags(tmp_path: Path) -> None:
    retriever = _retriever(tmp_path)
    rarity = TitleRarity.of(ROWS, retriever._field_terms)
    assert rarity.titles == {"en": 7, "ar": 1}
    employee, verification, sign = (
        retriever.lexical.encode_query(w, "en").indices[0] for w in ("employee", "verification", "sign")
    )
    assert rarity.counts["en"][employee] == 6 and rarity.counts["en"][verification] == 1
    assert rarity.counts["en"][sign] == 2  # "Block sign-in" in a step's title, the tag "sign-in"
    assert rarity.weight("en", employee) == pytest.approx(math.log1p(7 / 6))
    assert rarity.weight("en", verification) == pytest.approx(math.log1p(7))
    assert rarity.weight("en", 123456789) == pytest.approx(math.log1p(7))  # no title holds it: as rare as one
    assert rarity.weight("fr", verification) == 1.0  # a language without titles: every term alike


def test_share_weighs_the_matched_terms_against_the_typed_ones(tmp_path: Path) -> None:
    rarity = TitleRarity({"en": {1: 6, 2: 1}}, {"en": 7})
    assert rarity.share({1}, {1, 2}, "en") == pytest.approx(math.log1p(7 / 6) / (math.log1p(7 / 6) + math.log1p(7)))
    assert rarity.share({2}, {1, 2}, "en") > 0.7 > 0.5  # the rare word says more than half of the question
    assert rarity.share({1, 2, 3}, {1, 2}, "en") == 1.0  # a synonym matched beside them: capped
    assert rarity.share({1}, set(), "en") == 0.0


def test_the_lever_puts_the_title_holding_the_rare_word_above_the_series_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = _retriever(tmp_path)
    monkeypatch.setitem(LEVERS, "title_rarity", False)
    assert _ranking(retriever, "verification for employees") == ["en/step-4", "en/verification"]
    monkeypatch.setitem(LEVERS, "title_rarity", True)
    assert _ranking(retriever, "verification for employees") == ["en/verification", "en/step-4"]
    # a question only the series' words answer still credits the step
    assert _ranking(retriever, "former employee mail forward") == ["en/step-4", "en/verification"]
