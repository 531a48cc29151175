"""qdrant-edge, in-process, with versioned index directories.

qdrant-edge lets one process open a shard directory. So writers never touch the directory readers
have open: a write copies the live version into a new directory, applies its changes there, and
publishes by atomically replacing the `CURRENT` pointer. Readers (the web server, `kb search`)
notice the new pointer on their next query and switch. Consequences, all deliberate:

- `kb index` works while `kb serve` runs on the same data directory, without a lock error;
- a crash (even `kill -9`) mid-write leaves `CURRENT` on the previous complete version, and the
  next run removes the half-written directory and redoes the work (embeddings are cached);
- a full rebuild fills an empty version and only then replaces the live one: search never sees
  an empty or half-built index.

Writers are serialised by an advisory lock on `writer.lock`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    FieldCondition,
    Filter,
    Fusion,
    MatchAny,
    Modifier,
    PayloadSchemaType,
    PayloadSelector,
    Point,
    Prefetch,
    Query,
    QueryBatchRequest,
    QueryRequest,
    ScrollRequest,
    UpdateOperation,
)
from qdrant_edge import SparseVector as EdgeSparseVector

from indexer.lexical import SPARSE_VECTOR, SparseVector
from indexer.stores.base import (
    KEYWORD_FIELDS,
    Hit,
    IndexPoint,
    PayloadFilter,
    Source,
    StoreBusyError,
    StoredArticle,
    StoreQuery,
    group_stored_articles,
)

_COMPLETE = "COMPLETE"
_SCHEMA = "schema.json"
_KEEP_OLD_VERSIONS = 2  # a reader may still be on the version before last for a moment


def _filter(payload_filter: PayloadFilter) -> Filter | None:
    conditions: list[Any] = [
        FieldCondition(key=name, match=MatchAny(list(values))) for name, values in payload_filter.conditions().items()
    ]
    return Filter(must=conditions) if conditions else None


def _merge(a: PayloadFilter, b: PayloadFilter) -> PayloadFilter:
    """The stricter of two filters, field by field (both must hold)."""

    def both(x: tuple[str, ...] | None, y: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if x is None:
            return y
        if y is None:
            return x
        return tuple(v for v in x if v in y)

    return PayloadFilter(
        langs=both(a.langs, b.langs),
        visibilities=both(a.visibilities, b.visibilities),
        categories=both(a.categories, b.categories),
        article_keys=both(a.article_keys, b.article_keys),
    )


def _vector(source: Source) -> Any:
    if isinstance(source.vector, SparseVector):
        return EdgeSparseVector(list(source.vector.indices), list(source.vector.values))
    return np.asarray(source.vector, dtype=np.float32).tolist()


def _request(query: StoreQuery) -> QueryRequest:
    with_payload: Any = PayloadSelector.Include(list(query.payload_fields)) if query.payload_fields else True
    if len(query.sources) == 1:
        source = query.sources[0]
        return QueryRequest(
            limit=query.limit,
            query=Query.Nearest(_vector(source), using=source.vector_name),
            filter=_filter(_merge(query.filter, source.filter)),
            with_payload=with_payload,
        )
    prefetches = [
        Prefetch(
            limit=query.candidates,
            query=Query.Nearest(_vector(source), using=source.vector_name),
            filter=_filter(_merge(query.filter, source.filter)),
        )
        for source in query.sources
    ]
    return QueryRequest(
        limit=query.limit,
        prefetches=prefetches,
        query=Fusion.Rrf(k=query.rrf_k, weights=[s.weight for s in query.sources]),  # type: ignore[arg-type]
        filter=_filter(query.filter),
        with_payload=with_payload,
    )


def copy_sparse(source: str, target: str) -> str:
    """Copy a file's data regions only, keeping its holes.

    Qdrant's memory-mapped files are mostly preallocated and never written (a demo shard is 176 MB
    apparent, 3 MB on disk); `shutil.copy2` would write every zero, turning each incremental index
    version into 176 MB of disk and seconds of I/O. Falls back to a plain copy where the file
    system cannot report holes.
    """
    try:
        with open(source, "rb") as src, open(target, "wb") as dst:
            fd, size, offset = src.fileno(), os.fstat(src.fileno()).st_size, 0
            while offset < size:
                try:
                    start = os.lseek(fd, offset, os.SEEK_DATA)
                except OSError:  # ENXIO: only a hole is left
                    break
                end = os.lseek(fd, start, os.SEEK_HOLE)
                os.lseek(fd, start, os.SEEK_SET)
                dst.seek(start)
                while start < end:
                    chunk = os.read(fd, min(end - start, 1 << 20))
                    if not chunk:
                        break
                    dst.write(chunk)
                    start += len(chunk)
                offset = end
            dst.truncate(size)
    except (AttributeError, OSError):  # no SEEK_DATA here
        shutil.copyfile(source, target)
    shutil.copystat(source, target)
    return target


class EdgeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._versions = root / "versions"
        self._pointer = root / "CURRENT"
        self._lock = threading.Lock()
        self._shard: EdgeShard | None = None
        self._previous: EdgeShard | None = None
        self._version: str | None = None
        self._pointer_mtime: int | None = None

    # -- reading ---------------------------------------------------------------------------------

    def current_version(self) -> str | None:
        try:
            name = self._pointer.read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def _reader(self) -> EdgeShard | None:
        """The shard of the live version, reopened when a writer has published a new one."""
        try:
            mtime = self._pointer.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        if self._shard is not None and mtime == self._pointer_mtime:
            return self._shard
        with self._lock:
            version = self.current_version()
            if version is None:
                return None
            if version != self._version or self._shard is None:
                shard = self._open_for_reading(self._versions / version / "shard")
                if self._previous is not None:
                    self._previous.close()
                self._previous, self._shard, self._version = self._shard, shard, version
            self._pointer_mtime = mtime
            return self._shard

    def _open_for_reading(self, directory: Path) -> EdgeShard:
        """Open a published version; if another process has it open, read a private copy.

        qdrant-edge allows one process per shard directory. A published version never changes,
        so a second reader (`kb search` beside `kb serve`, or a second server worker) can read an
        identical copy instead of failing with a lock error.
        """
        try:
            return EdgeShard.load(str(directory))
        except Exception as error:  # the engine reports a held lock as a generic runtime error
            if "WouldBlock" not in str(error) and "lock" not in str(error).lower():
                raise
        readers = self.root / "readers"
        readers.mkdir(exist_ok=True)
        for stale in readers.iterdir():
            if stale.name.startswith(f"{os.getpid()}-"):
                continue
            with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                os.kill(int(stale.name.split("-", 1)[0]), 0)
                continue  # its process is alive
            shutil.rmtree(stale, ignore_errors=True)
        copy = readers / f"{os.getpid()}-{directory.parent.name}"
        if not copy.exists():
            shutil.copytree(directory, copy, copy_function=copy_sparse)
        return EdgeShard.load(str(copy))

    def query(self, queries: Sequence[StoreQuery]) -> list[list[Hit]]:
        shard = self._reader()
        if shard is None:
            return [[] for _ in queries]
        requests = [_request(q) for q in queries]
        results = shard.query_batch(QueryBatchRequest(requests)) if len(requests) > 1 else [shard.query(requests[0])]
        return [[Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in points] for points in results]

    def count(self, filter: PayloadFilter | None = None) -> int:
        shard = self._reader()
        if shard is None:
            return 0
        return int(shard.count(CountRequest(filter=_filter(filter) if filter else None, exact=True)))

    def stored_articles(self) -> dict[str, StoredArticle]:
        shard = self._reader()
        return _stored_articles(shard) if shard is not None else {}

    def payloads(self, fields: Sequence[str]) -> list[dict[str, Any]]:
        shard = self._reader()
        return [payload for _, payload in _payloads(shard, fields)] if shard is not None else []

    def version(self) -> str | None:
        self._reader()
        return self._version

    def close(self) -> None:
        with self._lock:
            for shard in (self._shard, self._previous):
                if shard is not None:
                    shard.close()
            self._shard = self._previous = None
            self._version = None
            self._pointer_mtime = None
            readers = self.root / "readers"
            if readers.is_dir():
                for copy in readers.glob(f"{os.getpid()}-*"):
                    shutil.rmtree(copy, ignore_errors=True)

    # -- writing ---------------------------------------------------------------------------------

    def writer(self, dims: dict[str, int], rebuild: bool = False) -> EdgeWriter:
        self.root.mkdir(parents=True, exist_ok=True)
        self._versions.mkdir(exist_ok=True)
        lock_file = open(self.root / "writer.lock", "a+")  # noqa: SIM115 - held until publish/abort
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise StoreBusyError(
                f"another `kb index` is writing to {self.root}; wait for it to finish and run again"
            ) from None
        try:
            self._remove_stale_versions()
            name = f"v{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
            target = self._versions / name
            live = self.current_version()
            if live is not None and not rebuild and _read_schema(self._versions / live) == _schema(dims):
                shutil.copytree(self._versions / live / "shard", target / "shard", copy_function=copy_sparse)
                shutil.copy2(self._versions / live / _SCHEMA, target / _SCHEMA)
                shard = EdgeShard.load(str(target / "shard"))
            else:  # first index, rebuild, or the deployment changed its embedders: start empty
                target.mkdir(parents=True)
                (target / _SCHEMA).write_text(json.dumps(_schema(dims), sort_keys=True), "utf-8")
                shard = EdgeShard.create(str(target / "shard"), _config(dims))
                for name_ in KEYWORD_FIELDS:
                    shard.update(UpdateOperation.create_field_index(name_, PayloadSchemaType.Keyword))
            return EdgeWriter(self, shard, target, lock_file)
        except BaseException:
            lock_file.close()
            raise

    def _publish(self, version_dir: Path) -> None:
        (version_dir / _COMPLETE).write_text("ok", "utf-8")
        tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(version_dir.name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._pointer)
        with contextlib.suppress(OSError):
            directory = os.open(self.root, os.O_RDONLY)
            os.fsync(directory)
            os.close(directory)

    def _remove_stale_versions(self) -> None:
        """Delete half-written versions and all but the newest few complete ones."""
        live = self.current_version()
        complete = sorted(
            (d for d in self._versions.iterdir() if d.is_dir() and (d / _COMPLETE).exists() and d.name != live),
            key=lambda d: d.name,
        )
        stale = [d for d in self._versions.iterdir() if d.is_dir() and not (d / _COMPLETE).exists() and d.name != live]
        stale += complete[:-_KEEP_OLD_VERSIONS] if len(complete) > _KEEP_OLD_VERSIONS else []
        for directory in stale:
            shutil.rmtree(directory, ignore_errors=True)


class EdgeWriter:
    def __init__(self, store: EdgeStore, shard: EdgeShard, directory: Path, lock_file: Any) -> None:
        self._store = store
        self._shard = shard
        self._directory = directory
        self._lock_file = lock_file
        self._open = True

    def stored_articles(self) -> dict[str, StoredArticle]:
        return _stored_articles(self._shard)

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        if points:
            self._shard.update(UpdateOperation.upsert_points([_point(p) for p in points]))

    def delete(self, point_ids: Sequence[str]) -> None:
        if point_ids:
            self._shard.update(UpdateOperation.delete_points(list(point_ids)))

    def publish(self) -> None:
        self._shard.optimize()
        self._shard.flush()
        self._shard.close()
        self._open = False
        self._store._publish(self._directory)
        self._release()

    def abort(self) -> None:
        if self._open:
            self._shard.close()
            self._open = False
        shutil.rmtree(self._directory, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()


def _point(point: IndexPoint) -> Point:
    vectors: dict[str, Any] = {name: [float(x) for x in vec] for name, vec in point.dense.items()}
    if point.sparse:
        vectors[SPARSE_VECTOR] = EdgeSparseVector(list(point.sparse.indices), list(point.sparse.values))
    return Point(point.id, vectors, point.payload)


def _config(dims: dict[str, int]) -> EdgeConfig:
    return EdgeConfig(
        vectors={name: EdgeVectorParams(size=dim, distance=Distance.Cosine) for name, dim in dims.items()},
        sparse_vectors={SPARSE_VECTOR: EdgeSparseVectorParams(modifier=Modifier.Idf)},
        # A version is written by one writer, flushed, and never changed after publishing, so a
        # write-ahead log buys nothing; without it readers in several processes can share it.
        wal_enabled=False,
    )


def _schema(dims: dict[str, int]) -> dict[str, object]:
    return {"dense": dims, "sparse": SPARSE_VECTOR}


def _read_schema(version_dir: Path) -> dict[str, object] | None:
    try:
        return json.loads((version_dir / _SCHEMA).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _payloads(shard: EdgeShard, fields: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    records: list[tuple[str, dict[str, Any]]] = []
    offset: Any = None
    while True:
        request = ScrollRequest(offset=offset, limit=1000, with_payload=PayloadSelector.Include(list(fields)))
        batch, offset = shard.scroll(request)
        records.extend((str(r.id), dict(r.payload or {})) for r in batch)
        if offset is None:
            return records


def _stored_articles(shard: EdgeShard) -> dict[str, StoredArticle]:
    return group_stored_articles(_payloads(shard, ("key", "path", "file_hash")))
