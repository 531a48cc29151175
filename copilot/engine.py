"""The assembled help center: one place that turns `Settings` into store, models and retriever.

The CLI and the web app both need the same parts wired the same way; building them here keeps a
second wiring from drifting. Everything heavy (models, the store) is created on first use, so
`kb --help` and the web app's start stay fast.
"""

from __future__ import annotations

import threading
from functools import cached_property

from copilot.drafts import Drafter, drafter_from_env
from copilot.expansion import Synonyms, Vocabulary
from copilot.related import RelatedArticles
from copilot.retrieval import Retriever
from indexer.cache import CACHE_FILE, EmbeddingCache
from indexer.embedders import Embedder, build_embedders
from indexer.lexical import LexicalEncoder
from indexer.stores import open_store
from indexer.stores.base import VectorStore
from indexer.sync import Embedding, SyncReport, sync_index
from kb.settings import Settings


class Engine:
    def __init__(self, settings: Settings, embedders: list[Embedder] | None = None) -> None:
        self.settings = settings
        self._embedders = embedders
        self._index_lock = threading.Lock()

    @cached_property
    def embedders(self) -> list[Embedder]:
        return self._embedders if self._embedders is not None else build_embedders(self.settings)

    @cached_property
    def store(self) -> VectorStore:
        return open_store(self.settings)

    @cached_property
    def lexical(self) -> LexicalEncoder:
        return LexicalEncoder()

    @cached_property
    def retriever(self) -> Retriever:
        store = self.store
        return Retriever(
            self.settings,
            store,
            self.embedders,
            self.lexical,
            synonyms=Synonyms(self.settings.content_dir / "_synonyms.yml"),
            vocabulary=Vocabulary(lambda: store.payloads(("lang", "title", "section", "text")), store.version),
        )

    @cached_property
    def related(self) -> RelatedArticles:
        return RelatedArticles(self.retriever, self.store.version)

    @cached_property
    def drafter(self) -> Drafter:
        return drafter_from_env(self.settings)

    def index(
        self, rebuild: bool = False, show_progress: bool | None = None, content: Settings | None = None
    ) -> SyncReport:
        """Bring the index in line with the content; `content` reads another tree (the git sync's
        snapshot) into this engine's store, under the same lock so two runs never write at once."""
        with self._index_lock:
            cache = EmbeddingCache(self.settings.data_dir / CACHE_FILE)
            try:
                embedding = Embedding(self.embedders, cache)
                return sync_index(content or self.settings, self.store, embedding, self.lexical, rebuild, show_progress)
            finally:
                cache.close()

    def warm_up(self) -> None:
        """Load the models and what search derives from the index now, not on a customer's query."""
        for lang in self.settings.languages:
            self.retriever.search("warm up", lang=lang)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
