"""A misspelt Arabic word read through a general Arabic lexicon, where the index has no word to correct it against.

Over English-only articles the index holds no Arabic word, and a new help center's own spellings are few, so
the typo fixes that read against the index (Vocabulary.corrections, copilot.spelling_families) read nothing.
wordfreq ships a general Arabic word list with frequencies (about 620,000 words, Zipf scale: log10 of a word's
count per billion words); symspellpy looks a word up among the list's common words within an edit distance
(a letter dropped, added, typed for another, or two neighbouring letters swapped). Both sides are folded as
search folds (kb.arabic.normalize_arabic: hamza, ta marbuta and alef maqsura), a folded word's frequency the
sum of its spellings'.

A folded Arabic query word of MIN_WORD letters or more is read when the list knows it, or it without its
article, less often than KNOWN (a word spelt as meant, a dialect word or a name customers type is on the web
often enough: "جوالي", my mobile, 2.99; "بلص", Plus, 2.57), and it is no dialect word, loanword, name or word of
the index (the caller's `keep`). Its reading is the closest common word (Zipf SPELLING or more) within DISTANCE,
the most frequent at that distance, if it is RATIO times as frequent as the next one there (a typo two words are
one letter from is left alone: "الظمان" is الزمان, time, or الضمان, warranty). The numbers are step 0's
(bench/model_vocab_typos.py, bench/RESULTS.md "Session 19, arspell9"). Behind retrieval.LEVERS["lexicon_spellings"]:
the dense models read the reading in the word's place, and the lexical side searches it as a typo correction.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Collection, Mapping

from symspellpy import SymSpell, Verbosity

from kb.arabic import is_dialect_word, normalize_arabic, strip_prefixes

MIN_WORD = 4  # letters a word read this way has at least
KNOWN = 2.0  # Zipf: a word the list knows this often (or it without its article) is spelt as meant
SPELLING = 3.0  # Zipf: a reading is a word this common
DISTANCE = 1  # edits between the typed word and its reading
RATIO = 5.0  # the reading's frequency over the next candidate's at its distance
MEMO_WORDS = 10_000  # typed words whose readings are kept (functools.lru_cache)
_ARABIC_WORD = re.compile(r"[\u0621-\u064a]+")
_COUNT_SCALE = 1e9  # symspellpy counts are integers: frequencies as counts per billion words


def zipf(frequency: float) -> float:
    """wordfreq's Zipf scale of a frequency (a word's share of all words)."""
    return math.log10(frequency * _COUNT_SCALE) if frequency > 0 else 0.0


def folded_frequencies(frequencies: Mapping[str, float]) -> dict[str, float]:
    """The list's Arabic words folded as search folds them, each with its spellings' summed frequency."""
    out: dict[str, float] = {}
    for word, frequency in frequencies.items():
        if _ARABIC_WORD.fullmatch(word):
            folded = normalize_arabic(word)
            out[folded] = out.get(folded, 0.0) + frequency
    return out


def inflected(typed: str, common: str) -> bool:
    """The typed word is the common word with a letter more or less at its start or end, or another first
    letter: a clitic, a pronoun or a person's prefix ("بيستخدمها": يستخدمها, "منتجاتي": منتجات, "تحتفظون":
    يحتفظون), which makes a word spelt as meant, not a typo; a doubled letter is a typo ("الاشتراكك")."""
    longer, shorter = (typed, common) if len(typed) > len(common) else (common, typed)
    if len(longer) == len(shorter) + 1:
        if longer[1:] == shorter and longer[0] != longer[1]:
            return True
        if longer[:-1] == shorter and longer[-1] != longer[-2]:
            return True
    return len(typed) == len(common) and typed[0] != common[0] and typed[1:] == common[1:]


class LexiconSpellings:
    """Reads folded Arabic words through a general word list (`folded`: folded word -> share of all words,
    as folded_frequencies gives it)."""

    def __init__(
        self,
        folded: Mapping[str, float],
        distance: int = DISTANCE,
        known: float = KNOWN,
        spelling: float = SPELLING,
        ratio: float = RATIO,
    ) -> None:
        self.distance, self.known, self.ratio = distance, known, ratio
        self._zipf = {word: z for word, z in ((w, zipf(f)) for w, f in folded.items()) if z >= min(known, spelling)}
        self._lookup = SymSpell(max_dictionary_edit_distance=distance)
        for word, frequency in folded.items():
            if zipf(frequency) >= spelling:
                self._lookup.create_dictionary_entry(word, max(1, round(frequency * _COUNT_SCALE)))
        # a search reads its words twice (lexical, dense): the folded word's reading, or None
        self.read = functools.lru_cache(maxsize=MEMO_WORDS)(self._read)

    def frequency(self, word: str) -> float:
        """The folded word's Zipf frequency in the list (0 when it is rarer than the list is kept)."""
        return self._zipf.get(word, 0.0)

    def knows(self, word: str) -> bool:
        """The list knows the folded word, or it without its article, at least KNOWN often."""
        return max(self.frequency(word), self.frequency(strip_prefixes(word))) >= self.known

    def _read(self, word: str) -> str | None:
        if len(word) < MIN_WORD or self.knows(word) or is_dialect_word(word):
            return None
        found = self._lookup.lookup(word, Verbosity.ALL, max_edit_distance=self.distance)
        nearest = [item for item in found if item.distance == min(item.distance for item in found)]
        nearest.sort(key=lambda item: -item.count)
        if not nearest or nearest[0].term == word or inflected(word, nearest[0].term):
            return None
        if len(nearest) > 1 and nearest[0].count < self.ratio * nearest[1].count:
            return None
        return str(nearest[0].term)

    def readings(self, text: str, keep: Collection[str] = ()) -> dict[str, str]:
        """The text's folded Arabic words with a reading, each with it; `keep`: folded, prefix-stripped words
        left as typed (the index's own words, loanwords and names)."""
        out: dict[str, str] = {}
        for typed in _ARABIC_WORD.findall(text):
            word = normalize_arabic(typed)
            found = None if strip_prefixes(word) in keep else self.read(word)
            if found is not None:
                out[word] = found
        return out

    def read_text(self, text: str, keep: Collection[str] = ()) -> str:
        """`text` with each Arabic word that has a reading replaced by it (for the dense models)."""
        readings = self.readings(text, keep)
        return _ARABIC_WORD.sub(lambda match: readings.get(normalize_arabic(match.group()), match.group()), text)


_LOCK = threading.Lock()
_SHARED: list[LexiconSpellings] = []


def lexicon_spellings() -> LexiconSpellings:
    """The process's reader over wordfreq's large Arabic list, read once on first use."""
    import wordfreq

    with _LOCK:
        if not _SHARED:
            _SHARED.append(LexiconSpellings(folded_frequencies(wordfreq.get_frequency_dict("ar", "large"))))
            # wordfreq keeps every list it read for good (functools.lru_cache); the reader keeps what it needs
            wordfreq.get_frequency_dict.cache_clear()
            wordfreq.get_frequency_list.cache_clear()
        return _SHARED[0]
