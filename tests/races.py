"""Two requests at once, met where each has read and none has written: the race tests' one helper.

The hostile-input campaigns (tests/webapp/test_hostile_session28.py, test_hostile_session29.py) reproduce double writes
by running the callables in threads that meet at a barrier right after a hook ran (a check's read). A thread waiting
on the other's lock never reaches the meeting, so the barrier gives up after a short wait bound: that is the fix
working, not a failure. The 1.5 s is a wait bound, never an assertion on time.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

import pytest

from desk.database import StorageUnavailableError
from desk.tickets import InputError

MEETING_WAIT = 1.5  # seconds a thread waits at the meeting before going on alone


def at_once(work: list[Callable[[], object]], hooks: list[tuple[object, str]],
            monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Run `work` in threads that meet after any of `hooks` (owner, attribute name) ran, unless one waits on the
    other's lock. What each returned or raised, in `work`'s order."""
    arrived = threading.Barrier(len(work))
    for owner, name in hooks:
        original = getattr(owner, name)

        def meet(*args: object, _original: Any = original, **kwargs: object) -> object:
            found = _original(*args, **kwargs)
            with contextlib.suppress(threading.BrokenBarrierError):
                arrived.wait(timeout=MEETING_WAIT)
            return found

        static = isinstance(inspect.getattr_static(owner, name), staticmethod)
        monkeypatch.setattr(owner, name, staticmethod(meet) if static else meet)
    results: list[object] = [None] * len(work)

    def run(number: int) -> None:
        try:
            results[number] = work[number]()
        except Exception as error:
            results[number] = error

    threads = [threading.Thread(target=run, args=(number,)) for number in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def refused(result: object) -> bool:
    """A race's loser: the field's error, or (SQLite, one writer) the busy database's."""
    return isinstance(result, InputError | StorageUnavailableError)
