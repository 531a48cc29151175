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


_CONJ_BEFORE_ARTICLE = ("وال", "فال", "وبال", "فبال", "وكال", "ولل", "فلل", "ولال", "فلال")
_ARTICLE = ("بال", "كال", "ال", "لل")
_TOKEN = re.compile(r"\w+|\W+")


def strip_prefixes(word: str) -> str:
    """Remove the conjunction and article prefixes Snowball's Arabic stemmer leaves on.

    Only prefixes that cannot begin a stem are taken: و/ف before ال (والاسترجاع), then ال/بال/كال/لل
    when at least three letters remain. "وصل" and "فلوس" keep their first letter.

    A word whose own first letters are hamza-alef + lam ("إلغاء", "إلكتروني", "ألوان") reads like
    an article once the hamza is folded, so the bare word loses "ال" ("غاء"). Customers type it
    bare and without hamza ("الغاء"), so that fold stays, and the word after an article or the
    preposition ل must fold the same: "الإلغاء", "بالإلغاء", "للإلغاء" and "لإلغاء" all give "غاء".
    """
    if word.startswith(_CONJ_BEFORE_ARTICLE) and len(word) >= 5:
        word = word[1:]
    if word.startswith("لال") and len(word) >= 5:  # ل before a word that starts with ال: "لإلغاء"
        word = word[1:]
    for prefix in _ARTICLE:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return _strip_own_alef_lam(word[len(prefix) :])
    return word


def _strip_own_alef_lam(stem: str) -> str:
    """The stem as its bare form folds: "الغاء" (from "الإلغاء") loses ال like bare "إلغاء" does."""
    return stem[2:] if stem.startswith("ال") and len(stem) >= 5 else stem


def light_stem(text: str) -> str:
    """Normalized text with prefixes stripped word by word; punctuation and spacing are kept."""
    return "".join(strip_prefixes(t) if t[0].isalnum() else t for t in _TOKEN.findall(normalize_arabic(text)))


def has_arabic(text: str) -> bool:
    return bool(_ARABIC_LETTER.search(text))


# Everyday words of Gulf, Egyptian and Levantine Arabic that customers type and help articles
# (written in Modern Standard Arabic) never use, with their MSA equivalent. Only words that are
# unambiguous in a help-center query are listed: "الي" is also "إلى" once normalized, "ودي" is also
# "friendly", so neither is here. Brand-like words of one help center belong in _synonyms.yml, not
# here. An empty equivalent marks a filler: nothing to search for, but not a typo either.
_DIALECT: dict[str, str] = {
    # want
    "عايز": "اريد", "عايزه": "اريد", "عاوز": "اريد", "عاوزه": "اريد", "ابغى": "اريد", "ابغا": "اريد",
    "ابي": "اريد", "بدي": "اريد", "حابب": "اريد", "نبغى": "نريد", "نبي": "نريد", "بدنا": "نريد",
    # question words
    "ليه": "لماذا", "ليش": "لماذا", "ايش": "ماذا", "شو": "ماذا", "وش": "ماذا", "شنو": "ماذا",
    "وين": "اين", "فين": "اين", "امتى": "متى", "ايمتى": "متى", "ازاي": "كيف", "شلون": "كيف",
    "بكام": "كم", "قديش": "كم", "قداش": "كم", "كام": "كم", "مين": "من",
    # negation and existence
    "مش": "لا", "مو": "لا", "مب": "لا", "مفيش": "لا يوجد", "مافي": "لا يوجد", "مافيش": "لا يوجد",
    "محد": "لا احد", "ماحد": "لا احد",
    # pronouns, demonstratives, particles
    "اللي": "الذي", "ده": "هذا", "دا": "هذا", "هاد": "هذا", "هادا": "هذا", "هيدا": "هذا",
    "دي": "هذه", "هاي": "هذه", "هيدي": "هذه", "كده": "هكذا", "كدا": "هكذا", "هيك": "هكذا",
    "عشان": "لكي", "علشان": "لكي", "بس": "فقط", "زي": "مثل", "كمان": "ايضا", "بعدين": "لاحقا",
    "دلوقتي": "الان", "دلوقت": "الان", "هلق": "الان", "الحين": "الان", "لسه": "", "لسا": "",
    "للحين": "", "ايوه": "", "طيب": "", "يعني": "", "برا": "خارج", "بره": "خارج",
    "كتير": "كثير", "وايد": "كثير", "حاجه": "شيء", "شي": "شيء", "اشي": "شيء",
    "لحاله": "تلقائيا", "لوحده": "تلقائيا",
    # common verbs
    "اسوي": "افعل", "اسوى": "افعل", "نسوي": "نفعل", "تسوي": "تفعل", "يسوي": "يفعل",
    "ينفع": "يمكن", "ينفعش": "لا يمكن", "جاني": "وصلني", "جالي": "وصلني", "اجاني": "وصلني",
    "جه": "وصل", "اجا": "وصل", "يجيني": "يصلني", "يجيلي": "يصلني", "بيجيلي": "يصلني",
    "تجيني": "تصلني", "بتجيلي": "تصلني", "يوصلي": "يصلني", "القى": "اجد", "الاقي": "اجد",
    "لقيت": "وجدت", "لقى": "وجد", "ادور": "ابحث", "اشوف": "ارى", "شوف": "انظر", "صار": "حدث",
    "كلمني": "اتصل بي", "يقفل": "يغلق", "يسكر": "يغلق", "يطلع": "يظهر", "يطلعلي": "يظهر لي",
    "يطلعني": "يخرجني", "خربان": "معطل", "خربانه": "معطل", "عطلان": "معطل", "عطلانه": "معطل",
    "بايظ": "معطل", "بايظه": "معطل", "خربت": "تعطلت", "باظ": "تعطل", "باظت": "تعطلت",
    "فلوس": "مبلغ", "فلوسي": "مبلغي",
}  # fmt: skip
DIALECT_TO_MSA: dict[str, str] = {normalize_arabic(k): normalize_arabic(v) for k, v in _DIALECT.items()}


def _dialect_entry(word: str) -> tuple[str, str] | None:
    """The prefix (و/ف and ال, kept) and the MSA equivalent of a dialect word, if it is one."""
    if word in DIALECT_TO_MSA:
        return "", DIALECT_TO_MSA[word]
    conj = word[0] if len(word) >= 3 and word[0] in "وف" else ""
    rest = word[len(conj) :]
    if conj and rest in DIALECT_TO_MSA:
        return conj, DIALECT_TO_MSA[rest]
    if rest.startswith("ال") and rest[2:] in DIALECT_TO_MSA and DIALECT_TO_MSA[rest[2:]]:
        return conj + "ال", DIALECT_TO_MSA[rest[2:]]
    return _other_person(rest, conj) if DIALECT_PERSONS else None


# m365 Arabic hybrid MRR@10 0.813 -> 0.818 (framing slice 0.607 -> 0.660: "نبي نقفل الحساب" 4 -> 1);
# no demo dev query has such a form, so the demo cannot move (bench/RESULTS.md, session 6 arnames).
DIALECT_PERSONS = True  # see _other_person


def _other_person(word: str, conj: str) -> tuple[str, str] | None:
    """A listed dialect verb (its he-form: "يقفل", closes) in another person: "اقفل", "نقفل", "تقفل".

    The list gives each verb once; customers write I, we and you ("ابغى اقفل الحساب"). The person
    prefix is carried over to the MSA verb ("يغلق": اغلق, نغلق, تغلق).
    """
    if len(word) < 4 or word[0] not in _PERSONS or word in _MSA_FORMS:
        return None
    msa = DIALECT_TO_MSA.get("ي" + word[1:], "")
    return (conj, word[0] + msa[1:]) if msa.startswith("ي") else None


_PERSONS = "انت"
# Other persons of listed verbs that are MSA words of their own: "اطلع" (to look into, اطّلع).
_MSA_FORMS = frozenset({"اطلع"})


def is_dialect_word(word: str) -> bool:
    """A known dialect word (normalized): correct Arabic as it is typed, so no typo to fix."""
    return _dialect_entry(word) is not None


def dialect_to_msa(text: str) -> str:
    """The text with known dialect words replaced by their MSA equivalents.

    Articles are written in MSA and customers write as they speak: "عايز الفلوس ترجع" shares no
    word with an article on refunds, "اريد المبلغ ترجع" does. Other words are kept exactly as
    typed, so an MSA query comes back unchanged.
    """
    out: list[str] = []
    for token in _TOKEN.findall(text):
        entry = _dialect_entry(normalize_arabic(token)) if token[0].isalnum() else None
        if entry is None:
            out.append(token)
        elif entry[1]:
            prefix, msa = entry
            out.append(prefix + msa if " " not in msa else f"{prefix} {msa}".strip())
    return re.sub(r"\s{2,}", " ", "".join(out)).strip()
