"""Values derived from the live index (its article keys, its vocabulary), rebuilt when it changes.

Building one means reading every point's payload, which is too slow for every request and
pointless while the index stays the same. The store's `version()` says when it changed; it is
asked at most every few seconds, and the value is rebuilt only when the answer differs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
CHECK_EVERY_S = 2.0


class FromIndex(Generic[T]):
    def __init__(self, version: Callable[[], str | None], build: Callable[[], T]) -> None:
        self._version = version
        self._build = build
        self._value: T | None = None
        self._built_for: str | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked < CHECK_EVERY_S:
            return self._value
        with self._lock:
            if self._value is None or now - self._checked >= CHECK_EVERY_S:
                version = self._version()
                if self._value is None or version != self._built_for:
                    self._value, self._built_for = self._build(), version
                self._checked = now
            return self._value
