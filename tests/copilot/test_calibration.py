"""The lexical floor in the index's own units: measured from its titles, followed by every search."""

import pytest

from copilot.calibration import DEFAULT_LEXICAL_SCALE, lexical_scales, title_sample
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
