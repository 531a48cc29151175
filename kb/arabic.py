"""Arabic normalization for the lexical side of search.

Customers type Arabic without diacritics, with or without hamza on alef, with ya for alef maqsura
and ha for ta marbuta, and with Arabic-Indic digits; articles are written carefully. Folding both
sides to one form lets the lexical index match them. Dense models see the original text: they were
trained on real orthography, and normalizing would only remove signal from them.
"""

from __future__ import annotations

import re

from pyarabic import araby

from kb.word_commonness import is_ordinary

_ALEF_VARIANTS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا"})
_YA_TA = str.maketrans({"ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_PUNCT = str.maketrans({"،": ",", "؛": ";", "؟": "?"})
_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits as ASCII ("١٢٣" -> "123"): what an Arabic phone's keyboard types in a number
    field (a sign-in code, desk.two_factor)."""
    return text.translate(_DIGITS)


# The full-width forms a CJK keyboard types (U+FF01-U+FF5E: "１２", "＃", "ｈ") and its ideographic space, as ASCII.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def typed_digits(text: str) -> str:
    """A number as typed in a form's field, read one way everywhere (minutes spent, a sign-in code, a ticket's
    number): full-width forms (a CJK keyboard's "１２３") and Arabic-Indic and Persian digits as ASCII ("١٢٣" ->
    "123"). Other scripts' digits and the compatibility digits NFKC would also fold (superscript "²", circled "⑫",
    mathematical "𝟏") are left as they are, so an ASCII check refuses them, as the desk's other id readers do."""
    return ascii_digits(text.translate(_FULL_WIDTH))


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
    # everyday verbs by their he-form (_other_person reads I, we and you; _verb the rest)
    "يشيل": "يزيل", "يحط": "يضع", "احط": "اضع", "نحط": "نضع", "يخلي": "يجعل", "يبعت": "يرسل",
    "يشوف": "يرى", "يروح": "يذهب", "اروح": "اذهب", "ياخد": "ياخذ", "اخد": "اخذ", "يبان": "يظهر",
    "يبغى": "يريد", "يبي": "يريد", "تبي": "تريد", "يبون": "يريدون", "تبون": "تريدون", "يهنج": "يتجمد",
    "هنج": "تجمد", "مهنج": "متجمد", "يظبط": "يضبط", "يزبط": "يضبط",
    "يشتغل": "يعمل", "شغال": "يعمل", "شغاله": "تعمل", "عطني": "اعطني", "عطيني": "اعطني",
    "اديني": "اعطني",
    # want, by person
    "عايزين": "نريد", "عاوزين": "نريد", "حابه": "اريد", "حابين": "نريد", "بده": "يريد",
    "بدها": "تريد", "بدهم": "يريدون", "بدك": "تريد", "بدكم": "تريدون", "مابي": "لا اريد",
    "مابغى": "لا اريد", "ماقدر": "لا استطيع", "مقدرش": "لا استطيع",
    # more question, time and person words
    "منين": "من اين", "لوين": "الى اين", "لشو": "لماذا", "علاش": "لماذا", "كيفاش": "كيف",
    "اشلون": "كيف", "ايشلون": "كيف", "شنهو": "ماذا", "اديش": "كم", "بقديش": "بكم", "ايمتا": "متى",
    "امتا": "متى", "بكرا": "غدا", "امبارح": "امس", "مبارح": "امس", "النهارده": "اليوم",
    "انهارده": "اليوم", "هسه": "الان", "هسا": "الان", "شويه": "قليلا", "برضه": "ايضا", "برضو": "ايضا",
    "لانو": "لان", "احنا": "نحن", "انتو": "انتم", "انتوا": "انتم", "معايا": "معي", "معاك": "معك",
    "معاه": "معه", "معاها": "معها", "معانا": "معنا", "معاهم": "معهم", "ليا": "لي", "اكو": "يوجد",
    "ماكو": "لا يوجد", "مافيه": "لا يوجد", "كويس": "جيد", "كويسه": "جيده", "بالظبط": "بالضبط",
    "مصاري": "مبلغ", "بيزات": "مبلغ", "بتاع": "الخاص", "بتاعت": "الخاصه", "بتوع": "الخاصه",
}  # fmt: skip
DIALECT_TO_MSA: dict[str, str] = {normalize_arabic(k): normalize_arabic(v) for k, v in _DIALECT.items()}


def _dialect_entry(word: str) -> tuple[str, str] | None:
    """The prefix (و/ف and ال, kept) and the MSA equivalent of a dialect word, if it is one."""
    if word in DIALECT_TO_MSA:
        return "", DIALECT_TO_MSA[word]
    conj = word[0] if len(word) >= 3 and word[0] in "وف" else ""
    rest = word[len(conj) :]
    if conj and len(rest) <= 2 and is_ordinary(word, "ar"):
        # "وجه" (face, side) is not و + Egyptian "جه" (came): a three-letter word the language uses every day is
        # itself, while و/ف before a short dialect word ("ومش", "وده") is rarer than that line (kb.word_commonness).
        return None
    if conj and rest in DIALECT_TO_MSA:
        return conj, DIALECT_TO_MSA[rest]
    if rest.startswith("ال") and rest[2:] in DIALECT_TO_MSA and DIALECT_TO_MSA[rest[2:]]:
        return conj + "ال", DIALECT_TO_MSA[rest[2:]]
    for rule in (_verb, _possessive, _passive, _negated):
        msa = rule(rest)
        if msa is not None:
            return conj, msa
    return None


# m365 Arabic hybrid MRR@10 0.813 -> 0.818 (framing slice 0.607 -> 0.660: "نبي نقفل الحساب" 4 -> 1);
# no demo dev query has such a form, so the demo cannot move (bench/RESULTS.md, session 6 arnames).
DIALECT_PERSONS = True  # see _other_person


def _other_person(word: str, conj: str) -> tuple[str, str] | None:
    """A listed dialect verb (its he-form: "يقفل", closes) in another person: "اقفل", "نقفل", "تقفل".

    The list gives each verb once; customers write I, we and you ("ابغى اقفل الحساب"). The person
    prefix is carried over to the MSA verb ("يغلق": اغلق, نغلق, تغلق).
    """
    if len(word) < 4 or word[0] not in _PERSONS or word in _MSA_FORMS or word.endswith("ون"):
        return None  # "يبون" (they want) has no other person in "ابون"
    msa = DIALECT_TO_MSA.get("ي" + word[1:], "")
    return (conj, word[0] + msa[1:]) if msa.startswith("ي") else None


_PERSONS = "انت"
# Other persons of listed verbs that are MSA words of their own: "اطلع" (to look into, اطّلع), "تخلي"
# (تخلّى, gave up), "ابان" (showed), "تبعت" (followed); and one with an object pronoun, "تسويه"
# (تسوية, a settlement).
_MSA_FORMS = frozenset({"اطلع", "تخلي", "ابان", "تبعت", "تسويه"})


def _verb(word: str) -> str | None:
    """The MSA of a listed dialect verb in any person, with the Egyptian progressive ب ("بيقفل": يغلق)
    and an object pronoun ("اشيلهم": ازيلهم, "احطه": اضعه); None for other words.

    Only verbs: an object pronoun on "ابي" (I want) would read "ابيه" (his father) as a verb."""
    if word in _MSA_FORMS:
        return None
    entry = _progressive_entry(word)
    if entry is not None:
        return entry
    for suffix in _OBJECTS:
        stem = word[: -len(suffix)]
        msa = _progressive_entry(stem) if word.endswith(suffix) and len(stem) >= 3 else None
        if msa is not None:
            return msa + suffix
    return None


def _progressive_entry(word: str) -> str | None:
    """A listed verb form's MSA, with or without the Egyptian progressive ب ("بيقفل": يغلق)."""
    entry = _verb_entry(word)
    if entry is None and word.startswith("ب") and len(word) >= 4:
        entry = _verb_entry(word[1:])
    return entry


def _verb_entry(word: str) -> str | None:
    """A listed verb form's MSA: a he-form ("يشيل"), its other persons ("اشيل") or a listed other person ("احط")."""
    if word in _VERBS:
        return DIALECT_TO_MSA[word]
    other = _other_person(word, "") if DIALECT_PERSONS else None
    return other[1] if other is not None else None


# The listed verbs: each he-form with an MSA verb, and the other persons listed as they are.
_VERBS = frozenset(
    [k for k, v in DIALECT_TO_MSA.items() if k.startswith("ي") and v.startswith("ي")]
    + ["احط", "نحط", "اخد", "اروح", "اسوي", "نسوي", "تسوي", "اشوف", "شوف", "ادور", "الاقي"]
)
# Object pronouns a verb takes ("اشيلهم", remove them), longest first.
_OBJECTS = ("لهم", "لها", "لنا", "لكم", "هم", "ها", "نا", "ني", "كم", "لي", "لك", "له", "ه", "ك")
# The possessive particles before a pronoun (mine, yours, his, hers, ours, theirs): Egyptian بتاع (its
# feminine بتاعت, plural بتوع), Levantine تبع and Gulf حقت (feminine of حق), read as MSA's "الخاص ب..."
# with the pronoun. Bare "حق" + pronoun is MSA (حقي, my right) and so are "تبعه" (followed him; تبعة, a
# liability) and its persons: not read here.
_POSSESSED = {"ي": "بي", "ك": "بك", "ه": "به", "ها": "بها", "نا": "بنا", "كم": "بكم", "هم": "بهم"}
_POSSESSIVES = {"بتاع": "الخاص", "بتاعت": "الخاصه", "بتوع": "الخاصه", "تبع": "الخاص", "حقت": "الخاصه"}
_MSA_POSSESSED = frozenset({"تبعه", "تبعها", "تبعهم", "تبعنا", "تبعك", "تبعكم"})


def _possessive(word: str) -> str | None:
    """ "بتاعي", "تبعي", "حقتي" (mine) as "الخاص بي"; None for other words. The dense models read the
    owner ("الدومين بتاعي": a domain the customer has, not one to buy), so the pronoun stays."""
    if word in _MSA_POSSESSED:
        return None
    for particle, msa in _POSSESSIVES.items():
        pronoun = _POSSESSED.get(word[len(particle) :]) if word.startswith(particle) else None
        if pronoun is not None:
            return f"{msa} {pronoun}"
    return None


# Egyptian and Levantine passives of everyday verbs: "اتخصم" / "انخصم" (was deducted), "يتخصم" /
# "بيتخصم" (is deducted); each verb with its MSA past and present stem ("قفل": اغلق, يغلق).
_PASSIVE_VERBS = {
    "خصم": ("خصم", "خصم"), "حذف": ("حذف", "حذف"), "مسح": ("مسح", "مسح"), "قفل": ("اغلق", "غلق"),
    "سرق": ("سرق", "سرق"), "هكر": ("اخترق", "خترق"), "شحن": ("شحن", "شحن"), "دفع": ("دفع", "دفع"),
    "سحب": ("سحب", "سحب"), "لغي": ("الغي", "لغي"), "رفض": ("رفض", "رفض"), "حظر": ("حظر", "حظر"),
    "حجز": ("حجز", "حجز"),
}  # fmt: skip
_PAST_PASSIVE = ("ات", "ان")
_PRESENT_PASSIVE = {"يت": "ي", "تت": "ت", "بيت": "ي", "بتت": "ت"}
_MSA_PASSIVES = ("اندفع", "انسحب")  # MSA verbs of their own: rushed, withdrew (and "اندفعت", she rushed)
_PAST_ENDINGS = ("", "ت", "وا", "و")


def _passive(word: str) -> str | None:
    """ "اتخصم" (was deducted) as "خصم", "اتقفلت" as "اغلقت", "بيتخصم" as "يخصم"; None for other words."""
    for prefix in _PAST_PASSIVE:
        if word.startswith(prefix) and not word.startswith(_MSA_PASSIVES):
            for ending in _PAST_ENDINGS:
                verb = word[len(prefix) : len(word) - len(ending)]
                if word.endswith(ending) and verb in _PASSIVE_VERBS:
                    return _PASSIVE_VERBS[verb][0] + ("وا" if ending.startswith("و") else ending)
    for prefix, person in _PRESENT_PASSIVE.items():
        verb = word[len(prefix) :]
        if word.startswith(prefix) and verb in _PASSIVE_VERBS:
            return person + _PASSIVE_VERBS[verb][1]
    return None


def _negated(word: str) -> str | None:
    """Egyptian negation around a verb, "ما...ش" / "م...ش": "مايفتحش" (does not open) as "لا يفتح",
    "ماوصلش" as "لا وصل", "مبيشتغلش" as "لا يعمل"; None for other words.

    The verb inside starts with a person prefix (يتنبا) or, after "ما", is a three-letter past ("وصل"),
    so a name such as "ماكينتوش" is no negation."""
    if not word.endswith("ش") or word.endswith("يتش") or len(word) < 5:
        return None  # "ميلانوفيتش": a name's -vich
    if word.startswith("ما"):  # "ماوصلش": a three-letter past too
        inner = word[2:-1]
        verb = len(inner) >= 3 and (inner[0] in "يتنبا" or len(inner) == 3 or (len(inner) == 4 and inner[-1] == "ت"))
    else:  # "ميفتحش": a person prefix only ("متوحش", wild, is MSA)
        inner = word[1:-1] if word.startswith("م") else ""
        verb = len(inner) >= 4 and inner[0] in "يتنب"
    if not verb:
        return None
    if inner[:2] in ("بي", "بت", "بن") and len(inner) >= 5:
        inner = inner[1:]  # the progressive: "مبيفتحش"
    return "لا " + (_verb(inner) or DIALECT_TO_MSA.get(inner) or inner)


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
