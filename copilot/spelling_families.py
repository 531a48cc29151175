"""A customer's misspelt Arabic word read as the spellings the help center's own articles use.

Customers type names and long words as they hear them: a long vowel put in or left out ("ملاوي"
for "مالاوي", "بارتيليمي" for "بارتليمي", "قرغيزستان" for "قيرغيزستان"), a letter doubled
("الاشتراااك"), two letters swapped ("الاشتارك"), two words run together ("كلمهالمرور") or one
split ("الاشت راك"). Hamza, ta marbuta and alef maqsura are folded on both sides already
(kb.arabic.normalize_arabic); these are not, and such a word shares no lexical term with the
article. No fixed list of misspellings can hold what customers type, so a word's family is found in
the index's own vocabulary: the index words of the same skeleton (doubled letters once, long vowels
after the first letter left out) within a small edit distance (1 for short words, 2 for long ones,
as Vocabulary.corrections) and the index words with two neighbouring letters swapped, closest first
and then most frequent first. A consonant dropped, added or typed for another is left alone, though
Vocabulary.corrections reads it: it makes another real word too often ("مسافر", traveller, is a
letter from "مسار", path).

Only a word the lexical side finds nothing for is read this way: no index word has its spelling or
its Snowball stem, and it is no verb of an index word ("اقدر", I can) nor a dialect word. Its
spellings are never the index's most frequent words, and are searched beside the typed word at a
lower weight (EXPANSION_WEIGHTS["spellings"]), as ranking evidence only. The dense models get the
first spelling in the misspelt word's place (copilot.loanword_text does the same for loanwords): a
small multilingual model reads an unknown spelling of a name as noise.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Sequence

from nltk.stem.snowball import ArabicStemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from copilot.verbal_nouns import stems as verb_stems
from copilot.vocabulary_variants import common_words
from kb.arabic import has_arabic, is_dialect_word, normalize_arabic, strip_prefixes

SPELLINGS = 2  # index words a misspelt word brings: its closest, then most frequent, spellings
# A word read as misspelt has five letters or more: four-letter words a small help center does not
# print are mostly real words a letter away from one it does ("للطلاب", students: طلبا; "يرجع",
# returns: يراجع; "عارف", knowing: اعرف). Its spellings have four letters or more: a letter off a
# four-letter word makes a three-letter one too often ("اكلم", I talk: الم).
MIN_WORD = 5
MIN_SPELLING = 4
MIN_PART = 3  # each part of a run-together word, as the index's words (Vocabulary keeps 3 letters up)
SHORT_WORD = 6  # up to this length a spelling is one edit away, longer ones two
MEMO_WORDS = 10_000  # typed words whose spellings are kept, per index version
_LONG_VOWELS = frozenset("اوي")
_PROCLITICS = "بلكوف"
_WORD = re.compile(r"\w+")


def edit_limit(word: str) -> int:
    """The edit distance a spelling of `word` may be: 1 for a short word, 2 for a long one."""
    return 1 if len(word) <= SHORT_WORD else 2


def closest_spelling(word: str, words: Sequence[str]) -> str | None:
    """The word of `words` that `word` is a spelling of, within `edit_limit`, or None. Optimal string alignment:
    two neighbouring letters swapped are one edit ("refnud": refund), as the families below read them. One search
    for the lexical side's corrections (copilot.expansion) and the unknown-name test (copilot.unknown_names)."""
    match = process.extractOne(word, words, scorer=OSA.distance, score_cutoff=edit_limit(word))
    return None if match is None else str(match[0])


def skeleton(word: str) -> str:
    """The word as its consonants spell it: doubled letters once, long vowels after the first letter
    left out ("اشتراااك", "اشتيراك" and "اشتراك" are all "اشترك")."""
    single = "".join(letter for letter, _ in itertools.groupby(word))
    return single[:1] + "".join(letter for letter in single[1:] if letter not in _LONG_VOWELS)


_STEMMER = ArabicStemmer()


def lexical_stem(word: str) -> str:
    """The word as the lexical side's Snowball Arabic stemmer reads it (nltk's, the same algorithm)."""
    return str(_STEMMER.stem(word))


class SpellingFamilies:
    """The index's Arabic words by skeleton and for edit distance, most frequent first."""

    def __init__(self, words: Sequence[str], root: Callable[[str], str | None]) -> None:
        """`words`: the index's folded words, most frequent first (Vocabulary.words); `root`: a word's
        Arabic root (copilot.vocabulary_variants.WordFamilies.root)."""
        self._root = root
        self._memo: dict[str, list[str]] = {}
        self._common = len(common_words(words))
        self._known = frozenset(words)
        # A word whose stem an index word has is matched by the lexical side already ("بحسابات":
        # حساب, "عندنا": عند): it is a word of the index with other endings, not a misspelling.
        self._stems = frozenset(lexical_stem(w) for w in words if has_arabic(w))
        self._rank = {word: rank for rank, word in enumerate(words)}
        self._by_skeleton: dict[str, list[str]] = {}
        self._by_letters: dict[str, list[str]] = {}  # a swap keeps the letters: the same sorted letters
        for word in (w for w in words[self._common :] if has_arabic(w) and len(w) >= MIN_SPELLING):
            self._by_skeleton.setdefault(skeleton(word), []).append(word)
            self._by_letters.setdefault("".join(sorted(word)), []).append(word)

    def misspelt(self, word: str) -> bool:
        """A folded Arabic word long enough to be read as a misspelling, whose spelling and stem no
        index word has (the lexical side finds nothing for it), no dialect word (those are spelt as
        meant: "جاني", came to me, is no typo of "مجاني") and no verb of an index word."""
        if len(word) < MIN_WORD or not has_arabic(word) or word in self._known or is_dialect_word(word):
            return False
        return not self.read(word)

    def read(self, word: str) -> bool:
        """The lexical side reads the folded word as an index word's: its Snowball stem is an index
        word's ("عندنا": عند), or it is a verb of an index word, spelt as meant ("اقدر", I can: قدر;
        "ننقل", we move: نقل)."""
        if lexical_stem(word) in self._stems:
            return True
        return any(stem in self._known or lexical_stem(stem) in self._stems for stem in verb_stems(word))

    def spellings(self, word: str, limit: int = SPELLINGS) -> list[str]:
        """The index's spellings of a misspelt word: the words of its skeleton within its edit distance,
        and the word with two letters swapped, closest first, then most frequent first."""
        found = self._memo.get(word)
        if found is None:
            if len(self._memo) >= MEMO_WORDS:  # a search reads its words twice (lexical, dense)
                self._memo.clear()
            found = self._memo[word] = self._spellings(word) if self.misspelt(word) else []
        return found[:limit]

    def _spellings(self, word: str) -> list[str]:
        # Long vowels and doubled letters, and two letters swapped; never a consonant dropped, added
        # or typed for another, which makes another word too often ("مسافر", traveller: مسار, path;
        # "المرتبة", mattress: مرتبطه, linked; "السر": الزر).
        near: dict[str, int] = {}
        readings = [word]
        if word[0] in _PROCLITICS and len(word) > MIN_WORD:  # a preposition the fold leaves on: "بقرغيزستان"
            readings.append(word[1:])
        for typed in readings:
            reach = edit_limit(typed)
            root = self._root(typed)
            for match in self._by_skeleton.get(skeleton(typed), ()):  # "ملاوي": مالاوي, "سينت": سانت
                distance = OSA.distance(typed, match)
                # Long vowels are how Arabic derives words of one root ("اعراض", symptoms, "اعرض", I
                # show): a word of the typed word's root is another word, left to the word families.
                if distance <= reach and (root is None or self._root(match) != root):
                    near.setdefault(match, distance)
        for match in self._by_letters.get("".join(sorted(word)), ()):
            if OSA.distance(word, match) == 1:  # two neighbouring letters swapped: "الاشتارك", اشتراك
                near[match] = 1
        return sorted(near, key=lambda match: (near[match], self._rank[match]))

    def joined(self, word: str) -> list[str]:
        """A misspelt word that is two index words run together ("كلمهالمرور": كلمه, مرور), as them."""
        if not self.misspelt(word):
            return []
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            head, tail = word[:cut], strip_prefixes(word[cut:])
            if self._uncommon(head) and self._uncommon(tail):
                return [head, tail]
        return []

    def _uncommon(self, word: str) -> bool:
        """An Arabic index word that is not among its most frequent ones."""
        return self._rank.get(word, -1) >= self._common and has_arabic(word)

    def split(self, first: str, second: str) -> str | None:
        """Two typed words that are one index word split apart ("الاشت راك": اشتراك), as it."""
        if not any(len(w) >= MIN_PART and lexical_stem(w) not in self._stems for w in (first, second)):
            return None
        whole = strip_prefixes(first + second)
        return whole if self._uncommon(whole) else None

    def families(self, words: Sequence[str], keep: Collection[str] = (), limit: int = SPELLINGS) -> list[str]:
        """Per folded query word, its spellings; run-together words' parts and split words' whole.
        `keep`: words that are no misspelling of an Arabic word (loanwords, names in Arabic script)."""
        out: list[str] = []
        for word in (w for w in words if w not in keep):
            out += [w for w in [*self.spellings(word, limit), *self.joined(word)] if w not in out]
        for first, second in itertools.pairwise(words):
            whole = self.split(first, second)
            if whole is not None and whole not in out:
                out.append(whole)
        return [w for w in out if w not in words]


def read_spellings(text: str, families: SpellingFamilies, keep: Collection[str] = ()) -> str:
    """`text` with each misspelt Arabic word replaced by the index's first spelling of it, its
    conjunction and article kept ("والاشتارك": والاشتراك); `keep`: folded words left as typed (the
    loanwords, which are no misspelling of an Arabic word)."""

    def first(word: str) -> str | None:
        found = families.spellings(word, 1) if word not in keep else []
        return found[0] if found else None

    return respelt(text, first)


def respelt(text: str, spelling: Callable[[str], str | None]) -> str:
    """`text` with each word that `spelling` respells (given the word normalized, without its conjunction and
    article) replaced by its spelling, the conjunction and article kept; a word it gives None for stays as typed."""

    def spelled(match: re.Match[str]) -> str:
        typed = normalize_arabic(match.group())
        word = strip_prefixes(typed)
        found = spelling(word)
        return typed[: len(typed) - len(word)] + found if found and typed.endswith(word) else match.group()

    return _WORD.sub(spelled, text)
