"""Incremental indexing with a counting fake embedder (unit tests; the real models run elsewhere)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer.cache import EmbeddingCache
from indexer.lexical import SPARSE_VECTOR, LexicalEncoder
from indexer.stores.base import PayloadFilter, Source, StoreQuery, VectorStore
from indexer.stores.edge import EdgeStore
from indexer.stores.server import ServerStore
from indexer.sync import Embedding, SyncReport, sync_index
from kb.settings import Settings


class CountingEmbedder:
    name = "fake"
    model_id = "fake-v1"
    dim = 8

    def __init__(self) -> None:
        self.passages: list[str] = []

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:32], dtype=np.uint8)[:8] for t in texts]
        matrix = np.asarray(rows, dtype=np.float32) + 1
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages.extend(texts)
        return self._vectors(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts)


FILLER = " Sections need enough text to stay chunks of their own instead of merging upward." * 2
ARTICLE = (
    "---\ntitle: {title}\n---\nIntro for {title}." + FILLER + "\n\n## First\n\n{first}" + FILLER + "\n\n"
    "## Second\n\nThe second section stays the same in every version of this article." + FILLER + "\n"
)


def write(root: Path, relative: str, title: str, first: str = "First section text, unchanged.") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ARTICLE.format(title=title, first=first), encoding="utf-8")


@pytest.fixture
def setup(tmp_path: Path):
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One")
    write(content, "en/a/two.md", "Two")
    write(content, "ar/a/one.md", "واحد")
    settings = Settings(content_dir=content, data_dir=tmp_path / "data")
    embedder = CountingEmbedder()
    store = EdgeStore(settings.data_dir / "index")
    yield content, store, embedder, sync_runner(settings, store, embedder)
    store.close()


def sync_runner(settings: Settings, store: VectorStore, embedder: CountingEmbedder) -> Callable[..., SyncReport]:
    """`run(rebuild=False)`: one quiet `sync_index` of `settings` into `store`, through the data dir's cache."""

    def run(rebuild: bool = False) -> SyncReport:
        cache = EmbeddingCache(settings.data_dir / "embeddings.sqlite")
        try:
            return sync_index(settings, store, Embedding([embedder], cache), LexicalEncoder(), rebuild, False)
        finally:
            cache.close()

    return run


def store_of(kind: str, data_dir: Path) -> VectorStore:
    """A fresh store of either engine: "edge" under `data_dir`, or "server" (qdrant-client's local mode)."""
    return EdgeStore(data_dir / "index") if kind == "edge" else ServerStore.connect("memory", "test")


def test_unchanged_content_is_not_embedded_again(setup) -> None:
    _content, store, embedder, run = setup
    first = run()
    assert (len(first.added), first.chunks_embedded, first.exit_code) == (3, 9, 0)
    embedder.passages.clear()
    second = run()
    assert (second.unchanged, second.chunks_embedded, len(second.changed)) == (3, 0, 0)
    assert embedder.passages == []
    rebuilt = run(rebuild=True)  # the cache outlives the index
    assert rebuilt.chunks_embedded == 0 and rebuilt.chunks_reused == 9
    assert store.count() == 9


def test_a_changed_article_replaces_exactly_its_chunks(setup) -> None:
    content, store, embedder, run = setup
    run()
    before = store.stored_articles()
    embedder.passages.clear()
    write(content, "en/a/one.md", "One", first="First section text, now edited.")
    report = run()
    assert report.changed == ["en/one"] and report.chunks_embedded == 1
    assert len(embedder.passages) == 1 and "now edited" in embedder.passages[0]
    after = store.stored_articles()
    assert after["en/two"] == before["en/two"] and after["ar/one"] == before["ar/one"]
    assert len(after["en/one"].point_ids) == 3
    assert len(after["en/one"].point_ids & before["en/one"].point_ids) == 2
    assert store.count() == 9


def test_deleted_and_renamed_articles(setup) -> None:
    content, store, _embedder, run = setup
    run()
    (content / "en/a/two.md").unlink()
    (content / "ar/a/one.md").rename(content / "ar/a/renamed.md")  # id changes with the file stem
    report = run()
    assert sorted(report.removed) == ["ar/one", "en/two"]
    assert report.added == ["ar/renamed"] and report.chunks_embedded == 0
    assert set(store.stored_articles()) == {"en/one", "ar/renamed"}


def test_a_broken_edit_keeps_the_last_good_version_searchable(setup) -> None:
    content, store, _embedder, run = setup
    run()
    (content / "en/a/two.md").write_text("---\ntitle: [broken\n---\nText\n", encoding="utf-8")
    write(content, "en/a/three.md", "Three")
    report = run()
    assert report.exit_code == 2
    assert [(e.path, e.line) for e in report.rejected] == [("en/a/two.md", 2)]
    assert report.added == ["en/three"] and report.removed == []
    assert "en/two" in store.stored_articles()


@pytest.mark.parametrize("bad", ["updated: 2026-02-30", "x: " + "[" * 1000 + "]" * 1000, "tags: [{a: 1}]"])
def test_one_invalid_front_matter_value_skips_one_article_and_the_rest_indexes(setup, bad: str) -> None:
    content, store, _embedder, run = setup
    (content / "en/a/bad.md").write_text(f"---\ntitle: Bad\n{bad}\n---\nSome text.\n", encoding="utf-8")
    report = run()
    assert report.exit_code == 2 and [(e.path, e.line) for e in report.rejected] == [("en/a/bad.md", 3)]
    assert set(store.stored_articles()) == {"en/one", "en/two", "ar/one"}


def test_an_indexed_file_that_becomes_unreadable_is_one_rejection_and_keeps_its_version(setup) -> None:
    """An indexed article replaced by a dangling link (a checkout half done, a moved share) raised out of
    the file-hash comparison and stopped the whole sync: the other articles' edits were not indexed. It is
    now rejected like any broken edit, naming the file, and its last good version stays searchable."""
    content, store, _embedder, run = setup
    run()
    (content / "en/a/two.md").unlink()
    (content / "en/a/two.md").symlink_to(content / "gone.md")
    write(content, "en/a/one.md", "One", first="An edit the sync must still take.")
    report = run()
    assert [(e.path, e.line, e.message) for e in report.rejected] == [
        ("en/a/two.md", 1, "the file cannot be read: No such file or directory")]
    assert report.changed == ["en/one"] and "en/two" in store.stored_articles()


def test_a_heading_no_chunk_shows_is_searched_lexically(tmp_path: Path) -> None:
    # m365's country pages: the title is cut short ("... for Rwan"), the body's h1 names the country over a link
    # and small sections that merge into the introduction; the h1's words are in no chunk's text
    content = tmp_path / "content"
    path = content / "en" / "support" / "rwanda.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        "---\ntitle: Support information for Rwan\nsummary: How to contact support in your country.\n---\n"
        "# Contact support in Rwanda\n\n[Find another country](other.md).\n\n## Phone number\n\n+225 20 24 24 90\n",
        encoding="utf-8",
    )
    write(content, "en/support/other.md", "Other countries")
    settings = Settings(content_dir=content, data_dir=tmp_path / "data")
    store, lexical = EdgeStore(settings.data_dir / "index"), LexicalEncoder()
    try:
        assert sync_runner(settings, store, CountingEmbedder())().exit_code == 0
        query = StoreQuery((Source(SPARSE_VECTOR, lexical.encode_query("Rwanda", "en")),), PayloadFilter(), limit=5)
        assert [hit.payload["key"] for hit in store.query([query])[0]] == ["en/rwanda"]
        assert not any("Rwanda" in str(p["text"]) for p in store.payloads(("text",)))  # the reader's text as before
    finally:
        store.close()
