"""A customer's Arabic verb and a section's derived verbal noun read down to their shared root.

Customers ask with a verb ("ينفع أبدلها؟", can I exchange it); help sections name the task with
the verbal noun of another verb form ("الاستبدال", form X of the same root). The section choice
(copilot.section_choice) compares stems: "ابدل" and "استب" never meet, nor "الغي" and "إلغاء".
Arabic derives these nouns by fixed patterns, which is grammar, not a word list: استفعال (X),
افتعال (VIII), انفعال (VII), تفعيل (II), إفعال (IV), a weak final letter as اء (استدعاء, إلغاء).
A noun of one of those shapes gives its three root letters; a customer's word read as a verb
(copilot.verbal_nouns.stems: a person prefix, a pronoun or subject ending off) gives its three
letters too, and the two meet as one term, "√" + root, that no stem can equal.

Form III's مفاعلة is left out: its nouns drift from the verb's sense on these sections ("مطالبة", a
claim, for "اطلب", I order; "محاولة", an attempt, for "احول", I transfer). Hollow form IV nouns
(إضافة) lose their middle letter and are not read. Nothing is loaded: patterns over the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from copilot.verbal_nouns import stems
from kb.arabic import normalize_arabic, strip_prefixes

ROOT_MARK = "√"
# (shape, the root's third letter when the shape ends in the weak letter's hamza); a weak shape is tried
# before the sound one it would also match ("الغاء" is ل غ ي, not ل غ ء)
_DERIVED = (
    (re.compile(r"^است(.)(.)اء$"), "ي"),  # استدعاء (X, weak)
    (re.compile(r"^است(.)(.)ا(.)$"), ""),  # استبدال, استرجاع (X)
    (re.compile(r"^ا(.)ت(.)ا(.)$"), ""),  # احتفاظ (VIII)
    (re.compile(r"^ان(.)(.)ا(.)$"), ""),  # انسحاب (VII)
    (re.compile(r"^ت(.)(.)ي(.)$"), ""),  # تبديل, تغيير (II)
    (re.compile(r"^ا(.)(.)اء$"), "ي"),  # الغاء (IV, weak)
    (re.compile(r"^ا(.)(.)ا(.)$"), ""),  # ارجاع, ادخال (IV)
)
# Possessive pronouns a noun takes ("استبدالها", its exchange); the rest of the word keeps 4+ letters.
_POSSESSIVE = ("هما", "هم", "ها", "كم", "نا", "ه", "ك")
_ARABIC_WORD = re.compile(r"[\u0620-\u064a]+")


@functools.lru_cache(maxsize=8192)
def noun_root(word: str) -> str | None:
    """The root term of a normalized word shaped as a derived verbal noun (with or without the
    article, a clitic or a possessive pronoun), else None."""
    bases = [word, strip_prefixes(word)]
    bases += [b[: -len(p)] for b in list(bases) for p in _POSSESSIVE if b.endswith(p) and len(b) - len(p) >= 4]
    for form in dict.fromkeys(bases):
        for shape, weak in _DERIVED:
            match = shape.match(form)
            if match:
                return ROOT_MARK + "".join(match.groups()) + weak
    return None


def noun_roots(text: str) -> frozenset[str]:
    """The root terms of the derived verbal nouns in `text`."""
    return frozenset(root for word in _ARABIC_WORD.findall(normalize_arabic(text)) if (root := noun_root(word)))


def verb_roots(text: str, skip: Callable[[str], bool], known: Iterable[str]) -> list[str]:
    """The root terms of `text`'s words read as verbs, among `known` (the compared sections' root terms),
    each once. `skip(word)` leaves a word unread: a stop word, a dialect word, or one whose own stem
    already meets a section (its root would count the same match twice)."""
    known = frozenset(known)
    found: list[str] = []
    for word in _ARABIC_WORD.findall(normalize_arabic(text)):
        if len(word) < 3 or skip(word):
            continue
        for stem in stems(word):
            # a three-letter stem is the root; form X's "ست" + three letters ("يستبدل") is too
            letters = stem if len(stem) == 3 else stem[2:] if len(stem) == 5 and stem.startswith("ست") else ""
            root = ROOT_MARK + letters
            if letters and root in known and root not in found:
                found.append(root)
    return found
