"""The query adapter (copilot.query_adapter): the ridge fit on small synthetic matrices, the label-free choice,
and the view on the demo help center's real qdrant-edge index with the real models."""

from __future__ import annotations

import numpy as np
import pytest

from copilot import retrieval
from copilot.engine import Engine
from copilot.query_adapter import QueryAdapter, adapt, choose, fit_language, fit_map, language_pairs
from copilot.query_vectors import unit
from copilot.title_vectors import TitleMatrix


def rotation(dim: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q


def test_a_huge_pull_towards_the_identity_leaves_the_query_as_it_is() -> None:
    rng = np.random.default_rng(1)
    queries, targets = unit(rng.normal(size=(50, 8))), unit(rng.normal(size=(50, 8)))
    assert np.allclose(fit_map(queries, targets, lam=1e9), np.eye(8), atol=1e-6)
    assert not np.allclose(fit_map(queries, targets, lam=1.0), np.eye(8), atol=1e-2)


def test_the_fit_recovers_a_known_rotation() -> None:
    rng = np.random.default_rng(2)
    turn = rotation(8, 3)
    queries = unit(rng.normal(size=(200, 8)))
    assert np.allclose(fit_map(queries, queries @ turn, lam=1e-6), turn, atol=1e-4)
    # pulled towards the identity, it lands between the two
    halfway = fit_map(queries, queries @ turn, lam=25.0)
    assert np.linalg.norm(halfway - turn) < np.linalg.norm(np.eye(8) - turn)
    assert np.linalg.norm(halfway - np.eye(8)) < np.linalg.norm(turn - np.eye(8))


def test_the_mix_goes_from_the_query_to_its_mapped_vector() -> None:
    turn = rotation(4, 4)
    query = unit(np.array([1.0, 2.0, 0.5, -1.0], np.float32))
    assert np.allclose(adapt(query, turn, 0.0), query, atol=1e-6)
    assert np.allclose(adapt(query, turn, 1.0), unit(query @ turn), atol=1e-6)
    assert np.linalg.norm(adapt(query, turn, 0.5)) == pytest.approx(1.0, abs=1e-5)


def _help_center(
    turned: bool, articles: int = 120, dim: int = 8
) -> tuple[TitleMatrix, TitleMatrix, list[dict], np.ndarray]:
    """Articles of two chunks each around their own direction; their titles point the same way, or (`turned`)
    that way seen through a rotation, as a model's queries sit apart from its passages."""
    rng = np.random.default_rng(5)
    centres = unit(rng.normal(size=(articles, dim)))
    keys = [f"en/a{n}" for n in range(articles)]
    rows = [{"key": key, "section": f"part {part}"} for key in keys for part in (1, 2)]
    chunks = unit(np.repeat(centres, 2, axis=0) + 0.05 * rng.normal(size=(2 * articles, dim))).astype(np.float32)
    asked = unit(centres @ rotation(dim, 6).T if turned else centres).astype(np.float32)
    titles = TitleMatrix({"en": tuple(keys)}, {"en": asked}, {"en": tuple(f"title {n}" for n in range(articles))})
    headings = TitleMatrix({"en": (keys[0],)}, {"en": chunks[1:2]}, {"en": ("part 2",)})
    return titles, headings, rows, chunks


def test_pairs_join_a_title_to_its_article_and_a_heading_to_its_section() -> None:
    titles, headings, rows, chunks = _help_center(turned=False)
    pairs = language_pairs(titles, headings, rows, chunks, "en")
    assert len(pairs.articles) == 121 and pairs.articles[-1] == "en/a0"
    assert np.allclose(pairs.targets[0], unit(chunks[0:2].mean(axis=0)), atol=1e-6)  # the article's chunks
    assert np.allclose(pairs.targets[-1], chunks[1], atol=1e-6)  # the heading's one section
    assert language_pairs(titles, headings, rows, chunks, "ar").articles == ()


def test_the_label_free_choice_maps_queries_that_sit_apart_and_leaves_aligned_ones() -> None:
    titles, headings, rows, chunks = _help_center(turned=True)
    keys = [row["key"] for row in rows]
    pairs = language_pairs(titles, headings, rows, chunks, "en")
    scores = choose(pairs, chunks, keys)
    assert scores[(0.0, 0.0)] < 0.5  # held-out titles seen through the rotation miss their articles
    found = fit_language(pairs, chunks, keys)
    assert found is not None and found.mix > 0 and found.held_out > 0.9 > found.identity
    adapter = QueryAdapter({"en": found}, 0.0)
    assert np.allclose(adapter.apply(titles.vectors["en"][3], "ar"), titles.vectors["en"][3])  # no Arabic map
    assert int(np.argmax(chunks @ adapter.apply(titles.vectors["en"][3], "en"))) // 2 == 3
    aligned = _help_center(turned=False)
    assert fit_language(language_pairs(*aligned, "en"), aligned[3], keys) is None  # nothing to gain: no map
    assert fit_language(language_pairs(titles, headings, rows[:8], chunks[:8], "en"), chunks[:8], keys[:8]) is None


def test_the_view_fits_a_map_per_language_of_the_demo_and_ranking_alone_reads_it(
    demo: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = demo.retriever
    monkeypatch.setitem(retrieval.LEVERS, "query_adapter", True)
    retriever.refresh_views()
    retriever.wait_for_views()
    adapter = retriever._query_adapter.peek()  # built by refresh_views, as after a sync
    assert adapter is not None and set(adapter.maps) == {"ar", "en"}
    articles = {str(p["key"]) for p in demo.store.payloads(("key",))}
    for lang, found in adapter.maps.items():
        assert found.held_out > found.identity and 0 < found.mix <= 1
        assert found.articles == len({key for key in articles if key.startswith(f"{lang}/")})
        assert found.pairs > found.articles  # titles and headings
    query = "how long does a refund take"
    vector = retriever.query_vectors(query)["e5"]
    assert float(adapter.apply(vector, "en") @ unit(vector)) < 0.999  # the ranking searches with another vector
    on = retriever.search(query, lang="en")
    monkeypatch.setitem(retrieval.LEVERS, "query_adapter", False)
    off = retriever.search(query, lang="en")
    assert on.signals["e5_top"] == pytest.approx(off.signals["e5_top"])  # the evidence asks the query as embedded
    assert on.results[0].id == off.results[0].id == "refund-timing"
