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


def test_concurrent_queries_share_batches_and_get_their_own_vectors() -> None:
    model = SlowEmbedder()
    batcher = BatchingQueryEmbedder(model)
    first = batcher.submit("a")  # the worker takes this one alone and blocks on the gate
    assert model.entered.wait(5)
    rest = [batcher.submit(text) for text in ("bb", "ccc", "bb", "dddd")]
    model.gate.set()
    assert first.result()[0] == 1
    assert [f.result()[0] for f in rest] == [2, 3, 2, 4]
    assert model.calls[1] == ["bb", "ccc", "dddd"]  # queued requests embedded together, duplicates once


def test_a_failing_batch_fails_its_callers_and_the_worker_survives() -> None:
    model = SlowEmbedder()
    model.gate.set()
    batcher = BatchingQueryEmbedder(model)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.submit("boom").result(timeout=5)
    assert batcher.submit("ok").result(timeout=5)[0] == 2
