"""bench/loo_probe.py: an index's own titles and headings asked with their articles present and left out."""

from __future__ import annotations

import pytest

from bench.loo_probe import (
    MODEL_SIGNALS,
    cross_present_and_left_out,
    keyed_probes,
    plan_target,
    present_and_left_out,
    rules,
    siblings,
)
from copilot.engine import Engine
from copilot.self_calibration import probes
from copilot.tuning import ABSTAIN_FLOORS

ROWS = [
    *(
        {"key": f"device-{i}", "lang": "en", "title": f"Connect device {i} to the network", "heading_path": ["Steps"]}
        for i in range(12)
    ),
    {"key": "printer", "lang": "en", "title": "Print a page", "heading_path": ["Before you start"]},
    {"key": "scanner", "lang": "en", "title": "Scan a page", "heading_path": ["Before you start"]},
]


def test_each_probe_is_held_by_every_article_whose_title_or_heading_has_its_words_in_order() -> None:
    keyed = keyed_probes(ROWS, "en", size=20)
    made = probes(ROWS, "en", size=20)
    assert [(kind, text) for kind, text, _ in keyed] == [
        (kind, text) for kind in ("title", "heading", "partial") for text in made[kind]
    ]
    held = {text: holders for _, text, holders in keyed}
    assert held["Print a page"] == {"printer"}
    assert held["Connect device 3 to the network"] == {"device-3"}
    assert held["Before you start"] == {"printer", "scanner"}  # a heading two articles share: both left out
    assert held["Steps"] == {f"device-{i}" for i in range(12)}
    for kind, text, holders in keyed:
        assert holders, text  # every probe comes from some article
        if kind == "partial" and text.split()[0] == "Connect" and text.split()[-1].isdigit():
            assert len(holders) == 1  # "Connect device 3": the one title that holds those words in that order


def test_the_left_out_signals_are_the_best_other_article_and_the_present_ones_are_search_s(indexed: Engine) -> None:
    retriever = indexed.retriever
    retriever.wait_for_views()
    rows = indexed.store.payloads(("key", "lang", "title"))
    key = next(str(r["key"]) for r in rows if r.get("title") == "Reset your password")
    present, left_out = present_and_left_out(retriever, "Reset your password", "en", frozenset({key}))
    searched = retriever.search("Reset your password", lang="en", limit=10).signals
    for name in MODEL_SIGNALS:
        assert present[name] == pytest.approx(searched[name])  # the evidence search reads
        assert left_out[name] <= present[name]
    assert left_out["e5_top"] < present["e5_top"]  # the article's own title scored highest; another's is lower
    untouched, same = present_and_left_out(retriever, "Reset your password", "en", frozenset({"no-such-article"}))
    assert same == untouched == present


def _entry(domain: str, loo: float, present: float, answerable: float, out_of_scope: float) -> dict:
    signals = lambda v: {"e5_top": v, "use_top": v, "lexical_share": v}  # noqa: E731
    return {
        "domain": domain,
        "rows": [{"lang": "en", "query": "q", "oos": False}, {"lang": "en", "query": "q", "oos": True}],
        "signals": {"en": [signals(answerable), signals(out_of_scope)]},
        "probes": {
            "en": [
                {"kind": "heading", "present": signals(present + i / 100), "loo": signals(loo + i / 100)}
                for i in range(21)
            ]
        },
    }


def test_a_left_out_quantile_floor_moves_with_the_index_own_left_out_probes() -> None:
    entries = [_entry("demo", 0.8, 0.9, 0.95, 0.3), _entry("other", 0.85, 0.95, 0.95, 0.3)]
    chosen = rules(entries)
    median = chosen["left-out quantile 0.5"]
    assert median(entries[0], "en")["e5_top"] == pytest.approx(0.9)
    assert median(entries[1], "en")["e5_top"] == pytest.approx(0.95)
    assert median(entries[1], "en")["field_top"] == 0.5
    assert chosen["shipped floors"](entries[1], "en") == ABSTAIN_FLOORS["en"]  # type: ignore[index]
    # the shipped floors' place among the demo's left-out probes, carried to the other index's
    carried = chosen["carried, left-out probes x1.00"](entries[1], "en")
    assert carried["e5_top"] == pytest.approx(ABSTAIN_FLOORS["en"]["e5_top"] + 0.05)  # type: ignore[index]


def test_siblings_are_the_articles_whose_titles_share_most_words() -> None:
    rows = [
        {"key": "eg", "title": "الدعم الفني في مصر"},
        {"key": "jo", "title": "الدعم الفني في الأردن"},
        {"key": "bill", "title": "Pay your bill"},
        {"key": "bill-2", "title": "pay your BILL online"},
    ]
    family = siblings(rows, 0.5)
    assert family["eg"] == {"eg", "jo"}  # 3 of 5 words shared: one page per country
    assert family["bill"] == {"bill", "bill-2"}  # case folded, 3 of 4
    assert siblings(rows, 0.8)["eg"] == {"eg"}


def test_cross_lingual_left_out_shares_leave_the_translation_out(indexed: Engine) -> None:
    retriever = indexed.retriever
    retriever.wait_for_views()
    title = next(str(r["title"]) for r in indexed.store.payloads(("key", "title")) if r["key"] == "ar/reset-password")
    present, kept = cross_present_and_left_out(retriever, title, "ar", frozenset())
    _, left_out = cross_present_and_left_out(retriever, title, "ar", frozenset({"en/reset-password"}))
    assert kept["cross_share"] == pytest.approx(present["cross_share"])  # nothing left out: search's chunk share
    assert left_out["cross_title_share"] < kept["cross_title_share"]  # the translation's title was the best
    assert left_out["cross_share"] <= kept["cross_share"]


def test_a_single_language_index_has_one_article_language() -> None:
    assert plan_target({"en/a", "en/b"}) == "en"
    with pytest.raises(ValueError, match="one article language"):
        plan_target({"en/a", "ar/a"})
