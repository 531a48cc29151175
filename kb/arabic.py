"""Arabic normalization for the lexical side of search.

Customers type Arabic without diacritics, with or without hamza on alef, with ya for alef maqsura
and ha for ta marbuta, and with Arabic-Indic digits; articles are written carefully. Folding both
sides to one form lets the lexical index match them. Dense models see the original text: they were
trained on real orthography, and normalizing would only remove signal from them.
"""

from __future__ import annotations

import re

from pyarabic import araby

_ALEF_VARIANTS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا"})
_YA_TA = str.maketrans({"ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_PUNCT = str.maketrans({"،": ",", "؛": ";", "؟": "?"})
_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")


def normalize_arabic(text: str) -> str:
    """Fold spelling variants so that a customer's spelling matches the article's."""
    text = araby.strip_diacritics(text)
    text = araby.strip_tatweel(text)
    text = text.translate(_ALEF_VARIANTS).translate(_YA_TA)
    return text.translate(_DIGITS).translate(_PUNCT)


_CONJ_BEFORE_ARTICLE = ("وال", "فال", "وبال", "فبال", "وكال", "ولل", "فلل")
_ARTICLE = ("بال", "كال", "ال", "لل")
_TOKEN = re.compile(r"\w+|\W+")


def strip_prefixes(word: str) -> str:
    """Remove the conjunction and article prefixes Snowball's Arabic stemmer leaves on.

    Only prefixes that cannot begin a stem are taken: و/ف before ال (والاسترجاع), then ال/بال/كال/لل
    when at least three letters remain. "وصل" and "فلوس" keep their first letter.
    """
    if word.startswith(_CONJ_BEFORE_ARTICLE) and len(word) >= 5:
        word = word[1:]
    for prefix in _ARTICLE:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word


def light_stem(text: str) -> str:
    """Normalized text with prefixes stripped word by word; punctuation and spacing are kept."""
    return "".join(strip_prefixes(t) if t[0].isalnum() else t for t in _TOKEN.findall(normalize_arabic(text)))


def has_arabic(text: str) -> bool:
    return bool(_ARABIC_LETTER.search(text))
