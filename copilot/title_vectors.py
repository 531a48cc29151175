"""Cross-lingual title evidence: the query's USE vector against every article title's own vector.

A chunk's vector blends its title with a few hundred characters of body; across languages the
body is where USE's alignment is weakest (product vocabulary, steps, lists), while a title is a
short, plain statement of what the article answers. Scored alone, titles separate the right
article from its neighbours better than chunks for a query in another language: USE alone over
the demo's English articles, Arabic queries, MRR@10 0.586 by chunks, 0.651 by chunk plus half the
title cosine (bench/eval_retrieval.py --suite gives the product's figures with the rest of the
pipeline). Titles are few (one per article and language), so their vectors live in memory,
built from the live index and rebuilt when it changes; a title seen before keeps its vector.
The live index's are built in the background (`background=True`: embedding m365's 575 titles with
e5 takes seconds): a search during a rebuild uses the previous version's vectors, and one before
the first build started ahead (`refresh`) is done ranks without them (`peek()` is None).

The same holds for section headings (`field="section"`: an article scores as its best heading) and
for e5 (`as_queries=True`: a title is a short statement like a query, so both sides get e5's
"query: " form). Both join the other languages' ranking beside USE's titles; see
copilot.retrieval.TITLE_RANKINGS for what each adds on the two dev domains.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from copilot.index_view import FromIndex
from copilot.title_evidence import opening_keys
from indexer.embedders import Embedder


@dataclass(frozen=True)
class TitleMatrix:
    """Article keys ("lang/id") per language and their texts' unit vectors, row for row (a key
    repeats when an article has several texts, as headings do), and the texts themselves (which
    section a heading row is: copilot.query_adapter pairs it with that section's chunks)."""

    keys: dict[str, tuple[str, ...]]
    vectors: dict[str, np.ndarray]
    texts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def scores(self, query: np.ndarray, langs: Sequence[str]) -> dict[str, float]:
        """Cosine of the query's vector with each article's best text in these languages, by key."""
        out: dict[str, float] = {}
        for lang in langs:
            matrix = self.vectors.get(lang)
            if matrix is None or not len(matrix):
                continue
            for key, score in zip(self.keys[lang], (matrix @ query).tolist(), strict=True):
                if score > out.get(key, -2.0):
                    out[key] = score
        return out


class TitleVectors:
    """The live index's titles (or another payload text, `field`) embedded by one model."""

    def __init__(
        self,
        embedder: Embedder,
        payloads: Callable[[], list[dict]],
        version: Callable[[], str | None],
        field: str = "title",
        as_queries: bool = False,
        background: bool = False,
    ) -> None:
        self.embedder = embedder
        self._payloads = payloads
        self._field = field
        self._as_queries = as_queries
        self._known: dict[str, np.ndarray] = {}  # title -> unit vector, kept across index versions
        self._lock = threading.Lock()
        self._matrix = FromIndex(version, self._build, background=background)

    def get(self) -> TitleMatrix:
        return self._matrix.get()

    def peek(self) -> TitleMatrix | None:
        """The vectors without waiting for a build started ahead: None until it is done, and while
        the only ones built are an empty index's (the first sync's titles are on their way)."""
        matrix = self._matrix.peek()
        return matrix if matrix is not None and matrix.keys else None

    def current(self) -> TitleMatrix:
        """The vectors of the live index's version, waiting for their build: for values derived from
        them (copilot.calibration.cross_scales), which must not be built from the previous version's."""
        self._matrix.refresh()
        self._matrix.wait()
        return self._matrix.get()

    def refresh(self) -> None:
        """Start (re)building for the live index in the background, if it changed."""
        self._matrix.refresh()

    def wait(self, timeout: float | None = None) -> None:
        self._matrix.wait(timeout)

    def _build(self) -> TitleMatrix:
        texts: dict[str, set[tuple[str, str]]] = {}  # lang -> (key, text); every chunk repeats its title
        payloads = self._payloads()
        # A title that is only its article's opening words is no title to rank by (copilot.title_evidence).
        opening = opening_keys(payloads) if self._field == "title" else frozenset()
        for payload in payloads:
            key, text = str(payload.get("key", "")), str(payload.get(self._field, "")).strip()
            if key and text and key not in opening:
                texts.setdefault(str(payload.get("lang", "")), set()).add((key, text))
        with self._lock:
            wanted = {t for pairs in texts.values() for _, t in pairs}
            new = sorted(wanted - set(self._known))
            if new:
                embed = self.embedder.embed_queries if self._as_queries else self.embedder.embed_passages
                embedded = embed(new)
                norms = np.linalg.norm(embedded, axis=1, keepdims=True)
                for title, vector in zip(new, embedded / np.maximum(norms, 1e-9), strict=True):
                    self._known[title] = vector.astype(np.float32)
            self._known = {t: v for t, v in self._known.items() if t in wanted}  # edited titles go
            rows = {lang: sorted(pairs) for lang, pairs in texts.items() if pairs}
            keys = {lang: tuple(k for k, _ in pairs) for lang, pairs in rows.items()}
            vectors = {lang: np.stack([self._known[t] for _, t in pairs]) for lang, pairs in rows.items()}
            written = {lang: tuple(t for _, t in pairs) for lang, pairs in rows.items()}
        return TitleMatrix(keys, vectors, written)
