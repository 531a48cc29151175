"""Content writers cannot break the live site (issue #12): what `kb sync` publishes, and from where."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.cache import EmbeddingCache
from indexer.git_sync import GitSyncReport, read_held, read_state, snapshot_dir, sync_git
from indexer.lexical import LexicalEncoder
from indexer.stores.edge import EdgeStore
from indexer.sync import Embedding, SyncReport, sync_index
from kb.catalog import Catalog
from kb.settings import Settings
from tests.indexer.test_git_sync import commit, git, init_repo
from tests.indexer.test_sync import CountingEmbedder, write

Run = Callable[..., GitSyncReport]


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[tuple[Settings, EdgeStore, Run]]:
    root = tmp_path / "repo"
    init_repo(root)
    content = root / "content"
    write(content, "en/a/one.md", "One")
    write(content, "en/a/two.md", "Two")
    commit(root, "first")
    settings = Settings(content_dir=content, data_dir=tmp_path / "data", languages=("en",))
    store = EdgeStore(settings.data_dir / "index")
    embedder = CountingEmbedder()

    def run(mode: str = "hold") -> GitSyncReport:
        def run_index(snapshot: Settings) -> SyncReport:
            cache = EmbeddingCache(settings.data_dir / "embeddings.sqlite")
            try:
                return sync_index(snapshot, store, Embedding([embedder], cache), LexicalEncoder(), False, False)
            finally:
                cache.close()

        return sync_git(replace(settings, sync_lint=mode), run_index)

    yield settings, store, run
    store.close()


def hashes(store: EdgeStore) -> dict[str, str]:
    return {key: article.file_hash for key, article in store.stored_articles().items()}


def published(settings: Settings, relative: str) -> str | None:
    path = snapshot_dir(settings) / relative
    return path.read_text("utf-8") if path.exists() else None


def test_an_article_with_a_broken_link_is_held_at_its_last_good_version(repo) -> None:
    settings, store, run = repo
    assert run().exit_code == 0
    before = hashes(store)
    write(settings.content_dir, "en/a/two.md", "Two", first="See [the new guide](three.md#setup) first.")
    commit(settings.content_dir, "link to an article not written yet")
    report = run()
    assert report.exit_code == 2 and [e.rule for e in report.held] == ["broken-link"]
    assert "no article at en/a/three.md" in report.held[0].message and "held back" in report.summary()
    assert "new guide" not in (published(settings, "en/a/two.md") or "") and hashes(store) == before
    assert read_held(settings.data_dir) == {"en/a/two.md"}
    # A later commit adds the target without touching two.md: the held article is retried and published.
    three = "---\ntitle: Three\n---\nIntro text for three.\n\n## Setup\n\nSet it up like this, step by step.\n"
    (settings.content_dir / "en/a/three.md").write_text(three, "utf-8")
    commit(settings.content_dir, "write the guide")
    report = run()
    assert report.exit_code == 0 and report.held == []
    assert "new guide" in (published(settings, "en/a/two.md") or "") and hashes(store)["en/two"] != before["en/two"]
    assert read_held(settings.data_dir) == set()


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("Look: ![the form](../../_media/missing.png)", "missing-media"),
        ("Jump to [setup](one.md#no-such-heading).", "broken-anchor"),
    ],
)
def test_a_new_article_with_errors_waits_and_warn_mode_publishes_it(repo, body: str, rule: str) -> None:
    settings, store, run = repo
    run()
    write(settings.content_dir, "en/a/new.md", "New", first=body)
    commit(settings.content_dir, "new article")
    report = run()
    assert [e.rule for e in report.held] == [rule] and published(settings, "en/a/new.md") is None
    assert "en/new" not in hashes(store)
    warned = run("warn")
    assert [e.rule for e in warned.published_with_errors] == [rule] and warned.exit_code == 2
    assert published(settings, "en/a/new.md") is not None and "en/new" in hashes(store)


def test_a_front_matter_typo_keeps_the_live_article(repo) -> None:
    settings, _store, run = repo
    run()
    (settings.content_dir / "en/a/one.md").write_text("---\ntitle: One\nupdated: 2026-02-30\n---\nTypo.\n", "utf-8")
    commit(settings.content_dir, "typo")
    report = run()
    assert [(e.path, e.line) for e in report.held] == [("en/a/one.md", 3)]
    catalog = Catalog(replace(settings, content_dir=snapshot_dir(settings)))
    article = catalog.get("en", "one")
    assert article is not None and "Typo." not in catalog.source(article)


def test_following_git_the_site_reads_the_snapshot_never_the_working_tree(repo, tmp_path: Path) -> None:
    settings, _store, run = repo
    run()
    env = {"KB_WEBHOOK_SECRET": "s", "KB_CONTENT_DIR": str(settings.content_dir), "KB_DATA_DIR": str(settings.data_dir)}
    served = Settings.from_env(env, languages=("en",))
    assert served.content_dir == snapshot_dir(settings) and served.git_content_dir == settings.content_dir
    via_git_dir = Settings.from_env({"KB_GIT_CONTENT_DIR": "/srv/checkout", "KB_DATA_DIR": "/srv/var"})
    assert via_git_dir.content_dir == Path("/srv/var/sync-tree")
    assert Settings.from_env({}).content_dir == Path("content")
    with pytest.raises(ValueError, match="KB_SYNC_LINT"):
        Settings.from_env({"KB_SYNC_LINT": "sometimes"})
    # An uncommitted article that fails lint, and an uncommitted edit: neither reaches the site.
    (settings.content_dir / "en/a/draft.md").write_text("---\ntitle: [unclosed\n---\nDraft.\n", "utf-8")
    write(settings.content_dir, "en/a/one.md", "One", first="An uncommitted edit.")
    catalog = Catalog(served)
    assert sorted(catalog.snapshot().articles) == ["en/one", "en/two"]
    article = catalog.get("en", "one")
    assert article is not None and "uncommitted" not in catalog.source(article)
    assert catalog.snapshot().errors == ()


KILLED_SYNC = """
import os, sys, time
from pathlib import Path
from indexer.git_sync import sync_git
from kb.settings import Settings
settings = Settings(content_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]), languages=("en",))
def run_index(snapshot):
    Path(sys.argv[3]).write_text("indexing")
    time.sleep(60)  # killed here, after the snapshot was rewritten and before the commit is recorded
sync_git(settings, run_index)
"""


def test_kill_9_during_sync_leaves_a_state_the_next_run_completes(repo, tmp_path: Path) -> None:
    settings, store, run = repo
    run()
    first = read_state(settings.data_dir)
    write(settings.content_dir, "en/a/two.md", "Two", first="Edited before the crash.")
    commit(settings.content_dir, "edit")
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SYNC, str(settings.content_dir), str(settings.data_dir), str(marker)],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert marker.exists()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert read_state(settings.data_dir) == first  # the crashed run recorded nothing
    report = run()
    head = git(settings.content_dir, "rev-parse", "HEAD")
    assert report.exit_code == 0 and read_state(settings.data_dir).commit == head  # type: ignore[union-attr]
    assert "Edited before the crash." in (published(settings, "en/a/two.md") or "")
    assert "Edited before the crash." in " ".join(
        p["text"] for p in store.payloads(("key", "text")) if p["key"] == "en/two"
    )
    assert run().mode == "up-to-date"
