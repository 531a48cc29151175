"""The assembled help center: one place that turns `Settings` into store, models and retriever.

The CLI and the web app both need the same parts wired the same way; building them here keeps a
second wiring from drifting. Parts are built on first use (`kb --help` loads nothing) or all at
once by `wire()`, which the app factory calls so that no request ever builds one. Either way each
part is built exactly once: two request threads, or a request and the webhook's sync worker,
asking for the retriever at the same moment get the same one (a plain cached_property would let
both build it, opening the store twice and starting two sets of embedding workers).

An Engine is a context manager: `with Engine(settings) as engine:` closes the store on the way out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

from copilot import index_view
from copilot.drafts import Drafter
from copilot.expansion import Synonyms, Vocabulary
from copilot.index_view import IndexSnapshot
from copilot.model_drafters import build_drafter
from copilot.related import RelatedArticles
from copilot.retrieval import Retriever
from copilot.tuning import TUNING_FILE, SearchTuning
from indexer.cache import CACHE_FILE, EmbeddingCache
from indexer.embedders import Embedder, build_embedders
from indexer.lexical import LexicalEncoder
from indexer.stores import open_store
from indexer.stores.base import VectorStore
from indexer.sync import Embedding, SyncReport, sync_index
from kb.settings import Settings

T = TypeVar("T")


class built_once(Generic[T]):
    """A cached property whose first build holds the owner's `_build_lock` (an RLock, since one
    part's build asks for others): built once however many threads ask at the same time."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, owner: None, cls: type) -> built_once[T]: ...

    @overload
    def __get__(self, owner: object, cls: type) -> T: ...

    def __get__(self, owner: object | None, cls: type) -> T | built_once[T]:
        if owner is None:
            return self
        parts = owner.__dict__
        if self.name not in parts:
            with owner._build_lock:  # type: ignore[attr-defined]
                if self.name not in parts:
                    parts[self.name] = self.build(owner)
        return parts[self.name]


class Engine:
    def __init__(self, settings: Settings, embedders: list[Embedder] | None = None) -> None:
        self.settings = settings
        self._embedders = embedders
        self._build_lock = threading.RLock()
        self._index_lock = threading.Lock()

    @built_once
    def embedders(self) -> list[Embedder]:
        return self._embedders if self._embedders is not None else build_embedders(self.settings)

    @built_once
    def store(self) -> VectorStore:
        return open_store(self.settings)

    @built_once
    def lexical(self) -> LexicalEncoder:
        return LexicalEncoder()

    @built_once
    def retriever(self) -> Retriever:
        store = self.store
        return Retriever(
            self.settings,
            store,
            self.embedders,
            self.lexical,
            tuning=SearchTuning.load(self.settings.content_dir / TUNING_FILE),
            synonyms=Synonyms(self.settings.content_dir / "_synonyms.yml"),
            vocabulary=Vocabulary(
                lambda: IndexSnapshot.of(store).payloads(("lang", "title", "section", "text")), store.version
            ),
        )

    @built_once
    def related(self) -> RelatedArticles:
        return RelatedArticles(self.retriever, self.store.version)

    @built_once
    def drafter(self) -> Drafter:
        return build_drafter(self.settings)

    def wire(self) -> Engine:
        """Build every part now (cheap: models load on first use, see `warm_up`), so that requests
        only ever read them. A bad setting or tuning file fails here, at start-up."""
        _ = (self.embedders, self.store, self.lexical, self.retriever, self.related, self.drafter)
        return self

    def index(
        self, rebuild: bool = False, show_progress: bool | None = None, content: Settings | None = None
    ) -> SyncReport:
        """Bring the index in line with the content; `content` reads another tree (the git sync's
        snapshot) into this engine's store, under the same lock so two runs never write at once."""
        with self._index_lock:
            cache = EmbeddingCache(self.settings.data_dir / CACHE_FILE)
            try:
                embedding = Embedding(self.embedders, cache)
                report = sync_index(
                    content or self.settings, self.store, embedding, self.lexical, rebuild, show_progress
                )
            finally:
                cache.close()
        if "retriever" in self.__dict__:  # this process searches too (the worker): rebuild its views now
            self.retriever.refresh_views()
            # What this process searches next expands with the words it just indexed and abstains by
            # the new index's lexical scales.
            self.retriever.wait_after_sync()
        return report

    def warm_up(self) -> None:
        """Load the models and what search derives from the index now, not on a customer's query."""
        for lang in self.settings.languages:
            self.retriever.search("warm up", lang=lang)
        # Every view, including those no warm-up search reached (the title vectors of an index with
        # nothing to translate yet): from now on each is rebuilt in the background after a sync.
        self.retriever.refresh_views()
        self.retriever.wait_for_views()
        # A serving process: from now on a sync (by the worker, another process) is noticed between
        # searches, so the first search after it finds the new version open and its article keys built;
        # one that comes before the check serves the previous version without what the sync withdrew.
        self.store.defer_reopen()
        index_view.watch(self.retriever.check_index)

    def close(self) -> None:
        if "retriever" in self.__dict__:
            index_view.unwatch(self.retriever.check_index)  # no check may reopen the store once closed
        with self._build_lock:
            if "store" in self.__dict__:
                self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
