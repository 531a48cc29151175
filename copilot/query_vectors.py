"""Query embedding under concurrent load: a few workers per model, requests batched as they arrive.

Eight customers typing at once must not mean eight request threads fighting over two cores inside
the model. Each model gets `workers` threads (one per core) sharing one queue: a worker takes
whatever requests are waiting and embeds them together, and a lone request is not held back (a
worker starts as soon as it sees work and never waits for a batch to fill). With e5 embedding
queries on one thread (`E5SmallEmbedder`), two workers keep both cores busy without oversubscribing
them: search_bench on the demo, 8 clients, server p50 124 -> 79 ms, p95 184 -> 147-160 ms (two
runs); one worker with the same models gave p50 122-125 ms.

A request that finds a model free and nobody waiting embeds in its own thread: handing it to a
worker thread and waiting on a future costs two thread switches and a GIL hand-off per model, the
largest cost outside the models once web workers are processes with one or two requests each
(py-spy in bench/search_bench.py: 16-26% of gunicorn workers' samples were that hand-off). The
workers still take whatever queues up while every model slot is busy, and batch it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from indexer.embedders import Embedder


def unit(vector: np.ndarray) -> np.ndarray:
    """The vector at unit length, or each row of a matrix (a zero vector stays zero): cosines by dot product against
    unit title vectors, and blends of two query vectors that weigh each alike."""
    if vector.ndim == 1:
        return vector / max(float(np.linalg.norm(vector)), 1e-9)
    return vector / np.maximum(np.linalg.norm(vector, axis=-1, keepdims=True), 1e-9)

MAX_BATCH = 16


class BatchingQueryEmbedder:
    """Wraps an `Embedder`; `submit` is safe to call from many threads at once."""

    def __init__(self, embedder: Embedder, max_batch: int = MAX_BATCH, workers: int = 1) -> None:
        self.embedder = embedder
        self.name = embedder.name
        self.model_id = embedder.model_id
        self.max_batch = max_batch
        self.workers = max(1, workers)
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._started = False
        self._start_lock = threading.Lock()
        # At most `workers` model calls at once, whether in a caller's thread or a worker's.
        self._slots = threading.BoundedSemaphore(self.workers)

    def submit(self, text: str) -> Future[np.ndarray]:
        """The query's vector as a future: embedded here and now when a model slot is free and no
        query waits, else queued for a worker, which batches what has queued."""
        future: Future[np.ndarray] = Future()
        if self._queue.empty() and self._slots.acquire(blocking=False):
            try:
                future.set_result(self.embedder.embed_queries([text])[0])
            except Exception as error:  # the caller gets the error, as from a worker
                future.set_exception(error)
            finally:
                self._slots.release()
            return future
        self._ensure_worker()
        self._queue.put((text, future))
        return future

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        futures = [self.submit(t) for t in texts]
        return np.stack([f.result() for f in futures]) if texts else self.embedder.embed_queries([])

    def _ensure_worker(self) -> None:
        if not self._started:
            with self._start_lock:
                if not self._started:
                    for number in range(self.workers):
                        name = f"embed-{self.name}-{number}"
                        threading.Thread(target=self._run, name=name, daemon=True).start()
                    self._started = True

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            texts = list(dict.fromkeys(text for text, _ in batch))
            try:
                with self._slots:
                    matrix = self.embedder.embed_queries(texts)
            except Exception as error:  # the callers get the error, the worker lives on
                for _, future in batch:
                    future.set_exception(error)
                continue
            rows = {text: matrix[i] for i, text in enumerate(texts)}
            for text, future in batch:
                future.set_result(rows[text])
