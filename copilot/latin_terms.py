"""English words typed in Latin inside an Arabic query, read as the MSA words Arabic articles use.

Customers mix scripts: "ازاي اخلي حد admin على الحساب", "مشكلة في reset الباسورد". A Latin word
in an Arabic query matches an Arabic article only where the article prints the same Latin word,
which machine-translated and native MSA articles do for product names, not for ordinary words:
they say "المسؤول", not "admin". The words that matter are general support and computing
vocabulary, the same that customers also spell in Arabic script, so the same general glossary
(copilot.loanwords.GLOSSARY: English headword -> the MSA words articles use) reads them; no help
center's words are listed. The MSA words join the lexical query at the loanwords' weight; the
Latin word itself stays in the query (some articles do print it).
"""

from __future__ import annotations

import re

from copilot.loanwords import GLOSSARY
from kb.arabic import has_arabic

_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def headword(word: str) -> str | None:
    """The glossary headword a typed Latin word is, itself or as a plural ("notifications")."""
    word = word.lower()
    for candidate in (word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("es") else ""):
        if candidate in GLOSSARY:
            return candidate
    return None


def latin_terms(query: str) -> list[str]:
    """The MSA words of the glossary words an Arabic query types in Latin, each once."""
    if not has_arabic(query):
        return []
    terms: list[str] = []
    for word in _LATIN_WORD.findall(query):
        english = headword(word)
        if english is not None:
            terms += [t for t in GLOSSARY[english] if t not in terms]
    return terms
