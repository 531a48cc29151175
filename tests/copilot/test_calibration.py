"""The lexical floor in the index's own units: measured from its titles, followed by every search."""

import pytest

from copilot.calibration import DEFAULT_LEXICAL_SCALE, cross_scales, lexical_scales, title_sample
from copilot.engine import Engine


def test_titles_are_sampled_evenly_and_the_same_way_every_time() -> None:
    titles = [f"title {i:03d}" for i in range(900)] + ["title 000", " "]
    sample = title_sample(titles, size=300)
    assert len(sample) == 300 and sample == title_sample(list(reversed(titles)), size=300)
    assert sample[:2] == ["title 000", "title 003"]


def test_the_index_scale_comes_from_its_own_titles_and_divides_the_lexical_evidence(indexed: Engine) -> None:
    scales = lexical_scales(indexed.store, indexed.lexical, ("en", "ar", "fr"))
    assert scales["fr"] == DEFAULT_LEXICAL_SCALE  # no article in that language: nothing to measure
    assert scales["en"] > 0 and scales["ar"] > 0 and scales["en"] != scales["ar"]
    result = indexed.retriever.search("reset my password", lang="en")
    assert result.signals["lexical_share"] == pytest.approx(result.signals["lexical_top"] / scales["en"])


def test_the_cross_lingual_scale_comes_from_the_index_titles_and_places_each_search(indexed: Engine) -> None:
    """Titles asked against their own articles: the right one scores above the nearest wrong one,
    per article language; with pairs, the language pair's own (lower) scale; shares in every search."""
    retriever = indexed.retriever
    assert retriever._titles is not None
    titles = retriever._titles.get()
    own = cross_scales(indexed.store, titles, ("en", "ar"))
    assert set(own) == {("ar", "en"), ("en", "ar")}
    for scale in own.values():
        assert scale.measured_by == "titles" and scale.true_chunk > scale.wrong_chunk
        assert scale.true_title == pytest.approx(1.0) and scale.wrong_title < 1.0  # a title is its own best match
    by_pairs = cross_scales(indexed.store, titles, ("en", "ar"), pairs=True)
    assert by_pairs[("ar", "en")].measured_by == "pairs"
    assert by_pairs[("ar", "en")].true_chunk < own[("ar", "en")].true_chunk  # across languages scores run lower
    result = retriever.search("بطاقة هدايا", lang="ar")  # gift cards: English only in the slice
    scale = own[("ar", "en")]
    assert result.signals["cross_share"] == pytest.approx(scale.chunk_share(result.signals["cross_top"]))
    assert result.signals["cross_title_share"] == pytest.approx(scale.title_share(result.signals["cross_title_top"]))
