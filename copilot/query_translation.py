"""The query translated by a language model, for the missing-translation fallback (LEVERS["query_translation"]).

An Arabic question whose answer may be an English-only article (and the reverse) is searched across
languages by the multilingual models and the mined term table's bridge terms (copilot.retrieval's
`_batch`). With the lever on and a `QueryTranslator` given, the query's translation into the articles'
language is also searched the same-language way there (each dense model and BM25 over that language's
articles), in the same fused ranking as the cross-lingual sources.

`QueryTranslator` is what the retriever asks: `translate(query, source, target)` returns the translation
or None (none known, the model failed or was too slow: the fallback ranks as without the lever), and
`confidence(query, source, target)` the model's own confidence in it, for LEVERS["query_translation_confident"]
(the translation searched only when its confidence is at least MIN_CONFIDENCE): the mean log-probability of the
translation's tokens given the prompt (bench/translation_confidence.py scores the cached ones), or None unknown.
- `CachedTranslations`: a JSONL file of translations made beforehand (bench/query_translations.py), for
  measuring the lever without a model in the loop.
- `ModelTranslator`: a model that completes chat messages (copilot.model_drafters' drafters: KB_LLM_URL's
  endpoint or KB_LLM_GGUF's local model), asked once per query (a bounded cache), waited on for at most
  `timeout` seconds in a worker thread: search never fails or waits longer because of it. A drafter's
  `complete` returns text only, so its confidence is unknown (None: the confident lever searches none of its
  translations); scoring it costs one more forward pass of the local model, median 0.6 s a query on 2 threads.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

# The languages a query is translated into, as the prompt names them.
LANGUAGE_NAMES = {"en": "English", "ar": "Arabic"}
MAX_TRANSLATION_TOKENS = 64
# A reply longer than this many times the query (and a floor) is not a translation (a model that answers or explains).
MAX_LENGTH_RATIO = 4
MIN_LENGTH_CAP = 80
# LEVERS["query_translation_confident"]: the least mean token log-probability of a translation that is searched
# (-0.5: a token's geometric-mean probability about 0.61). A round number chosen before any confidence was seen
# beside its query's ranks; bench/RESULTS.md "Session 31, xconf31" has the thresholds fitted on one domain.
MIN_CONFIDENCE = -0.5


class QueryTranslator(Protocol):
    def translate(self, query: str, source: str, target: str) -> str | None:
        """`query` (in language `source`) in language `target`, or None when there is none."""
        ...

    def confidence(self, query: str, source: str, target: str) -> float | None:
        """The model's confidence in `translate`'s answer (its tokens' mean log-probability), or None when unknown."""
        ...


def translation_messages(query: str, target: str, what: str = "search query") -> list[dict[str, str]]:
    """The chat asked of the model: a short instruction, then the query (or another help center text, `what`) alone."""
    name = LANGUAGE_NAMES.get(target, target)
    instruction = (
        f"Translate this help center {what} into {name}. Keep product names. "
        "Reply with the translation only."
    )
    return [{"role": "system", "content": instruction}, {"role": "user", "content": query}]


def cleaned(reply: str, query: str) -> str | None:
    """The reply as a translation: its first line, unquoted; None when empty, the query itself, or far longer."""
    line = next((part.strip() for part in reply.strip().splitlines() if part.strip()), "")
    line = line.strip().strip("\"'“”«»").strip()
    if not line or line.casefold() == query.strip().casefold():
        return None
    if len(line) > max(MIN_LENGTH_CAP, MAX_LENGTH_RATIO * len(query)):
        return None
    return line


class CachedTranslations:
    """Translations made beforehand: a JSONL file of {"query", "source", "target", "translation"} rows, each
    with its "confidence" when scored (bench/translation_confidence.py)."""

    def __init__(
        self, rows: dict[tuple[str, str, str], str], confidences: dict[tuple[str, str, str], float] | None = None
    ) -> None:
        self.rows = rows
        self.confidences = confidences or {}

    @classmethod
    def load(cls, path: Path) -> CachedTranslations:
        rows: dict[tuple[str, str, str], str] = {}
        confidences: dict[tuple[str, str, str], float] = {}
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = (str(row["query"]), str(row["source"]), str(row["target"]))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not a translation row ({error})") from error
            if not row.get("translation"):
                continue
            rows[key] = str(row["translation"])
            confidence = row.get("confidence")
            if confidence is not None:
                if isinstance(confidence, bool) or not isinstance(confidence, int | float):
                    raise ValueError(f"{path}:{number}: confidence is not a number ({confidence!r})")
                confidences[key] = float(confidence)
        return cls(rows, confidences)

    def translate(self, query: str, source: str, target: str) -> str | None:
        return self.rows.get((query, source, target))

    def confidence(self, query: str, source: str, target: str) -> float | None:
        return self.confidences.get((query, source, target))


class ModelTranslator:
    """A chat model's translation of each query, cached, and never waited on past `timeout` seconds.

    `complete(messages, max_tokens)` is the model (a drafter's `complete`); it runs in one worker thread, so a
    slow model delays no search past `timeout` (the search ranks without the translation, and the reply, when it
    comes, is cached for the next time the query is asked). A failure is logged and cached as no translation
    for this process, so a broken model is not asked again and again for one query."""

    def __init__(
        self, complete: Callable[[list[dict[str, str]], int], str], timeout: float, cache_size: int = 1024
    ) -> None:
        self.complete = complete
        self.timeout = timeout
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str, str], str | None] = OrderedDict()
        self._pending: dict[tuple[str, str, str], Future[str | None]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query-translation")

    def translate(self, query: str, source: str, target: str) -> str | None:
        key = (query, source, target)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            future = self._pending.get(key)
            if future is None:
                future = self._pool.submit(self._ask, key)
                self._pending[key] = future
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            log.warning("the query's translation took longer than %g s; searching without it", self.timeout)
            return None

    def _ask(self, key: tuple[str, str, str]) -> str | None:
        query, _, target = key
        try:
            translation = cleaned(self.complete(translation_messages(query, target), MAX_TRANSLATION_TOKENS), query)
        except Exception:
            log.exception("translating the query failed; searching without its translation")
            translation = None
        with self._lock:
            self._pending.pop(key, None)
            self._cache[key] = translation
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return translation

    def confidence(self, query: str, source: str, target: str) -> float | None:
        return None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
