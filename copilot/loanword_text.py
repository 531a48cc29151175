"""What the dense models read for a query with loanwords: the MSA word in the loanword's place.

copilot.loanwords reads "الباسورد", "دومين", "ادمن", "بايميلات" as password, domain, admin, email and
adds their MSA words ("كلمة المرور", "المجال", "المسؤول", "البريد الإلكتروني") to the lexical query.
The dense models still embed the customer's spelling, which a small multilingual model reads
poorly: "ابي اشتري دومين جديد للشركة" is far from "شراء اسم مجال" for e5, which places the answer
7th alone and the fused ranking not at all. The query the models embed is already rewritten once
(the dialect words' MSA, Expansion.msa); this rewrites the loanwords the same way, each replaced by
its first MSA word the index itself uses (the glossary lists "المجال" and "النطاق": a help center
that says "النطاق" gets that one). The lexical query is unchanged: the typed words stay searched.
A glossary word typed in Latin inside an Arabic query ("احذف الـ card المحفوظة", copilot.latin_terms)
is read the same way, unless the index's articles print that Latin word themselves.
"""

from __future__ import annotations

import re

from copilot.latin_terms import headword
from copilot.loanwords import GLOSSARY, MIN_LETTERS, Loanword, loanwords, sounds_like_loan
from copilot.transliteration import latin_key
from kb.arabic import light_stem

_WORD = re.compile(r"\w+")
_LATIN_TOKEN = re.compile(r"[A-Za-z]{3,}")
# Endings that say whose the thing is ("ايميلي", my email; "ايميلاتكم", your emails). A possessed
# loanword keeps the customer's spelling: its MSA word is a phrase ("البريد الإلكتروني") that the
# ending cannot be moved onto by rule, and without it the question loses whose mail it asks about.
_POSSESSIVE = ("اتكم", "اتهم", "اتنا", "اتي", "اتك", "اته", "كم", "هم", "نا", "ها", "ي", "ك", "ه")
_PROCLITICS = ("ب", "ل", "و", "ف", "ك")
# Sound keys of two consonants are shared by many ordinary Arabic words: on xquad-dev's Arabic
# questions (Wikipedia, a vocabulary no help center has) copilot.loanwords reads "فاز" (won) as visa,
# "جيد" (good) as code, "فول" (beans) as file, "التوأم" (twin) as team: 12 of 14 words it reads
# there. The lexical side can afford them (searched beside the typed words, at a lower weight); the
# dense models would read the wrong word instead of the typed one. Only longer keys are rewritten
# here ("دومين", "باسورد", "ادمن", "لابتوب"); "ايميل" (m-l) keeps its spelling for the models.
MIN_DENSE_KEY = 3


def possessed(loan: Loanword) -> bool:
    """Whether the typed loanword carries a possessive ending ("بايميلي": ب + ايميل + ي)."""
    heads = [loan.typed] + [loan.typed[len(p) :] for p in _PROCLITICS if loan.typed.startswith(p)]
    return any(
        head.endswith(ending)
        and len(head) - len(ending) >= MIN_LETTERS
        and sounds_like_loan(head[: -len(ending)], loan.english)
        for head in heads
        for ending in _POSSESSIVE
    )


def _folded(token: str) -> str:
    """A whitespace token as copilot.loanwords folds words: light-stemmed, punctuation off."""
    return "".join(_WORD.findall(light_stem(token.lower())))


def msa_word(loan: Loanword, known: frozenset[str]) -> str:
    """The loanword's first MSA word whose words the index uses, else the glossary's first."""
    for msa in loan.msa:
        if all(word in known for word in _WORD.findall(light_stem(msa.lower()))):
            return msa
    return loan.msa[0]


def read_loanwords(text: str, known: frozenset[str]) -> str:
    """`text` with each loanword (one token, or two that spell one: "باك اب") replaced by its MSA word.

    `known`: the index's folded words in the query's language, which are never loanwords."""
    found = [
        loan for loan in loanwords(text, known) if len(latin_key(loan.english)) >= MIN_DENSE_KEY and not possessed(loan)
    ]
    if not found:
        return text
    by_typed = {loan.typed: loan for loan in found}
    tokens = text.split()
    folded = [_folded(token) for token in tokens]
    out: list[str] = []
    position = 0
    while position < len(tokens):
        pair = folded[position] + folded[position + 1] if position + 1 < len(tokens) else ""
        if pair in by_typed:
            out.append(msa_word(by_typed[pair], known))
            position += 2
            continue
        loan = by_typed.get(folded[position])
        out.append(msa_word(loan, known) if loan is not None else tokens[position])
        position += 1
    return " ".join(out)


def read_latin_terms(text: str, known: frozenset[str]) -> str:
    """`text` with each glossary word typed in Latin ("admin") replaced by its MSA word, unless the
    index prints that Latin word itself (copilot.latin_terms)."""
    out: list[str] = []
    for token in text.split():
        english = headword(token) if _LATIN_TOKEN.fullmatch(token) and token.lower() not in known else None
        out.append(msa_word(Loanword(token, english, GLOSSARY[english]), known) if english else token)
    return " ".join(out)
