"""A customer's verb read as the verbal noun (masdar) the help center's titles and headings use.

Customers ask with a verb in the first person or the second ("اضيف نطاقي", "احول ايميل", "سجلت
بايميلي", "الغي الاشتراك"); help articles name the task with the verbal noun ("إضافة مجال",
"تحويل علبة بريد", "التسجيل", "إلغاء الاشتراك"). They share a root but no lexical term, and the
root families (copilot.vocabulary_variants) are too coarse to reach the one noun: ISRI reads
"اضيف" as ضيف and "إضافة" as ضفه, "احول" as احل, and a root's most frequent index words are often
other words of it ("مراجعه" for "ارجع").

Arabic derives the verbal noun of the derived verb forms by fixed patterns, which is grammar, not
a word list: form II يفعّل -> تفعيل (يغير -> تغيير, يسجل -> تسجيل), form IV يُفعل -> إفعال (يدخل ->
إدخال; weak ending يلغي -> إلغاء; hollow يضيف -> إضافة), form III يفاعل -> مفاعلة, forms VII, VIII
and X ينفعل / يفتعل / يستفعل -> انفعال / افتعال / استفعال (تنتهي -> انتهاء, يسترجع -> استرجاع), forms
V and VI the stem itself (يتحقق -> تحقق). Form I's verbal nouns follow no pattern and are left out.
A word is read as a verb by taking off a person prefix (ا ي ت ن, after the dialects' ب or future
ح/ه/س) and pronoun or subject endings, every reading tried. The patterns over-generate; only
candidates the index's own vocabulary holds are kept, so what is added is a word the help center
uses. The index's most frequent words ("يمكن", can, would read as form II تمكين) bring nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator

from kb.arabic import dialect_to_msa, has_arabic, is_dialect_word, normalize_arabic, strip_prefixes

_PERSON = "اينت"  # imperfect person prefixes: I, he, you/she, we (also form IV's perfect hamza)
_TENSE = "بحهس"  # Egyptian/Levantine b-, future ح/ه/س: before the person prefix
_OBJECT = ("هما", "هم", "هن", "ها", "كم", "كن", "نا", "ني", "ه", "ك")  # attached object pronouns
_SUBJECT = ("ون", "وا", "ين", "تم", "نا", "ت")  # plural imperfect and perfect endings
_WEAK = "ي"  # a final weak letter (alef maqsura folds to ya)
_HOLLOW = "يوا"  # a middle weak letter
MIN_STEM = 3
MAX_STEM = 5
_WORD = re.compile(r"\w+")


def _bodies(word: str) -> Iterator[tuple[str, bool]]:
    """The word without a conjunction, an object pronoun and a subject ending, each optional; and
    whether a subject ending was taken off."""
    starts = [word, word[1:]] if word[:1] in "وف" and len(word) > MIN_STEM + 1 else [word]
    for start in starts:
        for obj in ("", *_OBJECT):
            if obj and not start.endswith(obj):
                continue
            body = start[: -len(obj)] if obj else start
            yield body, False
            for subject in _SUBJECT:
                if body.endswith(subject) and len(body) - len(subject) >= MIN_STEM:
                    yield body[: -len(subject)], True


def stems(word: str) -> list[str]:
    """Every reading of `word` as a verb's stem: after its person (and tense) prefix, or as a perfect
    with its subject ending ("سجلت"); a word with neither is mostly a noun ("رقم", "بدل")."""
    found: list[str] = []
    for body, perfect in _bodies(word):
        readings = [body] if perfect else []
        if body[:1] in _PERSON:
            readings.append(body[1:])
        if body[:1] in _TENSE and body[1:2] in _PERSON:
            readings.append(body[2:])
        found += [s for s in readings if MIN_STEM <= len(s) <= MAX_STEM and s not in found]
    return found


def patterns(stem: str) -> list[str]:
    """The verbal nouns the derived forms would give a stem (normalized spelling, ة as ه)."""
    out: list[str] = []
    if len(stem) == 3:
        c1, c2, c3 = stem[0], stem[1], stem[2]
        if c3 == _WEAK:
            out += [f"ت{c1}{c2}يه", f"ا{c1}{c2}اء"]  # تغطيه (II), الغاء (IV)
        else:
            out.append(f"ت{c1}{c2}ي{c3}")  # تحويل, تغيير (II: a middle و/ي is a consonant there)
            # IV: اضافه, اعاده (hollow), ادخال (sound)
            out.append(f"ا{c1}ا{c3}ه" if c2 in _HOLLOW else f"ا{c1}{c2}ا{c3}")
    elif len(stem) in (4, 5):
        if len(stem) == 4 and stem[1] == "ا":
            out.append(f"م{stem}ه")  # مشاركه (III)
        if stem[0] == "ت":
            out.append(stem)  # تحقق, تواصل (V, VI)
        if (len(stem) == 4 and (stem[0] == "ن" or stem[1] == "ت")) or stem.startswith("ست"):
            if stem[-1] == _WEAK:
                out.append(f"ا{stem[:-1]}اء")  # انتهاء (VIII), استدعاء (X)
            elif stem[-2] == "ا":
                out.append(f"ا{stem[:-2]}يا{stem[-1]}")  # احتياج (VIII hollow)
            elif stem[-2] in _HOLLOW and len(stem) == 5:
                out.append(f"ا{stem[:-2]}ا{stem[-1]}ه")  # استعاده (X hollow)
            else:
                out.append(f"ا{stem[:-1]}ا{stem[-1]}")  # انحذاف, احتفاظ, استرجاع (VII, VIII, X)
    return out


def _has_article(word: str) -> bool:
    """A noun with the article, as the lexical fold reads one (kb.arabic.strip_prefixes): "الاشتراك",
    "والاشتراك"; "الغي" (I cancel) is too short for one."""
    return strip_prefixes(word) != word


def _not_read(word: str, common: Collection[str], fold: Callable[[str], list[str]]) -> bool:
    """Words left alone: the index's most frequent ones, and dialect words (the dialect layer reads
    them; "القى" is "أجد", to find, not ألقى's "إلقاء")."""
    if word in common or any(f in common for f in fold(word)):
        return True
    return is_dialect_word(word) or dialect_to_msa(word) != word


def verbal_nouns(
    query: str, known: Collection[str], common: Collection[str], fold: Callable[[str], list[str]]
) -> list[str]:
    """The verbal nouns of the query's Arabic verbs that the index uses, each once.

    `known`: the index's folded words; `common`: its most frequent ones (function words and general
    vocabulary, which bring nothing); `fold`: how the lexical side folds a word (the candidate is
    kept when its folded form is an index word, and returned as spelt, for the lexical encoder).
    """
    typed = set(_WORD.findall(normalize_arabic(query)))
    out: list[str] = []
    for word in _WORD.findall(normalize_arabic(query)):
        if len(word) < MIN_STEM or not has_arabic(word) or _has_article(word) or _not_read(word, common, fold):
            continue
        for stem in stems(word):
            for noun in patterns(stem):
                folded = fold(noun)
                if noun in typed or noun in out or len(folded) != 1 or folded[0] not in known:
                    continue
                if folded[0] not in typed:
                    out.append(noun)
    return out
