"""How a query is written (its register), which moves the abstention floors (copilot.tuning's abstain_offsets).

Its own module, importing only kb.arabic: search (copilot.retrieval, which re-exports `query_register` for its many
callers), the answer card and the floors' fit read it, and so does the desk's floors decision (desk.floor_decision:
`kb floors` and the reports page), which must not import search, the index or a model.
"""

from __future__ import annotations

import re
from typing import Literal

from kb.arabic import has_arabic, is_dialect_word, normalize_arabic

Register = Literal["plain", "dialect", "mixed"]
_TOKEN = re.compile(r"\w+")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def query_register(query: str, lang: str) -> Register:
    """How the query is written, as far as the models' confidence in it goes.

    "mixed": words in another script than the query language's (Latin words in an Arabic query,
    Arabic in any other); "dialect": an Arabic query with a known dialect word (kb.arabic); else
    "plain". A relevant article scores lower for such queries than for plain ones, so the
    abstention floors are lower for them (ABSTAIN_OFFSETS): the same scores mean more.
    """
    if (_LATIN_WORD.search(query) is not None) if lang == "ar" else has_arabic(query):
        return "mixed"
    if lang == "ar" and any(is_dialect_word(normalize_arabic(word)) for word in _TOKEN.findall(query)):
        return "dialect"
    return "plain"
