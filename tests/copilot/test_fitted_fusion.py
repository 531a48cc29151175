"""The two-domain fusion weights (copilot.fitted_fusion, LEVERS["fitted_fusion"]) and the per-kind ones
(KIND_WEIGHTS, LEVERS["kind_fusion"])."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copilot.engine import Engine
from copilot.fitted_fusion import FITTED_WEIGHTS, KIND_WEIGHTS, fusion_weights
from copilot.retrieval import LEVERS
from copilot.tuning import FUSION_WEIGHTS, TUNING_FILE
from indexer.lexical import SPARSE_VECTOR
from kb.settings import Settings


def test_off_the_configured_weights_rank() -> None:
    assert fusion_weights(FUSION_WEIGHTS, "en", fitted=False) == FUSION_WEIGHTS["en"]


def test_on_the_shipped_english_weights_give_way_to_the_fitted_ones() -> None:
    weights = fusion_weights(FUSION_WEIGHTS, "en", fitted=True)
    assert weights == FITTED_WEIGHTS["en"] != FUSION_WEIGHTS["en"]
    # BM25 and USE count less than e5 in English: what GNOME Help's questions showed
    assert weights["lexical"] < FUSION_WEIGHTS["en"]["lexical"] and weights["use"] < FUSION_WEIGHTS["en"]["use"]


def test_a_language_fitted_on_one_domain_only_keeps_its_weights() -> None:
    assert fusion_weights(FUSION_WEIGHTS, "ar", fitted=True) == FUSION_WEIGHTS["ar"]
    assert fusion_weights(FUSION_WEIGHTS, "fr", fitted=True) == FUSION_WEIGHTS["*"]


def test_a_help_centers_own_weights_win() -> None:
    own = {**FUSION_WEIGHTS, "en": {"e5": 1.0, "use": 0.2, "lexical": 2.0}}
    assert fusion_weights(own, "en", fitted=True) == {"e5": 1.0, "use": 0.2, "lexical": 2.0}


def source_weights(
    tmp_path: Path,
    tuning: str | None = None,
    query: str = "change the wallpaper",
    lang: str = "en",
    ticket: bool = False,
) -> dict[str, float]:
    """The weights of a query's sources (e5, USE, BM25; an English one unless given) on an empty help center with
    `tuning` as its `_search.yml`."""
    content = tmp_path / "content"
    content.mkdir(parents=True)
    if tuning is not None:
        (content / TUNING_FILE).write_text(tuning, "utf-8")
    engine = Engine(Settings(content_dir=content, data_dir=tmp_path / "data"), embedders=[])
    try:
        retriever = engine.retriever
        plan = retriever.plan(query, lang, ticket=ticket)
        sparse = retriever.lexical.encode_query(query, lang)
        vectors = {"e5": np.ones(4, dtype=np.float32), "use": np.ones(4, dtype=np.float32)}
        sources = retriever._sources(plan, vectors, sparse)
    finally:
        engine.close()
    return {("lexical" if s.vector_name == SPARSE_VECTOR else s.vector_name): s.weight for s in sources}


@pytest.mark.parametrize("on", [False, True])
def test_the_retrievers_sources_carry_the_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    monkeypatch.setitem(LEVERS, "fitted_fusion", on)
    monkeypatch.setitem(LEVERS, "kind_fusion", False)  # "change the wallpaper" is a keyword query
    assert source_weights(tmp_path) == (FITTED_WEIGHTS["en"] if on else FUSION_WEIGHTS["en"])


def test_the_content_repos_weights_stay_with_the_lever_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LEVERS, "fitted_fusion", True)
    tuning = "fusion:\n  en: {e5: 1.0, use: 0.2, lexical: 2.0}\n"
    assert source_weights(tmp_path, tuning) == {"e5": 1.0, "use": 0.2, "lexical": 2.0}


@pytest.mark.parametrize(
    ("query", "lang", "kind"),
    [
        ("wallpaper", "en", "keyword"),
        ("how do I change the desktop wallpaper", "en", None),  # a question: English's fitted weights
        ("كيف اغير كلمة المرور في حسابي", "ar", "question"),
        ("كيف اغير الـ password", "ar", None),  # mixed script: Arabic's weights
        ("كلمة المرور", "ar", None),  # an Arabic keyword query: Arabic's weights
    ],
)
def test_with_kind_fusion_a_querys_kind_chooses_its_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: str, lang: str, kind: str | None
) -> None:
    monkeypatch.setitem(LEVERS, "fitted_fusion", True)
    monkeypatch.setitem(LEVERS, "kind_fusion", True)
    language = fusion_weights(FUSION_WEIGHTS, lang, fitted=True)
    on = source_weights(tmp_path / "on", query=query, lang=lang)
    assert on == (KIND_WEIGHTS[lang][kind] if kind else language)
    monkeypatch.setitem(LEVERS, "kind_fusion", False)
    assert source_weights(tmp_path / "off", query=query, lang=lang) == language


def test_kind_fusion_leaves_tickets_and_a_help_centers_own_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(LEVERS, "kind_fusion", True)
    question = "كيف اغير كلمة المرور في حسابي"
    assert source_weights(tmp_path / "ticket", query=question, lang="ar", ticket=True) == FUSION_WEIGHTS["ar"]
    tuning = "fusion:\n  ar: {e5: 1.0, use: 0.9, lexical: 0.4}\n"
    assert source_weights(tmp_path / "own", tuning, question, "ar") == {"e5": 1.0, "use": 0.9, "lexical": 0.4}
