"""A query typed with the wrong keyboard layout, read back as the one the customer meant.

Arabic-speaking customers switch between the Arabic and the English layout all day, and a common failed search is
one typed with the other layout on: "hgfhs,v]" for الباسورد (Arabic meant, English layout on), "ثءحخقف" for
"export" (English meant, Arabic layout on). The keys pressed are the same; only the layout read them differently, so
the query is the same keys read on the other layout.

The mapping is the standard Arabic (101) layout, Microsoft's "Arabic (101)" (KBDA1, the default Arabic layout of
Windows, and the one macOS's "Arabic - PC" and XKB's `ara` copy) over US QWERTY, key for key, with Shift. Its
layout map is published in Microsoft's keyboard layouts reference (learn.microsoft.com/globalization/windows-keyboard-
layouts, "Arabic (101)"). Digits are left out: Arabic (101) types ASCII digits, so they read the same either way.
One key types two letters: B is لا (lam-alef), and with Shift T is لإ, G لأ and B لآ; read back, such a pair is
either that one key or the two keys of its letters ("لا" is b, or g then h as in "light"), and the index decides.

Whether a query was typed so is the index's to say (`wrong_layout`): it is read as the other layout's when most of
its words are words of neither the index nor the language (wordfreq) and most of its other-layout words are words
of the index. Never for a query with Latin and Arabic letters together (a customer who types both scripts has the
layouts right), a code ("0x80070005", "win10"), an email or a link.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from copilot.expansion import ARABIC_SCRIPT_LANGS, arabic_by_frequency
from copilot.loanwords import find_loanword
from copilot.word_folding import fold
from kb.arabic import has_arabic
from kb.word_commonness import zipf

# US QWERTY key -> what Arabic (101) types on it, unshifted then shifted (Microsoft's layout map, see above).
US_TO_ARABIC: dict[str, str] = {
    # unshifted
    "`": "ذ", "q": "ض", "w": "ص", "e": "ث", "r": "ق", "t": "ف", "y": "غ", "u": "ع", "i": "ه", "o": "خ", "p": "ح",
    "[": "ج", "]": "د", "a": "ش", "s": "س", "d": "ي", "f": "ب", "g": "ل", "h": "ا", "j": "ت", "k": "ن", "l": "م",
    ";": "ك", "'": "ط", "z": "ئ", "x": "ء", "c": "ؤ", "v": "ر", "b": "لا", "n": "ى", "m": "ة", ",": "و", ".": "ز",
    "/": "ظ",
    # shifted
    "~": "\u0651", "Q": "\u064e", "W": "\u064b", "E": "\u064f", "R": "\u064c", "T": "لإ", "Y": "إ", "U": "‘",
    "I": "÷", "O": "×", "P": "؛", "{": "<", "}": ">", "A": "\u0650", "S": "\u064d", "D": "]", "F": "[", "G": "لأ",
    "H": "أ", "J": "ـ", "K": "،", "L": "/", "Z": "~", "X": "\u0652", "C": "}", "V": "{", "B": "لآ", "N": "آ",
    "M": "’", "<": ",", ">": ".", "?": "؟",
}
# What an Arabic-layout character was typed with on the US keys: the characters only the Arabic layout types (its
# letters, marks and Arabic punctuation). The ASCII it types on shifted keys (] [ / ~ < > { } , .) is left as typed:
# in a query they are as likely the customer's own punctuation.
ARABIC_TO_US: dict[str, str] = {ar: key for key, ar in US_TO_ARABIC.items() if len(ar) == 1 and not ar.isascii()}
# The two-letter keys, read back as one key; the other reading is the two letters' own keys.
LIGATURE_KEYS: dict[str, str] = {ar: key for key, ar in US_TO_ARABIC.items() if len(ar) == 2}

MIN_LETTERS = 3  # the index's vocabulary holds words of 3 letters and more (copilot.expansion.Vocabulary)
# A word at or over this Zipf frequency (once per million words of the language) is a word of its language: a
# customer typed it as meant, whatever the index holds (as copilot.expansion.ARABIC_ZIPF reads Arabic words).
WORD_ZIPF = 3.0
# The start of a word the last piece may be while typed: four letters, one more than completion's (copilot.completion
# MIN_PREFIX), as a swap replaces every word of the query, not only the last; three-letter starts of some index word
# are most three-letter strings ("lkj": منت...).
MIN_PREFIX = 4
MAX_LIGATURES = 4  # a word with more لا pairs reads its first readings only (2**4 of them)
_LATIN_LETTER = re.compile(r"[A-Za-z]")
# A piece with digits and letters: "0x80070005", "win10". Tried only where a piece starts ((?<!\S)): from every
# position inside a long piece the lookaheads scanned on to its end, n**2 steps (100,000 letters: 100 s of CPU).
_CODE = re.compile(r"(?<!\S)(?=\S*\d)(?=\S*[^\W\d_])\S+")
_LINK = re.compile(r"@|://|www\.", re.IGNORECASE)
_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")  # Arabic presentation forms (ﻻ, ﻷ): one key's glyphs
_SPACE = re.compile(r"(\s+)")


def to_arabic(text: str) -> str:
    """What the keys typed as `text` on US QWERTY type on Arabic (101)."""
    return "".join(US_TO_ARABIC.get(char, char) for char in text)


def to_us(text: str) -> str:
    """The US QWERTY text of the keys that typed `text` on Arabic (101), each two-letter key read as one key."""
    return latin_readings(text)[0]


def latin_readings(text: str) -> list[str]:
    """Each reading of Arabic (101) text as US keys: a lam-alef pair is one key or two (see the module)."""
    text = _PRESENTATION.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    parts = re.split("(" + "|".join(LIGATURE_KEYS) + ")", text)
    choices: list[list[str]] = []
    for index, part in enumerate(parts):
        if index % 2 and len(choices) < 2 * MAX_LIGATURES:
            choices.append([LIGATURE_KEYS[part], "".join(ARABIC_TO_US.get(c, c) for c in part)])
        else:
            choices.append(["".join(ARABIC_TO_US.get(c, c) for c in part)])
    return ["".join(reading) for reading in itertools.product(*choices)]


def wrong_layout(
    query: str,
    known: Callable[[str], frozenset[str]],
    languages: Sequence[str],
    words: Callable[[str], Iterable[str]] | None = None,
    language_words: bool = False,
) -> str | None:
    """The query as typed on the other layout when the index reads it so, else None.

    `known(lang)` is the index's folded words in `lang` (Vocabulary.known). Each whitespace piece with a word of
    MIN_LETTERS or more on either layout votes: is it a word as typed (of the index in the typed script's languages,
    or of the language by wordfreq), and is it words of the index on the other layout? The query is read as the
    other layout's when more than half the voting pieces are no word as typed and more than half are index words
    swapped: a majority, not a threshold fitted to a set. A real query with a word no list holds ("reset xyzzy
    password") keeps two known words of three; gibberish beside one real word (";glm zoom") is half, no majority;
    a real word that happens to spell an index word on the other layout is a word as typed. `words(lang)`, given
    while the query is still being typed, lets the last piece be the start of an index word (MIN_PREFIX letters or
    more: "قثسثف حشسسصخ" is "reset passwo..."). `language_words`: a word of the other layout's language by wordfreq
    (WORD_ZIPF) counts as known too, for the words customers type and articles do not print ("وين طلبي", where
    is my order; an index with no article in that language).
    """
    if not isinstance(query, str) or not query.strip() or _LINK.search(query) or _CODE.search(query):
        return None
    arabic, latin = has_arabic(query), bool(_LATIN_LETTER.search(query))
    if arabic == latin:  # both scripts (the layouts are right), or no letter at all
        return None
    typed_langs = [lang for lang in languages if (lang in ARABIC_SCRIPT_LANGS) == arabic]
    meant_langs = [lang for lang in languages if (lang in ARABIC_SCRIPT_LANGS) != arabic]
    if not meant_langs:
        return None
    # The index's sets as they are (one per language), not a union: a union copies the whole vocabulary on each
    # keystroke of search as you type.
    typed_known = [known(lang) for lang in typed_langs]
    meant_known = [known(lang) for lang in meant_langs]
    pieces = _SPACE.split(query)
    last = max((i for i, piece in enumerate(pieces) if piece.strip()), default=-1)
    voting = unknown = swapped_known = 0
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if not piece.strip():
            out.append(piece)
            continue
        readings = latin_readings(piece) if arabic else [to_arabic(piece)]
        typed = [w for w in fold(piece) if len(w) >= MIN_LETTERS]
        prefix_ok = words is not None and index == last and not query[-1].isspace()
        also = meant_langs if language_words else ()
        meant = next((r for r in readings if _index_words(r, meant_known, meant_langs, words, prefix_ok, also)), None)
        out.append(meant or readings[0])
        if not typed and not any(len(w) >= MIN_LETTERS for w in fold(readings[0])):
            continue  # short both ways ("lk", من): says nothing either way
        voting += 1
        unknown += not any(_in_any(w, typed_known) or _a_word(w, typed_langs) for w in typed)
        swapped_known += meant is not None
    if voting and 2 * unknown > voting and 2 * swapped_known > voting:
        return "".join(out)
    return None


def _in_any(word: str, sets: Sequence[frozenset[str]]) -> bool:
    return any(word in words for words in sets)


def _a_word(word: str, langs: Sequence[str]) -> bool:
    return any(zipf(word, lang) >= WORD_ZIPF for lang in langs)


def _index_words(
    text: str,
    known: Sequence[frozenset[str]],
    langs: Sequence[str],
    words: Callable[[str], Iterable[str]] | None,
    prefix_ok: bool,
    in_language: Sequence[str] = (),
) -> bool:
    """Whether `text`'s words (MIN_LETTERS and more, at least one) are all index words (or, with `in_language`, words
    of those languages by wordfreq); with `prefix_ok` the last may be the start of an index word (the most frequent
    words first, as copilot.completion completes)."""
    folded = [w for w in fold(text) if len(w) >= MIN_LETTERS]
    if not folded:
        return False
    *whole, end = folded
    if not all(_in_any(w, known) or _loanword(w) or _language_word(w, in_language) for w in whole):
        return False
    if _in_any(end, known) or _loanword(end) or _language_word(end, in_language):
        return True
    if not prefix_ok or words is None or len(end) < MIN_PREFIX:
        return False
    return any(w.startswith(end) for lang in langs for w in words(lang))


def _language_word(word: str, langs: Sequence[str]) -> bool:
    """A folded word of one of `langs` by wordfreq: an Arabic one in any of the forms the fold writes alike
    (copilot.expansion.arabic_by_frequency, "طلبيه" is طلبية)."""
    return any(arabic_by_frequency([word]) if lang in ARABIC_SCRIPT_LANGS else _a_word(word, [lang]) for lang in langs)


def _loanword(word: str) -> bool:
    """An Arabic-script word the search reads as a loanword of its glossary ("باسورد": password, copilot.loanwords),
    which the index's articles print in its MSA wording (كلمة المرور), not as typed."""
    return find_loanword(word) is not None
