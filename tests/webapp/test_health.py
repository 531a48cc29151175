"""`/api/v1/health` and `kb doctor` report the recoveries of issue #12 (items 1, 9, 10)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot.engine import Engine
from indexer.cache import CACHE_FILE
from kb.settings import Settings
from tests.indexer.test_corruption import small_disk as small_disk  # a fixture, shared
from tests.indexer.test_sync import CountingEmbedder, write
from webapp import create_app
from webapp.cli import main


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Engine]:
    """A small site indexed twice (two complete versions) with the counting embedder: no models needed."""
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One")
    write(content, "en/a/two.md", "Two")
    engine = Engine(Settings(content_dir=content, data_dir=tmp_path / "data", languages=("en",)), [CountingEmbedder()])
    assert engine.index(show_progress=False).exit_code == 0
    write(content, "en/a/two.md", "Two", first="A second version.")
    assert engine.index(show_progress=False).exit_code == 0
    yield engine
    engine.close()


def doctor(engine: Engine, *extra: str) -> tuple[int, str]:
    settings = engine.settings
    result = CliRunner().invoke(
        main, ["doctor", "--content", str(settings.content_dir), "--data", str(settings.data_dir), *extra],
        env={"KB_EMBEDDERS": "e5"},
    )  # fmt: skip
    return result.exit_code, result.output


def test_health_is_ok_on_a_sound_site(site: Engine) -> None:
    answer = create_app(engine=site).test_client().get("/api/v1/health")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "ok" and body["chunks"] == 6
    assert body["index"]["pointer"] == "ok" and body["problems"] == []
    assert doctor(site)[0] == 0


def test_health_and_doctor_report_a_broken_pointer_while_search_still_answers(site: Engine) -> None:
    (site.settings.data_dir / "index" / "CURRENT").write_bytes(b"\x00\xff binary")
    site.store.close()
    answer = create_app(engine=site).test_client().get("/api/v1/health")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "degraded" and body["chunks"] == 6
    assert body["index"]["pointer"].startswith("CURRENT is not text")
    assert any("CURRENT is not text" in problem for problem in body["problems"])
    code, output = doctor(site)
    assert code == 1 and "PROBLEM index: CURRENT is not text" in output and "status: degraded" in output


def test_health_lists_a_broken_article_that_keeps_its_last_good_version(site: Engine) -> None:
    client = create_app(engine=site).test_client()
    assert client.get("/en/articles/one").status_code == 200
    path = site.settings.content_dir / "en" / "a" / "one.md"
    path.write_text("---\ntitle: One\nupdated: 2026-02-30\n---\nBroken edit.\n", "utf-8")
    os.utime(path, (path.stat().st_atime + 10, path.stat().st_mtime + 10))
    from webapp import state

    with client.application.app_context():
        state.catalog()._checked = 0.0  # re-read now rather than after the catalog's interval
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "degraded" and body["content"]["error_count"] == 1
    assert body["content"]["errors"][0].startswith("en/a/one.md:3: ")
    page = client.get("/en/articles/one")
    assert page.status_code == 200 and "Broken edit" not in page.get_data(as_text=True)


def test_doctor_finds_a_corrupt_cache_and_says_what_happens_next(site: Engine) -> None:
    (site.settings.data_dir / CACHE_FILE).write_bytes(os.urandom(8192))
    code, output = doctor(site)
    assert code == 1 and "embedding cache: CORRUPT" in output and "re-embeds" in output
    code, output = doctor(site, "--json")
    assert code == 1 and '"state": "corrupt"' in output


def test_kb_index_on_a_full_disk_prints_one_line(tmp_path: Path, small_disk: Path) -> None:
    """Before the free-space check the engine's first write to its memory map killed `kb index` (SIGBUS)."""
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One")
    with open(small_disk / "filler", "wb") as handle, pytest.raises(OSError):
        while True:  # fill the 20 MiB file system
            handle.write(b"x" * 65536)
            handle.flush()
    result = CliRunner().invoke(
        main, ["index", "--quiet", "--content", str(content), "--data", str(small_disk / "data")],
        env={"KB_EMBEDDERS": "e5"},
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no space left" in lines[0].lower() and "Traceback" not in result.output
