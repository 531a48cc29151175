"""Common query terms: BM25 query weights by the index's own chunk frequencies.

BM25 (the `lexical` RRF source) is the signal that puts the wrong page first most often (bench/RESULTS.md
"Session 17, mfault7"): a word many chunks hold (موظف in every step of a numbered series, a breadcrumb's word)
still adds its tf weight times Qdrant's IDF, and the chunk that repeats it beats the one that holds the
question's rare word once. The rule here weighs a query term by how many of its language's chunks hold it,
on the index's own counts (no list of words): a term held by more than COMMON_SHARE of the chunks counts by
its IDF over the IDF at that share (so a term in every chunk counts about nothing), the others fully; with
RARE_SHARE a term fewer chunks hold counts as one held by that share (an incidental rare word, such as a
dialect verb's MSA reading, no longer outweighs the rest); with SHARPEN every term also counts by (its IDF /
the query's mean IDF) ** SHARPEN, which widens (SHARPEN > 0) or narrows (< 0) the gap between the query's rare
and common words without changing a one-term query. Ranking only: the abstention
evidence reads the query as before.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from indexer.lexical import SparseVector
from kb.chunking import chunk_text

PAYLOAD_FIELDS = ("lang", "title", "heading_path", "text")
COMMON_SHARE = 0.02  # chunks of the query's language holding a term beyond which it counts less
SHARPEN = 0.0  # the exponent of each term's IDF over the query's mean IDF (0: off)
RARE_SHARE = 0.0  # a term fewer chunks hold counts as one this share holds, by IDF (0: off)


def idf(chunks: int, held: int) -> float:
    """Qdrant's BM25 IDF modifier: ln(1 + (N - n + 0.5) / (n + 0.5))."""
    return math.log1p((chunks - held + 0.5) / (held + 0.5))


@dataclass(frozen=True)
class ChunkFrequencies:
    """Per language, how many chunks hold each lexical term, and how many chunks there are."""

    counts: Mapping[str, Mapping[int, int]]
    chunks: Mapping[str, int]

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, object]], terms: Callable[[str, str], Iterable[int]]) -> ChunkFrequencies:
        """From the index's chunk payloads (lang, title, heading_path, text): the text the lexical index
        encodes (kb.chunking.chunk_text; a merged section's unshown headings, `Chunk.headings`, are not in the payload,
        so not counted), read by `terms(text, lang)` (the document encoder's terms)."""
        counts: dict[str, Counter[int]] = {}
        chunks: Counter[str] = Counter()
        for row in rows:
            lang = str(row.get("lang") or "")
            path = row.get("heading_path")
            headings = [str(h) for h in path] if isinstance(path, list) else []
            text = chunk_text(str(row.get("title", "")), headings, str(row.get("text", "")))
            counts.setdefault(lang, Counter()).update(set(terms(text, lang)))
            chunks[lang] += 1
        return cls(counts, dict(chunks))

    def idf(self, lang: str, term: int) -> float:
        total = self.chunks.get(lang, 0)
        return idf(total, self.counts.get(lang, {}).get(term, 0))

    def factor(self, lang: str, term: int, share: float = COMMON_SHARE) -> float:
        """1 for a term at most `share` of the chunks hold, else its IDF over the IDF at `share`."""
        total = self.chunks.get(lang, 0)
        if not total:
            return 1.0
        return min(1.0, self.idf(lang, term) / idf(total, int(share * total)))

    def weigh(
        self, vector: SparseVector, lang: str, share: float | None = None, sharpen: float | None = None
    ) -> SparseVector:
        """`vector`'s weights times each term's factor (and, with `sharpen`, its IDF over the mean's power);
        COMMON_SHARE and SHARPEN unless given."""
        share = COMMON_SHARE if share is None else share
        sharpen = SHARPEN if sharpen is None else sharpen
        if not vector or not self.chunks.get(lang):
            return vector
        factors = [self.factor(lang, term, share) if share < 1 else 1.0 for term in vector.indices]
        if RARE_SHARE:
            total = self.chunks[lang]
            cap = idf(total, int(RARE_SHARE * total))
            factors = [f * min(1.0, cap / self.idf(lang, t)) for f, t in zip(factors, vector.indices, strict=True)]
        if sharpen:
            idfs = [self.idf(lang, term) for term in vector.indices]
            mean = sum(idfs) / len(idfs)
            factors = [f * (i / mean) ** sharpen if mean > 0 else f for f, i in zip(factors, idfs, strict=True)]
        values = tuple(v * f for v, f in zip(vector.values, factors, strict=True))
        return SparseVector(vector.indices, values)
