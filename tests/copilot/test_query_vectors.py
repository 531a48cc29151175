import threading
from collections.abc import Sequence

import numpy as np
import pytest

from copilot.query_vectors import BatchingQueryEmbedder


class SlowEmbedder:
    name = "slow"
    model_id = "slow-v1"
    dim = 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.entered.set()
        self.gate.wait(5)
        self.calls.append(list(texts))
        if "boom" in texts:
            raise RuntimeError("model failed")
        return np.asarray([[len(t), 1.0] for t in texts], dtype=np.float32)

    embed_passages = embed_queries


def test_a_query_with_the_model_free_is_embedded_in_the_callers_thread() -> None:
    model = SlowEmbedder()
    model.gate.set()
    batcher = BatchingQueryEmbedder(model)
    callers: list[str] = []
    real = model.embed_queries

    def recording(texts: Sequence[str]) -> np.ndarray:
        callers.append(threading.current_thread().name)
        return real(texts)

    model.embed_queries = recording  # type: ignore[method-assign]
    assert batcher.submit("abc").result(timeout=0)[0] == 3  # already resolved: no hand-off
    assert callers == [threading.current_thread().name]


def test_queries_arriving_while_the_model_is_busy_share_batches_and_get_their_own_vectors() -> None:
    model = SlowEmbedder()
    batcher = BatchingQueryEmbedder(model)
    busy = threading.Thread(target=lambda: batcher.submit("a"))  # takes the one model slot, blocks on the gate
    busy.start()
    assert model.entered.wait(5)
    rest = [batcher.submit(text) for text in ("bb", "ccc", "bb", "dddd")]  # queued: the slot is taken
    assert not any(f.done() for f in rest)
    model.gate.set()
    busy.join(5)
    assert [f.result(timeout=5)[0] for f in rest] == [2, 3, 2, 4]
    assert model.calls[0] == ["a"] and model.calls[1] == ["bb", "ccc", "dddd"]  # batched, duplicates once


def test_a_failing_call_fails_its_callers_and_the_worker_survives() -> None:
    model = SlowEmbedder()
    model.gate.set()
    batcher = BatchingQueryEmbedder(model)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.submit("boom").result(timeout=5)  # in the caller's thread
    assert batcher.submit("ok").result(timeout=5)[0] == 2
    model.gate.clear()
    model.entered.clear()
    busy = threading.Thread(target=lambda: batcher.submit("x"))
    busy.start()
    assert model.entered.wait(5)
    queued = batcher.submit("boom")  # through a worker, which must live on
    assert not queued.done()
    model.gate.set()
    busy.join(5)
    with pytest.raises(RuntimeError, match="model failed"):
        queued.result(timeout=5)
    assert batcher.submit("fine").result(timeout=5)[0] == 4
