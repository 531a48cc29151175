"""A serving process opens a version another process published off the search path (`defer_reopen`,
`reopen`): until then it serves the version it has open, never an article the new one withdrew."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.stores import edge
from indexer.stores.base import PayloadFilter, Source, StoreQuery
from indexer.stores.edge import EdgeStore
from tests.indexer.test_store_contract import DIMS, POINTS, point

PUBLIC = PayloadFilter(visibilities=("public",))


def keys(store: EdgeStore, where: PayloadFilter | None = None) -> set[str]:
    """The article keys of every point the store's queries can return, by the dense vector."""
    query = StoreQuery((Source("a", [1.0, 0.0, 0.0, 0.0]),), where or PayloadFilter(), limit=50)
    return {str(hit.payload["key"]) for hit in store.query([query])[0]}


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[EdgeStore, EdgeStore]]:
    """(server, worker): two stores on one index, as the web server and the worker open it."""
    worker = EdgeStore(tmp_path / "index")
    writer = worker.writer(DIMS)
    writer.upsert(POINTS)
    writer.publish()
    server = EdgeStore(tmp_path / "index")
    server.defer_reopen()
    assert keys(server) == {"en/refunds", "ar/refunds", "en/limits", "en/fees"}
    yield server, worker
    server.close()
    worker.close()


def test_a_search_right_after_a_sync_serves_the_open_version_without_what_the_sync_withdrew(
    stores: tuple[EdgeStore, EdgeStore], monkeypatch
) -> None:
    """The window between another process's publish and the builder's `reopen`: no shard is loaded by
    the search, and neither a deleted article nor one made internal is shown to customers."""
    server, worker = stores
    before = server.version()
    stored = worker.stored_articles()
    writer = worker.writer(DIMS)
    writer.delete(sorted(stored["en/fees"].point_ids))  # deleted
    limits = next(p for p in POINTS if p.payload["key"] == "en/limits")
    refunds = next(p for p in POINTS if p.payload["key"] == "en/refunds")
    writer.upsert([replace(refunds, payload={**refunds.payload, "visibility": "internal"})])  # one chunk made internal
    writer.upsert([replace(limits, payload={**limits.payload, "text": "refund approval limits, edited"})])
    writer.upsert([point("00000000-0000-0000-0000-000000000009", "en/new", "en", [1, 0, 0, 0], "a new article")])
    writer.publish()
    loads: list[str] = []
    original = edge.EdgeShard.load
    monkeypatch.setattr(edge.EdgeShard, "load", staticmethod(lambda path, *a: loads.append(path) or original(path, *a)))

    # Left out: the deleted article, and the one with a chunk made internal (even for agents, briefly).
    assert keys(server) == {"ar/refunds", "en/limits"}  # the article edited at its visibility is kept
    assert keys(server, PUBLIC) == {"ar/refunds"}
    assert server.version() == before and not loads  # still the open version: nothing was loaded

    server.reopen()  # the builder, between searches
    assert server.version() == worker.version() != before and len(loads) == 1
    assert keys(server) == {"ar/refunds", "en/refunds", "en/limits", "en/new"}
    assert keys(server, PUBLIC) == {"ar/refunds", "en/refunds", "en/new"}  # its other chunk is still public


def test_two_syncs_before_the_reopen_withdraw_what_either_withdrew(stores: tuple[EdgeStore, EdgeStore]) -> None:
    server, worker = stores
    before = server.version()
    for key in ("en/fees", "ar/refunds"):
        writer = worker.writer(DIMS)
        writer.delete(sorted(worker.stored_articles()[key].point_ids))
        writer.publish()
    assert keys(server) == {"en/refunds", "en/limits"} and server.version() == before
    server.reopen()
    assert keys(server) == {"en/refunds", "en/limits"} and server.version() == worker.version()


def test_a_version_that_does_not_say_what_it_withdrew_is_opened_by_the_read_that_finds_it(
    stores: tuple[EdgeStore, EdgeStore],
) -> None:
    """A rebuild starts from empty: nothing tells what it removed, so the search opens it itself."""
    server, worker = stores
    writer = worker.writer(DIMS, rebuild=True)
    writer.upsert(POINTS[:1])
    writer.publish()
    assert keys(server) == {"en/refunds"} and server.version() == worker.version()


def test_the_process_that_publishes_serves_the_shard_it_wrote_without_reopening(
    stores: tuple[EdgeStore, EdgeStore], monkeypatch
) -> None:
    _, worker = stores
    loads: list[str] = []
    writer = worker.writer(DIMS)  # loads its copy of the live version (before counting)
    writer.delete(sorted(worker.stored_articles()["en/fees"].point_ids))
    original = edge.EdgeShard.load
    monkeypatch.setattr(edge.EdgeShard, "load", staticmethod(lambda path, *a: loads.append(path) or original(path, *a)))
    writer.publish()
    assert "en/fees" not in keys(worker) and worker.version() == worker.current_version()
    assert not loads
