"""Names a question types that the help center never mentions: evidence that it asks about another product.

A help center's own text says what it covers: its product and feature names and the things it documents. GNOME
Help prints "Windows", "Ubuntu" and "LibreOffice" but never "Steam", "Gmail", "BIOS" or "Spotify"; a
question naming one of them ("how do I install Steam games on Linux?", "forgot my Gmail password") is about
something else, however near its other words sit to a page (installing, a password). The dense models and BM25
cannot tell: the field's words match, so such a near-topic question scores like an answerable one (bench/RESULTS.md
"Session 39, abst39").

A question word counts when, read only from the index's own words and the language's general frequencies:

- the customer typed it as a name, not as an everyday word (the typing is the evidence, as in
  copilot.product_names): a capital after the question's first word, camel case ("iPhone") or an acronym ("BIOS"),
  in Latin letters; never an ordinary word of the language (kb.word_commonness: "TV", "Time"), a word in lower case
  ("laptop", "broken", "wont"; a rare one is as often a typo: "pakage", "taskbar"), a place (copilot.places:
  "Dubai" says where the customer is, not what they ask about), nor a day, a month or a language ("Sunday",
  "Arabic": CLDR's names, `capitalised_words`);
- no article holds it, as folded and stemmed for comparison (copilot.section_choice.terms: "Restarting" is the
  index's "restart"), in the question's language or another of the index's (Arabic customers type a brand in
  Latin as it writes itself: "Teams", which the English articles print);
- and it is no misspelling of an index word ("Wallpapper", "Stikcy": an edit away, a swap of neighbouring letters
  counting one; copilot.spelling_families.edit_limit), which a word the language itself uses once per million
  words or more is not (copilot.expansion.ARABIC_ZIPF's line, read in English): "Steam", "Gmail" and "BIOS" are
  spelt as meant, not "team", "email" and "bits" (the lexical side's corrections read them so).

A name typed in Arabic letters is not counted: the language's frequencies and the loanword shapes
(copilot.loanwords) do not tell it from a dialect verb, a dual or a typo the index cannot correct (measured in
bench/RESULTS.md "Session 40, oos40": "جاتني", "مكررتين", "يزامن" read as names where "سبوتيفاي" is one).

The signal (`unknown_names`, a count) is evidence, never a verdict alone: copilot.retrieval abstains on it only
when the score evidence is weak too (LEVERS["unknown_names"]).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from babel import Locale

from copilot.expansion import ARABIC_ZIPF
from copilot.places import named_places
from copilot.product_names import LATIN_NAME, NAME_PUNCTUATION
from copilot.section_choice import terms
from copilot.spelling_families import closest_spelling
from copilot.word_folding import fold
from kb.word_commonness import is_ordinary, zipf

if TYPE_CHECKING:
    from copilot.expansion import Vocabulary

MIN_LETTERS = 3
MIN_TYPO_LETTERS = 4  # as copilot.expansion's corrections: a shorter word is one edit from too many others


@lru_cache(maxsize=8)
def known_stems(known: frozenset[str]) -> frozenset[str]:
    """The comparable terms (copilot.section_choice.terms) of an index language's folded words."""
    return frozenset(stem for word in known for stem in terms(word))


@lru_cache(maxsize=1)
def capitalised_words() -> frozenset[str]:
    """English words written with a capital that name no product: the days, the months and the languages (CLDR's,
    through Babel, as copilot.places reads its places)."""
    locale = Locale("en")
    names = [*locale.languages.values()]
    for table in (locale.days, locale.months):
        names += [name for width in ("wide", "abbreviated") for name in table["format"][width].values()]
    return frozenset(name.lower() for name in names if LATIN_NAME.fullmatch(name))


def name_kind(token: str, position: int) -> str | None:
    """How a typed word reads as a name rather than an everyday word (see the module): "capital" (after the
    question's first word), "camel" ("iPhone"), "acronym" ("BIOS"); None otherwise. A place (copilot.places: a
    country or a city, "Dubai") says where the customer is, not what they ask about, and a day, a month or a
    language ("since Sunday", "Arabic") when: None."""
    word = token.lower()
    if not LATIN_NAME.fullmatch(token) or word.isdigit() or is_ordinary(word, "en") or word in capitalised_words():
        return None
    if any(named_places(word, "en")):
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
    langs = list(dict.fromkeys([lang, *languages]))
    held = [vocabulary.known(other) for other in langs]
    found: list[str] = []
    for position, typed in enumerate(query.split()):
        token = typed.strip(NAME_PUNCTUATION)
        folded = fold(token)
        word = folded[0] if len(folded) == 1 else ""
        if len(word) < MIN_LETTERS or word.isdigit() or word in found or not terms(word):  # terms: no stop word
            continue
        if name_kind(token, position) is None or any(word in words or _holds_a_form(word, words) for words in held):
            continue
        if not _spelt_as_meant(word) and any(
            _misspells(word, vocabulary.words(other)) for other in languages or [lang]
        ):
            continue
        found.append(word)
    return found


def _holds_a_form(word: str, words: frozenset[str]) -> bool:
    """Whether an index word is a form of `word` (the same comparable term: "restarting" and "restart")."""
    stems = known_stems(words)
    return any(stem in stems for stem in terms(word))


def _spelt_as_meant(word: str) -> bool:
    """A Latin word the language uses as often as its own jargon (copilot.expansion.ARABIC_ZIPF's line, read in
    English): "Steam", "Gmail", "BIOS" are no misspelling of "team", "email", "bits"."""
    return zipf(word, "en") >= ARABIC_ZIPF


def _misspells(word: str, words: list[str]) -> bool:
    """Whether `word` is an index word misspelt: within copilot.spelling_families.edit_limit of one, a swap of two
    neighbouring letters counting as one edit ("chnage": change, "stikcy": sticky)."""
    return (
        len(word) >= MIN_TYPO_LETTERS
        and closest_spelling(word, words) is not None
    )
