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

Damage is survived, not fatal (issue #12, item 9): a `CURRENT` that is empty, not text, or names a
version that is missing or incomplete, and a live shard that fails to open or to read, each make
the store say so in one logged line and serve the newest complete version that does open; a writer
starts from that same version (or empty, when none opens), so `kb index` repairs the index by
publishing a new one. `health()` reports what is served and why.

Opening a version costs a large help center half a second (`EdgeShard.load` holds the interpreter
while it runs), so it is kept off the customer's path:
- the process that writes a version serves it from the shard it wrote (`EdgeWriter.publish`), with
  no reopening at all;
- a serving process (`defer_reopen`, after warm-up) opens a version another process published on its
  background builder (`reopen`, between searches); a search that comes first keeps the version it
  has open, minus every article the new version withdrew (deleted, or no longer at the visibility it
  had), which each version lists in `CHANGES.json` beside the version it was written from. A
  version without that list (a rebuild), or written from another version than the one served, is
  opened by the read that finds it, as before.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

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
    MatchAny,
    Memory,
    Modifier,
    PayloadSchemaType,
    PayloadSelector,
    Point,
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
    STORED_FIELDS,
    Hit,
    IndexPoint,
    IndexSpaceError,
    IndexWriteError,
    PayloadFilter,
    Source,
    StoreBusyError,
    StoredArticle,
    StoreQuery,
    dense_matrix,
    disk_full,
    group_stored_articles,
    store_answers,
)
from indexer.stores.shard_digest import ShardDamaged, check_digest, write_digest

_COMPLETE = "COMPLETE"
_SCHEMA = "schema.json"
_CHANGES = "CHANGES.json"  # {"base": version written from, "withdrawn": [article keys]}
_DEFER_CHAIN = 8  # versions a deferring reader may be behind and still serve the open one meanwhile
_KEEP_OLD_VERSIONS = 2  # a reader may still be on the version before last for a moment
T = TypeVar("T")
_VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

log = logging.getLogger(__name__)


_MEMORY_FILE_SYSTEMS = ("tmpfs", "ramfs", "shm")


def file_system_type(path: Path) -> str:
    """The type of the file system holding `path`, from /proc/mounts (longest matching mount point)."""
    try:
        mounts = Path("/proc/mounts").read_text("utf-8").splitlines()
    except OSError:
        return ""
    target = str(path.resolve())
    best, kind = "", ""
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


# Headroom a new version needs beyond twice the live one's allocated size: qdrant-edge writes its
# fresh segments through memory maps of sparse files, and a page it dirties on a full disk is a
# SIGBUS (exit 135, no message), not an error it can report. An empty demo version allocates ~3 MB.
MIN_FREE_TO_WRITE = 32 * 2**20


def allocated_bytes(directory: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in directory.rglob("*") if p.is_file()) if directory.is_dir() else 0


def check_room_to_write(root: Path, live: Path | None) -> None:
    """Raise IndexWriteError before writing a version on a file system that cannot hold it."""
    needed = MIN_FREE_TO_WRITE + 2 * (allocated_bytes(live) if live is not None else 0)
    free = shutil.disk_usage(root).free
    if free < needed:
        raise IndexWriteError(
            errno.ENOSPC,
            f"no space left on the device holding {root} ({free // 2**20} MiB free, a new index version "
            f"needs about {needed // 2**20} MiB); the previous index keeps serving",
        )


def check_room_to_open(directory: Path) -> None:
    """Raise IndexSpaceError when `directory` is on tmpfs without room for its holes to be filled."""
    if file_system_type(directory) not in _MEMORY_FILE_SYSTEMS:
        return
    holes = 0
    for path in directory.rglob("*"):
        if path.is_file():
            stat = path.stat()
            holes += max(0, stat.st_size - stat.st_blocks * 512)
    free = shutil.disk_usage(directory).free
    if holes > free:
        raise IndexSpaceError(
            errno.ENOSPC,
            f"the index in {directory} is on tmpfs with {free // 2**20} MiB free, but opening it can take up "
            f"to {holes // 2**20} MiB more (its files are sparse and tmpfs fills what is read); "
            "give the tmpfs more room or put KB_DATA_DIR on a disk",
        )


def _filter(payload_filter: PayloadFilter, withdrawn: frozenset[str] = frozenset()) -> Filter | None:
    """The store's filter; `withdrawn` article keys are excluded (a previous version served while the
    new one opens)."""
    conditions: list[Any] = [
        FieldCondition(key=name, match=MatchAny(list(values))) for name, values in payload_filter.conditions().items()
    ]
    excluded: list[Any] = [FieldCondition(key="key", match=MatchAny(sorted(withdrawn)))] if withdrawn else []
    return Filter(must=conditions or None, must_not=excluded or None) if conditions or excluded else None


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


def _payload_selector(fields: Sequence[str] | None) -> Any:
    return PayloadSelector.Include(list(fields)) if fields else True


def _requests(query: StoreQuery, withdrawn: frozenset[str] = frozenset()) -> list[QueryRequest]:
    """A single source's nearest points with their payloads; for several, each source's `candidates` nearest
    without payloads, to be fused (`base.fused`)."""
    single = len(query.sources) == 1
    return [
        QueryRequest(
            limit=query.limit if single else query.candidates,
            query=Query.Nearest(_vector(source), using=source.vector_name),
            filter=_filter(_merge(query.filter, source.filter), withdrawn),
            with_payload=_payload_selector(query.payload_fields) if single else False,
        )
        for source in query.sources
    ]


def _payloads_of(shard: EdgeShard, ids: list[str], fields: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """The points' payloads by id (a fused list's sources were read without them)."""
    records = shard.retrieve(list(ids), with_payload=_payload_selector(fields), with_vector=False)
    return {str(record.id): dict(record.payload or {}) for record in records}


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
        self._bad: dict[str, str] = {}  # version -> why it cannot be read (this process's finding)
        self._fallback = ""  # why the version served is not the one CURRENT names
        self._defer = False  # `defer_reopen`: a read serves the open version while `reopen` is due
        # A newer version published but not opened yet (deferred): CURRENT's mtime when found, and the
        # article keys it withdrew from the version served, excluded from every query until `reopen`.
        self._pending_mtime: int | None = None
        self._pending: _Pending | None = None
        self._previous_withdrawn: frozenset[str] = frozenset()

    # -- reading ---------------------------------------------------------------------------------

    def current_version(self) -> str | None:
        """The version `CURRENT` names, when it names a complete one; None otherwise (see `pointer_problem`)."""
        name, problem = self._read_pointer()
        return None if problem else name

    def _read_pointer(self) -> tuple[str | None, str]:
        """(name, problem): problem is "" when CURRENT names a complete version, else one line saying why not."""
        try:
            raw = self._pointer.read_bytes()
        except FileNotFoundError:  # never published (an empty index), unless versions say otherwise
            return None, "CURRENT is missing" if self.complete_versions() else ""
        except OSError as error:
            return None, f"CURRENT cannot be read ({error.strerror or error})"
        try:
            name = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            return None, f"CURRENT is not text ({len(raw)} bytes of binary data)"
        if not name:
            return None, "CURRENT is empty"
        if not _VERSION_NAME.fullmatch(name):
            return None, f"CURRENT does not hold a version name ({name[:40]!r})"
        if not (self._versions / name).is_dir():
            return name, f"CURRENT names {name}, which is not on disk"
        if not (self._versions / name / _COMPLETE).exists():
            return name, f"CURRENT names {name}, which is incomplete"
        return name, ""

    def complete_versions(self) -> list[str]:
        """Published versions on disk, newest first (names start with their UTC time stamp)."""
        if not self._versions.is_dir():
            return []
        names = [d.name for d in self._versions.iterdir() if d.is_dir() and (d / _COMPLETE).exists()]
        return sorted(names, reverse=True)

    def _candidates(self) -> tuple[list[str], str]:
        """Versions to try in order (CURRENT's first when it is sound), and CURRENT's problem if any."""
        name, problem = self._read_pointer()
        order = [name] if name and not problem else []
        order += [v for v in self.complete_versions() if v not in order]
        return [v for v in order if v not in self._bad], problem

    def defer_reopen(self) -> None:
        """From now on a version published by another process is opened by `reopen` (the serving
        process's builder, between searches), not by the read that finds it: reads meanwhile serve
        the version open, without the articles the new one withdrew (see the module's docstring)."""
        self._defer = True

    def reopen(self) -> None:
        """Open the newest published version now, if it is not the one served."""
        self._reader(defer=False)

    def _reader(self, defer: bool | None = None) -> EdgeShard | None:
        """The shard of the live version, reopened when a writer has published a new one (unless the
        reopen is deferred and the new version says what it withdrew: see `_defer_to`)."""
        defer = self._defer if defer is None else defer
        try:
            mtime = self._pointer.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if self._shard is not None and (mtime == self._pointer_mtime or (defer and mtime == self._pending_mtime)):
            return self._shard
        with self._lock:
            if self._shard is not None and mtime == self._pointer_mtime:
                return self._shard
            if self._shard is not None and defer and mtime is not None and self._defer_to(mtime):
                return self._shard
            candidates, problem = self._candidates()
            if self._shard is not None and candidates and candidates[0] == self._version:
                self._pointer_mtime = mtime
                return self._shard
            for version in candidates:
                check_room_to_open(self._versions / version / "shard")
                try:
                    check_digest(self._versions / version)  # before the engine parses a damaged file
                    shard = self._open_for_reading(self._versions / version / "shard")
                    _probe(shard)
                except Exception as error:  # the engine reports every kind of damage as a generic error
                    self._mark_bad(version, error)
                    continue
                self._serve(shard, version)
                self._fallback = problem or (
                    f"live version {candidates[0]} is damaged" if version != candidates[0] else ""
                )
                if problem:
                    log.warning("index %s: %s; serving %s, the newest complete version", self.root, problem, version)
                break
            else:
                if problem or self._bad:
                    why = problem or "every version is damaged"
                    log.warning("index %s: %s; no complete version opens", self.root, why)
                self._fallback = problem
            self._pointer_mtime = mtime
            return self._shard

    def _serve(self, shard: EdgeShard, version: str) -> None:
        """Serve `shard` from now on (under the lock); the one it replaces stays open for the reads
        still running on it, until the next switch."""
        if self._previous is not None:
            self._previous.close()
        self._previous, self._shard, self._version = self._shard, shard, version
        # A read still running on the replaced shard keeps leaving out what the new version withdrew.
        self._previous_withdrawn = self._pending.withdrawn if self._pending is not None else frozenset()
        self._pending_mtime, self._pending = None, None

    def _defer_to(self, mtime: int) -> bool:
        """Whether the version CURRENT now names can wait for `reopen` (under the lock): it is complete
        and lists what it withdrew from the version served (or from the one already pending). Its
        withdrawn keys are then excluded from the served version's answers."""
        name, problem = self._read_pointer()
        if problem or name is None:
            return False
        withdrawn: frozenset[str] = frozenset()
        version = name
        for _ in range(_DEFER_CHAIN):  # several syncs before one reopen: back to the version served
            changes = _read_changes(self._versions / version)
            if changes is None:
                return False
            version, withdrawn = changes[0], withdrawn | changes[1]
            if version == self._version:
                break
        else:
            return False
        self._pending, self._pending_mtime = _Pending(name, withdrawn), mtime
        return True

    def _adopt(self, shard: EdgeShard, version: str) -> None:
        """Serve the version this process just published from the shard that wrote it (no reopen)."""
        try:
            mtime: int | None = self._pointer.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        with self._lock:
            self._serve(shard, version)
            self._bad.pop(version, None)
            self._fallback = ""
            self._pointer_mtime = mtime

    def _withdrawn(self, shard: EdgeShard) -> frozenset[str]:
        """The article keys a query on `shard` must leave out: those a newer, not yet opened version withdrew."""
        pending = self._pending
        if shard is self._shard:
            return pending.withdrawn if pending is not None else frozenset()
        return self._previous_withdrawn if shard is self._previous else frozenset()

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

    def _mark_bad(self, version: str, error: BaseException) -> None:
        reason = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        self._bad[version] = reason
        log.warning("index %s: version %s is damaged (%s); falling back", self.root, version, reason)

    def _on_read_error(self, shard: EdgeShard, error: Exception) -> bool:
        """After a failed read: True when the shard proved damaged and another version should be tried."""
        try:
            _probe(shard)
        except Exception:
            with self._lock:
                if self._shard is shard and self._version is not None:
                    self._mark_bad(self._version, error)
                    self._shard, self._pointer_mtime = None, None
            return True
        return False

    def health(self) -> dict[str, Any]:
        """What is served and why: for `/api/v1/health` and `kb doctor`."""
        self._reader()
        _, problem = self._read_pointer()
        state = "ok" if self._version and not problem and not self._fallback else "degraded"
        if self._version is None:
            state = "damaged" if problem or self._bad else "empty"
        return {
            "engine": "qdrant-edge",
            "state": state,
            "serving": self._version,
            "pointer": problem or "ok",
            "fallback": self._fallback or None,
            "damaged_versions": dict(self._bad),
            "complete_versions": self.complete_versions(),
        }

    def _read(self, action: Callable[[EdgeShard], T], empty: T) -> T:
        """Run a read on the live shard; a version found damaged mid-read gives way to the next one."""
        for _ in range(3):
            shard = self._reader()
            if shard is None:
                return empty
            try:
                return action(shard)
            except Exception as error:
                if not self._on_read_error(shard, error):
                    raise
        return empty

    def query(self, queries: Sequence[StoreQuery]) -> list[list[Hit]]:
        """One batch of every query's sources; several sources are fused here (`base.fused`), not by Qdrant, so
        equal scores come out in the same order in every call and process, and their payloads are read after."""

        def run(shard: EdgeShard) -> list[list[Hit]]:
            withdrawn = self._withdrawn(shard)
            requests = [r for q in queries for r in _requests(q, withdrawn)]
            batch = shard.query_batch(QueryBatchRequest(requests)) if len(requests) > 1 else [shard.query(requests[0])]
            lists = ([Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in points] for points in batch)
            return store_answers(queries, lists, partial(_payloads_of, shard))

        return self._read(run, [[] for _ in queries])

    def count(self, filter: PayloadFilter | None = None) -> int:
        request = CountRequest(filter=_filter(filter) if filter else None, exact=True)
        return self._read(lambda shard: int(shard.count(request)), 0)

    def stored_articles(self) -> dict[str, StoredArticle]:
        return self._read(_stored_articles, {})

    def payloads(self, fields: Sequence[str]) -> list[dict[str, Any]]:
        return self._read(lambda shard: [payload for _, payload in _payloads(shard, fields)], [])

    def dense_vectors(self, name: str, fields: Sequence[str]) -> tuple[list[dict[str, Any]], np.ndarray]:
        def run(shard: EdgeShard) -> tuple[list[dict[str, Any]], np.ndarray]:
            rows = _records(shard, fields, name)
            return [p for _, p, _ in rows], dense_matrix([v for _, _, v in rows])

        empty: tuple[list[dict[str, Any]], np.ndarray] = ([], dense_matrix([]))
        return self._read(run, empty)

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
            self._pending_mtime, self._pending = None, None
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
        target: Path | None = None
        try:
            self._remove_stale_versions()
            live_name, problem = self._read_pointer()
            check_room_to_write(self.root, self._versions / live_name if live_name and not problem else None)
            name = _version_name()
            target = self._versions / name
            shard, base = (None, None) if rebuild else self._copy_of_live(dims, target)
            if shard is None:  # first index, rebuild, new embedders, or no version opens: start empty
                target.mkdir(parents=True)
                (target / _SCHEMA).write_text(json.dumps(_schema(dims), sort_keys=True), "utf-8")
                shard = EdgeShard.create(str(target / "shard"), _config(dims))
                for name_ in KEYWORD_FIELDS:
                    shard.update(UpdateOperation.create_field_index(name_, PayloadSchemaType.Keyword))
            return EdgeWriter(self, shard, target, lock_file, base)
        except (IndexSpaceError, IndexWriteError):
            _discard(lock_file, target)
            raise
        except OSError as error:
            _discard(lock_file, target)
            raise _write_error(error, self.root) from None
        except Exception as error:
            _discard(lock_file, target)
            if disk_full(error):
                raise _write_error(OSError(errno.ENOSPC, str(error)), self.root) from None
            raise
        except BaseException:
            lock_file.close()
            raise

    def _copy_of_live(self, dims: dict[str, int], target: Path) -> tuple[EdgeShard | None, str | None]:
        """A writable copy of the newest sound version with this schema, and that version's name;
        (None, None) when there is none."""
        candidates, problem = self._candidates()
        if problem:
            log.warning("index %s: %s; building on the newest complete version", self.root, problem)
        for version in candidates:
            if _read_schema(self._versions / version) != _schema(dims):
                return None, None  # the deployment changed its embedders: older versions are no better
            try:
                check_digest(self._versions / version)
            except ShardDamaged as damage:
                self._mark_bad(version, damage)
                continue
            try:
                _copy_tree(self._versions / version / "shard", target / "shard")
                shutil.copy2(self._versions / version / _SCHEMA, target / _SCHEMA)
            except shutil.Error as error:
                raise _write_error(error, self.root) from None
            check_room_to_open(target / "shard")
            try:
                shard = EdgeShard.load(str(target / "shard"))
                _probe(shard)
                return shard, version
            except Exception as error:
                self._mark_bad(version, error)
                shutil.rmtree(target, ignore_errors=True)
        return None, None

    def _publish(self, version_dir: Path) -> None:
        write_digest(version_dir)
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
        live, _ = self._read_pointer()
        complete = sorted(
            (d for d in self._versions.iterdir() if d.is_dir() and (d / _COMPLETE).exists() and d.name != live),
            key=lambda d: d.name,
        )
        stale = [d for d in self._versions.iterdir() if d.is_dir() and not (d / _COMPLETE).exists() and d.name != live]
        stale += complete[:-_KEEP_OLD_VERSIONS] if len(complete) > _KEEP_OLD_VERSIONS else []
        for directory in stale:
            shutil.rmtree(directory, ignore_errors=True)


class EdgeWriter:
    def __init__(
        self, store: EdgeStore, shard: EdgeShard, directory: Path, lock_file: Any, base: str | None = None
    ) -> None:
        self._store = store
        self._shard = shard
        self._directory = directory
        self._lock_file = lock_file
        self._open = True
        self._base = base  # the version this one is a copy of (None: written from empty)
        self._touched: set[tuple[str, str]] = set()  # (article key, visibility) of every point replaced

    def stored_articles(self) -> dict[str, StoredArticle]:
        return _stored_articles(self._shard)

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        if points:
            self._touch([p.id for p in points])
            self._shard.update(UpdateOperation.upsert_points([_point(p) for p in points]))

    def delete(self, point_ids: Sequence[str]) -> None:
        if point_ids:
            self._touch(point_ids)
            self._shard.update(UpdateOperation.delete_points(list(point_ids)))

    def _touch(self, point_ids: Sequence[str]) -> None:
        """Note the article and visibility of each point about to be replaced or deleted (`_withdrawn`)."""
        if self._base is None:
            return
        fields = PayloadSelector.Include(["key", "visibility"])
        for record in self._shard.retrieve(list(point_ids), with_payload=fields, with_vector=False):
            payload = dict(record.payload or {})
            self._touched.add((str(payload.get("key", "")), str(payload.get("visibility", ""))))

    def _withdrawn(self) -> list[str]:
        """The article keys the base version showed at a visibility this one no longer shows all of
        them at (deleted articles, articles made internal, in whole or in part): a reader still
        serving the base leaves them out. An article edited at the same visibility is not withdrawn."""
        gone = set()
        for key, visibility in self._touched:
            everything = self._shard.count(CountRequest(filter=_filter(PayloadFilter(article_keys=(key,))), exact=True))
            match = PayloadFilter(article_keys=(key,), visibilities=(visibility,))
            same = self._shard.count(CountRequest(filter=_filter(match), exact=True))
            if not same or same != everything:
                gone.add(key)
        return sorted(gone)

    def publish(self) -> None:
        try:
            self._shard.optimize()
            self._shard.flush()
            if self._base is not None:
                changes = {"base": self._base, "withdrawn": self._withdrawn()}
                (self._directory / _CHANGES).write_text(json.dumps(changes, ensure_ascii=False), "utf-8")
            self._store._publish(self._directory)
        except OSError as error:
            self.abort()
            raise _write_error(error, self._store.root) from None
        except Exception as error:  # the engine reports a failed write (ENOSPC too) as a generic error
            self.abort()
            if disk_full(error):
                message = f"no space left on the device holding {self._store.root}; the previous index keeps serving"
                raise IndexWriteError(errno.ENOSPC, message) from None
            raise
        self._open = False
        self._store._adopt(self._shard, self._directory.name)  # this process serves it as written
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


def _version_name() -> str:
    """Names sort by creation to the nanosecond: "newest complete version" must not depend on a
    random suffix when several versions are written within one second (tests, quick syncs)."""
    now = time.time_ns()
    return f"v{time.strftime('%Y%m%d%H%M%S', time.localtime(now // 10**9))}{now % 10**9:09d}-{uuid.uuid4().hex[:8]}"


def _discard(lock_file: Any, target: Path | None) -> None:
    """Undo a writer that could not start: release the lock, remove its half-made version."""
    lock_file.close()
    if target is not None:
        shutil.rmtree(target, ignore_errors=True)


def _probe(shard: EdgeShard) -> None:
    """Read a little of everything a query touches (ids, payload, vectors); raises on a damaged shard."""
    shard.count(CountRequest(exact=True))
    shard.scroll(ScrollRequest(limit=1, with_payload=True, with_vector=True))


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, copy_function=copy_sparse)


def _write_error(error: OSError | shutil.Error, root: Path) -> IndexWriteError:
    """One line for a failed write, instead of shutil.Error's list of every file it could not copy."""
    causes = error.args[0] if isinstance(error, shutil.Error) and error.args else []
    if isinstance(causes, list) and causes:
        why = str(causes[0][2]) if len(causes[0]) > 2 else str(causes[0])
        full = any(disk_full(c[2] if len(c) > 2 else c) for c in causes)
    else:
        why = error.strerror or str(error) if isinstance(error, OSError) else str(error)
        full = disk_full(error)
    if full:
        message = f"no space left on the device holding {root}; the previous index keeps serving"
        return IndexWriteError(errno.ENOSPC, message)
    message = f"cannot write a new index version in {root}: {why}; the previous index keeps serving"
    return IndexWriteError(getattr(error, "errno", None) or errno.EIO, message[:300])


def _point(point: IndexPoint) -> Point:
    vectors: dict[str, Any] = {name: [float(x) for x in vec] for name, vec in point.dense.items()}
    if point.sparse:
        vectors[SPARSE_VECTOR] = EdgeSparseVector(list(point.sparse.indices), list(point.sparse.values))
    return Point(point.id, vectors, point.payload)


def _config(dims: dict[str, int]) -> EdgeConfig:
    return EdgeConfig(
        # Cold: the vectors are read through the page cache, not copied into memory when a version opens
        # (`EdgeShard.load` populated the whole 32 MB chunk files, holes included: 88 -> 52 ms per open on
        # m365, same query time and results; bench/RESULTS.md "Session 8, storeopen"). A version copied
        # from an older one keeps that one's storage until a rebuild (`kb index --rebuild`).
        vectors={
            name: EdgeVectorParams(size=dim, distance=Distance.Cosine, memory=Memory.Cold) for name, dim in dims.items()
        },
        sparse_vectors={SPARSE_VECTOR: EdgeSparseVectorParams(modifier=Modifier.Idf)},
        # A version is written by one writer, flushed, and never changed after publishing, so a
        # write-ahead log buys nothing; without it readers in several processes can share it.
        wal_enabled=False,
    )


def _schema(dims: dict[str, int]) -> dict[str, object]:
    return {"dense": dims, "sparse": SPARSE_VECTOR}


@dataclass(frozen=True)
class _Pending:
    """A published version a deferring reader has not opened yet, and what it withdrew."""

    version: str
    withdrawn: frozenset[str]


def _read_changes(version_dir: Path) -> tuple[str, frozenset[str]] | None:
    """(base version, withdrawn article keys) from a version's CHANGES.json; None without a sound one."""
    try:
        changes = json.loads((version_dir / _CHANGES).read_text("utf-8"))
        return str(changes["base"]), frozenset(str(key) for key in changes["withdrawn"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read_schema(version_dir: Path) -> dict[str, object] | None:
    try:
        return json.loads((version_dir / _SCHEMA).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _payloads(shard: EdgeShard, fields: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    return [(point_id, payload) for point_id, payload, _ in _records(shard, fields)]


def _records(
    shard: EdgeShard, fields: Sequence[str], vector: str | None = None
) -> list[tuple[str, dict[str, Any], Any]]:
    """Every point's id, selected payload fields and, when `vector` names one, that dense vector."""
    records: list[tuple[str, dict[str, Any], Any]] = []
    offset: Any = None
    with_vector = [vector] if vector else None
    while True:
        request = ScrollRequest(
            offset=offset, limit=1000, with_payload=PayloadSelector.Include(list(fields)), with_vector=with_vector
        )
        batch, offset = shard.scroll(request)
        for r in batch:
            vectors = r.vector if vector and isinstance(r.vector, dict) else {}
            records.append((str(r.id), dict(r.payload or {}), vectors.get(vector) if vector else None))
        if offset is None:
            return records


def _stored_articles(shard: EdgeShard) -> dict[str, StoredArticle]:
    return group_stored_articles(_payloads(shard, STORED_FIELDS))
