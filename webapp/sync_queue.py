"""Git sync requests, handed from the web hook to `kb worker` through a file in the data directory.

The hook runs in a web worker that must answer in a few seconds and never index; the worker runs
in its own process. They share only the data directory (a volume in deploy/), so the hand-off is
one small JSON file changed under an advisory lock: the hook raises `requested`; the worker
takes everything requested so far as one run (it indexes HEAD, which holds all those pushes) and
then writes `done` and the run's outcome, which the hook's status endpoint reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

QUEUE_FILE = "git-sync-queue.json"


@dataclass
class SyncQueueState:
    requested: int = 0  # the last job id handed out
    done: int = 0  # every job up to this id has been covered by a finished run
    running: bool = False
    runs: int = 0
    last_run: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "queued": self.requested > self.done and not self.running,
            "last_job": self.requested,
            "done_job": self.done,
            "runs": self.runs,
            "last_run": self.last_run,
        }


class SyncQueue:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / QUEUE_FILE
        self._lock_path = data_dir / f"{QUEUE_FILE}.lock"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[SyncQueueState]:
        """Read, let the caller change, write back atomically; one process at a time."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._read()
            before = asdict(state)
            yield state
            if asdict(state) != before:
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(asdict(state), ensure_ascii=False), "utf-8")
                os.replace(tmp, self.path)

    def _read(self) -> SyncQueueState:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return SyncQueueState()
        except ValueError as error:
            raise ValueError(f"{self.path}: not the sync queue's JSON ({error}); delete it to start afresh") from None
        return SyncQueueState(**raw)

    def request(self) -> int:
        """Record one push; returns its job id (a run that covers it reports done_job >= id)."""
        with self._locked() as state:
            state.requested += 1
            return state.requested

    def take(self) -> int | None:
        """The job id a run starting now covers, or None when nothing waits. Marks the run started."""
        with self._locked() as state:
            if state.requested <= state.done:
                return None
            state.running = True
            return state.requested

    def finish(self, covers: int, outcome: dict[str, Any]) -> None:
        with self._locked() as state:
            state.running = False
            state.done = max(state.done, covers)
            state.runs += 1
            state.last_run = outcome

    def status(self) -> SyncQueueState:
        """Read without the lock (writes replace the file atomically), so a status GET writes nothing."""
        return self._read()
