"""The articles of the help center as the site shows them (by language, category, id).

The index answers "which chunks match"; the catalog answers "what is article X, in which languages
does it exist, what is in category Y". It is read from the content directory and re-read when a
file there changes, checked at most every few seconds, so the site follows `kb index` runs and
content edits without a restart.

A file that stops loading (a typo in its front matter, an invalid date) does not take its article
off the site: the snapshot keeps the last version that loaded, with the text that version had,
until the file is fixed; the error is listed in `errors` for `kb doctor` and the health check.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kb.articles import Article, ArticleError, iter_article_paths, load_content
from kb.audience import PUBLIC, Audience, visible
from kb.categories import CATEGORIES_FILE, CategoryInfo, category_info, load_categories
from kb.settings import Settings
from kb.translations import article_statuses, translated_from

_CHECK_EVERY_S = 2.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogSnapshot:
    articles: dict[str, Article]  # by key "lang/id"
    errors: tuple[ArticleError, ...]
    signature: tuple[tuple[str, int, int], ...]
    stale: frozenset[str] = frozenset()  # keys of translations made from an older source


class Catalog:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._snapshot: CatalogSnapshot | None = None
        self._checked = 0.0
        self._categories: tuple[int, dict[str, CategoryInfo]] | None = None

    def _signature(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for path in iter_article_paths(self.settings.content_dir):
            stat = path.stat()
            out.append((path.as_posix(), stat.st_mtime_ns, stat.st_size))
        return tuple(out)

    def snapshot(self) -> CatalogSnapshot:
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked < _CHECK_EVERY_S:
            return self._snapshot
        with self._lock:
            signature = self._signature() if self.settings.content_dir.is_dir() else ()
            self._checked = now
            if self._snapshot is None or signature != self._snapshot.signature:
                loaded = load_content(self.settings.content_dir, self.settings.languages)
                kept = _last_good(self._snapshot, loaded.articles, loaded.errors)
                loaded.articles.extend(kept)
                stale = frozenset(
                    f"{s.lang}/{s.id}"
                    for s in article_statuses(loaded.articles, self.settings.languages)
                    if s.status == "stale"
                )
                self._snapshot = CatalogSnapshot(
                    {a.key: a for a in loaded.articles}, tuple(loaded.errors), signature, stale
                )
            return self._snapshot

    def get(self, lang: str, article_id: str, audience: Audience = PUBLIC) -> Article | None:
        """The article if `audience` may read it (fails closed: anything but "agent" is public)."""
        article = self.snapshot().articles.get(f"{lang}/{article_id}")
        if article is None or not visible(article.internal, audience):
            return None
        return article

    def translations(self, article: Article, audience: Audience = PUBLIC) -> list[Article]:
        """The article's other languages that `audience` may read."""
        return [
            other
            for lang in self.settings.languages
            if lang != article.lang and (other := self.get(lang, article.id, audience)) is not None
        ]

    def stale_source(self, article: Article, audience: Audience = PUBLIC) -> Article | None:
        """The source a stale translation was made from an older version of; None when current."""
        if article.key not in self.snapshot().stale:
            return None
        return next((t for t in self.translations(article, audience) if translated_from(t) is None), None)

    def by_category(self, lang: str, audience: Audience = PUBLIC) -> dict[str, list[Article]]:
        groups: dict[str, list[Article]] = {}
        for article in self.snapshot().articles.values():
            if article.lang == lang and visible(article.internal, audience):
                groups.setdefault(article.category, []).append(article)
        return {name: sorted(items, key=lambda a: a.title) for name, items in sorted(groups.items())}

    def categories(self) -> dict[str, CategoryInfo]:
        """`content/_categories.yml`, re-read when it changes. A broken edit keeps the last version
        that read (logged): a typo in a data file must not break every page."""
        path = self.settings.content_dir / CATEGORIES_FILE
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._categories is None or self._categories[0] != stamp:
            try:
                found = load_categories(self.settings.content_dir)
            except (ValueError, AttributeError, RecursionError, OSError) as error:  # CategoriesError is a ValueError
                log.warning("%s: %s; categories unchanged", path, (str(error) or repr(error)).splitlines()[0])
                found = self._categories[1] if self._categories is not None else {}
            self._categories = (stamp, found)
        return self._categories[1]

    def category_name(self, category: str, lang: str) -> str:
        """Display name from `content/_categories.yml`; the folder name when none is given."""
        return category_info(self.categories(), category).name(lang)

    def ids_by_path(self) -> dict[str, str]:
        """Article id of each file (relative path), for links written as paths (`kb.render`)."""
        return {article.path: article.id for article in self.snapshot().articles.values()}

    def source(self, article: Article) -> str:
        """The Markdown the article was loaded from (not the file now on disk, which may be broken)."""
        if article.source:
            return article.source
        return (Path(self.settings.content_dir) / article.path).read_text("utf-8")


def _last_good(
    previous: CatalogSnapshot | None, articles: list[Article], errors: list[ArticleError]
) -> list[Article]:
    """Articles of the previous snapshot whose file now fails to load: they stay as they were."""
    if previous is None:
        return []
    failing = {error.path for error in errors}
    taken = {article.key for article in articles}
    kept = [a for a in previous.articles.values() if a.path in failing and a.key not in taken]
    return kept
