"""Product names that frame a request (a product family: several articles' titles print them) weigh
less in a framed query's BM25 ranking; a name with one page of its own keeps its weight.

Unit tests on payload dicts and sparse vectors, and the real pipeline on the demo help center.
"""

from __future__ import annotations

import pytest

import copilot.retrieval as retrieval
from copilot.engine import Engine
from copilot.name_families import FAMILY_INTENT_SCALE, FAMILY_NAME_WEIGHT, family_names, framing_families, weighed
from copilot.own_titles import FAMILY_INTENT_MIX, INTENT_MIX, title_query
from copilot.retrieval import Retriever
from indexer.lexical import SparseVector

NAMES = frozenset({"teams", "wix", "sharepoint"})


@pytest.fixture
def retriever(indexed: Engine) -> Retriever:
    """The demo slice's retriever with its views built for the index as the fixture left it, as after a sync."""
    indexed.retriever.refresh_views()
    indexed.retriever.wait_for_views(60)
    return indexed.retriever


def test_a_name_several_articles_titles_print_is_a_family_translations_counting_once() -> None:
    payloads = [
        {"article_id": "cancel-teams", "key": "en/cancel-teams", "title": "Cancel Microsoft Teams"},
        {"article_id": "cancel-teams", "key": "ar/cancel-teams", "title": "إلغاء Microsoft Teams"},
        {"article_id": "teams-reports", "key": "ar/teams-reports", "title": "تقارير Teams"},
        {"article_id": "wix-dns", "key": "en/wix-dns", "title": "DNS records at Wix"},
        {"article_id": "wix-dns", "key": "ar/wix-dns", "title": "سجلات DNS عند Wix"},
        {"article_id": "files", "key": "en/files", "title": "Move files", "text": "to SharePoint"},
        {"article_id": "p1", "key": "en/p1", "title": "SharePoint sites hold the files of …", "text": "SharePoint"},
        {"article_id": "p2", "key": "en/p2", "title": "SharePoint lists are tables …", "text": "SharePoint lists"},
    ]
    # Wix: one article (in two languages), its own page; SharePoint: in no written title (two titles that
    # are only their passages' opening words, cut off); Microsoft: no index name.
    assert family_names(payloads, NAMES) == frozenset({"teams"})


def test_the_family_names_a_query_typed_and_its_intent_left_out() -> None:
    families = frozenset({"teams", "sharepoint"})
    assert framing_families("استرجاع فلوس اشتراك Teams", "استرجاع فلوس اشتراك", families) == ["Teams"]
    assert framing_families("ربط نطاقي في wix", "ربط نطاقي في", families) == []  # no family: the subject
    assert framing_families("teams reports for Teams", "teams reports for", families) == []  # kept in the intent


def test_weighed_scales_only_the_given_terms() -> None:
    vector = SparseVector((1, 2, 3), (1.0, 0.8, 1.0))
    assert weighed(vector, frozenset({2, 9}), 0.5) == SparseVector((1, 2, 3), (1.0, 0.4, 1.0))


def test_a_framed_query_s_family_names_weigh_less_only_when_the_lever_is_on(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "apple" in retriever._names.get()
    assert "apple" not in retriever._families.get()  # the slice's one Apple Pay article: its own page
    seen: list[SparseVector | None] = []
    real = Retriever._sources

    def spy(self: Retriever, plan, vectors, sparse):  # type: ignore[no-untyped-def]
        seen.append(sparse)
        return real(self, plan, vectors, sparse)

    monkeypatch.setattr(Retriever, "_sources", spy)
    query = "refund for my Apple Pay order"
    assert retriever.search(query, lang="en").results
    as_subject = seen[-1]
    monkeypatch.setattr(retriever._families, "get", lambda: frozenset({"apple"}))  # as if several titles said it
    assert retriever.search(query, lang="en").results
    on = seen[-1]
    monkeypatch.setitem(retrieval.LEVERS, "family_names", False)
    assert retriever.search(query, lang="en").results
    off = seen[-1]
    assert as_subject == off  # a name with one page keeps its weight
    frame = set(retriever.lexical.encode_query("Apple", "en").indices)
    assert on is not None and off is not None and on.indices == off.indices and frame <= set(on.indices)
    for index, low, full in zip(on.indices, on.values, off.values, strict=True):
        assert low == pytest.approx(full * FAMILY_NAME_WEIGHT if index in frame else full)


def test_a_query_framed_by_a_family_ranks_its_intent_more_only_when_the_lever_is_on(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    scales: list[float] = []
    real = Retriever._batch

    def spy(self: Retriever, plan, sources, vectors, evidence, intent=None, intent_scale=1.0):  # type: ignore[no-untyped-def]
        scales.append(intent_scale)
        return real(self, plan, sources, vectors, evidence, intent, intent_scale)

    monkeypatch.setattr(Retriever, "_batch", spy)
    query = "refund for my Apple Pay order"
    assert retriever.search(query, lang="en").results
    assert scales[-1] == 1.0  # Apple Pay: the slice's one article of its own, the subject
    monkeypatch.setattr(retriever._families, "get", lambda: frozenset({"apple"}))
    assert retriever.search(query, lang="en").results
    assert scales[-1] == FAMILY_INTENT_SCALE
    monkeypatch.setitem(retrieval.LEVERS, "family_intent", False)
    assert retriever.search(query, lang="en").results
    assert scales[-1] == 1.0


def test_a_query_framed_by_a_family_asks_the_own_titles_its_intent_more(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    mixes: list[float] = []

    def spy(query, intent, mix=INTENT_MIX):  # type: ignore[no-untyped-def]
        mixes.append(mix)
        return title_query(query, intent, mix)

    monkeypatch.setattr(retrieval, "title_query", spy)
    query = "refund for my Apple Pay order"
    assert retriever.search(query, lang="en").results
    assert mixes[-1] == INTENT_MIX  # a one-page name: the even blend
    monkeypatch.setattr(retriever._families, "get", lambda: frozenset({"apple"}))
    assert retriever.search(query, lang="en").results
    assert mixes[-1] == FAMILY_INTENT_MIX
    monkeypatch.setitem(retrieval.LEVERS, "family_titles", False)
    assert retriever.search(query, lang="en").results
    assert mixes[-1] == INTENT_MIX
