"""Related articles: an article's nearest neighbours in the index, in its own language.

The article's title and summary are searched as a query (the same hybrid ranking customers get),
which finds neighbours by meaning without a second vector API on the stores. Answers are cached per
index version, so an article page costs one search per article per `kb index` run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from copilot.retrieval import Retriever, SearchHit
from kb.articles import Article
from kb.audience import PUBLIC

CACHE_SIZE = 512


class RelatedArticles:
    def __init__(self, retriever: Retriever, version: Callable[[], object]) -> None:
        self.retriever = retriever
        self.version = version
        self._cache: OrderedDict[tuple[str, object], list[SearchHit]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, article: Article, limit: int = 4) -> list[SearchHit]:
        key = (article.key, self.version())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key][:limit]
        query = f"{article.title}. {article.summary or ''}".strip(". ")
        result = self.retriever.search(query, lang=article.lang, limit=limit + 4, audience=PUBLIC)
        hits = [h for h in result.results if h.lang == article.lang and h.id != article.id][:limit]
        with self._lock:
            self._cache[key] = hits
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return hits
