"""One contract, two engines: qdrant-edge and qdrant-client (local mode standing in for a server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.lexical import SPARSE_VECTOR, LexicalEncoder
from indexer.stores.base import Hit, IndexPoint, PayloadFilter, Source, StoreQuery, VectorStore, store_answers
from indexer.stores.edge import EdgeStore
from indexer.stores.server import ServerStore

DIMS = {"a": 4}
LEX = LexicalEncoder()


def point(pid: str, key: str, lang: str, vector: list[float], text: str, visibility: str = "public") -> IndexPoint:
    return IndexPoint(
        id=pid,
        dense={"a": np.asarray(vector, dtype=np.float32)},
        sparse=LEX.encode_document(text, lang),
        payload={
            "key": key, "article_id": key.split("/")[1], "lang": lang, "visibility": visibility,
            "category": "c", "tags": [], "path": f"{key}.md", "file_hash": f"h-{key}", "text": text,
        },
    )  # fmt: skip


POINTS = [
    point("00000000-0000-0000-0000-000000000001", "en/refunds", "en", [1, 0, 0, 0], "refund to your card"),
    point("00000000-0000-0000-0000-000000000002", "en/refunds", "en", [0.9, 0.1, 0, 0], "refunds for cash orders"),
    point("00000000-0000-0000-0000-000000000003", "ar/refunds", "ar", [0.95, 0, 0.05, 0], "استرداد المبلغ إلى البطاقة"),
    point(
        "00000000-0000-0000-0000-000000000004", "en/limits", "en", [1, 0, 0, 0.01], "refund approval limits", "internal"
    ),
    point("00000000-0000-0000-0000-000000000005", "en/fees", "en", [0, 0, 1, 0], "delivery fees table"),
]


@pytest.fixture(params=["edge", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    if request.param == "edge":
        store: VectorStore = EdgeStore(tmp_path / "index")
    else:
        store = ServerStore.connect("memory", "test")
    writer = store.writer(DIMS)
    writer.upsert(POINTS)
    writer.publish()
    yield store
    store.close()


def ids(hits) -> list[str]:
    return [h.id[-1] for h in hits]


def test_dense_query_respects_visibility_and_language(store: VectorStore) -> None:
    public = PayloadFilter(visibilities=("public",))
    (hits,) = store.query([StoreQuery((Source("a", [1, 0, 0, 0]),), public, limit=10)])
    assert "4" not in ids(hits)
    assert ids(hits)[0] == "1"
    en_only = PayloadFilter(langs=("en",), visibilities=("public",))
    (hits,) = store.query([StoreQuery((Source("a", [1, 0, 0, 0]),), en_only, limit=10)])
    assert set(ids(hits)) == {"1", "2", "5"}


def test_fused_query_keeps_lexical_within_its_language(store: VectorStore) -> None:
    sparse = LEX.encode_query("refund card", "en")
    sources = (
        Source("a", [0.9, 0, 0.1, 0], PayloadFilter(langs=("en",))),
        Source(SPARSE_VECTOR, sparse, PayloadFilter(langs=("en",)), weight=0.5),
    )
    (hits,) = store.query([StoreQuery(sources, PayloadFilter(visibilities=("public",)), limit=3)])
    assert ids(hits)[0] == "1"
    assert "4" not in ids(hits) and "3" not in ids(hits)
    assert hits[0].payload["key"] == "en/refunds"


def test_batch_returns_one_list_per_query(store: VectorStore) -> None:
    queries = [
        StoreQuery((Source("a", [0, 0, 1, 0]),), PayloadFilter(), limit=1, payload_fields=("key",)),
        StoreQuery((Source("a", [1, 0, 0, 0]),), PayloadFilter(langs=("ar",)), limit=1),
    ]
    first, second = store.query(queries)
    assert first[0].payload == {"key": "en/fees"}
    assert second[0].payload["lang"] == "ar"


def test_stored_articles_and_deletes(store: VectorStore) -> None:
    stored = store.stored_articles()
    assert set(stored) == {"en/refunds", "ar/refunds", "en/limits", "en/fees"}
    assert len(stored["en/refunds"].point_ids) == 2
    assert stored["en/fees"].file_hash == "h-en/fees" and stored["en/fees"].path == "en/fees.md"
    writer = store.writer(DIMS)
    writer.delete(sorted(stored["en/fees"].point_ids))
    writer.publish()
    assert "en/fees" not in store.stored_articles()
    assert store.count() == 4
    assert store.count(PayloadFilter(visibilities=("internal",))) == 1


def test_rebuild_replaces_the_index_only_when_published(store: VectorStore) -> None:
    writer = store.writer(DIMS, rebuild=True)
    writer.upsert(POINTS[:1])
    assert store.count() == 5  # readers still see the complete previous index
    writer.publish()
    assert store.count() == 1


def test_aborted_write_changes_nothing(store: VectorStore) -> None:
    writer = store.writer(DIMS, rebuild=True)
    writer.upsert(POINTS[:1])
    writer.abort()
    assert store.count() == 5


def test_dense_vectors_give_each_point_its_stored_vector_beside_its_payload(store: VectorStore) -> None:
    rows, vectors = store.dense_vectors("a", ("key", "lang"))
    assert vectors.shape == (len(POINTS), DIMS["a"]) and vectors.dtype == np.float32
    def direction(vector: np.ndarray) -> tuple[float, ...]:
        return tuple(np.round(vector / np.linalg.norm(vector), 4))

    written = {(p.payload["key"], p.payload["lang"], direction(p.dense["a"])) for p in POINTS}
    read = {(r["key"], r["lang"], direction(v)) for r, v in zip(rows, vectors, strict=True)}
    assert read == written  # row for row (cosine stores may keep the vectors normalised)
    assert set(rows[0]) == {"key", "lang"}


def test_fused_ties_come_out_by_point_id_in_every_call(store: VectorStore) -> None:
    """Two sources ranking refunds 1, 2, 5 and 5, 2, 1: 1 and 5 tie on Qdrant's weighted RRF score. Qdrant itself
    ordered such ties anew per call (its hash map is seeded per call), so the same search could rank differently
    twice in one process; the fusion (`base.fused`) breaks them by point id, the same in every call and engine."""
    en = PayloadFilter(langs=("en",), visibilities=("public",))
    sources = (Source("a", [1, 0, 0, 0]), Source("a", [0.1, 0.3, 1, 0]))
    query = StoreQuery(sources, en, limit=3, rrf_k=60)
    for _ in range(20):
        (hits,) = store.query([query])
        assert ids(hits) == ["1", "5", "2"]
        assert hits[0].score == hits[1].score == pytest.approx(1 / 60 + 1 / 62)
        assert hits[2].score == pytest.approx(2 / 61)
        assert [h.payload["key"] for h in hits] == ["en/refunds", "en/fees", "en/refunds"]


def test_a_fused_point_removed_before_its_payload_is_read_is_left_out() -> None:
    """The server store reads a fused list's payloads in a second call; a write between the two (its stale points go
    after the new ones) may have removed a point: it is left out, never returned with an empty payload that the
    ranking would read as an article without a key."""
    lists = [[Hit("1", 0.9, {}), Hit("2", 0.8, {})], [Hit("2", 0.7, {}), Hit("1", 0.6, {})]]
    query = StoreQuery((Source("a", [1, 0, 0, 0]), Source("a", [0, 1, 0, 0])), PayloadFilter(), limit=2)
    (hits,) = store_answers([query], iter(lists), lambda ids, fields: {"2": {"key": "en/fees"}})
    assert [(h.id, h.payload) for h in hits] == [("2", {"key": "en/fees"})]


def test_fused_weights_stretch_places_as_qdrant_scores_them(store: VectorStore) -> None:
    """Qdrant's weighted RRF share of place p (from 0) is 1 / ((p + 1) / weight + k - 1): the fusion we do keeps
    the scores the fitted floors and credits were measured on. Weighing the share instead (2/61 + 0.5/63 for 1)
    would put 1 first."""
    en = PayloadFilter(langs=("en",), visibilities=("public",))
    sources = (Source("a", [1, 0, 0, 0], weight=2.0), Source("a", [0.1, 0.3, 1, 0], weight=0.5))
    (hits,) = store.query([StoreQuery(sources, en, limit=3, rrf_k=60, payload_fields=("key",))])
    share = {place: [1 / ((place + 1) / w + 59) for w in (2.0, 0.5)] for place in range(3)}
    assert ids(hits) == ["5", "2", "1"]
    assert [h.score for h in hits] == pytest.approx(
        [share[2][0] + share[0][1], share[1][0] + share[1][1], share[0][0] + share[2][1]], rel=1e-6
    )
    assert hits[0].payload == {"key": "en/fees"}
