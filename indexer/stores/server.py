"""qdrant-client against a Qdrant server or cluster (`QDRANT_URL`), or its local mode in tests.

Readers query an alias (the configured collection name); the alias points at a real collection
`<name>-<version>`. Incremental writes go into that collection in an order that never hides an
article: new points first, stale points after. A rebuild fills a new collection and then moves the
alias in one `update_collection_aliases` call, the server's own atomic switch-over.

Every published write also moves a second alias, `<name>--written-<stamp>`, to the live collection
(in the same call): `version()` reads it with the alias it already lists, so readers see every write,
including an edit that leaves the collection's size as it was (a step page whose link changed:
copilot.series_pages reads the links the index holds, and must not keep the previous ones). The
server keeps no write counter of its own, and collection metadata needs a newer server than ours.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from indexer.lexical import SPARSE_VECTOR, SparseVector
from indexer.stores.base import (
    KEYWORD_FIELDS,
    STORED_FIELDS,
    Hit,
    IndexPoint,
    PayloadFilter,
    Source,
    StoredArticle,
    StoreQuery,
    dense_matrix,
    group_stored_articles,
    store_answers,
)

_BATCH = 256
_STAMP = "--written-"  # `<alias>--written-<stamp>`: the alias naming the live collection's latest write


@dataclass(frozen=True)
class CollectionLayout:
    """How a new collection spreads over a cluster: shards, copies of each, and how many copies must
    confirm a write. Replication 2 on 3 nodes survives one node's loss; the server default is 1/1/1."""

    shard_number: int = 1
    replication_factor: int = 1
    write_consistency_factor: int = 1

    def __post_init__(self) -> None:
        if self.write_consistency_factor > self.replication_factor:
            raise ValueError(
                f"write_consistency_factor {self.write_consistency_factor} exceeds replication_factor "
                f"{self.replication_factor}: a write could never be confirmed by that many copies"
            )


def _filter(payload_filter: PayloadFilter) -> models.Filter | None:
    conditions: list[Any] = [
        models.FieldCondition(key=name, match=models.MatchAny(any=list(values)))
        for name, values in payload_filter.conditions().items()
    ]
    return models.Filter(must=conditions) if conditions else None


def _and(a: models.Filter | None, b: models.Filter | None) -> models.Filter | None:
    if a is None:
        return b
    if b is None:
        return a
    return models.Filter(must=[*(a.must or []), *(b.must or [])])  # type: ignore[list-item]


def _vector(source: Source) -> Any:
    if isinstance(source.vector, SparseVector):
        return models.SparseVector(indices=list(source.vector.indices), values=list(source.vector.values))
    return [float(x) for x in source.vector]


def _payload_selector(fields: Sequence[str] | None) -> Any:
    return list(fields) if fields else True


def _requests(query: StoreQuery) -> list[models.QueryRequest]:
    """A single source's nearest points with their payloads; for several, each source's `candidates` nearest
    without payloads, fused here (`base.fused`: Qdrant orders equal RRF scores differently from call to call)."""
    single = len(query.sources) == 1
    return [
        models.QueryRequest(
            query=_vector(source),
            using=source.vector_name,
            filter=_and(_filter(query.filter), _filter(source.filter)),
            limit=query.limit if single else query.candidates,
            with_payload=_payload_selector(query.payload_fields) if single else False,
        )
        for source in query.sources
    ]


class ServerStore:
    def __init__(self, client: QdrantClient, alias: str, layout: CollectionLayout | None = None) -> None:
        self.client = client
        self.alias = alias
        self.layout = layout or CollectionLayout()

    @classmethod
    def connect(
        cls, url: str, alias: str, api_key: str | None = None, layout: CollectionLayout | None = None
    ) -> ServerStore:
        if url.startswith(("http://", "https://")):
            return cls(QdrantClient(url=url, api_key=api_key), alias, layout)
        # "memory" or a path: qdrant-client's local mode (one process at a time), for tests and trials;
        # it accepts the layout and ignores it, as a single node would.
        return cls(QdrantClient(location=":memory:") if url == "memory" else QdrantClient(path=url), alias, layout)

    def _live_collection(self) -> str | None:
        return self._live()[0]

    def _live(self) -> tuple[str | None, list[str]]:
        """The live collection (None before the first publish) and the write stamps naming it, newest last."""
        live, stamps = None, []
        aliases = self.client.get_aliases().aliases
        for alias in aliases:
            if alias.alias_name == self.alias:
                live = alias.collection_name
        for alias in aliases:
            if alias.alias_name.startswith(self.alias + _STAMP) and alias.collection_name == live:
                stamps.append(alias.alias_name)
        return live, sorted(stamps)

    def query(self, queries: Sequence[StoreQuery]) -> list[list[Hit]]:
        if self._live_collection() is None:
            return [[] for _ in queries]
        responses = self.client.query_batch_points(self.alias, [r for q in queries for r in _requests(q)])
        lists = ([Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in r.points] for r in responses)
        return store_answers(queries, lists, self._payloads_of)

    def _payloads_of(self, ids: list[str], fields: Sequence[str] | None) -> dict[str, dict[str, Any]]:
        """The points' payloads by id (a fused list's sources were read without them)."""
        records = self.client.retrieve(self.alias, ids, with_payload=_payload_selector(fields))
        return {str(record.id): dict(record.payload or {}) for record in records}

    def count(self, filter: PayloadFilter | None = None) -> int:
        if self._live_collection() is None:
            return 0
        return int(self.client.count(self.alias, count_filter=_filter(filter) if filter else None, exact=True).count)

    def stored_articles(self) -> dict[str, StoredArticle]:
        collection = self._live_collection()
        return _stored_articles(self.client, collection) if collection else {}

    def payloads(self, fields: Sequence[str]) -> list[dict[str, Any]]:
        collection = self._live_collection()
        return [p for _, p in _payloads(self.client, collection, fields)] if collection else []

    def dense_vectors(self, name: str, fields: Sequence[str]) -> tuple[list[dict[str, Any]], np.ndarray]:
        collection = self._live_collection()
        rows = _records(self.client, collection, fields, name) if collection else []
        return [p for _, p, _ in rows], dense_matrix([v for _, _, v in rows])

    def version(self) -> str | None:
        """The live collection, its latest write's stamp and its size: changes whenever an index run
        changes something (the size alone misses an edit that keeps it; the stamp alone, a writer
        from before stamps)."""
        collection, stamps = self._live()
        if collection is None:
            return None
        stamp = stamps[-1].removeprefix(self.alias + _STAMP) if stamps else ""
        return f"{collection}:{stamp}:{self.client.count(collection, exact=True).count}"

    def writer(self, dims: dict[str, int], rebuild: bool = False) -> ServerWriter:
        live = self._live_collection()
        if live is not None and not rebuild and _schema_matches(self.client, live, dims):
            return ServerWriter(self, live, created=False)
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.client.create_collection(
            name,
            vectors_config={n: models.VectorParams(size=d, distance=models.Distance.COSINE) for n, d in dims.items()},
            sparse_vectors_config={SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            shard_number=self.layout.shard_number,
            replication_factor=self.layout.replication_factor,
            write_consistency_factor=self.layout.write_consistency_factor,
        )
        for field_name in KEYWORD_FIELDS:
            self.client.create_payload_index(name, field_name, models.PayloadSchemaType.KEYWORD)
        return ServerWriter(self, name, created=True)

    def defer_reopen(self) -> None:
        """Nothing to defer: the server answers from the live collection."""

    def reopen(self) -> None:
        """Nothing to reopen: `version` follows the live collection on every call."""

    def close(self) -> None:
        self.client.close()


class ServerWriter:
    def __init__(self, store: ServerStore, collection: str, created: bool) -> None:
        self._store = store
        self._client = store.client
        self.collection = collection
        self._created = created

    def stored_articles(self) -> dict[str, StoredArticle]:
        return _stored_articles(self._client, self.collection)

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        for start in range(0, len(points), _BATCH):
            batch = points[start : start + _BATCH]
            self._client.upsert(self.collection, [_point(p) for p in batch], wait=True)

    def delete(self, point_ids: Sequence[str]) -> None:
        if point_ids:
            self._client.delete(self.collection, models.PointIdsList(points=list(point_ids)), wait=True)

    def publish(self) -> None:
        """Confirm the writes: a new collection takes the alias; either way the write stamp moves."""
        alias = self._store.alias
        previous = self._store._live_collection()
        stale = [a.alias_name for a in self._client.get_aliases().aliases if a.alias_name.startswith(alias + _STAMP)]
        stamp = f"{alias}{_STAMP}{time.time_ns():020d}-{uuid.uuid4().hex[:6]}"
        actions: list[Any] = [_drop_alias(name) for name in stale]
        if self._created:
            actions += [_drop_alias(alias)] if previous is not None else []
            actions.append(_alias(self.collection, alias))
        actions.append(_alias(self.collection, stamp))
        self._client.update_collection_aliases(change_aliases_operations=actions)
        if self._created and previous is not None and previous != self.collection:
            self._client.delete_collection(previous)

    def abort(self) -> None:
        if self._created:
            self._client.delete_collection(self.collection)


def _alias(collection: str, name: str) -> models.CreateAliasOperation:
    return models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=collection, alias_name=name))


def _drop_alias(name: str) -> models.DeleteAliasOperation:
    return models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=name))


def _point(point: IndexPoint) -> models.PointStruct:
    vector: dict[str, Any] = {name: [float(x) for x in vec] for name, vec in point.dense.items()}
    if point.sparse:
        vector[SPARSE_VECTOR] = models.SparseVector(
            indices=list(point.sparse.indices), values=list(point.sparse.values)
        )
    return models.PointStruct(id=point.id, vector=vector, payload=point.payload)


def _schema_matches(client: QdrantClient, collection: str, dims: dict[str, int]) -> bool:
    """Same dense vectors and the same lexical analyzer (its version is in the sparse vector's name)."""
    params = client.get_collection(collection).config.params
    dense = {n: int(p.size) for n, p in params.vectors.items()} if isinstance(params.vectors, dict) else {}
    return dense == dims and set(params.sparse_vectors or {}) == {SPARSE_VECTOR}


def _payloads(client: QdrantClient, collection: str, fields: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    return [(point_id, payload) for point_id, payload, _ in _records(client, collection, fields)]


def _records(
    client: QdrantClient, collection: str, fields: Sequence[str], vector: str | None = None
) -> list[tuple[str, dict[str, Any], Any]]:
    """Every point's id, selected payload fields and, when `vector` names one, that dense vector."""
    records: list[tuple[str, dict[str, Any], Any]] = []
    offset: Any = None
    with_vectors = [vector] if vector else False
    while True:
        batch, offset = client.scroll(
            collection, limit=1000, offset=offset, with_payload=list(fields), with_vectors=with_vectors
        )
        for r in batch:
            vectors = r.vector if isinstance(r.vector, dict) else {}
            records.append((str(r.id), dict(r.payload or {}), vectors.get(vector) if vector else None))
        if offset is None:
            return records


def _stored_articles(client: QdrantClient, collection: str) -> dict[str, StoredArticle]:
    return group_stored_articles(_payloads(client, collection, STORED_FIELDS))
