"""Product names in a query, told apart from what the customer asks about them.

A customer frames a cross-cutting request with the product it concerns: "refund for my Teams
licence", "استرجاع فلوس اشتراك Teams", "Apple Pay charged me twice". The product's name is a rare
term that the product's own pages print many times (in their titles most of all), so both the
dense models and BM25 rank those pages above the policy or task article that answers (the
refund, billing or password page), which never needs to name the product. The issue calls this
the customer-framing class.

Which words are names needs no list: the help center's own text says it. Writers capitalise a
product name wherever it stands ("Teams", "SharePoint", "iPhone", "Manzil Plus") and write
ordinary words in lower case mid-sentence, so a Latin word that the index prints capitalised
(mid-sentence) nearly every time it prints it is a name. In an Arabic help center every Latin
word is a name or a UI label, the same test holds. Acronyms typed in capitals ("VAT", "PDF",
"MFA") are concepts customers ask about, not product names, and are left in.

The lever (retrieval.LEVERS["framing"]) asks the dense models a second question: the query
without its names (the intent: "refund for my licence"). Its ranking joins the fused ranking
with a smaller RRF weight, so an article that matches the intent gains, and the name still
counts through the full query (the entity as a secondary term).

Arabic customers also write the names in Arabic script ("الآيفون", "اوتلوك", "تيمز", "منزل"): such a
word the articles never use is a name when it sounds like one of the index's Latin names
(copilot.transliteration's sound keys: "اوتلوك" and Outlook share "tlk" and their vowel places), so
the intent leaves it out too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np

from copilot.expansion import fold
from copilot.loanwords import GLOSSARY
from copilot.transliteration import arabic_key, keyed, spelled_names
from indexer.stores.base import PayloadFilter, Source
from kb.arabic import has_arabic, is_dialect_word

NAME_SHARE = 0.8  # a word the index prints capitalised at least this often (mid-sentence) is a name
MIN_SEEN = 3  # fewer sightings say nothing about how the help center writes a word
MIN_INTENT_WORDS = 2  # an intent of one word ("settings") is too vague to rank on its own
# The intent ranking's RRF weight, as a share of each model's own weight. bench/eval_retrieval.py
# --suite, hybrid MRR@10 of the framing slice (demo en / m365 ar / m365 en over Arabic) and of the
# rest of each dev set: off 0.734 / 0.313 / 0.355; 0.3: 0.792 / 0.467 / 0.529; 0.5: 0.794 / 0.557 /
# 0.567; 0.75: 0.794 / 0.598 / 0.567; 1.0: 0.794 / 0.616 / 0.592, the rest unchanged up to 1.0 but
# for one demo query (en 0.928 -> 0.924: "does Manzil Care cover ..."); 2.0 costs the rest of both
# (demo en 0.921, m365 ar 0.813). The middle of the plateau, not its edge.
INTENT_WEIGHT = 0.75

# A possessive pronoun ending an Arabic word the articles print bare ("جوالي", my phone, sounds like Google).
_PRONOUN = re.compile(r"(ي|ك|ه|ها|نا|كم|هم)$")
MIN_BARE = 3
NAME_PUNCTUATION = ".,;:!?()\"'،؟؛"  # around a name as typed: "(Teams),", "Outlook؟"
LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9+]*")  # a Latin word a name may be: "Teams", "365", "C++"
_WORD = re.compile(r"\w{3,}")
_ADDRESS = re.compile(r"[.@/][A-Za-z]")  # what follows a word inside a domain, email or path
_SENTENCE_END = ".!?:;|#>*-([\n"  # after these (or at the start) a capital says nothing


def _camel(word: str) -> bool:
    """Capitals after the first letter ("iPhone", "SharePoint"): written as a name wherever it stands."""
    return any(c.isupper() for c in word[1:]) and not word.isupper()


def name_words(texts: Iterable[str]) -> frozenset[str]:
    """The Latin words (lower-cased) the texts write as names: capitalised mid-sentence nearly always."""
    capital: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for text in texts:
        for match in LATIN_NAME.finditer(text):
            word = match.group()
            if len(word) < 2 or word.isupper():  # acronyms: concepts as often as names
                continue
            if _ADDRESS.match(text, match.end()) or (match.start() and text[match.start() - 1] in "@./"):
                continue  # part of an address ("manzil.example", "care@manzil"): not prose
            before = text[: match.start()].rstrip(" \t\"'`")
            if (not before or before[-1] in _SENTENCE_END) and not _camel(word):
                continue  # sentence- or label-initial: capitalised whatever it is
            key = word.lower()
            seen[key] += 1
            capital[key] += word[0].isupper() or _camel(word)
    return frozenset(w for w, n in seen.items() if n >= MIN_SEEN and capital[w] / n >= NAME_SHARE)


def index_names(payloads: Iterable[Mapping[str, object]]) -> frozenset[str]:
    """The help center's names, from its chunks' text and titles (store.payloads(("title", "text")))."""
    return name_words(str(p.get(f, "") or "") for p in payloads for f in ("title", "text"))


def intent_part(query: str, names: frozenset[str], known: frozenset[str] = frozenset()) -> str | None:
    """The query without the product names it frames its request with, or None when it names none
    or too little is left to be a request on its own.

    A word counts as a name when the index writes it as one and the customer typed it so: with a
    capital (not the query's first word, which customers capitalise anyway, unless it is camel
    case), or in Latin letters inside a query in another script (Arabic customers type product
    names in Latin). A number, or another word typed the same way, right after a name belongs to
    it ("Microsoft 365", "Apple Pay", "Exchange Online"). `known`: the words (copilot.expansion.fold)
    of the articles in the query's language; given, an Arabic-script word they never use that sounds
    like an index name is one too (arabic_script_name).
    """
    matches = list(re.finditer(r"\S+", query))
    other_script = any(ch.isalpha() and not ch.isascii() for ch in query)
    dropped: list[bool] = []
    tokens: list[str] = []
    for position, match in enumerate(matches):
        token = match.group().strip(NAME_PUNCTUATION)
        if token.isdigit() and dropped and dropped[-1]:
            dropped.append(True)
            continue
        latin = LATIN_NAME.fullmatch(token)
        is_name = False
        if known and not latin and has_arabic(token):
            if dropped and not dropped[-1] and has_arabic(tokens[-1]):  # two words, one name: "ون درايف"
                is_name = dropped[-1] = arabic_script_name(tokens[-1], names, known, then=token) is not None
            is_name = is_name or arabic_script_name(token, names, known) is not None
        elif latin and not token.isupper():
            typed_as_name = _camel(token) or (token[0].isupper() and position > 0)
            # a name the index knows, or the rest of one: "Apple Pay", "Exchange Online"
            if token.lower() in names or (dropped and dropped[-1]):
                is_name = typed_as_name or other_script
        dropped.append(is_name)
        tokens.append(token)
    if not any(dropped):
        return None
    rest = " ".join(m.group() for m, gone in zip(matches, dropped, strict=True) if not gone)
    return rest if len(_WORD.findall(rest)) >= MIN_INTENT_WORDS else None


@lru_cache(maxsize=8)
def _names_by_key(names: frozenset[str]) -> dict[str, list[str]]:
    """The index's names by sound key (one table per index version's names), less the general
    computing words among them: an index may capitalise "Admin" (Admin center), but "ادمن" typed
    in Arabic script is the role the customer asks about (copilot.loanwords reads it as المسؤول)."""
    return keyed(sorted(name for name in names if name not in GLOSSARY))  # "teams" stays: "team" is the word


def _foreign(word: str, known: frozenset[str]) -> str | None:
    """The word folded, if it can be a name written in Arabic script: one the articles never use.

    An ordinary Arabic word can share a name's sound key and vowel places by chance (m365: "ثاني",
    second, and China; "تلقائي", automatic, and Outlook; "جوال", phone, and Google), and the
    articles print every ordinary word somewhere. Dialect words are the customer's own words.
    """
    folded = fold(word)
    if len(folded) != 1 or is_dialect_word(folded[0]) or not arabic_key(folded[0]):
        return None
    bare = _PRONOUN.sub("", folded[0])  # "جوالي", my phone: the articles' "جوال"
    if folded[0] in known or (len(bare) >= MIN_BARE and bare in known):
        return None
    return folded[0]


def arabic_script_name(word: str, names: frozenset[str], known: frozenset[str], then: str = "") -> str | None:
    """The index name an Arabic-script word (with `then`, the word after it: "ون درايف") spells
    ("الاوتلوك": outlook), or None. Each word must be foreign to the articles (`_foreign`)."""
    parts = [_foreign(w, known) for w in (word, then) if w]
    if not parts or None in parts:
        return None
    found = spelled_names("".join(p for p in parts if p), _names_by_key(names), glides=True)
    return found[0] if found else None


def intent_sources(
    intent: Mapping[str, np.ndarray], weights: Mapping[str, float], where: PayloadFilter
) -> list[Source]:
    """The intent's dense rankings, each at INTENT_WEIGHT of its model's weight in the fusion beside it."""
    return [
        Source(name, vector, where, INTENT_WEIGHT * weights.get(name, 1.0))
        for name, vector in intent.items()
        if weights.get(name, 1.0) > 0
    ]
