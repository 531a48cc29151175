"""The Engine's wiring: each part built once however many threads ask; closed by `with`."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import copilot.engine as engine_module
from copilot.engine import Engine
from indexer.stores import open_store
from kb.settings import Settings


def test_parts_are_built_once_when_threads_race(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []

    def slow_open(settings: Settings):  # type: ignore[no-untyped-def]
        time.sleep(0.05)  # long enough for every thread to arrive while the first one builds
        store = open_store(settings)
        opened.append(store)
        return store

    monkeypatch.setattr(engine_module, "open_store", slow_open)
    engine = Engine(Settings(content_dir=tmp_path / "content", data_dir=tmp_path / "data"), embedders=[])
    start = threading.Barrier(8)
    got: list[object] = []

    def ask() -> None:
        start.wait()
        got.append(engine.retriever)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1 and len(got) == 8 and all(r is got[0] for r in got)
    engine.close()


def test_the_engine_closes_its_store_on_leaving_a_with_block(tmp_path: Path) -> None:
    closed = []
    with Engine(Settings(content_dir=tmp_path / "content", data_dir=tmp_path / "data"), embedders=[]) as engine:
        store = engine.wire().store
        real_close = store.close

        def close() -> None:
            closed.append(True)
            real_close()

        store.close = close  # type: ignore[method-assign]
    assert closed == [True]
