"""The `indexed` fixture's copy of the session's index of the slice (tests/index_template.py) is what a cold build of
the test's slice writes, its sync finds every article unchanged, and nothing under the template is written."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from copilot.engine import Engine
from indexer.cache import CACHE_FILE
from indexer.embedders import Embedder
from kb.settings import Settings
from tests.index_template import IndexTemplate

# Every field `indexer.sync.chunk_payload` writes, and the chunk sizes beside them.
FIELDS = ("key", "article_id", "lang", "category", "visibility", "tags", "title", "summary", "links", "updated", "path",
          "file_hash", "heading_path", "section", "anchor", "text", "line", "ordinal", "hash", "payload_version",
          "chunking")


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def rows(engine: Engine) -> list[str]:
    return sorted(json.dumps(p, sort_keys=True, ensure_ascii=False) for p in engine.store.payloads(FIELDS))


def vectors(engine: Engine, name: str) -> dict[tuple[str, int], list[float]]:
    payloads, matrix = engine.store.dense_vectors(name, ("key", "ordinal"))
    return {(p["key"], p["ordinal"]): matrix[i].tolist() for i, p in enumerate(payloads)}


@pytest.mark.no_database
def test_the_copied_index_is_the_cold_build_and_its_sync_publishes_nothing(
    settings: Settings, embedders: list[Embedder], index_template: IndexTemplate, tmp_path: Path
) -> None:
    cold_data = tmp_path / "cold"
    cold_data.mkdir()
    shutil.copy2(settings.data_dir / CACHE_FILE, cold_data / CACHE_FILE)
    template_before = tree(index_template.index)
    with Engine(settings, embedders) as copied, Engine(Settings(content_dir=settings.content_dir,
                                                                data_dir=cold_data), embedders) as cold:
        assert index_template.fits(copied)
        index_template.copy_into(settings.data_dir)
        assert not index_template.fits(copied)  # an index is there now: never copied twice
        report = copied.index(show_progress=False)
        assert (report.added, report.changed, report.removed, report.rejected) == ([], [], [], [])
        assert report.unchanged == 11 and report.chunks_embedded == report.chunks_reused == 0
        assert len(os.listdir(settings.data_dir / "index" / "versions")) == 1  # the sync published no version
        built = cold.index(show_progress=False)
        assert len(built.added) == 11 and built.chunks_embedded == 0
        assert rows(copied) == rows(cold) and len(rows(cold)) == copied.store.count() > 11
        for embedder in embedders:
            assert vectors(copied, embedder.name) == vectors(cold, embedder.name)
        for engine in (copied, cold):  # every view built, so that neither search ranks without one
            engine.retriever.refresh_views()
            engine.retriever.wait_for_views()
        for query, lang in (("reset my password", "en"), ("بطاقة هدايا", "ar"), ("refund approval limits", "en")):
            found = [hit for engine in (copied, cold) for hit in [engine.retriever.search(query, lang=lang).results]]
            assert found[0] and found[0] == found[1]  # every hit alike: article, section, snippet, score
    assert tree(index_template.index) == template_before  # the test's copy was its own


@pytest.mark.no_database
def test_a_test_whose_slice_or_settings_differ_is_indexed_from_nothing(
    settings: Settings, embedders: list[Embedder], index_template: IndexTemplate
) -> None:
    assert index_template.fits(Engine(settings, embedders))
    other = Settings(content_dir=settings.content_dir, data_dir=settings.data_dir, chunk_max_chars=900)
    assert not index_template.fits(Engine(other, embedders))
    assert not index_template.fits(Engine(settings, list(reversed(embedders))))
    article = settings.content_dir / "en" / "payments" / "apple-pay.md"
    article.write_text(article.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert not index_template.fits(Engine(settings, embedders))
