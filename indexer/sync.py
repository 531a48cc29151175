"""Bring the index in line with the content directory, doing as little work as possible.

The index itself is the record of what was indexed: every point carries its article key, path,
the hash of the file it came from and the version of the payload it was written with. A run hashes
each file, parses only files whose hash differs from the stored one (or whose points hold another
payload version than PAYLOAD_VERSION, or were cut at other chunk sizes than the settings':
`KB_CHUNK_MAX_CHARS`, `KB_CHUNK_MIN_CHARS`), replaces exactly the points of changed articles, removes
those of deleted articles and embeds only chunk texts the embedding cache has not seen. A file
that fails to parse is reported and skipped; if an earlier version of it is indexed, that version
stays searchable (nothing is lost because a writer made a typo).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from indexer.cache import EmbeddingCache
from indexer.embedders import Embedder
from indexer.lexical import LexicalEncoder
from indexer.stores.base import IndexPoint, StoredArticle, StoreWriter, VectorStore, chunking_of
from kb.articles import Article, ArticleError, iter_article_paths, load_article
from kb.chunking import Chunk, chunk_article
from kb.settings import Settings

EMBED_BATCH = 16
# What each point's payload holds (`chunk_payload`). A field added or changed bumps it, and the next
# sync rewrites every article written before (re-chunked, embeddings from the cache), on any store:
# ranking that reads the new field never meets an index half without it for long. A reader of an
# index not yet rewritten finds the field missing and ranks as with its lever off.
# 1: the fields before `links`; 2: `links` (copilot.series_pages); 3: the lexical vector also reads the headings
# a merged small section's path held and no chunk shows (kb.chunking.Chunk.lexical_text: "# Contact support in
# Rwanda" over "## Phone number" was in no chunk, so no search found its words). The payload is unchanged.
PAYLOAD_VERSION = 3


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[ArticleError] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 2 if self.rejected else 0

    def summary(self) -> str:
        return (
            f"articles: {len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected; "
            f"chunks: {self.chunks_embedded} embedded, {self.chunks_reused} reused; {self.seconds:.1f} s"
        )


def chunking(settings: Settings) -> str:
    """The chunk sizes an index is cut with, as its points record them (StoredArticle.chunking)."""
    return chunking_of(settings.chunk_max_chars, settings.chunk_min_chars)


def chunk_payload(article: Article, chunk: Chunk) -> dict[str, object]:
    return {
        "key": article.key,
        "article_id": article.id,
        "lang": article.lang,
        "category": article.category,
        "visibility": article.visibility,
        "tags": list(article.tags),
        "title": article.title,
        "summary": article.summary,
        "links": list(article.links),  # the articles it links to (kb.links): ranking reads the index's, not the tree's
        "updated": article.updated.isoformat() if article.updated else None,
        "path": article.path,
        "file_hash": article.file_hash,
        "heading_path": list(chunk.heading_path),
        "section": chunk.section,
        "anchor": chunk.anchor,
        "text": chunk.text,
        "line": chunk.line,
        "ordinal": chunk.ordinal,
        "hash": chunk.content_hash,
        "payload_version": PAYLOAD_VERSION,
    }


class Embedding:
    """Embeds chunk texts through the cache: only texts no earlier run has seen reach a model."""

    def __init__(self, embedders: Sequence[Embedder], cache: EmbeddingCache) -> None:
        self.embedders = list(embedders)
        self.cache = cache

    @property
    def dims(self) -> dict[str, int]:
        return {e.name: e.dim for e in self.embedders}

    def vectors(
        self, chunks: Sequence[Chunk], progress: Callable[[int], None] | None = None
    ) -> tuple[list[dict[str, np.ndarray]], int, int]:
        """Per chunk, its vector per embedder; plus how many chunks needed a model and how many did not."""
        out: list[dict[str, np.ndarray]] = [{} for _ in chunks]
        embedded: set[int] = set()
        hashes = [c.content_hash for c in chunks]
        for embedder in self.embedders:
            found = self.cache.get_many(embedder.model_id, list(dict.fromkeys(hashes)), embedder.dim)
            missing = [i for i, h in enumerate(hashes) if h not in found]
            embedded.update(missing)
            todo = list({hashes[i]: i for i in missing}.values())  # one embedding per distinct text
            for start in range(0, len(todo), EMBED_BATCH):
                batch = todo[start : start + EMBED_BATCH]
                matrix = embedder.embed_passages([chunks[i].embed_text for i in batch])
                items = [(hashes[i], matrix[row]) for row, i in enumerate(batch)]
                self.cache.put_many(embedder.model_id, items)
                found.update(items)
                if progress is not None:
                    progress(len(batch))
            for i, text_hash in enumerate(hashes):
                out[i][embedder.name] = found[text_hash]
        return out, len(embedded), len(chunks) - len(embedded)


def sync_index(
    settings: Settings,
    store: VectorStore,
    embedding: Embedding,
    lexical: LexicalEncoder,
    rebuild: bool = False,
    show_progress: bool | None = None,
) -> SyncReport:
    started = time.perf_counter()
    report = SyncReport()
    writer = store.writer(embedding.dims, rebuild=rebuild)
    try:
        stored = writer.stored_articles()
        articles = _changed_articles(settings, stored, report)
        sizes = (settings.chunk_max_chars, settings.chunk_min_chars)
        chunked = [(article, chunk_article(article, *sizes)) for article in articles]
        cut = chunking(settings)
        total = sum(len(chunks) for _, chunks in chunked)
        # disable=None: tqdm draws only on a terminal, so logs and CI stay quiet.
        quiet = True if show_progress is False else None
        with tqdm(
            total=total * len(embedding.embedders), unit="chunk", desc="embedding", leave=False, disable=quiet
        ) as bar:
            for article, chunks in chunked:
                previous = stored.get(article.key)
                _write_article(writer, article, chunks, previous, embedding, lexical, report, bar.update, cut)
        for key in report.removed:
            writer.delete(sorted(stored[key].point_ids))
        if chunked or report.removed or rebuild:
            writer.publish()
        else:  # nothing changed: no new version, readers keep theirs
            writer.abort()
    except BaseException:
        writer.abort()
        raise
    report.seconds = time.perf_counter() - started
    return report


def _changed_articles(settings: Settings, stored: dict[str, StoredArticle], report: SyncReport) -> list[Article]:
    """Parse only files whose bytes changed; fill the report's added/changed/removed/rejected."""
    by_path = {article.path: (key, article) for key, article in stored.items()}
    present: set[str] = set()
    keep_paths: set[str] = set()
    todo: list[Article] = []
    content_dir = settings.content_dir
    for path in iter_article_paths(content_dir):
        relative = path.relative_to(content_dir).as_posix()
        known = by_path.get(relative)
        if known is not None and _current(known[1], settings) and known[1].file_hash == _file_hash(path):
            present.add(known[0])
            report.unchanged += 1
            continue
        try:
            article = load_article(path, content_dir, settings.languages)
        except ArticleError as error:  # an unreadable file too (kb.articles.check_article names it)
            report.rejected.append(error)
            keep_paths.add(relative)
            continue
        todo.append(article)
    accepted: list[Article] = []
    for article in todo:
        if article.key in present:
            other = stored[article.key].path if article.key in stored else "another file"
            report.rejected.append(
                ArticleError(article.path, 1, f"duplicate id {article.id!r} in {article.lang} (also in {other})")
            )
            keep_paths.add(article.path)
            continue
        present.add(article.key)
        accepted.append(article)
        (report.changed if article.key in stored else report.added).append(article.key)
    for key, held in stored.items():
        if key not in present and held.path not in keep_paths:
            report.removed.append(key)
    return accepted


def _current(stored: StoredArticle, settings: Settings) -> bool:
    """Whether an article's points were written as this sync would write them (payload fields, chunk sizes)."""
    return stored.payload_version == PAYLOAD_VERSION and stored.chunking == chunking(settings)


def _write_article(
    writer: StoreWriter,
    article: Article,
    chunks: list[Chunk],
    previous: StoredArticle | None,
    embedding: Embedding,
    lexical: LexicalEncoder,
    report: SyncReport,
    progress: Callable[[int], None],
    sizes: str,
) -> None:
    vectors, embedded, reused = embedding.vectors(chunks, progress)
    report.chunks_embedded += embedded
    report.chunks_reused += reused
    points = [
        IndexPoint(
            id=chunk.point_id,
            dense=vectors[i],
            sparse=lexical.encode_document(chunk.lexical_text, article.lang),
            payload=chunk_payload(article, chunk) | {"chunking": sizes},  # the sizes it was cut with
        )
        for i, chunk in enumerate(chunks)
    ]
    writer.upsert(points)  # new points first: readers of a live server index never see a gap
    if previous is not None:
        writer.delete(sorted(previous.point_ids - {p.id for p in points}))


def _file_hash(path: Path) -> str | None:
    """The file's sha256, None when it cannot be read (load_article then names why, as a rejection)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
