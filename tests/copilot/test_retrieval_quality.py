"""Regression slices of both retrieval dev domains, real models: the demo help center and m365.

The demo slice runs over the whole demo help center; the m365 slice over three categories of the
real Arabic Microsoft 365 articles (billing, subscriptions, email: 49 articles, imported from
../shared/corpora/m365-ar by bench/m365_import.py) with the dev queries those articles answer:
Arabic ones, and English ones over the Arabic-only articles (the cross-lingual direction). Floors
sit a little under what this slice measured (see the comments); a change that drops below them
made search worse for customers on a help center it was never tuned on, or on the demo.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.m365_import import convert, find_corpus
from copilot.engine import Engine
from indexer.embedders import Embedder
from kb.settings import Settings
from tests.conftest import CONTENT, ROOT, keep_cache, seed_cache

QUERIES = [json.loads(line) for line in (ROOT / "tests/eval/dev_queries.jsonl").read_text("utf-8").splitlines()]
SLICE = QUERIES[::3]
MRR_FLOOR = {"en": 0.86, "ar": 0.77}  # measured on this slice: en 0.892, ar 0.807

M365_QUERIES = [json.loads(line) for line in (ROOT / "tests/eval/m365_queries.jsonl").read_text("utf-8").splitlines()]
M365_CATEGORIES = ("commerce-billing-and-payments", "commerce-subscriptions", "admin-email")
# Measured on this slice (49 articles, 26 Arabic and 17 English answerable queries): ar 0.845, en
# (over the Arabic articles) 0.789; 13 of the 15 Arabic out-of-scope queries flagged, no answerable one.
M365_MRR_FLOOR = {"ar": 0.80, "en": 0.74}
M365_OOS_FLAGGED = 0.75  # share of the slice's Arabic out-of-scope queries flagged


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Iterator[Engine]:
    settings = Settings(content_dir=CONTENT, data_dir=tmp_path_factory.mktemp("demo"))
    seed_cache(settings.data_dir)  # the demo's chunks from an earlier session: indexing without embedding
    with Engine(settings, embedders) as engine:
        assert engine.index(show_progress=False).exit_code == 0
        yield engine
    keep_cache(settings.data_dir)


@pytest.fixture(scope="module")
def m365(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Iterator[Engine]:
    imported = tmp_path_factory.mktemp("m365-all")
    convert(find_corpus(ROOT), imported)
    content = tmp_path_factory.mktemp("m365")
    (content / "ar").mkdir()
    for category in M365_CATEGORIES:
        (imported / "ar" / category).rename(content / "ar" / category)
    settings = Settings(content_dir=content, data_dir=tmp_path_factory.mktemp("m365-data"))
    seed_cache(settings.data_dir)
    with Engine(settings, embedders) as engine:
        assert engine.index(show_progress=False).exit_code == 0
        yield engine
    keep_cache(settings.data_dir)


def m365_rows(engine: Engine) -> list[dict]:
    """The dev queries whose answers are all in the slice, and the out-of-scope ones."""
    ids = {str(p["article_id"]) for p in engine.store.payloads(("article_id",))}
    return [r for r in M365_QUERIES if set(r["relevant"]) <= ids]


def mrr(engine: Engine, rows: list[dict]) -> float:
    total = 0.0
    for row in rows:
        ids = [hit.id for hit in engine.retriever.search(row["query"], lang=row["lang"], limit=10).results]
        rank = next((i for i, article in enumerate(ids, 1) if article in row["relevant"]), None)
        total += 1 / rank if rank else 0.0
    return total / len(rows)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_mrr_at_10_stays_above_its_floor(demo: Engine, lang: str) -> None:
    rows = [r for r in SLICE if r["lang"] == lang and r["relevant"]]
    assert len(rows) >= 40
    assert mrr(demo, rows) >= MRR_FLOOR[lang]


def test_no_query_of_the_slice_returns_an_internal_article(demo: Engine) -> None:
    internal = {p.stem for p in Path(CONTENT).glob("*/agent-procedures/*.md")}
    for row in SLICE:
        assert not internal & {h.id for h in demo.retriever.search(row["query"], lang=row["lang"]).results}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_m365_mrr_at_10_stays_above_its_floor(m365: Engine, lang: str) -> None:
    rows = [r for r in m365_rows(m365) if r["lang"] == lang and r["relevant"]]
    assert len(rows) >= 15
    assert mrr(m365, rows) >= M365_MRR_FLOOR[lang]


def test_m365_abstention_from_the_index_own_calibration(m365: Engine) -> None:
    """Floors fitted on the demo hold on m365 through the index's own lexical scale (the constant
    BM25 floors flagged 60% of m365's Arabic out-of-scope queries; see copilot.calibration)."""
    rows = [r for r in m365_rows(m365) if r["lang"] == "ar"]
    out_of_scope = [r for r in rows if not r["relevant"]]
    answerable = [r for r in rows if r["relevant"]]
    flagged = sum(m365.retriever.search(r["query"], lang="ar").abstained for r in out_of_scope)
    wrongly = sum(m365.retriever.search(r["query"], lang="ar").abstained for r in answerable)
    assert len(out_of_scope) == 15
    assert flagged / len(out_of_scope) >= M365_OOS_FLAGGED
    assert wrongly <= 1
