"""Index versions are copied with their holes: qdrant's preallocated files must not become zeros on disk."""

from __future__ import annotations

import os
from pathlib import Path

from indexer.stores.edge import copy_sparse


def test_copy_keeps_data_and_holes(tmp_path: Path) -> None:
    source = tmp_path / "segment.mmap"
    with source.open("wb") as handle:
        handle.write(b"head")
        handle.seek(64 * 1024 * 1024)
        handle.write(b"middle")
        handle.truncate(128 * 1024 * 1024)
    target = tmp_path / "copy.mmap"
    copy_sparse(str(source), str(target))
    assert target.stat().st_size == source.stat().st_size
    with target.open("rb") as handle:
        assert handle.read(4) == b"head"
        handle.seek(64 * 1024 * 1024)
        assert handle.read(6) == b"middle"
    assert target.stat().st_blocks * 512 <= source.stat().st_blocks * 512 + 64 * 1024
    assert os.path.getmtime(target) == os.path.getmtime(source)
