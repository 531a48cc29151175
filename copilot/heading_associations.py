"""Words the help center's own sections associate with a heading word: a lexical bridge between lexemes.

A customer's word can share no stem with the article's ("بخطوتين" for المصادقة متعددة العوامل, "رجعت" for
إعادة تنشيط): no stem, root or spelling family reaches it, and a help center with no translated articles mines
no term table. The index itself still says which words go together: a section's heading names its topic and
its body words it, so a heading word h and the body words b of the same sections are a small translation model
(Berger & Lafferty's, with headings as the "queries" and bodies as the "documents"). Per heading word, the
body words it shares at least MIN_SHARED sections with, by pointwise mutual information over the language's
sections (a word most sections hold scores about nothing, and a generic heading word has no strong partner),
the TOP_ASSOCIATIONS best kept. A query's words that a heading holds bring those body words to the lexical
query at a low weight (retrieval.EXPANSION_WEIGHTS["associations"]), ranking only: an association is the
index's guess, never evidence that an answer exists (copilot.retrieval.Expansion.lexical_parts).

Terms are the lexical index's own (copilot.term_table.TermMiner: stemmed, without stopwords), each kept with its
most frequent written form, which the query side hands back to the analyzer. No word list; nothing from another
help center.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from copilot.term_table import TermMiner

MIN_SHARED = 3  # one shared section is chance: every word of a heading meets every word under it once
MIN_PMI = math.log(4)  # together at least four times as often as independence would have them
MAX_SOURCE_SHARE = 0.05  # only a heading word at most this share of the sections hold: a rare word of the query
TOP_ASSOCIATIONS = 2  # body words kept per heading word, best first
PAYLOAD_FIELDS = ("lang", "title", "heading_path", "text")


@dataclass(frozen=True)
class HeadingAssociations:
    """Per language: heading term id -> the written body words it is associated with, best first."""

    table: Mapping[str, Mapping[int, tuple[str, ...]]] = field(default_factory=dict)

    def associate(self, terms: Iterable[int], lang: str, exclude: Iterable[str] = ()) -> list[str]:
        """The body words of the query's `terms` (the lexical index's ids), without those in `exclude`."""
        by_term = self.table.get(lang, {})
        out: list[str] = []
        skip = set(exclude)
        for term in terms:
            out.extend(w for w in by_term.get(term, ()) if w not in out and w not in skip)
        return out

    def __len__(self) -> int:
        return sum(len(t) for t in self.table.values())

    @classmethod
    def mine(
        cls, miner: TermMiner, payloads: Sequence[Mapping[str, object]], top: int = TOP_ASSOCIATIONS
    ) -> HeadingAssociations:
        """From the index's chunk payloads (lang, title, heading_path, text): each chunk is one section."""
        sections: dict[str, list[tuple[set[int], set[int]]]] = defaultdict(list)
        forms: dict[str, dict[int, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        for row in payloads:
            lang = str(row.get("lang", ""))
            path = row.get("heading_path")
            headings = " ".join(
                [str(row.get("title", "")), *(str(h) for h in path)]
                if isinstance(path, list)
                else [str(row.get("title", ""))]
            )
            heading = miner.terms(headings, lang)
            body = miner.terms(str(row.get("text", "")), lang, forms[lang]) - heading
            if heading and body:
                sections[lang].append((heading, body))
        return cls({lang: _associations(rows, forms[lang], top) for lang, rows in sections.items()})


def _associations(
    sections: list[tuple[set[int], set[int]]], forms: Mapping[int, Counter[str]], top: int
) -> dict[int, tuple[str, ...]]:
    """Per heading term, the `top` body terms by PMI among those sharing MIN_SHARED sections and MIN_PMI."""
    n = len(sections)
    heads: Counter[int] = Counter()
    bodies: Counter[int] = Counter()
    held: Counter[int] = Counter()
    joint: Counter[tuple[int, int]] = Counter()
    for heading, body in sections:
        heads.update(heading)
        bodies.update(body)
        held.update(heading | body)
        joint.update((h, b) for h in heading for b in body if b != h)
    scored: dict[int, list[tuple[float, int, int]]] = defaultdict(list)
    for (h, b), shared in joint.items():
        if shared < MIN_SHARED or held[h] > MAX_SOURCE_SHARE * n:
            continue
        pmi = math.log(shared * n / (heads[h] * bodies[b]))
        if pmi >= MIN_PMI:
            scored[h].append((2 * shared / (heads[h] + bodies[b]), shared, b))
    table: dict[int, tuple[str, ...]] = {}
    for h, candidates in scored.items():
        best = sorted(candidates, key=lambda c: (-c[0], -c[1], c[2]))[:top]
        table[h] = tuple(forms[b].most_common(1)[0][0] for _, _, b in best)
    return table
