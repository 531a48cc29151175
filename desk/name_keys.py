"""One key per name an agent types, for "unique without case": the desk folds in Python, never in SQL.

SQLite's `lower()` folds ASCII only and PostgreSQL's follows the database's locale, so a uniqueness rule on
`lower(name)` kept "ÉCOLE" and "école" as two saved views on SQLite and one on PostgreSQL. The key is the name in
NFKC (compatibility forms to their plain letters: full-width "Ｒｅｆｕｎｄｓ", the ligature "ﬁ", Arabic presentation
forms "ﻣﺴﺘﺮﺩﺍﺕ"), case-folded (`str.casefold`: "STRASSE" and "straße" are one), then NFKC again (Unicode's
NFKC_Casefold: the key of a key is itself), stored beside the name with the unique rule on it, so both engines
compare the same strings byte for byte. A change here needs a migration refolding the stored keys
(see `saved_view_keys`).

Homoglyphs are a separate question (`mixed_script_word`): "Rеfunds" with a Cyrillic "е" folds to its own key.
"""

from __future__ import annotations

import re
import unicodedata

# How many characters the key can make of one: U+FDFA (ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM) is 18 in NFKC,
# the most of any code point (tests/desk/test_name_keys.py checks all of Unicode); a key column holds
# MAX_EXPANSION times the name's length (60 characters: 1,080, at most 1,980 bytes of UTF-8, under PostgreSQL's
# 2,704-byte index entry).
MAX_EXPANSION = 18

# The alphabets whose letters stand in for one another ("а", "е", "о", "р", "с" in Cyrillic; "ο", "ν" in Greek):
# Unicode's confusable trio (UTS #39's "moderately restrictive" level allows any other pair, Latin with Arabic).
CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
_WORD = re.compile(r"[^\W\d_]+")


def name_key(name: str) -> str:
    """The name's folded key: NFKC, case-folded, NFKC again, whitespace runs one space."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


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
