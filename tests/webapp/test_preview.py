"""`kb preview`: lint messages on the working tree's pages, and an index that leaves the live one alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from copilot.engine import Engine
from indexer.embedders import Embedder
from kb.settings import Settings
from webapp import create_app
from webapp.cli import main
from webapp.preview import preview_app
from webapp.preview_commands import (
    build_preview,
    content_signature,
    preview_settings,
    reindex_if_changed,
    seed_embedding_cache,
)

BROKEN_LINK = "\nAlso see [the old refund page](no-such-article.md).\n"
BROKEN_FRONT_MATTER = "---\ntitle: Broken\nlang: ar\n---\nText\n"


@pytest.fixture
def edited(indexed: Engine) -> Engine:
    """The working tree after a writer's unsaved-to-git edits: a broken link and an unloadable article."""
    content = indexed.settings.content_dir
    article = content / "en" / "returns" / "refund-timing.md"
    article.write_text(article.read_text(encoding="utf-8") + BROKEN_LINK, encoding="utf-8")
    (content / "en" / "account" / "broken.md").write_text(BROKEN_FRONT_MATTER, encoding="utf-8")
    return indexed


@pytest.fixture
def preview(edited: Engine) -> Flask:
    return preview_app(edited)


def test_preview_shows_the_articles_lint_messages_and_a_banner(preview: Flask, edited: Engine) -> None:
    html = preview.test_client().get("/en/articles/refund-timing").get_data(as_text=True)
    lines = len((edited.settings.content_dir / "en" / "returns" / "refund-timing.md").read_text().splitlines())
    assert f"<bdi>{lines}:" in html and "error: no article at en/returns/no-such-article.md [broken-link]" in html
    assert html.index("preview-lint") < html.index("<h1>")  # above the article, where a writer looks first
    assert "Preview of the working tree" in html and 'href="/preview/problems"' in html
    clean = preview.test_client().get("/en/articles/apple-pay").get_data(as_text=True)
    assert "no-such-article" not in clean and "Preview of the working tree" in clean  # each page: its own file


def test_the_live_site_shows_no_lint_and_has_no_problems_page(edited: Engine) -> None:
    client = create_app(engine=edited).test_client()
    html = client.get("/en/articles/refund-timing").get_data(as_text=True)
    assert "the old refund page" in html  # the same edited file is served...
    assert "broken-link" not in html and "preview-lint" not in html and "Preview of the working tree" not in html
    assert client.get("/preview/problems").status_code == 404


def test_problems_page_lists_articles_too_broken_to_open(preview: Flask, edited: Engine) -> None:
    client = preview.test_client()
    assert client.get("/en/articles/broken").status_code == 404
    html = client.get("/preview/problems").get_data(as_text=True)
    broken = (edited.settings.content_dir / "en" / "account" / "broken.md").as_posix()
    line = next(li for li in html.split("<li") if f"{broken}:" in li)
    assert f"{broken}:3:1</code> error:" in line and "does not match the folder" in line, line
    assert "no-such-article.md [broken-link]" in html
    assert html.index("error:") < html.index("warning:")  # errors first


def test_preview_settings_never_point_at_live_stores(settings: Settings) -> None:
    live = Settings(data_dir=settings.data_dir, qdrant_url="http://qdrant:6333", database_url="postgresql://db/kb")
    preview = preview_settings(live)
    assert preview.data_dir == settings.data_dir / "preview"
    assert (preview.qdrant_url, preview.database_url) == (None, None)


def test_build_preview_indexes_into_data_preview_and_follows_edits(
    settings: Settings, embedders: list[Embedder]
) -> None:
    live_before = sorted(p.name for p in settings.data_dir.iterdir())
    live_cache = (settings.data_dir / "embeddings.sqlite").read_bytes()
    seen = content_signature(settings.content_dir)
    engine, report = build_preview(settings, embedders)
    try:
        assert "11 added" in report.summary() and "0 embedded" in report.summary()  # the live cache was copied
        assert (settings.data_dir / "preview" / "index").is_dir()
        assert (settings.data_dir / "preview" / "embeddings.sqlite").is_file()
        live_after = [p.name for p in settings.data_dir.iterdir() if not p.name.endswith(("-wal", "-shm"))]
        assert sorted(set(live_after) - {"preview"}) == live_before  # no index, no database in the live dir
        assert (settings.data_dir / "embeddings.sqlite").read_bytes() == live_cache
        assert engine.retriever.search("apple pay", lang="en").results[0].id == "apple-pay"

        assert reindex_if_changed(engine, seen) == (seen, None)  # nothing changed: no index run
        article = settings.content_dir / "en" / "payments" / "apple-pay.md"
        article.write_text(article.read_text(encoding="utf-8") + "\n## Zebra stripes\n\nZebra stripes at checkout.\n")
        seen, changed = reindex_if_changed(engine, seen)
        assert changed is not None and "1 changed" in changed.summary()
        top = engine.retriever.search("zebra stripes checkout", lang="en").results[0]
        assert (top.id, top.section) == ("apple-pay", "Zebra stripes")
    finally:
        engine.close()
    again, report = build_preview(settings, embedders)  # a second start is incremental
    again.close()
    assert "11 unchanged" in report.summary()


def test_preview_command_is_registered_with_its_own_port() -> None:
    result = CliRunner().invoke(main, ["preview", "--help"])
    assert result.exit_code == 0 and "DATA/preview" in result.output and "5001" in result.output


def test_without_a_live_cache_there_is_nothing_to_seed(tmp_path: Path) -> None:
    assert not seed_embedding_cache(tmp_path / "none.sqlite", tmp_path / "preview" / "embeddings.sqlite")
    assert not (tmp_path / "preview").exists()
