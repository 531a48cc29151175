"""Vector stores: qdrant-edge on one machine, a Qdrant server or cluster when `QDRANT_URL` is set."""

from __future__ import annotations

from kb.settings import Settings

from .base import VectorStore


def open_store(settings: Settings) -> VectorStore:
    if settings.qdrant_url:
        from .server import CollectionLayout, ServerStore

        layout = CollectionLayout(
            shard_number=settings.qdrant_shard_number,
            replication_factor=settings.qdrant_replication_factor,
            write_consistency_factor=settings.qdrant_write_consistency_factor,
        )
        return ServerStore.connect(settings.qdrant_url, settings.collection, settings.qdrant_api_key, layout)
    from .edge import EdgeStore

    return EdgeStore(settings.data_dir / "index")
