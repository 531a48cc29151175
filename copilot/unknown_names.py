"""Names a question types that the help center never mentions: evidence that it asks about another product.

A help center's own text says what it covers: its product and feature names and the things it documents. GNOME
Help prints "Windows", "Ubuntu" and "LibreOffice" but never "Steam", "Gmail", "BIOS" or "Spotify"; a
question naming one of them ("how do I install Steam games on Linux?", "forgot my Gmail password") is about
something else, however near its other words sit to a page (installing, a password). The dense models and BM25
cannot tell: the field's words match, so such a near-topic question scores like an answerable one (bench/RESULTS.md
"Session 39, abst39").

A question word counts when, read only from the index's own words and the language's general frequencies:

- no article of the question's language holds it, as folded and stemmed for comparison
  (copilot.section_choice.terms: "Restarting" is the index's "restart"); a Latin word in an Arabic question not in
  the index's other languages' articles either (Arabic customers type the brand as it writes itself: "Teams");
- search does not read it as an index word: a misspelling of one ("Wallpapper", "chnage": an edit away, a swap of
  neighbouring letters counting one; only for a word the language itself uses less than once per million words,
  copilot.expansion.ARABIC_ZIPF's line read in English, so "Steam", "Gmail" and "BIOS" are no misspelling of
  "team", "email" and "bits"), a Latin name the index prints spelt in Arabic letters (copilot.transliteration's
  sound keys: "تيمز" is Teams, "جيميل" Gmail), or a general computing loanword (copilot.loanwords: "باسورد");
- and the customer typed it as a name, not as an everyday word (the typing is the evidence, as in
  copilot.product_names): a capital after the question's first word, camel case ("iPhone"), an acronym ("BIOS"),
  or Arabic letters spelling an English-sounding word that is no Arabic word by the language's frequencies
  (copilot.loanwords.loan_stems, copilot.expansion.arabic_by_frequency: "سبوتيفاي"); never an ordinary word of
  the language (kb.word_commonness: "TV", "Time"), a word in lower case ("laptop", "broken", "wont"; a rare one
  is as often a typo: "pakage", "taskbar"), a dialect word, or a place (copilot.places: "Dubai" says where the
  customer is, not what they ask about).

The signal (`unknown_names`, a count) is evidence, never a verdict alone: copilot.retrieval abstains on it only
when the score evidence is weak too (LEVERS["unknown_names"]).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA

from copilot.expansion import ARABIC_ZIPF, arabic_by_frequency
from copilot.loanwords import VERB_PREFIXES, find_loanword, loan_stems
from copilot.places import named_places
from copilot.product_names import LATIN_NAME, NAME_PUNCTUATION
from copilot.section_choice import terms
from copilot.spelling_families import edit_limit
from copilot.transliteration import keyed, name_readings, spelled_names
from copilot.word_folding import fold
from kb.arabic import has_arabic
from kb.word_commonness import is_ordinary, zipf

if TYPE_CHECKING:
    from copilot.expansion import Vocabulary

MIN_LETTERS = 3
# A name that opens with a letter's name ("Gmail": جي ميل) is written with that letter's vowel ("جيميل"), which
# the sound rule (copilot.transliteration.sounds_alike) finds in no Latin vowel: the reading without it is tried too.
LETTER_NAME_VOWELS = frozenset("يا")
MIN_TYPO_LETTERS = 4  # as copilot.expansion's corrections: a shorter word is one edit from too many others


@lru_cache(maxsize=8)
def known_stems(known: frozenset[str]) -> frozenset[str]:
    """The comparable terms (copilot.section_choice.terms) of an index language's folded words."""
    return frozenset(stem for word in known for stem in terms(word))


@lru_cache(maxsize=8)
def _by_sound(known: frozenset[str]) -> dict[str, list[str]]:
    """The index language's Latin words by sound key, for a name typed in Arabic script."""
    return keyed(sorted(w for w in known if w.isascii() and w.isalpha()))


def name_kind(token: str, position: int) -> str | None:
    """How a typed word reads as a name rather than an everyday word (see the module): "capital" (after the
    question's first word), "camel" ("iPhone"), "acronym" ("BIOS"), "arabic" (spelt in Arabic letters as an
    English word is, and no Arabic word by the language's frequencies: "سبوتيفاي"); None otherwise. A place
    (copilot.places: a country or a city, "Dubai") says where the customer is, not what they ask about: None."""
    folded = fold(token)
    word = folded[0] if len(folded) == 1 else token.lower()
    if has_arabic(word):  # a verb's prefix on an Arabic word is Arabic too ("اجمد": I freeze)
        verbs = [word[len(p) :] for p in VERB_PREFIXES if word.startswith(p) and len(word) - len(p) >= MIN_LETTERS]
        return "arabic" if loan_stems(word) and not arabic_by_frequency([*name_readings(word), *verbs]) else None
    if not LATIN_NAME.fullmatch(token) or word.isdigit() or is_ordinary(word, "en") or any(named_places(word, "en")):
        return None
    if any(c.isupper() for c in token[1:]) and not token.isupper():
        return "camel"
    if token.isupper() and len(token) >= 2:
        return "acronym"
    return "capital" if token[0].isupper() and position > 0 else None


def unknown_names(query: str, lang: str, vocabulary: Vocabulary, languages: Sequence[str] = ()) -> list[str]:
    """The query's words (folded) that name something no article of `lang` mentions, by the module's rules; a
    Latin word (a name an Arabic customer types as the brand writes it) not in the articles of `languages` (the
    index's languages) either. Empty when `lang` has no article."""
    known = vocabulary.known(lang)
    if not known:
        return []
    latin = [vocabulary.known(other) for other in dict.fromkeys([lang, *languages])]
    found: list[str] = []
    for position, typed in enumerate(query.split()):
        token = typed.strip(NAME_PUNCTUATION)
        folded = fold(token)
        word = folded[0] if len(folded) == 1 else ""
        if len(word) < MIN_LETTERS or word.isdigit() or word in found or not terms(word):  # terms: no stop word
            continue
        held = latin if word.isascii() else [known]
        if any(word in words or _holds_a_form(word, words) for words in held):
            continue
        if name_kind(token, position) is None or _read_by_index(word, token, lang, vocabulary, known):
            continue
        found.append(word)
    return found


def _holds_a_form(word: str, words: frozenset[str]) -> bool:
    """Whether an index word is a form of `word` (the same comparable term: "restarting" and "restart")."""
    stems = known_stems(words)
    return any(stem in stems for stem in terms(word))


def _read_by_index(word: str, token: str, lang: str, vocabulary: Vocabulary, known: frozenset[str]) -> bool:
    """Whether search reads the word as one the index holds: a misspelling of an index word, a name it prints
    spelt in Arabic letters, or a general computing loanword (copilot.loanwords' glossary)."""
    if (has_arabic(word) or not _spelt_as_meant(word)) and _misspells(word, vocabulary.words(lang)):
        return True
    if not has_arabic(word):
        return False
    readings = name_readings(word)
    readings += [r[0] + r[2:] for r in readings if len(r) > MIN_LETTERS and r[1] in LETTER_NAME_VOWELS]
    if find_loanword(word) is not None or any(spelled_names(r, _by_sound(known)) for r in readings):
        return True
    return bool(vocabulary.transliterations(token, lang, True))


def _spelt_as_meant(word: str) -> bool:
    """A Latin word the language uses as often as its own jargon (copilot.expansion.ARABIC_ZIPF's line, read in
    English): "Steam", "Gmail", "BIOS" are no misspelling of "team", "email", "bits"."""
    return zipf(word, "en") >= ARABIC_ZIPF


def _misspells(word: str, words: list[str]) -> bool:
    """Whether `word` is an index word misspelt: within copilot.spelling_families.edit_limit of one, a swap of two
    neighbouring letters counting as one edit ("chnage": change, "stikcy": sticky)."""
    return len(word) >= MIN_TYPO_LETTERS and process.extractOne(
        word, words, scorer=OSA.distance, score_cutoff=edit_limit(word)
    ) is not None
