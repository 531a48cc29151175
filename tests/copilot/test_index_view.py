import threading
from collections.abc import Sequence

import numpy as np

from copilot import index_view
from copilot.article_sections import ArticleSections
from copilot.engine import Engine
from copilot.index_view import SNAPSHOT_FIELDS, FromIndex, IndexSnapshot
from copilot.retrieval import Retriever
from indexer.embedders import Embedder
from kb.settings import Settings


def test_rebuilds_only_when_the_index_version_changes(monkeypatch) -> None:
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    version = ["v1"]
    builds: list[str] = []
    value = FromIndex(lambda: version[0], lambda: builds.append(version[0]) or len(builds))
    assert [value.get(), value.get(), value.get()] == [1, 1, 1]
    version[0] = "v2"
    assert value.get() == 2 and builds == ["v1", "v2"]


def test_a_background_value_serves_the_previous_version_until_its_rebuild_is_done(monkeypatch) -> None:
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    version = ["v1"]
    release = threading.Event()

    def build() -> str:
        if version[0] != "v1":
            assert release.wait(10)
        return version[0]

    value = FromIndex(lambda: version[0], build, background=True)
    assert value.get() == "v1"  # the first build is made before the first search that needs it
    version[0] = "v2"
    assert value.get() == "v1" and value.get() == "v1"  # the rebuild runs once, off the search's path
    release.set()
    value.wait(10)
    assert value.get() == "v2"


def test_a_failed_background_rebuild_keeps_the_previous_value(monkeypatch) -> None:
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    version = ["v1"]

    def build() -> str:
        if version[0] == "broken":
            raise ValueError("corrupt payload")
        return version[0]

    value = FromIndex(lambda: version[0], build, background=True)
    assert value.get() == "v1"
    version[0] = "broken"
    value.get()
    value.wait(10)
    assert value.get() == "v1"  # and the failed rebuild is tried again
    value.wait(10)
    version[0] = "v3"
    value.get()
    value.wait(10)
    assert value.get() == "v3"


def test_a_value_started_ahead_is_not_waited_for_and_is_served_once_built(monkeypatch) -> None:
    """`refresh` (after a sync) builds in the background; `peek` meanwhile says "not yet" instead of
    waiting, so a search ranks without it; once built, `peek` serves it."""
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    release = threading.Event()
    builds: list[str] = []

    def build() -> str:
        release.wait(60)  # if `peek` waited for this, the assertion after it would see the value
        builds.append("v1")
        return "v1"

    value = FromIndex(lambda: "v1", build, background=True)
    value.refresh()
    assert value.peek() is None and value.peek() is None
    release.set()
    value.wait(10)
    assert value.peek() == "v1" and value.get() == "v1" and builds == ["v1"]  # built once, by the refresh


def test_get_waits_for_the_build_started_ahead_rather_than_building_again() -> None:
    release = threading.Event()
    builds: list[int] = []

    def build() -> int:
        release.wait(60)
        builds.append(1)
        return len(builds)

    value = FromIndex(lambda: "v1", build, background=True)
    value.refresh()
    release.set()
    assert value.get() == 1 and builds == [1]


class _CountingStore:
    """A unit-test store: payload reads are counted, the version is set by the test."""

    def __init__(self) -> None:
        self.version_name = "v1"
        self.reads: list[tuple[str, ...]] = []
        self.rows = [
            {"key": "en/a", "lang": "en", "title": "Refunds", "text": "Money back.", "path": "a.md"},
            {"key": "ar/a", "lang": "ar", "title": "الاسترداد", "text": "استرداد المال.", "path": "a.ar.md"},
        ]

    def version(self) -> str:
        return self.version_name

    def payloads(self, fields: tuple[str, ...]) -> list[dict]:
        self.reads.append(tuple(fields))
        return [{f: row[f] for f in fields if f in row} for row in self.rows]


def test_every_value_of_a_store_shares_one_payload_read_per_index_version() -> None:
    store = _CountingStore()
    snapshot = IndexSnapshot.of(store)  # type: ignore[arg-type]
    assert IndexSnapshot.of(store) is snapshot  # type: ignore[arg-type]
    titles = snapshot.payloads(("key", "lang", "title"))
    texts = IndexSnapshot.of(store).payloads(("lang", "title", "text"))  # type: ignore[arg-type]
    assert [r["title"] for r in titles] == ["Refunds", "الاسترداد"] and texts[1]["text"] == "استرداد المال."
    assert store.reads == [SNAPSHOT_FIELDS] and snapshot.reads == 1
    titles.clear()  # a reader's list is its own: the snapshot's rows stay
    assert len(snapshot.payloads(("key",))) == 2 and snapshot.reads == 1
    store.version_name = "v2"
    store.rows[0]["title"] = "Refund timing"
    assert snapshot.payloads(("title",))[0]["title"] == "Refund timing" and snapshot.reads == 2
    assert snapshot.payloads(("path",))[0]["path"] == "a.md"  # a field it does not hold: read directly
    assert store.reads == [SNAPSHOT_FIELDS, SNAPSHOT_FIELDS, ("path",)]


class _GatedEmbedder:
    """A real model whose background index builds (title and heading vectors) wait for `release`;
    the search's own query embedding is never held."""

    def __init__(self, model: Embedder, release: threading.Event) -> None:
        self._model, self._release = model, release
        self.name, self.model_id, self.dim = model.name, model.model_id, model.dim

    def _gate(self) -> None:
        if threading.current_thread().name == "index-view-rebuild":
            self._release.wait(60)  # a search that waited for this would see the title vectors below

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self._gate()
        return self._model.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self._gate()
        return self._model.embed_passages(texts)


def test_a_search_before_the_title_vectors_are_built_does_not_wait_and_one_after_uses_them(indexed: Engine) -> None:
    """After a sync the title and heading vectors are built in the background; a search meanwhile ranks
    as with those levers off (no title evidence, the raw cross-lingual floor), the next one uses them."""
    release = threading.Event()
    models = [_GatedEmbedder(model, release) for model in indexed.embedders]
    retriever = Retriever(indexed.settings, indexed.store, models, indexed.lexical)  # type: ignore[arg-type]
    retriever.refresh_views()  # what Engine.index does after a sync
    before = retriever.search("بطاقة هدايا", lang="ar")  # gift cards: English only in the slice
    assert before.results and "cross_top" in before.signals
    assert not {"cross_title_top", "cross_title_share", "cross_share"} & set(before.signals)
    release.set()
    retriever.wait_for_views()
    after = retriever.search("بطاقة هدايا", lang="ar")
    assert {"cross_title_top", "cross_title_share", "cross_share"} <= set(after.signals)
    assert [h.key for h in after.results] == [h.key for h in indexed.retriever.search("بطاقة هدايا", lang="ar").results]


def test_the_index_payloads_are_read_once_per_version_for_every_value_search_derives(
    indexed: Engine, monkeypatch
) -> None:
    """Article keys, BM25 scales, vocabulary, term table, hubs, title and heading vectors, sections:
    one payload read for all of them, and one more after a sync."""
    snapshot = IndexSnapshot.of(indexed.store)
    reads = snapshot.reads
    retriever = indexed.retriever
    for query, lang in (("بطاقة هدايا", "ar"), ("reset my password", "en"), ("استرجاع المبلغ", "ar")):
        assert retriever.search(query, lang=lang).results
    ArticleSections.of(indexed.store).siblings(retriever.search("reset my password", lang="en").results)
    retriever.wait_for_views()  # the term table and hubs are built in the background
    retriever.term_table._table.wait()
    assert snapshot.reads == reads + 1
    article = next(indexed.settings.content_dir.rglob("*.md"))
    article.write_text(article.read_text("utf-8") + "\n\nOne more sentence.\n", "utf-8")
    assert indexed.index(show_progress=False).exit_code == 0
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    retriever.wait_for_views()
    assert retriever.search("reset my password", lang="en").results
    retriever.wait_for_views()
    retriever.term_table._table.wait()
    assert snapshot.reads == reads + 2


def test_released_rows_are_read_again_when_a_value_needs_them() -> None:
    """The rows are let go a while after their read (KEEP_S); a value built later reads them again,
    and a release meant for an older read leaves a newer one alone."""
    store = _CountingStore()
    snapshot = IndexSnapshot(store)  # type: ignore[arg-type]
    snapshot.payloads(("key",))
    snapshot.release()
    assert snapshot.payloads(("key",))[0]["key"] == "en/a" and snapshot.reads == 2
    snapshot.release(generation=1)  # the first read's timer, firing late
    assert len(snapshot.payloads(("title",))) == 2 and snapshot.reads == 2


def test_a_server_warmed_on_an_empty_index_does_not_wait_for_the_first_sync_titles(
    settings: Settings, embedders: list[Embedder], monkeypatch
) -> None:
    """A new help center's server starts before its first sync (by the worker, another engine): the
    search after that sync ranks without title vectors while they are embedded, then with them."""
    release = threading.Event()
    server = Engine(settings, [_GatedEmbedder(model, release) for model in embedders])  # type: ignore[misc]
    server.warm_up()  # nothing to embed yet: the views of an empty index
    with Engine(settings, embedders) as worker:
        assert worker.index(show_progress=False).exit_code == 0
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    before = server.retriever.search("بطاقة هدايا", lang="ar")
    assert before.results and "cross_top" in before.signals and "cross_title_top" not in before.signals
    release.set()
    server.retriever.wait_for_views()
    after = server.retriever.search("بطاقة هدايا", lang="ar")
    assert {"cross_title_top", "cross_title_share", "cross_share"} <= set(after.signals)
    server.close()


def _block_the_builder() -> threading.Event:
    """Queue a build that holds the process's background builder until the returned event is set:
    every rebuild queued after it waits, as behind a slow one after a sync."""
    release, started = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(60)
        return "slow"

    FromIndex(lambda: "v1", slow, background=True).refresh()
    assert started.wait(10)
    return release


def test_a_build_that_needs_a_value_still_queued_builds_it_itself() -> None:
    """Rebuilds run one at a time on one builder; `wait` (the syncing process, a build that reads
    another view) runs a queued one in its own thread rather than waiting behind the queue."""
    release = _block_the_builder()
    titles = FromIndex(lambda: "v1", lambda: "titles", background=True)
    scales = FromIndex(lambda: "v1", lambda: titles.get() + " scaled", background=True)
    scales.refresh()
    titles.refresh()  # queued after the one that needs it
    assert scales.peek() is None and titles.peek() is None  # a search does not wait for either
    scales.wait(10)
    assert scales.peek() == "titles scaled" and titles.peek() == "titles"
    assert [t.name for t in threading.enumerate()].count("index-view-rebuild") == 1
    release.set()


def test_the_first_search_after_a_sync_keeps_the_previous_lexical_scales_and_exact_article_keys(
    indexed: Engine, monkeypatch
) -> None:
    """The lexical scales are rebuilt in the background: the search that finds the index changed
    abstains by the previous ones instead of waiting. What may be shown is rebuilt before it: an
    article removed by the sync is neither a result nor an article key, even with every background
    build still queued. The syncing engine (`Engine.index`) waits for the new scales."""
    removed = sorted((indexed.settings.content_dir / "ar").rglob("*.md"))[0]
    fields = dict(line.split(": ", 1) for line in removed.read_text("utf-8").splitlines() if ": " in line)
    key, title = f"ar/{fields['id']}", fields["title"]
    retriever = Retriever(indexed.settings, indexed.store, indexed.embedders, indexed.lexical)
    assert key in {h.key for h in retriever.search(title, lang="ar").results}
    retriever.wait_for_views()
    previous = retriever._lexical_scales.peek()
    assert previous is not None and previous["ar"] > 0
    assert indexed.retriever.search(title, lang="ar").results  # the syncing engine searches too (the worker)
    removed.unlink()
    assert indexed.index(show_progress=False).exit_code == 0
    version = indexed.store.version()
    assert indexed.retriever._lexical_scales._built_for == version  # the syncing process waited for them
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    release = _block_the_builder()
    try:
        result = retriever.search(title, lang="ar")
        assert retriever._lexical_scales._built_for != version  # still queued behind the slow build
        assert retriever.lexical_scale("ar") == previous["ar"]
        keys = retriever._article_keys.peek()
        assert keys is not None and key not in keys["public"] | keys["agent"]
        assert key not in {h.key for h in result.results}
    finally:
        release.set()
    retriever.wait_for_views()
    assert retriever._lexical_scales._built_for == version


def test_a_serving_engine_notices_a_sync_by_another_before_any_search(
    settings: Settings, embedders: list[Embedder]
) -> None:
    """After `warm_up` the builder checks the index between searches: a sync by another engine (the
    worker) is noticed without a search, the new version opened and its article keys rebuilt, so the
    first search after it does neither. Closing the engine stops the checks (none may reopen the store)."""
    with Engine(settings, embedders) as worker:
        assert worker.index(show_progress=False).exit_code == 0
        server = Engine(settings, embedders)
        server.warm_up()
        removed = sorted((settings.content_dir / "ar").rglob("*.md"))[0]
        key = f"ar/{removed.stem}"
        keys = server.retriever._article_keys.peek()
        assert keys is not None and key in keys["agent"]
        removed.unlink()
        assert worker.index(show_progress=False).exit_code == 0
        for _ in range(300):  # bounded: the check runs every WATCH_EVERY_S
            keys = server.retriever._article_keys._value
            if keys is not None and key not in keys["agent"]:
                break
            threading.Event().wait(0.1)
        assert keys is not None and key not in keys["agent"]
        assert server.retriever._article_keys._built_for == worker.store.version()
        server.close()
        assert server.retriever.check_index not in index_view._BUILDER._watchers


def test_a_search_right_after_a_sync_by_another_serves_the_open_version_without_what_it_withdrew(
    settings: Settings, embedders: list[Embedder]
) -> None:
    """The window between the worker's publish and the server's next check (held here by a slow build
    on the builder): the server's search neither reopens the store nor shows an article the sync
    deleted or made internal; the check then opens the new version, and the audience filter holds."""

    def front_matter(path) -> dict[str, str]:  # type: ignore[no-untyped-def]
        return dict(line.split(": ", 1) for line in path.read_text("utf-8").splitlines() if ": " in line)

    with Engine(settings, embedders) as worker:
        assert worker.index(show_progress=False).exit_code == 0
        server = Engine(settings, embedders)
        server.warm_up()
        en = sorted((settings.content_dir / "en").rglob("*.md"))
        public = [p for p in en if front_matter(p).get("visibility") == "public"]
        hidden, removed = public[0], public[1]
        titles = {f"en/{front_matter(p)['id']}": front_matter(p)["title"] for p in (hidden, removed)}
        for key, title in titles.items():
            assert key in {h.key for h in server.retriever.search(title, lang="en").results}
        opened = server.store.version()
        release = _block_the_builder()  # no check runs until released
        try:
            hidden.write_text(hidden.read_text("utf-8").replace("visibility: public", "visibility: internal"), "utf-8")
            removed.unlink()
            assert worker.index(show_progress=False).exit_code == 0
            for key, title in titles.items():
                assert key not in {h.key for h in server.retriever.search(title, lang="en").results}
                assert key not in {h.key for h in server.retriever.search(title, lang="en", audience="agent").results}
            assert server.store.version() == opened != worker.store.version()  # the search did not reopen it
        finally:
            release.set()
        for _ in range(300):  # bounded: the check runs every WATCH_EVERY_S
            if server.store.version() == worker.store.version():
                break
            threading.Event().wait(0.1)
        assert server.store.version() == worker.store.version()
        hidden_key, removed_key = titles
        assert hidden_key not in {h.key for h in server.retriever.search(titles[hidden_key], lang="en").results}
        agent = server.retriever.search(titles[hidden_key], lang="en", audience="agent").results
        assert hidden_key in {h.key for h in agent}
        assert removed_key not in {h.key for h in agent}
        server.close()
