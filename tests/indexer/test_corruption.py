"""Issue #12 items 9 and 10 (index half): each corruption is detected, said in one line, and survived.

The embedding cache is only a cache: damage costs re-embedding, never a crash. A damaged `CURRENT`
or live shard falls back to the newest complete version; the next `kb index` publishes a sound one.
A full disk during `kb index` is one line and the previous index keeps serving (a real 20 MiB ext4
file system on a loop device, and a real 3 MiB tmpfs, mounted by the tests: the suite runs as root
on this machine and in CI).
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.cache import CORRUPT_SUFFIX, EmbeddingCache, check_cache
from indexer.lexical import LexicalEncoder
from indexer.stores.base import IndexSpaceError, IndexWriteError
from indexer.stores.edge import EdgeStore, check_room_to_open, copy_sparse
from indexer.stores.shard_digest import DIGEST, check_digest
from indexer.sync import Embedding, sync_index
from kb.settings import Settings
from tests.indexer.test_sync import CountingEmbedder, write

CACHE = "embeddings.sqlite"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Settings, CountingEmbedder]]:
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One")
    write(content, "en/a/two.md", "Two")
    write(content, "ar/a/one.md", "واحد")
    yield Settings(content_dir=content, data_dir=tmp_path / "data"), CountingEmbedder()


def run(settings: Settings, embedder: CountingEmbedder, rebuild: bool = False, store: EdgeStore | None = None):
    own = store is None
    store = store or EdgeStore(settings.data_dir / "index")
    cache = EmbeddingCache(settings.data_dir / CACHE)
    try:
        return sync_index(settings, store, Embedding([embedder], cache), LexicalEncoder(), rebuild, False)
    finally:
        cache.close()
        if own:
            store.close()


def fresh_count(settings: Settings) -> tuple[int, dict[str, object]]:
    """What a newly started server sees: a new store object on the same directory."""
    store = EdgeStore(settings.data_dir / "index")
    try:
        return store.count(), store.health()
    finally:
        store.close()


def versions(settings: Settings) -> list[str]:
    return EdgeStore(settings.data_dir / "index").complete_versions()


def three_versions(settings: Settings, embedder: CountingEmbedder) -> None:
    run(settings, embedder)
    write(settings.content_dir, "en/a/two.md", "Two", first="Changed once.")
    run(settings, embedder)
    write(settings.content_dir, "en/a/two.md", "Two", first="Changed twice.")
    run(settings, embedder)


# -- the embedding cache ---------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["random bytes", "truncated", "zero length header"])
def test_an_unreadable_cache_is_moved_aside_and_rebuilt(
    site: tuple[Settings, CountingEmbedder], damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings, embedder = site
    run(settings, embedder)
    path = settings.data_dir / CACHE
    data = path.read_bytes()
    path.write_bytes(
        os.urandom(len(data)) if damage == "random bytes" else data[: len(data) // 3] if damage == "truncated"
        else b"\0" * 100 + data[100:]
    )  # fmt: skip
    assert check_cache(path).state == "corrupt"
    embedder.passages.clear()
    with caplog.at_level(logging.WARNING):
        report = run(settings, embedder, rebuild=True)
    assert report.exit_code == 0 and report.chunks_embedded == 9
    assert (settings.data_dir / (CACHE + CORRUPT_SUFFIX)).exists()
    assert any("unreadable" in r.message and "starting empty" in r.message for r in caplog.records)
    assert check_cache(path).state == "ok"
    assert fresh_count(settings)[0] == 9


@pytest.mark.parametrize(
    ("damage", "sql"),
    [
        ("wrong length", "UPDATE embeddings SET vector = substr(vector, 1, 12)"),
        ("zeroed", "UPDATE embeddings SET vector = zeroblob(length(vector))"),
        ("not finite", "UPDATE embeddings SET vector = CAST(x'0000C07F' || substr(vector, 5) AS BLOB)"),
        ("text, not a blob", "UPDATE embeddings SET vector = x'0000C07F' || substr(vector, 5)"),
        ("null", "UPDATE embeddings SET vector = 'null'"),
    ],
)
def test_unusable_cached_vectors_are_recomputed_not_used(
    site: tuple[Settings, CountingEmbedder], damage: str, sql: str
) -> None:
    settings, embedder = site
    run(settings, embedder)
    path = settings.data_dir / CACHE
    with sqlite3.connect(path) as db:
        db.execute(sql)
    assert check_cache(path, {"fake-v1": 8}).invalid_rows == 9
    embedder.passages.clear()
    report = run(settings, embedder, rebuild=True)
    assert report.chunks_embedded == 9 and len(embedder.passages) == 9
    assert check_cache(path, {"fake-v1": 8}).state == "ok"


# -- the index pointer and the live shard ----------------------------------------------------


@pytest.mark.parametrize(
    "pointer",
    [b"", b"\n", b"\xff\xfe\x00binary\x00\x9f", b"v20990101000000-deadbeef", b"../../etc/passwd", b"(deleted)"],
)
def test_a_broken_current_falls_back_to_the_newest_complete_version(
    site: tuple[Settings, CountingEmbedder], pointer: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    settings, embedder = site
    three_versions(settings, embedder)
    newest = versions(settings)[0]
    if pointer == b"(deleted)":
        (settings.data_dir / "index" / "CURRENT").unlink()
    else:
        (settings.data_dir / "index" / "CURRENT").write_bytes(pointer)
    with caplog.at_level(logging.WARNING):
        count, health = fresh_count(settings)
    assert count == 9
    assert health["serving"] == newest and health["state"] == "degraded" and health["pointer"] != "ok"
    assert sum("CURRENT" in r.message for r in caplog.records) == 1
    report = run(settings, embedder, rebuild=True)  # --rebuild works whatever CURRENT holds
    assert report.exit_code == 0
    assert fresh_count(settings)[1]["state"] == "ok"


def test_a_current_naming_an_incomplete_version_falls_back(site: tuple[Settings, CountingEmbedder]) -> None:
    settings, embedder = site
    three_versions(settings, embedder)
    newest = versions(settings)[0]
    (settings.data_dir / "index" / "versions" / newest / "COMPLETE").unlink()
    count, health = fresh_count(settings)
    assert count == 9 and health["serving"] == versions(settings)[0] != newest
    assert "incomplete" in str(health["pointer"])


@pytest.mark.parametrize("part", ["edge_config.json", "segment.json", "mutable_id_tracker.mappings", "chunk_0.mmap"])
def test_a_corrupt_live_shard_falls_back_and_the_next_index_repairs_it(
    site: tuple[Settings, CountingEmbedder], part: str
) -> None:
    settings, embedder = site
    three_versions(settings, embedder)
    live, older = versions(settings)[:2]
    for path in (settings.data_dir / "index" / "versions" / live / "shard").rglob(part):
        path.write_bytes(b"" if part == "chunk_0.mmap" else os.urandom(max(path.stat().st_size, 64)))
    store = EdgeStore(settings.data_dir / "index")
    try:
        assert store.count() == 9
        assert store.health()["serving"] == older and live in store.health()["damaged_versions"]
        report = run(settings, embedder, store=store)  # builds on the sound version, publishes a new one
        assert report.exit_code == 0
    finally:
        store.close()
    count, health = fresh_count(settings)
    assert count == 9 and health["state"] == "ok" and health["serving"] not in (live, older)


def test_a_changed_id_tracker_is_found_by_its_digest_before_the_engine_reads_it(
    site: tuple[Settings, CountingEmbedder],
) -> None:
    """Random bytes in the id tracker made the engine abort the process about once in 200 loads; the
    published digest finds every change to such a file without handing it to the engine."""
    settings, embedder = site
    three_versions(settings, embedder)
    live, older = versions(settings)[:2]
    shard = settings.data_dir / "index" / "versions" / live / "shard"
    target = sorted(shard.rglob("mutable_id_tracker.mappings"))[0]
    data = bytearray(target.read_bytes() or b"\0")
    data[len(data) // 2] ^= 0x01  # one bit: no engine check of its own would have to notice it
    target.write_bytes(bytes(data))
    count, health = fresh_count(settings)
    damaged = health["damaged_versions"]
    assert count == 9 and health["serving"] == older
    assert isinstance(damaged, dict) and "does not match the digest" in damaged[live]
    assert str(target.relative_to(shard)) in damaged[live]


def test_serving_and_closing_a_version_leaves_its_digest_sound(site: tuple[Settings, CountingEmbedder]) -> None:
    """The engine changes some of a published version's files itself (configs, version flags,
    journals); the digest covers only the id tracker, so a version stays sound however often it is
    opened, served and closed (or a sound version would be called damaged)."""
    settings, embedder = site
    three_versions(settings, embedder)
    for _ in range(2):
        count, health = fresh_count(settings)
        assert count == 9 and health["state"] == "ok"
    for version in versions(settings):
        check_digest(settings.data_dir / "index" / "versions" / version)
    assert all((settings.data_dir / "index" / "versions" / v / DIGEST).is_file() for v in versions(settings))


def test_a_version_published_without_a_digest_still_opens(site: tuple[Settings, CountingEmbedder]) -> None:
    settings, embedder = site
    run(settings, embedder)
    (settings.data_dir / "index" / "versions" / versions(settings)[0] / DIGEST).unlink()
    count, health = fresh_count(settings)
    assert (count, health["state"]) == (9, "ok")


def test_two_stores_on_a_fresh_index_report_ok(site: tuple[Settings, CountingEmbedder]) -> None:
    settings, embedder = site
    run(settings, embedder)
    count, health = fresh_count(settings)
    assert (count, health["state"], health["pointer"], health["fallback"]) == (9, "ok", "ok", None)


# -- a full disk, and tmpfs --------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 20 MiB ext4 file system on a loop device."""
    image, mount = tmp_path / "disk.img", tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    subprocess.run(["truncate", "-s", "20M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MiB tmpfs (needs root: the suite runs as root on this machine and in CI)."""
    mount = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_during_index_is_one_line_and_the_old_index_keeps_serving(
    site: tuple[Settings, CountingEmbedder], small_disk: Path
) -> None:
    settings, embedder = site
    run(settings, embedder)
    data = small_disk / "data"
    shutil.copytree(settings.data_dir, data, copy_function=copy_sparse)
    store_dir = data / "index"
    filler = small_disk / "filler"
    with open(filler, "wb") as handle, pytest.raises(OSError):
        while True:
            handle.write(b"x" * 65536)
            handle.flush()
    small = Settings(content_dir=settings.content_dir, data_dir=data)
    write(settings.content_dir, "en/a/three.md", "Three")
    with pytest.raises(IndexWriteError) as caught:
        run(small, embedder)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400
    assert "no space left" in str(caught.value) and "previous index keeps serving" in str(caught.value)
    assert not [d for d in (store_dir / "versions").iterdir() if not (d / "COMPLETE").exists()]
    assert fresh_count(small)[0] == 9


def test_opening_an_index_on_a_too_small_tmpfs_is_a_clear_error_not_a_bus_error(
    site: tuple[Settings, CountingEmbedder], small_tmpfs: Path
) -> None:
    settings, embedder = site
    run(settings, embedder)
    target = small_tmpfs / "index"
    shutil.copytree(settings.data_dir / "index", target, copy_function=copy_sparse)  # sparse: fits in 3 MiB
    live = EdgeStore(target).current_version()
    with pytest.raises(IndexSpaceError) as caught:
        check_room_to_open(target / "versions" / str(live) / "shard")
    assert "tmpfs" in str(caught.value)
    # The whole `kb search` path in a child process: before the check it died of SIGBUS (exit 135).
    code = (
        "from indexer.stores.edge import EdgeStore\n"
        f"EdgeStore(__import__('pathlib').Path({str(target)!r})).count()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()}
    )
    assert done.returncode == 1 and "IndexSpaceError" in done.stderr and "tmpfs" in done.stderr
