"""Title rarity: a title word's field credit weighed by how few of its language's titles hold it.

The field credit (copilot.retrieval.Retriever._credit_fields) gives an article the share of the typed
query's terms its title or tags hold, every term alike. A word many titles hold says little about
which article the question is for: on m365 the seven steps of the "former employee" series and the
series' overview all hold موظف ("employee") and سابق, so "التحقق بخطوتين للموظفين" (two-step
verification for the employees) credits a series step with a third of the question as much as the
title that says "verification". Weighed by rarity, each term counts its inverse title frequency,
log(1 + N / n) over the N titles of its language of which n hold it (tags included, as the credit
reads them): a word in one title counts about twice what a word in a tenth of them does. The weights
come from the index's own titles, in any language, with no list of words (bench/miss_signals.py
decomposes the misses it was meant for; bench/RESULTS.md "Session 17, mfault7").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import partial


@dataclass(frozen=True)
class TitleRarity:
    """Per language, how many titles hold each lexical term, and how many titles there are."""

    counts: Mapping[str, Mapping[int, int]]
    titles: Mapping[str, int]

    @classmethod
    def of(
        cls, rows: Iterable[dict[str, object]], terms: Callable[[dict[str, object], str], Collection[int]]
    ) -> TitleRarity:
        """From the index's chunk payloads (key, lang, title, tags): each article once, its title and
        tags' terms as `terms(payload, lang)` reads them (the field credit's own reading)."""
        seen: set[str] = set()
        counts: dict[str, Counter[int]] = {}
        titles: Counter[str] = Counter()
        for row in rows:
            key, lang = str(row.get("key") or ""), str(row.get("lang") or "")
            if not key or key in seen:
                continue
            seen.add(key)
            titles[lang] += 1
            counts.setdefault(lang, Counter()).update(set(terms(row, lang)))
        return cls(counts, dict(titles))

    def weight(self, lang: str, term: int) -> float:
        """log(1 + N / n): N titles of `lang`, n of them holding `term` (a term no title holds counts as one)."""
        total = self.titles.get(lang, 0)
        held = self.counts.get(lang, {}).get(term, 0)
        return math.log1p(total / max(1, held)) if total else 1.0

    def share(self, matched: Iterable[int], typed: Iterable[int], lang: str) -> float:
        """The matched terms' weight as a share of the typed query's terms' weight, at most 1."""
        return weighed_share(partial(self.weight, lang), matched, typed)


@dataclass(frozen=True)
class NameRarity:
    """The field credit's weights with only the query's product names weighed by the candidates' titles.

    `candidate_rarity` (off) weighed every query term by how few of the first candidates' titles hold it,
    and could not tell the product that frames the question ("refund for my Sync": every Sync page's title
    says Sync) from the topic every sibling page shares ("كلمات المرور" in each password page's title), so
    an incidental word decided among siblings (bench/RESULTS.md "Session 26, framing26"). Here a term
    counts 1 unless it is one of the names the question framed its request with (`names`, per language:
    the lexical terms of the words copilot.product_names left out of its intent); such a name counts
    log(1 + N / n) / log(1 + N) over the N candidates of its language of which n hold it: 1 when only one
    candidate's title prints it (the name's own page, as Gmail's), about 0.3 when all of them do.
    """

    candidates: TitleRarity
    names: Mapping[str, Collection[int]]

    def weight(self, lang: str, term: int) -> float:
        """1 for a word of the request; for a framing name, its rarity among the candidates scaled to (0, 1]."""
        total = self.candidates.titles.get(lang, 0)
        if term not in self.names.get(lang, ()) or not total:
            return 1.0
        return self.candidates.weight(lang, term) / math.log1p(total)

    def share(self, matched: Iterable[int], typed: Iterable[int], lang: str) -> float:
        """The matched terms' weight as a share of the typed query's terms' weight, at most 1."""
        return weighed_share(partial(self.weight, lang), matched, typed)


def weighed_share(weight: Callable[[int], float], matched: Iterable[int], typed: Iterable[int]) -> float:
    """The matched terms' `weight` as a share of the typed query's terms' weight, at most 1."""
    asked = sum(weight(term) for term in set(typed))
    held = sum(weight(term) for term in set(matched))
    return min(1.0, held / asked) if asked else 0.0
