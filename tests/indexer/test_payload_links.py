"""Each chunk's payload holds the articles its article links to, on both stores, and an index written
before it did is rewritten by the next sync (from the embedding cache, nothing embedded again).

Ranking reads the links from the index (copilot.series_pages), never from the content folder, so
the index must hold them for every article and tell its readers when they change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from indexer import sync
from indexer.stores.base import VectorStore
from indexer.sync import PAYLOAD_VERSION, SyncReport
from kb.articles import Article
from kb.chunking import Chunk
from kb.settings import Settings
from tests.indexer.test_sync import CountingEmbedder, store_of, sync_runner, write

Setup = tuple[Path, VectorStore, CountingEmbedder, Callable[[], SyncReport]]


@pytest.fixture(params=["edge", "server"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One", first="See [two](two.md), [two again](two.md#second) and [x](https://x.org).")
    write(content, "en/a/two.md", "Two", first="Back to [one](../a/one.md) and [the Arabic](../../ar/b/one.md).")
    write(content, "ar/b/one.md", "واحد")
    settings = Settings(content_dir=content, data_dir=tmp_path / "data")
    store, embedder = store_of(request.param, settings.data_dir), CountingEmbedder()
    yield content, store, embedder, sync_runner(settings, store, embedder)
    store.close()


def links(store: VectorStore) -> dict[str, set[tuple[str, ...]]]:
    """Per article key, the distinct `links` its chunks carry (one each when all agree)."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for payload in store.payloads(("key", "links")):
        found.setdefault(payload["key"], set()).add(tuple(payload.get("links") or ()))
    return found


def test_every_chunk_holds_its_articles_links_resolved_as_the_site_does(setup: Setup) -> None:
    _content, store, _embedder, run = setup
    assert run().exit_code == 0
    assert links(store) == {
        "en/one": {("en/two",)},  # twice, once with an anchor: one key; the URL is no article
        "en/two": {("ar/one", "en/one")},
        "ar/one": {()},
    }
    assert {p["payload_version"] for p in store.payloads(("payload_version",))} == {PAYLOAD_VERSION}


def test_an_edited_link_reaches_the_index_and_its_version_even_at_the_same_size(setup: Setup) -> None:
    content, store, _embedder, run = setup
    run()
    before, size = store.version(), store.count()
    write(content, "en/a/one.md", "One", first="See [the Arabic one](../../ar/b/one.md) only, nothing else here.")
    assert run().changed == ["en/one"]
    assert links(store)["en/one"] == {("ar/one",)}
    assert store.count() == size and store.version() != before  # readers rebuild what they derived


def test_an_index_written_before_links_is_rewritten_from_the_embedding_cache(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    _content, store, embedder, run = setup

    def old_payload(article: Article, chunk: Chunk) -> dict[str, object]:  # what PAYLOAD_VERSION 1 wrote
        payload = new_payload(article, chunk)
        del payload["links"], payload["payload_version"]
        return payload

    new_payload = sync.chunk_payload
    with monkeypatch.context() as old:
        old.setattr(sync, "chunk_payload", old_payload)
        first = run()
    assert (len(first.added), first.chunks_embedded) == (3, 9)
    assert links(store)["en/one"] == {()} and {s.payload_version for s in store.stored_articles().values()} == {0}

    embedder.passages.clear()
    second = run()  # same files: every article rewritten with its links, none embedded again
    assert sorted(second.changed) == ["ar/one", "en/one", "en/two"] and second.unchanged == 0
    assert (second.chunks_embedded, second.chunks_reused) == (0, 9) and embedder.passages == []
    assert links(store)["en/one"] == {("en/two",)} and store.count() == 9

    third = run()  # and from then on the index is built upon as usual
    assert (third.unchanged, len(third.changed), third.chunks_embedded) == (3, 0, 0)
