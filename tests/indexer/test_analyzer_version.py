"""A change in how text becomes lexical terms rebuilds the lexical side on the next `kb index`.

The analyzer's version is the sparse vector's name (indexer.lexical.SPARSE_VECTOR). An index built
by an older analyzer holds terms the new query fold would never produce (the hamza-alef + lam fold
of issue #18 turned "الإلغاء" from "الغاء" into "غاء"), so it is not built upon: the next sync starts
a fresh index under the new name, with every embedding taken from the cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.cache import EmbeddingCache
from indexer.lexical import SPARSE_VECTOR, LexicalEncoder
from indexer.stores.base import PayloadFilter, Source, StoreQuery, VectorStore
from indexer.stores.edge import EdgeStore
from indexer.stores.server import ServerStore
from indexer.sync import Embedding, SyncReport, sync_index
from kb.settings import Settings
from tests.indexer.test_sync import CountingEmbedder, write

OLD_NAME = "lexical-v2"  # the analyzer before the hamza-alef + lam fold


@pytest.fixture(params=["edge", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    store: VectorStore = (
        EdgeStore(tmp_path / "index") if request.param == "edge" else ServerStore.connect("memory", "test")
    )
    yield store
    store.close()


def test_an_index_of_the_previous_analyzer_is_rebuilt_from_the_embedding_cache(
    store: VectorStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One")
    write(content, "ar/a/cancel.md", "إلغاء الطلب", first="يمكنك الإلغاء قبل الشحن من صفحة الطلب.")
    settings = Settings(content_dir=content, data_dir=tmp_path / "data")
    embedder = CountingEmbedder()

    def run() -> SyncReport:
        cache = EmbeddingCache(settings.data_dir / "embeddings.sqlite")
        try:
            return sync_index(settings, store, Embedding([embedder], cache), LexicalEncoder(), False, False)
        finally:
            cache.close()

    with monkeypatch.context() as old:
        old.setattr("indexer.stores.edge.SPARSE_VECTOR", OLD_NAME)
        old.setattr("indexer.stores.server.SPARSE_VECTOR", OLD_NAME)
        first = run()
    assert first.chunks_embedded == 6 and store.count() == 6
    assert SPARSE_VECTOR != OLD_NAME

    embedder.passages.clear()
    second = run()  # same files, new analyzer: nothing "unchanged", nothing embedded again
    assert sorted(second.added) == ["ar/cancel", "en/one"] and second.unchanged == 0
    assert (second.chunks_embedded, second.chunks_reused) == (0, 6) and embedder.passages == []
    assert store.count() == 6

    # The new index answers a bare, hamza-less query with the article that only says "الإلغاء".
    query = LexicalEncoder().encode_query("الغاء", "ar")
    (hits,) = store.query([StoreQuery((Source(SPARSE_VECTOR, query),), PayloadFilter(langs=("ar",)), limit=3)])
    assert hits and {h.payload["key"] for h in hits} == {"ar/cancel"}
    assert any("يمكنك الإلغاء" in h.payload["text"] for h in hits)

    third = run()  # and from then on the index is built upon as usual
    assert (third.unchanged, third.chunks_embedded, len(third.added)) == (2, 0, 0)
