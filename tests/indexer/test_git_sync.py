"""`sync_git` over real git repositories: the fake embedder for the bookkeeping, real models end to end."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from copilot.engine import Engine
from indexer.cache import EmbeddingCache
from indexer.git_sync import GitSyncError, GitSyncReport, read_state, snapshot_dir, sync_git, sync_lock
from indexer.lexical import LexicalEncoder
from indexer.stores.edge import EdgeStore
from indexer.sync import Embedding, SyncReport, sync_index
from kb.settings import Settings
from tests.indexer.test_sync import CountingEmbedder, write


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def init_repo(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Content Writer")
    git(repo, "config", "user.email", "writer@example.com")
    git(repo, "config", "commit.gpgsign", "false")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


Sync = Callable[..., GitSyncReport]


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[tuple[Path, EdgeStore, CountingEmbedder, Sync]]:
    """Content in a subfolder of its repository, as in this project (`content/` beside the code)."""
    root = tmp_path / "repo"
    init_repo(root)
    content = root / "content"
    write(content, "en/a/one.md", "One")
    write(content, "en/a/two.md", "Two")
    write(content, "ar/a/one.md", "واحد")
    (content / "_synonyms.yml").write_text("- [refund, money back]\n", encoding="utf-8")
    (root / "README.md").write_text("not content\n", encoding="utf-8")
    commit(root, "first")
    settings = Settings(content_dir=content, data_dir=tmp_path / "data")
    embedder = CountingEmbedder()
    store = EdgeStore(settings.data_dir / "index")

    def run_index(snapshot: Settings) -> SyncReport:
        cache = EmbeddingCache(settings.data_dir / "embeddings.sqlite")
        try:
            return sync_index(snapshot, store, Embedding([embedder], cache), LexicalEncoder(), False, False)
        finally:
            cache.close()

    def run(**options: object) -> GitSyncReport:
        return sync_git(settings, run_index, **options)  # type: ignore[arg-type]

    yield content, store, embedder, run
    store.close()


def paths(store: EdgeStore) -> dict[str, str]:
    return {key: article.path for key, article in store.stored_articles().items()}


def test_first_sync_indexes_head_with_paths_relative_to_the_content_root(repo) -> None:
    content, store, _embedder, run = repo
    report = run()
    head = git(content, "rev-parse", "HEAD")
    assert (report.mode, report.reason, report.to_commit) == ("full", "no indexed commit recorded", head)
    assert sorted(report.added) == ["_synonyms.yml", "ar/a/one.md", "en/a/one.md", "en/a/two.md"]
    assert paths(store) == {"en/one": "en/a/one.md", "en/two": "en/a/two.md", "ar/one": "ar/a/one.md"}
    data = content.parent.parent / "data"
    assert read_state(data).commit == head  # type: ignore[union-attr]
    assert (snapshot_dir(Settings(data_dir=data)) / "_synonyms.yml").is_file()
    again = run()
    assert again.mode == "up-to-date" and again.index is None and again.exit_code == 0


def test_a_committed_edit_reindexes_only_that_article(repo) -> None:
    content, store, embedder, run = repo
    run()
    before = store.stored_articles()
    embedder.passages.clear()
    write(content, "en/a/one.md", "One", first="First section text, now edited.")
    (content.parent / "README.md").write_text("outside the content folder\n", encoding="utf-8")
    commit(content, "edit one")
    report = run()
    assert report.mode == "incremental" and report.modified == ["en/a/one.md"]
    assert report.index is not None and report.index.changed == ["en/one"] and report.index.unchanged == 2
    assert len(embedder.passages) == 1 and "now edited" in embedder.passages[0]
    assert store.stored_articles()["en/two"] == before["en/two"]


def test_renames_and_deletions_follow_the_commit(repo) -> None:
    content, store, _embedder, run = repo
    run()
    (content / "en/b").mkdir()
    git(content, "mv", "en/a/two.md", "en/b/two.md")
    git(content, "mv", "ar/a/one.md", "ar/a/renamed.md")  # the id follows the file name
    git(content, "rm", "-q", "en/a/one.md")
    commit(content, "move things")
    report = run()
    assert sorted(report.renamed) == [("ar/a/one.md", "ar/a/renamed.md"), ("en/a/two.md", "en/b/two.md")]
    assert report.deleted == ["en/a/one.md"]
    assert paths(store) == {"en/two": "en/b/two.md", "ar/renamed": "ar/a/renamed.md"}
    tree = snapshot_dir(Settings(data_dir=content.parent.parent / "data"))
    assert not (tree / "en/a").exists() and (tree / "en/b/two.md").is_file()


def test_uncommitted_edits_are_not_published(repo) -> None:
    content, store, _embedder, run = repo
    run()
    committed = store.stored_articles()["en/one"].file_hash
    write(content, "en/a/one.md", "One", first="A draft nobody committed.")
    write(content, "en/a/draft.md", "Draft")  # untracked
    write(content, "en/a/two.md", "Two", first="Committed change.")
    git(content, "add", "en/a/two.md")
    git(content, "commit", "-q", "-m", "two only")
    report = run()
    assert report.modified == ["en/a/two.md"] and report.index is not None and report.index.changed == ["en/two"]
    stored = store.stored_articles()
    assert stored["en/one"].file_hash == committed and "en/draft" not in stored
    full = run(full=True)  # a full comparison reads HEAD too, never the working tree
    assert full.mode == "full" and full.added == full.modified == full.deleted == []
    assert store.stored_articles()["en/one"].file_hash == committed


def test_rewritten_history_falls_back_to_a_full_comparison(repo) -> None:
    content, store, _embedder, run = repo
    run()
    write(content, "en/a/three.md", "Three")
    commit(content, "add three")
    assert run().index.added == ["en/three"]  # type: ignore[union-attr]
    git(content, "reset", "-q", "--hard", "HEAD~1")  # drop that commit, as a force-push would
    write(content, "en/a/one.md", "One", first="Rewritten history.")
    git(content, "add", "-A")
    git(content, "commit", "-q", "--amend", "-m", "first, amended")  # and rewrite the one before
    report = run()
    assert report.mode == "full" and report.reason.startswith("history rewritten")
    assert (report.modified, report.deleted) == (["en/a/one.md"], ["en/a/three.md"])
    assert report.index is not None and report.index.changed == ["en/one"] and report.index.removed == ["en/three"]
    assert set(store.stored_articles()) == {"en/one", "en/two", "ar/one"}
    assert run().mode == "up-to-date"


def test_a_broken_commit_is_reported_and_the_last_good_version_stays(repo) -> None:
    content, store, _embedder, run = repo
    run()
    (content / "en/a/two.md").write_text("---\ntitle: [broken\n---\nText\n", encoding="utf-8")
    commit(content, "typo")
    report = run()
    # Held back before it reaches the snapshot (indexer.publish_gate): the site and the index keep the old one.
    assert report.exit_code == 2 and [e.path for e in report.rejected] == ["en/a/two.md"]
    assert "en/two" in store.stored_articles()
    assert "title: Two" in (snapshot_dir(Settings(data_dir=content.parent.parent / "data")) / "en/a/two.md").read_text()


def test_refuses_what_it_cannot_follow(tmp_path: Path, repo) -> None:
    content, _store, _embedder, run = repo
    plain = tmp_path / "plain"
    plain.mkdir()
    never = lambda _s: pytest.fail("must not index")  # noqa: E731
    with pytest.raises(GitSyncError, match="not inside a git repository"):
        sync_git(Settings(content_dir=plain, data_dir=tmp_path / "d1"), never)
    untracked = content.parent / "untracked"
    write(untracked, "en/a/x.md", "X")
    with pytest.raises(GitSyncError, match="has no files in untracked/"):
        sync_git(Settings(content_dir=untracked, data_dir=tmp_path / "d2"), never)
    run()
    data = content.parent.parent / "data"
    with pytest.raises(GitSyncError, match="is the sync snapshot"):
        sync_git(Settings(content_dir=snapshot_dir(Settings(data_dir=data)), data_dir=data), never)


def test_one_sync_at_a_time_across_lock_holders(tmp_path: Path) -> None:
    with sync_lock(tmp_path), pytest.raises(GitSyncError, match="another sync holds"), sync_lock(tmp_path, 0.2):
        pass
    with sync_lock(tmp_path, timeout=0.2):  # released
        pass


def test_end_to_end_with_the_real_models(engine: Engine) -> None:
    """The slice's folder is the repository root here; search sees commits, not drafts."""
    content = engine.settings.content_dir
    init_repo(content)
    commit(content, "import the help center")

    def run_index(snapshot: Settings) -> SyncReport:
        cache = EmbeddingCache(engine.settings.data_dir / "embeddings.sqlite")
        try:
            return sync_index(snapshot, engine.store, Embedding(engine.embedders, cache), engine.lexical, False, False)
        finally:
            cache.close()

    settings = replace(engine.settings, sync_lint="warn")  # the slice links to articles outside it
    first = sync_git(settings, run_index)
    assert first.index is not None and len(first.index.added) == 11 and first.index.chunks_embedded == 0

    def top(query: str, lang: str = "en") -> list[tuple[str, str]]:
        return [(h.id, h.lang) for h in engine.retriever.search(query, lang=lang, limit=5).results]

    assert top("pay with Apple Pay on iPhone")[0] == ("apple-pay", "en")

    gift = content / "en/orders/gift-cards.md"
    gift.write_text(gift.read_text("utf-8") + "\n## Zorblefax vouchers\n\nZorblefax vouchers never expire.\n", "utf-8")
    assert sync_git(settings, run_index).mode == "up-to-date"  # the edit is not committed yet
    assert "Zorblefax" not in " ".join(h.text for h in engine.retriever.search("zorblefax", lang="en").results)

    commit(content, "zorblefax")
    git(content, "mv", "en/delivery/delivery-fees.md", "en/delivery/shipping-fees.md")
    git(content, "rm", "-q", "en/payments/apple-pay.md")
    commit(content, "rename and delete")
    report = sync_git(settings, run_index)
    assert report.renamed == [("en/delivery/delivery-fees.md", "en/delivery/shipping-fees.md")]
    assert top("zorblefax vouchers")[0] == ("gift-cards", "en")
    assert top("how much does delivery cost")[0] == ("delivery-fees", "en")  # the id is in its front matter
    indexed_paths = {p["path"] for p in engine.store.payloads(("path",))}
    assert "en/delivery/shipping-fees.md" in indexed_paths and "en/delivery/delivery-fees.md" not in indexed_paths
    assert ("apple-pay", "en") not in top("pay with Apple Pay on iPhone")
    assert "en/payments/apple-pay.md" not in indexed_paths


def test_fetch_fast_forwards_from_the_upstream_and_is_a_no_op_without_one(tmp_path: Path) -> None:
    """A push webhook means the remote moved: with fetch, the server's checkout catches up first."""
    writer = tmp_path / "writer"
    init_repo(writer)
    write(writer / "content", "en/a/one.md", "One")
    commit(writer, "first")
    git(tmp_path, "clone", "-q", "--bare", str(writer), str(tmp_path / "origin.git"))
    git(writer, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(tmp_path / "server"))
    settings = Settings(content_dir=tmp_path / "server" / "content", data_dir=tmp_path / "data")
    store = EdgeStore(settings.data_dir / "index")

    def run_index(snapshot: Settings) -> SyncReport:
        cache = EmbeddingCache(settings.data_dir / "embeddings.sqlite")
        try:
            return sync_index(snapshot, store, Embedding([CountingEmbedder()], cache), LexicalEncoder(), False, False)
        finally:
            cache.close()

    sync_git(settings, run_index, fetch=True)
    write(writer / "content", "en/a/two.md", "Two")
    pushed = commit(writer, "second")
    git(writer, "push", "-q", "origin", "main")
    assert sync_git(settings, run_index).to_commit != pushed  # without fetch: the checkout as it is
    report = sync_git(settings, run_index, fetch=True)
    assert report.to_commit == pushed and report.added == ["en/a/two.md"]
    assert set(paths(store)) == {"en/one", "en/two"}
    store.close()
    local = Settings(content_dir=writer / "content", data_dir=tmp_path / "local-data")
    assert sync_git(local, lambda s: SyncReport(), fetch=True).to_commit == pushed  # no upstream: no pull
