"""A test's `indexed` slice from a copy of the slice's index instead of a cold build.

Each test using the `indexed` fixture (tests/conftest.py, some 270 of them) built the slice's index anew in its fresh
data directory: a new shard, its keyword field indexes, the write and flush, 1.2-1.6 s a test. The real build still
runs, once per test session: `template` indexes the slice with `Engine.index` into a data directory made as a
test's is (the same slice, the warm embedding cache, the session's embedders and default settings). A test whose
content, settings and embedders are the template's gets a copy of that index (`copy_into`, with the store's own
sparse copy) before its engine opens the store, and `indexed` then runs `Engine.index` as before: it finds every
article unchanged, as a deployment restarting on its existing index does, and publishes nothing. A test whose
content or settings differ before it indexes, or whose engine opened its store already, builds cold as before.

What a test sees of the copy is the template's index: its one complete version, the same points, vectors and
payloads a cold build writes (tests/indexer/test_index_template.py compares them); the copy is the test's own
(nothing under the template is opened by a test's engine, so nothing shared is written). The one difference is
how the engine serves it: it opens the copied version as a reader on its first search, where after a cold build
it served the shard its own writer had just written. Every test using `indexed` passes either way (both engines,
session 38): none needed the cold build kept for it; one that does can index its `engine` itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from copilot.engine import Engine
from indexer.cache import CACHE_FILE
from indexer.embedders import Embedder
from indexer.stores.edge import copy_sparse
from kb.settings import Settings

INDEX = "index"  # the edge store's directory under the data directory (indexer.stores.open_store)


def content_digest(content_dir: Path) -> str:
    """Every file under `content_dir`, by relative path and bytes: what a sync reads."""
    digest = hashlib.sha256()
    for path in sorted(p for p in content_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(content_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def settings_key(settings: Settings) -> str:
    """Every setting but the directories and the desk database: what else an index is built by."""
    return repr(dataclasses.replace(settings, content_dir=Path(), data_dir=Path(), database_url=None))


@dataclass(frozen=True)
class IndexTemplate:
    index: Path
    content: str
    settings: str
    embedders: tuple[Embedder, ...]

    def fits(self, engine: Engine) -> bool:
        """Whether `engine` would build this template's index: same content, settings and embedders, an edge
        store not opened yet, and no index in its data directory."""
        settings = engine.settings
        return (
            settings.qdrant_url is None
            and "store" not in engine.__dict__
            and not (settings.data_dir / INDEX).exists()
            and tuple(engine.embedders) == self.embedders
            and settings_key(settings) == self.settings
            and content_digest(settings.content_dir) == self.content
        )

    def copy_into(self, data_dir: Path) -> None:
        shutil.copytree(self.index, data_dir / INDEX, copy_function=copy_sparse)


def build_template(content_dir: Path, data_dir: Path, warm_cache: Path, embedders: list[Embedder]) -> IndexTemplate:
    """The slice in `content_dir` indexed by the real code into `data_dir`, as a test's engine indexes it."""
    data_dir.mkdir(parents=True)
    shutil.copy2(warm_cache, data_dir / CACHE_FILE)
    settings = Settings(content_dir=content_dir, data_dir=data_dir)
    with Engine(settings, embedders) as engine:
        report = engine.index(show_progress=False)
    assert report.exit_code == 0 and report.added and not report.changed, report.summary()
    return IndexTemplate(
        index=data_dir / INDEX,
        content=content_digest(content_dir),
        settings=settings_key(settings),
        embedders=tuple(embedders),
    )
