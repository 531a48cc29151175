"""An untranslated article's address words speak for it to a customer writing the other language.

A help center written in one language often keeps its articles' ids (the web address) in another:
the Arabic-only m365 pages are "taiwan", "sierra-leone", "convert-user-mailbox-to-shared-mailbox", the
demo's Arabic pages are "reset-password", "delivery-times". When an English customer asks about an
Arabic-only article, the dense models must carry the question across languages, and on near-duplicate
pages (191 "contact support in <country>" pages that differ by one word) they cannot tell "Taiwan" from
"Thailand". The id says it in the customer's own language: the missing-translation fallback credits a
candidate by how much of its id (each word weighed by its rarity among the ids) the query's terms cover
(retrieval.LEVERS["slug_words"], Retriever._credit_slugs). The ids are read from the index's payloads
(`article_id`), never from the working tree; an id in the query's own script and language only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from indexer.lexical import LexicalEncoder
from kb.word_commonness import is_ordinary

# The credit, as a share of the fallback's best fused score ("first in every source"), for an id the
# query covers whole. English over Arabic-only MRR@10, demo dev / m365 dev / m365 customer slice
# (bench/fusion_probe.py; bench/RESULTS.md "Session 11, m365cust"): off 0.758 / 0.796 / 0.564; 0.2: - /
# 0.790 / 0.643; 0.4: 0.764 / 0.800 / 0.647; 0.6: 0.780 / 0.799 / 0.648; 0.8: 0.796 / 0.805 / 0.651; 1.0:
# 0.794 / 0.801 / 0.653; 1.5: 0.783 / 0.798 / 0.639. The middle of the plateau.
SLUG_CREDIT = 0.8


def slug_credit() -> float:
    """SLUG_CREDIT as it stands (read per search, so a bench can vary it in one process)."""
    return SLUG_CREDIT


_SPLIT = re.compile(r"[-_./\s]+")


def id_words(article_id: str) -> str:
    """The id as words: "sierra-leone" -> "sierra leone"; ids that are not Latin words give ""."""
    words = [w for w in _SPLIT.split(article_id) if w.isascii() and w.isalpha()]
    return " ".join(words)


class SlugTerms:
    """Each article key's id terms (the lexical analyzer's, in the ids' language) and their IDF among ids."""

    def __init__(self, lexical: LexicalEncoder, ids: Iterable[tuple[str, str]], lang: str = "en") -> None:
        self.lang = lang
        self.terms: dict[str, frozenset[int]] = {}
        self.ordinary: set[int] = set()  # terms every id word they stand for is ordinary in the language
        rare: set[int] = set()
        for key, article_id in ids:
            words = id_words(article_id)
            if not words:
                continue
            self.terms[key] = frozenset(lexical.encode_query(words, lang).indices)
            for word in words.split():
                terms = lexical.encode_query(word, lang).indices
                (self.ordinary if is_ordinary(word, lang) else rare).update(terms)
        self.ordinary -= rare
        df: Counter[int] = Counter(t for terms in self.terms.values() for t in terms)
        n = max(len(self.terms), 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}

    def shares(self, keys: Iterable[str], query: frozenset[int], lone_ordinary: bool = True) -> dict[str, float]:
        """Per key, the IDF-weighed share of its id terms that `query` holds (keys with no id term left out).

        `lone_ordinary=False` (LEVERS["slug_rare_words"]): one shared word that is ordinary in the language
        (kb.word_commonness: "office", "phone") credits nothing; a rare word does, two or more shared
        words agreeing do, and so does an id the query says whole (a one-word id: "india")."""
        out: dict[str, float] = {}
        for key in keys:
            terms = self.terms.get(key)
            if not terms:
                continue
            total = sum(self.idf[t] for t in terms)
            shared = terms & query
            if not lone_ordinary and len(shared) == 1 and shared <= self.ordinary and shared != terms:
                shared = frozenset()
            out[key] = sum(self.idf[t] for t in shared) / total if total else 0.0
        return out


def slug_ids(payloads: Iterable[Mapping[str, object]]) -> list[tuple[str, str]]:
    """(key, article id) once per article, from chunk payloads (store.payloads(("key", "article_id")))."""
    seen: dict[str, str] = {}
    for p in payloads:
        key, article_id = str(p.get("key", "")), str(p.get("article_id", "") or "")
        if key and article_id:
            seen.setdefault(key, article_id)
    return sorted(seen.items())
