"""Values derived from the live index (its article keys, its vocabulary), rebuilt when it changes.

Building one means reading every point's payload, which is too slow for every request and
pointless while the index stays the same. The store's `version()` says when it changed; it is
asked at most every few seconds, and the value is rebuilt only when the answer differs.

Every value reads the same few payload fields (titles, headings, article ids, languages, chunk
texts), so they read them from one `IndexSnapshot` per store: the payloads are read once per index
version, whichever value asks first, and shared by all of them (a sync costs one payload read, not
one per value: about 35 ms each on m365).

A value that only refines ranking (the mined term table, the hub shares, the title vectors) can be
rebuilt in the background: the searches that arrive meanwhile use the previous index version's
value, so the first customer after a sync does not wait for it. Such a value can also be started
ahead of its first use (`refresh`, after a sync or at start-up); a search that arrives before that
first build is done reads `peek()` as None and ranks as with the value's lever off. Values that
decide what may be shown (which articles exist for an audience) are always rebuilt before the
search that needs them.

Background rebuilds run one at a time on one builder thread per process (`_Builder`), in the order
they were asked for. A search that finds the index changed only queues them: it neither waits for a
thread to start (~0.1 s each under load, ten of them after a sync) nor competes for the interpreter
with ten builds at once, only with one. A caller that must have a queued value now (`wait`, a first
`get`, a build that needs another view) runs it in its own thread instead of waiting for its turn,
so a build waiting for another can never wait on the queue behind itself.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from indexer.stores.base import VectorStore

T = TypeVar("T")
CHECK_EVERY_S = 2.0
# The payload fields the index's derived values read (copilot.retrieval, calibration, hub_articles,
# term_table, expansion.Vocabulary, article_sections): read together, once per index version.
SNAPSHOT_FIELDS = (
    "key",
    "lang",
    "article_id",
    "title",
    "section",
    "heading_path",
    "anchor",
    "ordinal",
    "visibility",
    "text",
    "summary",  # copilot.retrieval's summaries ranking (SUMMARY_RANKING)
    "links",  # copilot.series_pages: the articles a series step links to, as indexed
)
# The snapshot's rows (every chunk's text) are let go this long after their read: every value a sync
# invalidates is rebuilt well within it (searches ask the version every CHECK_EVERY_S), and a large
# help center's texts are not held for the life of the process. A value built later reads again.
KEEP_S = 60.0
# How often a serving process's builder looks for a new index version between builds (`watch`).
WATCH_EVERY_S = 1.0

log = logging.getLogger(__name__)


class FromIndex(Generic[T]):
    def __init__(self, version: Callable[[], str | None], build: Callable[[], T], background: bool = False) -> None:
        self._version = version
        self._build = build
        self._background = background
        self._value: T | None = None
        self._built_for: str | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()
        self._rebuilding: _Job | None = None

    def get(self) -> T:
        """The value for the live index; waits only when there is none yet (for the build started
        ahead by `refresh`, or for one made now)."""
        value = self.peek()
        if value is not None:
            return value
        self.wait()
        value = self.peek()
        if value is not None:
            return value
        with self._lock:  # the build started ahead failed: make it here, as a first use does
            if self._value is None:
                self._value, self._built_for = self._build(), self._version()
                self._checked = time.monotonic()
            return self._value

    def peek(self, check: bool = False) -> T | None:
        """The value, without waiting for a build in progress: None while the first build started
        by `refresh` runs. A value never asked for before is built now (first use), so a process
        that never called `refresh` gets complete, repeatable answers. `check` asks the index's
        version now, not at most every CHECK_EVERY_S (a serving process's watcher)."""
        now = time.monotonic()
        if self._value is not None and now - self._checked < CHECK_EVERY_S and not check:
            return self._value
        with self._lock:
            if self._value is None and self._running():
                return None
            if self._value is None or now - self._checked >= CHECK_EVERY_S or check:
                version = self._version()
                if self._value is None:
                    self._value, self._built_for = self._build(), version
                elif version != self._built_for:
                    if self._background:
                        self._rebuild_in_background()
                    else:
                        self._value, self._built_for = self._build(), version
                self._checked = now
            return self._value

    def refresh(self) -> None:
        """Start building the live index's value in the background now, if it is missing or was
        built for another version (after a sync, at start-up); returns at once."""
        with self._lock:
            version = self._version()
            if self._value is None or version != self._built_for:
                self._rebuild_in_background()
            self._checked = time.monotonic()

    def wait(self, timeout: float | None = None) -> None:
        """Block until a background rebuild asked for has finished (the syncing process, warm-up,
        tests); one still queued is run here, now (`timeout` bounds only the wait for a running one)."""
        rebuilding = self._rebuilding
        if rebuilding is not None:
            rebuilding.wait(timeout)

    def _running(self) -> bool:
        """A rebuild is queued or under way."""
        return self._rebuilding is not None and not self._rebuilding.done()

    def _rebuild_in_background(self) -> None:
        """One rebuild at a time (called under the lock), queued on the process's builder; a failed
        one keeps the old value and is retried at the next check."""
        if self._running():
            return

        def rebuild() -> None:
            built_for = self._version()  # the index it is built from: it may have moved on since queued
            try:
                value = self._build()
            except Exception:  # a refinement must never take search down; the old value stays
                log.exception("rebuilding a value derived from the index failed; keeping the previous one")
                return
            with self._lock:
                self._value, self._built_for = value, built_for

        self._rebuilding = _BUILDER.submit(rebuild)


class _Job:
    """One queued rebuild: run once, by the builder or by whoever needs it first (`wait`)."""

    def __init__(self, run: Callable[[], None]) -> None:
        self._run = run
        self._claimed = False
        self._lock = threading.Lock()
        self._done = threading.Event()

    def run_if_queued(self) -> None:
        with self._lock:
            if self._claimed:
                return
            self._claimed = True
        try:
            self._run()
        except Exception:  # the builder thread must outlive any one build
            log.exception("a background build failed")
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> None:
        self.run_if_queued()
        self._done.wait(timeout)

    def done(self) -> bool:
        return self._done.is_set()


class _Builder:
    """The process's one background builder thread, started on first use (and again in a forked
    child, where the parent's thread does not exist: the child's builder runs what is left queued).

    Between builds, at most every WATCH_EVERY_S, it also runs the watchers (`watch`): a serving
    process's check for a new index version, so the store reopens and the views are rebuilt before
    the first search after a sync rather than by it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checking = threading.Lock()  # held while the watchers run: `unwatch` waits for it
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._watchers: list[Callable[[], None]] = []

    def submit(self, run: Callable[[], None]) -> _Job:
        job = _Job(run)
        with self._lock:
            self._start()
            self._queue.put(job)
        return job

    def watch(self, check: Callable[[], None]) -> None:
        with self._lock:
            self._watchers.append(check)
            self._start()
            self._queue.put(_Job(lambda: None))  # wakes a builder idle without watchers

    def unwatch(self, check: Callable[[], None]) -> None:
        """Stop running `check`; returns once a run of it in progress is over (before a store closes)."""
        with self._lock:
            if check in self._watchers:
                self._watchers.remove(check)
        with self._checking:
            pass

    def _start(self) -> None:  # under the lock
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="index-view-rebuild", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        checked = time.monotonic()
        while True:
            timeout = max(WATCH_EVERY_S - (time.monotonic() - checked), 0.0) if self._watchers else None
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=timeout).run_if_queued()
            if self._watchers and time.monotonic() - checked >= WATCH_EVERY_S:
                with self._checking:
                    for check in list(self._watchers):
                        try:
                            check()
                        except Exception:  # a failed check must not stop the builder
                            log.exception("checking the index for a new version failed")
                checked = time.monotonic()


_BUILDER = _Builder()
watch = _BUILDER.watch
unwatch = _BUILDER.unwatch


class IndexSnapshot:
    """The payload fields every derived value reads (SNAPSHOT_FIELDS), read once per index version
    and shared by all of them: one per store (`IndexSnapshot.of`).

    The rows are read-only by convention (every reader only looks fields up); a new version gets
    a new tuple, so a reader holding the previous one keeps a consistent view. The version is asked
    on every call, not every few seconds: a value rebuilt for a new version must never get the
    previous version's rows. Calls are rare (a value's rebuild), so the check costs nothing. The
    rows are released KEEP_S after their read (`release`).
    """

    def __init__(self, store: VectorStore) -> None:
        self._store = store
        self._rows: tuple[dict[str, Any], ...] = ()
        self._version: str | None = None
        self._read = False
        self._generation = 0  # which read a pending release is for
        self._lock = threading.Lock()
        self.reads = 0  # payload reads made: one per index version seen (tests, benchmarks)

    @classmethod
    def of(cls, store: VectorStore) -> IndexSnapshot:
        """The store's one snapshot: every value derived from it in this process shares it."""
        with _SNAPSHOTS_LOCK:
            try:
                snapshot = _snapshots.get(store)
                if snapshot is None:
                    snapshot = _snapshots[store] = cls(store)
            except TypeError:  # a store that cannot be a weak key (a test double): its own snapshot
                snapshot = cls(store)
        return snapshot

    def payloads(self, fields: Sequence[str]) -> list[dict[str, Any]]:
        """Every live point's payload (at least `fields`), as `VectorStore.payloads` returns them.
        Fields outside SNAPSHOT_FIELDS are read from the store directly, unshared."""
        if not set(fields) <= set(SNAPSHOT_FIELDS):
            return self._store.payloads(fields)
        with self._lock:
            version = self._store.version()
            if not self._read or version != self._version:
                self._rows = tuple(self._store.payloads(SNAPSHOT_FIELDS))
                self._version, self._read = version, True
                self.reads += 1
                self._generation += 1
                release = threading.Timer(KEEP_S, self.release, args=(self._generation,))
                release.daemon = True
                release.start()
            return list(self._rows)

    def release(self, generation: int | None = None) -> None:
        """Let the rows go (of read `generation` only, when given: a newer read keeps its own)."""
        with self._lock:
            if generation is None or generation == self._generation:
                self._rows, self._read = (), False


_snapshots: weakref.WeakKeyDictionary[VectorStore, IndexSnapshot] = weakref.WeakKeyDictionary()
_SNAPSHOTS_LOCK = threading.Lock()
