"""Embedding cache keyed by (model, text hash), kept beside the index and outliving it.

Embedding is the slow step (e5 manages a handful of chunks a second on two cores). A rebuild,
a crashed run picked up again, or an article moved to another folder must not pay for it twice.
Rows are committed in small batches as they are computed, so `kill -9` loses at most one batch.

It is only a cache, so it never stops a run (issue #12, item 9): a file that is not a database
(random bytes, truncated, malformed) is moved aside as `<name>.corrupt` with one logged line and
an empty cache takes its place; a cached vector of the wrong length, or one that is all zeros or
not finite, is treated as missing, so the model computes it again and the row is overwritten.
`check_cache` says the same for `kb doctor` without changing anything.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.stores.base import IndexWriteError, disk_full

# The cache's file name in a data directory (index runs, the preview seeding its own).
CACHE_FILE = "embeddings.sqlite"
CORRUPT_SUFFIX = ".corrupt"

log = logging.getLogger(__name__)


def usable_vector(blob: bytes, dim: int | None) -> np.ndarray | None:
    """The vector a row holds, or None when it cannot be an embedding (wrong length, zero, NaN)."""
    if len(blob) % 4 or not blob or (dim is not None and len(blob) != dim * 4):
        return None
    vector = np.frombuffer(blob, dtype=np.float32)
    if not np.isfinite(vector).all() or not np.any(vector):
        return None
    return vector


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.recovered: str | None = None  # why the file was replaced, when it was
        self.invalid_rows = 0  # unusable vectors found (and recomputed) by this instance
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.OperationalError as error:  # full, locked, read-only: not damage, a new file would not help
            if disk_full(error):
                message = f"no space left on the device holding {path}; nothing was changed"
                raise IndexWriteError(errno.ENOSPC, message) from None
            raise
        except sqlite3.DatabaseError as error:
            self._db = self._replace(error)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings ("
                " model TEXT NOT NULL, text_hash TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL,"
                " PRIMARY KEY (model, text_hash))"
            )
            # A few ms for a cache of thousands of rows; finds truncation and overwritten pages.
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {verdict}")
        except BaseException:
            db.close()
            raise
        return db

    def _replace(self, error: sqlite3.DatabaseError) -> sqlite3.Connection:
        """Move the damaged file aside and start empty: losing a cache costs time, never results."""
        aside = self.path.with_name(self.path.name + CORRUPT_SUFFIX)
        for suffix in ("", "-wal", "-shm"):
            damaged = self.path.with_name(self.path.name + suffix)
            if damaged.exists():
                damaged.replace(aside.with_name(aside.name + suffix))
        self.recovered = f"embedding cache {self.path} was unreadable ({error}); moved to {aside.name}, starting empty"
        log.warning("%s", self.recovered)
        return self._open()

    def _reset_after(self, error: sqlite3.DatabaseError) -> None:
        """Damage found after opening (a page read mid-run): same remedy, under the lock."""
        self._db.close()
        self._db = self._replace(error)

    def get_many(self, model: str, hashes: Sequence[str], dim: int | None = None) -> dict[str, np.ndarray]:
        """Usable cached vectors by text hash; rows that are not (see `usable_vector`) count as missing."""
        found: dict[str, np.ndarray] = {}
        invalid = 0
        with self._lock:
            for start in range(0, len(hashes), 500):
                batch = list(hashes[start : start + 500])
                marks = ",".join("?" * len(batch))
                query = (  # CAST: a row whose vector became text must read as bytes, not fail to decode
                    f"SELECT text_hash, CAST(vector AS BLOB) FROM embeddings WHERE model = ? AND text_hash IN ({marks})"
                )
                try:
                    rows = self._db.execute(query, [model, *batch]).fetchall()
                except sqlite3.DatabaseError as error:
                    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                        raise
                    self._reset_after(error)
                    return {}
                for text_hash, blob in rows:
                    vector = usable_vector(bytes(blob), dim) if isinstance(blob, bytes) else None
                    if vector is None:
                        invalid += 1
                        continue
                    found[text_hash] = vector
            if invalid:
                self.invalid_rows += invalid
                log.warning("embedding cache %s: %d unusable %s vectors, recomputed", self.path, invalid, model)
        return found

    def put_many(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(model, h, int(v.shape[0]), np.asarray(v, np.float32).tobytes()) for h, v in items]
        with self._lock:
            try:
                self._write(rows)
            except sqlite3.DatabaseError as error:
                if disk_full(error):
                    raise IndexWriteError(errno.ENOSPC, f"no space left on the device holding {self.path}") from None
                if isinstance(error, sqlite3.OperationalError):
                    raise  # locked, read-only: not damage, and a new file would not help
                self._reset_after(error)
                self._write(rows)

    def _write(self, rows: list[tuple[str, str, int, bytes]]) -> None:
        self._db.execute("BEGIN")
        try:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def count(self, model: str | None = None) -> int:
        with self._lock:
            if model is None:
                return int(self._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            return int(self._db.execute("SELECT COUNT(*) FROM embeddings WHERE model = ?", [model]).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


@dataclass(frozen=True)
class CacheCheck:
    """What `kb doctor` and the health check report about the cache file, read-only."""

    path: str
    state: str  # "ok", "missing", "corrupt", "invalid-rows"
    rows: int = 0
    invalid_rows: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("ok", "missing")

    def line(self) -> str:
        if self.state == "ok":
            return f"embedding cache: ok ({self.rows} vectors)"
        if self.state == "missing":
            return "embedding cache: none yet (the next `kb index` creates it)"
        if self.state == "corrupt":
            return f"embedding cache: CORRUPT ({self.detail}); the next `kb index` replaces it and re-embeds"
        return (
            f"embedding cache: {self.invalid_rows} of {self.rows} vectors unusable (wrong length, zero or not "
            "finite); the next `kb index` recomputes them"
        )

    def as_json(self) -> dict[str, object]:
        return {"path": self.path, "state": self.state, "rows": self.rows, "invalid_rows": self.invalid_rows,
                "detail": self.detail}  # fmt: skip


def check_cache(path: Path, dims: dict[str, int] | None = None) -> CacheCheck:
    """Read-only inspection: opens the file read-only and checks every row.

    `dims` gives each model id's vector length; a model not in it is expected to have the length
    most of its rows have (so `kb doctor` need not load the models to know their sizes).
    """
    if not path.exists():
        return CacheCheck(str(path), "missing")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError as error:
        return CacheCheck(str(path), "corrupt", detail=str(error))
    try:
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            return CacheCheck(str(path), "corrupt", detail=f"quick_check: {verdict}"[:200])
        usual: dict[str, int] = {}
        lengths = "SELECT model, length(CAST(vector AS BLOB)), COUNT(*) FROM embeddings GROUP BY 1, 2 ORDER BY 3"
        for model, length, _ in db.execute(lengths):
            usual[model] = int(length or 0) // 4  # ordered by count: the last is the most common
        expected = {**usual, **(dims or {})}
        rows = invalid = 0
        for model, blob in db.execute("SELECT model, CAST(vector AS BLOB) FROM embeddings"):
            rows += 1
            dim = expected.get(model)
            if not isinstance(blob, bytes) or usable_vector(blob, dim) is None:
                invalid += 1
    except sqlite3.DatabaseError as error:
        return CacheCheck(str(path), "corrupt", detail=str(error))
    finally:
        db.close()
    return CacheCheck(str(path), "invalid-rows" if invalid else "ok", rows, invalid)
