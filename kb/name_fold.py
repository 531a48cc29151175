"""One folding rule for the names people type (a saved view's name, a ticket tag), in kb so that both the desk
and `kb lint` use it (kb cannot import desk: data flows content -> kb -> ... -> desk).

SQLite's `lower()` folds ASCII only and PostgreSQL's follows the database's locale, so the desk folds in Python,
never in SQL. The fold is NFKC (compatibility forms to their plain letters: full-width "Ｒｅｆｕｎｄｓ", the ligature
"ﬁ", Arabic presentation forms "ﻣﺴﺘﺮﺩﺍﺕ"), case-folded (`str.casefold`: "STRASSE" and "straße" are one), then NFKC
again (Unicode's NFKC_Casefold: the fold of a fold is itself). A change here needs migrations refolding what was
stored with it (see `saved_view_keys` and `tag_folds`).

Homoglyphs are a separate question (`mixed_script_word`): "Rеfunds" with a Cyrillic "е" folds to its own form, and
the desk refuses it (a view's name, a tag) rather than keep a twin that reads the same.
"""

from __future__ import annotations

import re
import unicodedata

# How many characters the fold can make of one: U+FDFA (ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM) is 18 in NFKC,
# the most of any code point (tests/desk/test_name_keys.py checks all of Unicode).
MAX_EXPANSION = 18

# The alphabets whose letters stand in for one another ("а", "е", "о", "р", "с" in Cyrillic; "ο", "ν" in Greek):
# Unicode's confusable trio (UTS #39's "moderately restrictive" level allows any other pair, Latin with Arabic).
CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
_WORD = re.compile(r"[^\W\d_]+")


def fold_name(text: str) -> str:
    """`text` folded: NFKC, case-folded, NFKC again (whitespace left as it is: each caller joins it its own way)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _script(letter: str) -> str | None:
    words = unicodedata.name(letter, "").split()
    return next((w for w in words if w in CONFUSABLE_SCRIPTS), None)


def mixed_script_word(name: str) -> str | None:
    """The first word (a run of letters) that mixes Latin, Cyrillic or Greek letters ("Rеfunds" with a Cyrillic
    "е"); None when every word keeps to one of them. Digits, marks and other alphabets (Arabic) mix freely."""
    for word in _WORD.findall(name):
        if len({s for s in map(_script, word) if s is not None}) > 1:
            return word
    return None
