"""The chunk sizes are settings (KB_CHUNK_MAX_CHARS, KB_CHUNK_MIN_CHARS): a sync at other sizes re-cuts every
article, embedding only texts the cache has not seen, on either store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.stores.base import FORMER_CHUNKING, VectorStore, group_stored_articles
from kb.settings import Settings, SettingsError
from tests.indexer.test_sync import CountingEmbedder, store_of, sync_runner, write


@pytest.fixture(params=["edge", "server"])
def indexed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Settings, VectorStore]]:
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One")
    write(content, "en/a/two.md", "Two")
    write(content, "ar/a/one.md", "واحد")
    settings = Settings(content_dir=content, data_dir=tmp_path / "data")
    store = store_of(request.param, settings.data_dir)
    yield settings, store
    store.close()


def test_other_chunk_sizes_recut_every_article_and_the_first_sizes_come_back_from_the_cache(
    indexed: tuple[Settings, VectorStore],
) -> None:
    settings, store = indexed
    embedder = CountingEmbedder()
    first = sync_runner(settings, store, embedder)()
    assert (len(first.added), store.count()) == (3, 9)
    assert {a.chunking for a in store.stored_articles().values()} == {"1100/160"}

    small = replace(settings, chunk_max_chars=200, chunk_min_chars=0)
    embedder.passages.clear()
    recut = sync_runner(small, store, embedder)()  # same files, other sizes: every article written again
    assert sorted(recut.changed) == ["ar/one", "en/one", "en/two"] and recut.unchanged == 0
    assert store.count() > 9 and recut.chunks_embedded == len(embedder.passages) > 0
    assert all(len(text) < 200 + 60 for text in embedder.passages)  # the text and its "Title > Section" line
    assert {a.chunking for a in store.stored_articles().values()} == {"200/0"}
    again = sync_runner(small, store, embedder)()
    assert (again.unchanged, again.changed, again.chunks_embedded) == (3, [], 0)

    embedder.passages.clear()
    back = sync_runner(settings, store, embedder)()
    assert len(back.changed) == 3 and (back.chunks_embedded, back.chunks_reused) == (0, 9) and store.count() == 9


def test_points_written_before_they_recorded_their_sizes_read_as_the_sizes_of_then() -> None:
    old = {"key": "en/a", "path": "en/a/a.md", "file_hash": "h", "payload_version": 3}
    assert group_stored_articles([("1", old)])["en/a"].chunking == FORMER_CHUNKING == "1100/160"
    mixed = [("1", old), ("2", {**old, "chunking": "600/120"})]  # an interrupted re-cut: stale, written again
    assert group_stored_articles(mixed)["en/a"].chunking == ""


def test_chunk_sizes_from_the_environment_and_a_bad_one_named() -> None:
    settings = Settings.from_env({"KB_CHUNK_MAX_CHARS": "800", "KB_CHUNK_MIN_CHARS": "120"})
    assert (settings.chunk_max_chars, settings.chunk_min_chars) == (800, 120)
    with pytest.raises(SettingsError, match="KB_CHUNK_MAX_CHARS"):
        Settings.from_env({"KB_CHUNK_MAX_CHARS": "50"})
