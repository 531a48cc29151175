"""The last, half-typed word of a query completed against the words the index holds.

"refu" -> "refund", "نسي" -> "نسيت": while someone types, the word under the cursor is rarely a
whole word, and a search for "refu" finds little. The completion is the most frequent index word
(per language) that starts with the typed prefix, compared folded (lowercase, Arabic normalized,
prefixes stripped) as the lexical index compares words. A word that is already one of the
index's words is left alone, so "card" is not turned into "cards".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.expansion import Vocabulary, fold

MIN_PREFIX = 3  # two letters match too much to guess from
# Tried only where a word starts ((?<!\w)): from every position of a long word that ends before the query does
# ("bbb...b!"), `\w+` ran on to its end and `$` failed, n**2 steps (40,000 letters: 25 s of CPU).
_LAST_WORD = re.compile(r"(?<!\w)(\w+)$")


@dataclass(frozen=True)
class Completion:
    query: str  # the query with its last word completed (the same query when nothing fits)
    word: str | None  # the index word used, or None


def complete(query: str, lang: str, vocabulary: Vocabulary) -> Completion:
    found = _LAST_WORD.search(query.rstrip() if query.endswith(" ") else query)
    if found is None or query.endswith(" "):  # a trailing space means the word is finished
        return Completion(query, None)
    typed = fold(found.group(1))
    if not typed or len(typed[0]) < MIN_PREFIX or typed[0].isdigit():
        return Completion(query, None)
    prefix = typed[0]
    words = vocabulary.words(lang)
    if prefix in vocabulary.known(lang):
        return Completion(query, None)
    word = next((w for w in words if w.startswith(prefix)), None)
    if word is None:
        return Completion(query, None)
    return Completion(query[: found.start(1)] + word, word)
