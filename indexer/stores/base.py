"""The contract between the indexer/retriever and a Qdrant engine.

Two real implementations: `EdgeStore` (qdrant-edge in-process, the default on one machine) and
`ServerStore` (qdrant-client against a Qdrant server or cluster). Queries are described here in
our own small terms (sources, filters, weighted RRF), so the retriever never touches either
client's types and the contract tests can run one suite against both.

Writes go through a `StoreWriter`: nothing a writer does is visible to readers of the edge store
until `publish()`, and the server store orders its writes so readers never see an article vanish.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from indexer.lexical import SPARSE_VECTOR, SparseVector
from kb.settings import CHUNK_MAX_CHARS, CHUNK_MIN_CHARS

# Payload fields that get a keyword index because queries filter or group by them.
KEYWORD_FIELDS = ("key", "article_id", "lang", "category", "visibility", "tags")
# The payload fields that say what an index holds per article (`stored_articles`): what a sync compares.
STORED_FIELDS = ("key", "path", "file_hash", "payload_version", "chunking")


def chunking_of(max_chars: int, min_chars: int) -> str:
    """Chunk sizes as a point's payload records them (`chunking`, "1100/160"): what a sync compares."""
    return f"{max_chars}/{min_chars}"


# The chunk sizes (kb.settings.Settings.chunk_max_chars/chunk_min_chars) of an article written before points
# recorded theirs: the sizes every index had then.
FORMER_CHUNKING = chunking_of(CHUNK_MAX_CHARS, CHUNK_MIN_CHARS)


@dataclass(frozen=True)
class IndexPoint:
    id: str
    dense: dict[str, np.ndarray]
    sparse: SparseVector
    payload: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True)
class PayloadFilter:
    """All conditions must hold; a field given as a tuple matches any of its values."""

    langs: tuple[str, ...] | None = None
    visibilities: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    article_keys: tuple[str, ...] | None = None

    def conditions(self) -> dict[str, tuple[str, ...]]:
        fields = {
            "lang": self.langs,
            "visibility": self.visibilities,
            "category": self.categories,
            "key": self.article_keys,
        }
        return {name: values for name, values in fields.items() if values is not None}


@dataclass(frozen=True)
class Source:
    """One ranked list: a named dense vector or the sparse lexical vector, with its own filter."""

    vector_name: str
    vector: Sequence[float] | np.ndarray | SparseVector
    filter: PayloadFilter = field(default_factory=PayloadFilter)
    weight: float = 1.0

    @property
    def is_sparse(self) -> bool:
        return self.vector_name == SPARSE_VECTOR


PREFETCH = 50  # a fused query's per-source prefetch depth before fusion, unless it asks for another


@dataclass(frozen=True)
class StoreQuery:
    """One source is a plain nearest-neighbour query; several are fused by weighted RRF (`fused`, Qdrant's scores,
    ties by point id)."""

    sources: tuple[Source, ...]
    filter: PayloadFilter
    limit: int
    candidates: int = PREFETCH  # per-source prefetch depth before fusion
    rrf_k: int = 60
    payload_fields: tuple[str, ...] | None = None  # None: the whole payload


def ranked(hits: Sequence[Hit]) -> list[Hit]:
    """Hits best first, equal scores by point id: Qdrant leaves the order of equal scores to its hash maps, seeded
    anew per call, so the same query put twice ordered a tie differently (bench/determinism_probe.py)."""
    return sorted(hits, key=lambda hit: (-hit.score, hit.id))


def fused(lists: Sequence[Sequence[Hit]], weights: Sequence[float], rrf_k: int, limit: int) -> list[Hit]:
    """Weighted reciprocal-rank fusion of each source's ranked hits, scored as Qdrant's `Fusion.Rrf` scores them
    (`rrf_place`, summed in float32 in the sources' order), ties broken by point id. Done here rather than in Qdrant
    because RRF ties are common (first in one list and third in the other ties with the reverse) and Qdrant sorts
    its hash map's points unstably, with the map seeded anew per call: one process asked the same query twice, or
    two processes, ranked and abstained differently (bench/RESULTS.md, determinism24). Payloads are those of the
    first list holding the point."""
    scores: dict[str, np.float32] = {}
    first: dict[str, Hit] = {}
    for hits, weight in zip(lists, weights, strict=True):
        for place, hit in enumerate(ranked(hits)):
            scores[hit.id] = scores.get(hit.id, np.float32(0.0)) + rrf_place(place, rrf_k, weight)
            first.setdefault(hit.id, hit)
    order = sorted(scores, key=lambda point: (-scores[point], point))[:limit]
    return [Hit(point, float(scores[point]), first[point].payload) for point in order]


def store_answers(
    queries: Sequence[StoreQuery],
    lists: Iterable[list[Hit]],
    payloads: Callable[[list[str], tuple[str, ...] | None], dict[str, dict[str, Any]]],
) -> list[list[Hit]]:
    """Each query's hits from its sources' lists, in query and source order (what a store asked in one batch): a
    single source's as ranked, several fused (`fused`) and given the payloads `payloads(point ids, fields)` reads,
    one read per distinct field selection of the batch rather than one per query (a point it no longer finds is
    left out)."""
    lists = iter(lists)
    out: list[list[Hit]] = []
    wanted: dict[tuple[str, ...] | None, set[str]] = {}
    for query in queries:
        if len(query.sources) == 1:
            out.append(ranked(next(lists)))
            continue
        weights = [s.weight for s in query.sources]
        out.append(fused([next(lists) for _ in query.sources], weights, query.rrf_k, query.limit))
        wanted.setdefault(query.payload_fields, set()).update(hit.id for hit in out[-1])
    read = {fields: payloads(sorted(ids), fields) for fields, ids in wanted.items() if ids}
    for i, query in enumerate(queries):
        if len(query.sources) > 1:
            found = read.get(query.payload_fields, {})
            # A point a write removed between the two reads (the server store's stale points go after its new ones)
            # is left out, never returned without its payload.
            out[i] = [Hit(hit.id, hit.score, found[hit.id]) for hit in out[i] if hit.id in found]
    return out


def rrf_place(place: int, rrf_k: int, weight: float) -> np.float32:
    """Qdrant's weighted RRF share of a place (from 0): 1 / ((place + 1) / weight + k - 1) in float32, so a weight
    stretches the places rather than scaling the share; no share for a weight <= 0
    (segment/src/common/reciprocal_rank_fusion.rs, `position_score`)."""
    if weight <= 0:
        return np.float32(0.0)
    one = np.float32(1.0)
    return one / (np.float32(place + 1) / np.float32(weight) + np.float32(rrf_k) - one)


@dataclass(frozen=True)
class StoredArticle:
    file_hash: str
    path: str
    point_ids: frozenset[str]
    payload_version: int = 0  # the oldest of its points' (indexer.sync.PAYLOAD_VERSION); 0: written before it
    chunking: str = FORMER_CHUNKING  # the "max/min" chunk sizes its points were cut with; "" when they disagree


class StoreWriter(Protocol):
    def stored_articles(self) -> dict[str, StoredArticle]:
        """What the version being written holds (for the edge store: a copy of the live one)."""

    def upsert(self, points: Sequence[IndexPoint]) -> None: ...

    def delete(self, point_ids: Sequence[str]) -> None: ...

    def publish(self) -> None:
        """Make every write visible to readers at once (edge) or confirm them (server)."""

    def abort(self) -> None:
        """Drop what was written since the writer began, where the engine allows."""


class VectorStore(Protocol):
    def stored_articles(self) -> dict[str, StoredArticle]:
        """What the live index holds per article key: the file hash it was built from, its points."""

    def writer(self, dims: dict[str, int], rebuild: bool = False) -> StoreWriter:
        """Start a write; `rebuild` starts from an empty index that replaces the live one on publish."""

    def payloads(self, fields: Sequence[str]) -> list[dict[str, Any]]:
        """Selected payload fields of every live point (vocabulary building, reports)."""

    def dense_vectors(self, name: str, fields: Sequence[str]) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Every live point's selected payload fields and its `name` vector, row for row (a matrix of
        float32 rows): for what is fitted on the index's own passages (copilot.query_adapter)."""

    def version(self) -> str | None:
        """Changes when the live index changes; lets readers refresh what they derived from it."""

    def query(self, queries: Sequence[StoreQuery]) -> list[list[Hit]]: ...

    def count(self, filter: PayloadFilter | None = None) -> int: ...

    def defer_reopen(self) -> None:
        """A serving process: a new version published by another process is opened by `reopen` (its
        background builder), not by the search that finds it first (edge; a server needs no reopening)."""

    def reopen(self) -> None:
        """Open the newest published version now, if it is not the one served."""

    def close(self) -> None: ...


class IndexWriteError(OSError):
    """A new index version could not be written (disk full, read-only...): one line, live index untouched."""


class IndexSpaceError(OSError):
    """Opening a version would need more memory-backed space than its file system has (tmpfs).

    qdrant-edge maps its preallocated, mostly sparse files and touches much of their apparent
    size when it opens them. On a disk the holes read as zeros; on tmpfs each touched hole takes a
    page, and when the tmpfs is full the process dies with SIGBUS (exit 135, no message). Checking
    first turns that into this one-line error.
    """


def disk_full(error: object) -> bool:
    """Whether an error (OSError, sqlite3, the engine's generic runtime error, or a message) is ENOSPC."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    text = str(error)
    return "No space left" in text or "os error 28" in text or "database or disk is full" in text


class StoreBusyError(RuntimeError):
    """Another writer holds the index; the message says which and what to do."""


def group_stored_articles(records: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, StoredArticle]:
    """Fold (point id, payload with the STORED_FIELDS) rows into per-article state.

    An article whose points disagree on the file hash (a write that was interrupted) reports an
    empty hash, so the next sync sees it as changed and rewrites it. Its payload version is its
    oldest point's: one point written before a payload field was added makes the article stale; so do points cut
    at other chunk sizes than the settings' (their `chunking`).
    """
    hashes: dict[str, set[str]] = {}
    paths: dict[str, str] = {}
    ids: dict[str, set[str]] = {}
    versions: dict[str, int] = {}
    chunkings: dict[str, set[str]] = {}
    for point_id, payload in records:
        key = str(payload.get("key", ""))
        hashes.setdefault(key, set()).add(str(payload.get("file_hash", "")))
        paths[key] = str(payload.get("path", ""))
        ids.setdefault(key, set()).add(str(point_id))
        version = payload.get("payload_version")
        version = version if isinstance(version, int) and not isinstance(version, bool) else 0
        versions[key] = min(versions.get(key, version), version)
        chunkings.setdefault(key, set()).add(str(payload.get("chunking", FORMER_CHUNKING)))
    return {
        key: StoredArticle(
            next(iter(h)) if len(h) == 1 else "",
            paths[key],
            frozenset(ids[key]),
            versions[key],
            next(iter(chunkings[key])) if len(chunkings[key]) == 1 else "",
        )
        for key, h in hashes.items()
    }


def dense_matrix(vectors: Sequence[Any]) -> np.ndarray:
    """Stored dense vectors (lists of floats) as one float32 matrix, a row each; (0, 0) for none."""
    return np.asarray(vectors, dtype=np.float32) if len(vectors) else np.zeros((0, 0), np.float32)
