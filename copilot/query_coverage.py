"""How much of what a question asks the first article says at all: evidence for abstaining on near-topic questions.

An off-topic question ("kabsa recipe") scores low everywhere and the abstention floors catch it. A near-topic
one is written in the help center's own field and shares its words: "do you sell bunk beds for kids" to a
furniture shop with no product pages, "freeze the first row in Excel" to the Microsoft 365 admin help. Its
models' scores and its BM25 score look like an answerable question's, because the field's words match; what
it asks specifically (bunk beds, freezing a row) is in no article. So: the share of the question's terms
(copilot.section_choice.terms: folded, dialect words as MSA, stemmed, stop words out) that the first article's
title, headings and text hold, each term once. An answerable question's article holds most of its terms;
a near-topic question's holds the field's words and not the ask.

The share means different things in different help centers: in a large, repetitive corpus (m365's 576 pages
of admin prose) any article holds many of a question's words. So it is read on the index's own scale
(`CoverageScale`), measured without labelled queries as calibration.py measures its scales: the index's
section headings (a writer's short statement of what one part of one article answers) asked as BM25 queries,
covered by their own article (what an answered question gets) and by the first other article search finds
(what a question gets from a near neighbour that does not answer it).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from copilot.calibration import MIN_TITLES, TITLE_SAMPLE, title_sample
from copilot.section_choice import terms
from indexer.lexical import SPARSE_VECTOR, LexicalEncoder
from indexer.stores.base import PayloadFilter, Source, StoreQuery, VectorStore

MIN_HEADING_TERMS = 2  # a one-word heading ("Overview") asks nothing an article's neighbours would not hold
NEIGHBOURS = 10  # BM25 hits read to find a heading's first other article


def article_terms(rows: Iterable[Mapping[str, object]]) -> dict[str, frozenset[str]]:
    """Per article key, the terms of its title, its headings and its text (all its chunks)."""
    texts: dict[str, list[str]] = {}
    titled: set[str] = set()
    for row in rows:
        key = str(row.get("key", ""))
        parts = texts.setdefault(key, [])
        if key not in titled:
            parts.append(str(row.get("title", "")))
            titled.add(key)
        heading = row.get("heading_path")
        parts += [str(h) for h in heading] if isinstance(heading, list) else []
        parts.append(str(row.get("text", "")))
    return {key: frozenset(terms(" ".join(parts))) for key, parts in texts.items()}


def coverage(query: str, held: frozenset[str]) -> float | None:
    """The share of the query's distinct terms in `held`; None for a query with no term."""
    asked = set(terms(query))
    return len(asked & held) / len(asked) if asked else None


@dataclass(frozen=True)
class CoverageScale:
    """One language's coverage in the index's own units: the median coverage of its headings asked as
    queries by their own article (`own`) and by the first other article BM25 finds for them (`neighbour`)."""

    own: float
    neighbour: float

    def share(self, value: float) -> float:
        """Where a coverage sits from the neighbour's (0) to the article's own (1)."""
        return (value - self.neighbour) / max(self.own - self.neighbour, 1e-3)


def coverage_scales(
    store: VectorStore,
    lexical: LexicalEncoder,
    rows: Sequence[Mapping[str, object]],
    held: Mapping[str, frozenset[str]],
    langs: Sequence[str],
) -> dict[str, CoverageScale]:
    """Per language with at least MIN_TITLES such headings, its CoverageScale (from `rows`, the index's
    chunk payloads with key, lang, title and heading_path; `held`, article_terms of them)."""
    scales: dict[str, CoverageScale] = {}
    for lang in langs:
        owners: dict[str, str] = {}
        for row in rows:
            path = row.get("heading_path")
            heading = str(path[-1]) if isinstance(path, list) and path else ""
            asks = heading != row.get("title") and len(set(terms(heading))) >= MIN_HEADING_TERMS
            if row.get("lang") == lang and asks:
                owners.setdefault(heading, str(row.get("key", "")))
        headings = title_sample(list(owners), TITLE_SAMPLE)
        asked = [(h, lexical.encode_query(h, lang)) for h in headings]
        asked = [(h, vector) for h, vector in asked if vector.indices]
        queries = [
            StoreQuery(
                (Source(SPARSE_VECTOR, vector, PayloadFilter(langs=(lang,))),),
                PayloadFilter(),
                limit=NEIGHBOURS,
                payload_fields=("key",),
            )
            for _, vector in asked
        ]
        own, neighbour = [], []
        for (heading, _), hits in zip(asked, store.query(queries) if queries else [], strict=True):
            other = next((str(h.payload.get("key")) for h in hits if h.payload.get("key") != owners[heading]), None)
            mine, theirs = coverage(heading, held.get(owners[heading], frozenset())), None
            if other is not None:
                theirs = coverage(heading, held.get(other, frozenset()))
            if mine is not None and theirs is not None:
                own.append(mine)
                neighbour.append(theirs)
        if len(own) >= MIN_TITLES:
            scales[lang] = CoverageScale(statistics.median(own), statistics.median(neighbour))
    return scales


# Abstain also when every one of these sits under its floor (beside the abstention floors, which flag when
# every model is unsure): the first article holds little of what is asked, on the index's coverage scale
# (`coverage_share`), USE finds nothing near it on the index's own scale (`use_share`, copilot.calibration's
# same-language CrossScale), and no title holds the question's words (`field_top`). Same-language, typed
# questions only. Fitted by bench/eval_retrieval.py --suite (the near-topic lines; see bench/RESULTS.md).
NEAR_TOPIC_FLOORS = {"coverage_share": 0.0, "use_share": -0.7, "field_top": 0.2}


def near_topic(signals: Mapping[str, float], floors: Mapping[str, float] = NEAR_TOPIC_FLOORS) -> bool:
    """Whether a search's evidence reads as a near-topic question: every floor's signal measured and under it."""
    return all(name in signals for name in floors) and all(signals[name] < floor for name, floor in floors.items())
