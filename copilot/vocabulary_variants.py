"""Arabic word families from the index's own vocabulary: the forms of a query word articles use.

A customer asks with a verb ("اغير", "ادفع", "ارجعها", "انزلها") where the article titles a noun
("تغيير", "الدفع", "استرجاع", "تنزيل"), or a plural where it uses the singular ("الملاحظات",
"ملاحظة"). The lexical side's Snowball stemmer only takes suffixes off, so these share no term,
and no fixed list of dialect words can hold every derivation. Arabic derives words from a root
(usually three consonants) by patterns, so the family is found by the root: nltk's ISRI stemmer
reduces "استرجاع", "ارجعها", "رجوع" to "رجع". A query word brings the most frequent words of its
family that the help center's articles actually print (so the family is the index's, not a
dictionary's), at a low weight (copilot.retrieval.EXPANSION_WEIGHTS["variants"]): a root also
covers words of other meanings ("خدمة", service, and "مستخدم", user, are both "خدم").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from nltk.stem.isri import ISRIStemmer

from kb.arabic import has_arabic

MIN_ROOT = 3  # ISRI's two-letter results are what is left of a word it could not read
MIN_WORD = 3
FAMILY_WORDS = 2  # index words a query word brings: its family's most frequent ones
# The index's most frequent words are its function words and general vocabulary ("غير", other, is
# also the root of "تغيير", change): never brought as a variant, whatever their root.
COMMON_WORDS = 100
COMMON_SHARE = 20  # ...and at most a twentieth of a small index's words
_WORD = re.compile(r"\w+")


def common_words(words: Sequence[str]) -> Sequence[str]:
    """The index's most frequent words (`words`: most frequent first): its function words and general
    vocabulary, which no query-side reading brings (word families here, copilot.verbal_nouns)."""
    return words[: min(COMMON_WORDS, len(words) // COMMON_SHARE)]


# Family words carrying a conjunction or a pronoun ("وصلك", reached you; "ارجاعها", returning it) are
# the article's sentence, not its topic: the bare forms say the same with less noise.
_CLITIC = re.compile(r"^[وف]|(ك|كم|كن|نا|ها|هم|هن|ني)$")


_STEMMER = ISRIStemmer()
_ISRI_STOP = frozenset(_STEMMER.stop_words)


@functools.lru_cache(maxsize=65536)
def arabic_root(word: str) -> str | None:
    """A folded word's ISRI root, or None for a word too short, a stopword, or one ISRI cannot read."""
    if len(word) < MIN_WORD or not has_arabic(word) or word in _ISRI_STOP:
        return None
    root = _STEMMER.stem(word)
    return root if len(root) >= MIN_ROOT and has_arabic(root) else None


class WordFamilies:
    """The index's Arabic words grouped by ISRI root, most frequent first within each root."""

    def __init__(self, words: Sequence[str]) -> None:
        """`words`: the index's folded words, most frequent first (Vocabulary.words)."""
        self._families: dict[str, list[str]] = {}
        for word in words[len(common_words(words)) :]:
            root = self.root(word)
            if root is not None and not _CLITIC.search(word):
                self._families.setdefault(root, []).append(word)

    def root(self, word: str) -> str | None:
        """The word's root (`arabic_root`)."""
        return arabic_root(word)

    def variants(self, words: Sequence[str], limit: int | None = None) -> list[str]:
        """Per query word, its family's most frequent index words that the query does not say."""
        limit = FAMILY_WORDS if limit is None else limit
        typed = set(words)
        out: list[str] = []
        for word in words:
            root = self.root(word)
            family = [w for w in self._families.get(root, ()) if w not in typed] if root else []
            out += [w for w in family[:limit] if w not in out]
        return out
