"""The state of the content and the index in one report: `/api/v1/health` and `kb doctor` share it.

Every recovery elsewhere (a broken article kept at its last good version, a damaged index version
skipped, a corrupt cache replaced) logs one line when it happens; this report is where an operator
finds the same facts later, without reading logs. `deep` adds checks that read every cached vector,
which `kb doctor` can afford and a load balancer's health probe should not pay for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from indexer.cache import CACHE_FILE, check_cache
from indexer.stores.base import VectorStore
from kb.articles import ArticleError
from kb.settings import Settings

MAX_LISTED_ERRORS = 50  # a health answer stays small; `kb lint` lists everything


@dataclass
class HealthReport:
    status: str  # "ok", "degraded" (serving, with a problem to fix), "empty", "down"
    chunks: int
    index: dict[str, Any]
    content_errors: list[str] = field(default_factory=list)
    cache: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)  # one line each, what an operator should do

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "chunks": self.chunks,
            "index": self.index,
            "content": {"errors": self.content_errors[:MAX_LISTED_ERRORS], "error_count": len(self.content_errors)},
            "problems": self.problems,
        }
        if self.cache is not None:
            out["cache"] = self.cache
        return out


def health_report(
    settings: Settings, store: VectorStore, content_errors: Sequence[ArticleError] = (), deep: bool = False
) -> HealthReport:
    problems: list[str] = []
    index = store_health(store)
    try:
        chunks = store.count()
    except Exception as error:  # a store that cannot answer at all is the finding, not a crash of the probe
        chunks = 0
        index = {**index, "state": "down", "error": str(error).splitlines()[0][:300] if str(error) else "error"}
    state = index.get("state", "ok")
    if index.get("pointer") not in (None, "ok"):
        problems.append(f"index: {index['pointer']}; serving {index.get('serving')} (run `kb index` to publish anew)")
    for version, why in dict(index.get("damaged_versions") or {}).items():
        problems.append(f"index: version {version} is damaged ({why}); run `kb index` (or `--rebuild`)")
    if index.get("error"):
        problems.append(f"index: cannot be read: {index['error']}")
    errors = [str(article_error) for article_error in content_errors]
    for line in errors[:MAX_LISTED_ERRORS]:
        problems.append(f"content: {line} (the last good version, if any, is served)")
    cache_json: dict[str, Any] | None = None
    if deep:
        cache = check_cache(settings.data_dir / CACHE_FILE)
        cache_json = cache.as_json()
        if not cache.ok:
            problems.append(cache.line())
    if state == "down" or (chunks == 0 and state == "damaged"):
        status = "down"
    elif chunks == 0:
        status = "empty"
    elif problems or state != "ok":
        status = "degraded"
    else:
        status = "ok"
    return HealthReport(status, chunks, index, errors, cache_json, problems)


def store_health(store: VectorStore) -> dict[str, Any]:
    """The store's own account when it keeps one (the edge store's versions), else what is known."""
    describe = getattr(store, "health", None)
    if callable(describe):
        return dict(describe())
    return {"engine": type(store).__name__, "state": "ok", "serving": store.version()}
