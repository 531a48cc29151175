"""A query whose only words are misspelt, on the demo help center: the misspellings' corrections are lexical
evidence the abstention floors read, as one correct word beside a typo is ("refund tiem")."""

from __future__ import annotations

import pytest

from copilot.engine import Engine


@pytest.mark.parametrize("query", ["refnud", "refnud tiem"])
def test_a_query_of_swapped_letter_typos_finds_the_refund_articles(demo: Engine, query: str) -> None:
    result = demo.retriever.search(query, lang="en", limit=5)
    assert not result.abstained
    assert {"refund-timing", "start-a-return"} <= {hit.id for hit in result.results[:3]}
