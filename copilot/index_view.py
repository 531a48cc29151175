"""Values derived from the live index (its article keys, its vocabulary), rebuilt when it changes.

Building one means reading every point's payload, which is too slow for every request and
pointless while the index stays the same. The store's `version()` says when it changed; it is
asked at most every few seconds, and the value is rebuilt only when the answer differs.

A value that only refines ranking (the mined term table, the hub shares) can be rebuilt in the
background: the searches that arrive meanwhile use the previous index version's value, so the first
customer after a sync does not wait seconds for it. Values that decide what may be shown (which
articles exist for an audience) are always rebuilt before the search that needs them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
CHECK_EVERY_S = 2.0

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
        self._rebuilding: threading.Thread | None = None

    def get(self) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked < CHECK_EVERY_S:
            return self._value
        with self._lock:
            if self._value is None or now - self._checked >= CHECK_EVERY_S:
                version = self._version()
                if self._value is None:
                    self._value, self._built_for = self._build(), version
                elif version != self._built_for:
                    if self._background:
                        self._rebuild_in_background(version)
                    else:
                        self._value, self._built_for = self._build(), version
                self._checked = now
            return self._value

    def wait(self, timeout: float | None = None) -> None:
        """Block until a background rebuild in progress has finished (tests, warm-up)."""
        rebuilding = self._rebuilding
        if rebuilding is not None:
            rebuilding.join(timeout)

    def _rebuild_in_background(self, version: str | None) -> None:
        """One rebuild at a time (called under the lock); a failed one keeps the old value and is
        retried at the next check."""
        if self._rebuilding is not None and self._rebuilding.is_alive():
            return

        def rebuild() -> None:
            try:
                value = self._build()
            except Exception:  # a refinement must never take search down; the old value stays
                log.exception("rebuilding a value derived from the index failed; keeping the previous one")
                return
            with self._lock:
                self._value, self._built_for = value, version

        self._rebuilding = threading.Thread(target=rebuild, name="index-view-rebuild", daemon=True)
        self._rebuilding.start()
