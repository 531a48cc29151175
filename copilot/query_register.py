"""How a query is written (its register), which moves the abstention floors (copilot.tuning's abstain_offsets).

Its own module, importing only kb.arabic: search (copilot.retrieval, which re-exports `query_register` for its many
callers), the answer card and the floors' fit read it, and so does the desk's floors decision (desk.floor_decision:
`kb floors` and the reports page), which must not import search, the index or a model.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from kb.arabic import is_dialect_word, normalize_arabic

Register = Literal["plain", "dialect", "mixed"]
_TOKEN = re.compile(r"\w+")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A letter of the Arabic block (has_arabic's): its punctuation (؟ ، ؛), Arabic-Indic digits and harakat are no word.
_ARABIC_WORD = re.compile("[{}]".format("".join(chr(c) for c in range(0x600, 0x700)
                                                if unicodedata.category(chr(c)).startswith("L"))))


def query_register(query: str, lang: str) -> Register:
    """How the query is written, as far as the models' confidence in it goes.

    "mixed": words in another script than the query language's (Latin words in an Arabic query,
    Arabic letters in any other: an Arabic question mark, comma or digit is no word); "dialect": an
    Arabic query with a known dialect word (kb.arabic); else "plain". A relevant article scores lower
    for such queries than for plain ones, so the abstention floors are lower for them
    (ABSTAIN_OFFSETS): the same scores mean more.
    """
    if (_LATIN_WORD if lang == "ar" else _ARABIC_WORD).search(query) is not None:
        return "mixed"
    if lang == "ar" and any(is_dialect_word(normalize_arabic(word)) for word in _TOKEN.findall(query)):
        return "dialect"
    return "plain"
