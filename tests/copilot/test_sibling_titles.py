"""Sibling titles (copilot.sibling_titles): among near-tied first articles, the title saying more of the question.

The rankings are written out: scores on the scale of a first-everywhere fused score of 1.0, and each
title's matched query terms given as a set of term ids (what Retriever._title_matches computes).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from copilot.retrieval import Retriever
from copilot.sibling_titles import SIBLING_MARGIN, SIBLING_SHARED, SIBLING_TOP, prefer_specific
from indexer.stores.base import Hit
from kb.settings import Settings
from tests.copilot.test_query_terms import _NoStore

REPORTS, ACTIVITY, ONEDRIVE, FORMS = 1, 2, 3, 4  # term ids: reports, activity, OneDrive, forms


def ranking(*rows: tuple[str, float]) -> list[Hit]:
    return [Hit(f"{key}#0", score, {"key": key}) for key, score in rows]


def titles(matches: dict[str, set[int]]) -> Callable[[Hit], frozenset[int]]:
    return lambda hit: frozenset(matches.get(str(hit.payload["key"]), set()))


def keys(ranked: list[Hit]) -> list[str]:
    return [str(h.payload["key"]) for h in ranked]


# "OneDrive activity reports": the forms report first, the OneDrive one third, near-tied
SIBLINGS = {"forms-activity": {REPORTS, ACTIVITY}, "onedrive-activity": {REPORTS, ACTIVITY, ONEDRIVE}}


def test_a_near_tied_title_holding_the_firsts_terms_and_more_goes_first_scores_swapped() -> None:
    ranked = ranking(("forms-activity", 0.90), ("usage", 0.85), ("onedrive-activity", 0.80), ("other", 0.5))
    moved = prefer_specific(ranked, titles(SIBLINGS), best_fused=1.0)
    assert keys(moved) == ["onedrive-activity", "usage", "forms-activity", "other"]
    assert [h.score for h in moved] == [0.90, 0.85, 0.80, 0.5]  # places and scores swapped: still in order
    assert moved[0].id == "onedrive-activity#0"


def test_a_sibling_further_than_the_margin_stays_where_it_is() -> None:
    gap = SIBLING_MARGIN * 1.0 + 0.01
    ranked = ranking(("forms-activity", 0.9), ("onedrive-activity", 0.9 - gap))
    assert keys(prefer_specific(ranked, titles(SIBLINGS), best_fused=1.0)) == ["forms-activity", "onedrive-activity"]
    # the margin is a share of the first-everywhere score: on a scale twice as large the same gap is near
    assert keys(prefer_specific(ranked, titles(SIBLINGS), best_fused=2.0))[0] == "onedrive-activity"


def test_a_title_matching_other_words_is_no_sibling_that_says_more() -> None:
    matches = {"forms-activity": {REPORTS, ACTIVITY, FORMS}, "onedrive-activity": {REPORTS, ACTIVITY, ONEDRIVE}}
    ranked = ranking(("forms-activity", 0.9), ("onedrive-activity", 0.89))
    assert keys(prefer_specific(ranked, titles(matches), best_fused=1.0)) == ["forms-activity", "onedrive-activity"]
    equal = {"forms-activity": {REPORTS, ACTIVITY}, "onedrive-activity": {REPORTS, ACTIVITY}}
    assert keys(prefer_specific(ranked, titles(equal), best_fused=1.0))[0] == "forms-activity"


def test_a_first_title_holding_fewer_than_the_family_words_yields_to_nothing() -> None:
    held = set(range(SIBLING_SHARED - 1))
    matches = {"first": held, "second": held | {99}}
    ranked = ranking(("first", 0.9), ("second", 0.89))
    assert keys(prefer_specific(ranked, titles(matches), best_fused=1.0)) == ["first", "second"]
    matches["first"] = set(range(SIBLING_SHARED))
    matches["second"] = matches["first"] | {99}
    assert keys(prefer_specific(ranked, titles(matches), best_fused=1.0)) == ["second", "first"]


def test_only_the_first_sibling_top_candidates_are_read_and_the_nearest_wins() -> None:
    filler = [(f"filler-{i}", 0.9 - i / 1000) for i in range(1, SIBLING_TOP)]
    ranked = ranking(("forms-activity", 0.9), *filler, ("onedrive-activity", 0.89))
    assert keys(prefer_specific(ranked, titles(SIBLINGS), best_fused=1.0))[0] == "forms-activity"
    two = {**SIBLINGS, "onedrive-usage": {REPORTS, ACTIVITY, ONEDRIVE, FORMS}}
    ranked = ranking(("forms-activity", 0.9), ("onedrive-activity", 0.89), ("onedrive-usage", 0.88))
    assert keys(prefer_specific(ranked, titles(two), best_fused=1.0))[0] == "onedrive-activity"


def test_short_rankings_are_returned_as_they_are() -> None:
    assert prefer_specific([], titles(SIBLINGS), best_fused=1.0) == []
    one = ranking(("forms-activity", 0.9))
    assert prefer_specific(one, titles(SIBLINGS), best_fused=1.0) == one


def test_the_retrievers_title_matches_are_the_querys_terms_in_a_title_of_its_language(tmp_path: Path) -> None:
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    retriever = Retriever(settings, _NoStore(), [])  # type: ignore[arg-type]
    searched = retriever.lexical.encode_query("onedrive activity reports", "en")
    forms = Hit("forms#0", 0.9, {"key": "en/forms", "lang": "en", "title": "Forms activity reports"})
    onedrive = Hit("od#0", 0.85, {"key": "en/od", "lang": "en", "title": "OneDrive for Business activity reports"})
    arabic = Hit("ar#0", 0.8, {"key": "ar/od", "lang": "ar", "title": "OneDrive activity reports"})
    matched = partial(retriever._title_matches, searched, "en")
    assert len(matched(forms)) == 2 and matched(onedrive) > matched(forms)
    assert matched(arabic) == frozenset()  # another language's title is read by another analyser: no match
    assert keys(prefer_specific([forms, onedrive, arabic], matched, best_fused=1.0)) == ["en/od", "en/forms", "ar/od"]
