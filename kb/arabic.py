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


def has_arabic(text: str) -> bool:
    return bool(_ARABIC_LETTER.search(text))
