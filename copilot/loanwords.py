"""English loanwords typed in Arabic script: read as the English word and as its MSA equivalents.

Customers write "الباسورد", "ايميلاتي", "الدومين", "ادمن" where help articles, written in MSA (or
machine-translated into it), say "كلمة المرور", "البريد", "المجال", "المسؤول". No stem is shared,
the dense models read the loanword poorly, and a content writer cannot list every spelling. Two
pieces, neither one help center's vocabulary:

- the Arabic spellings are not listed: a query word is matched to an English headword by the
  sound key that already finds product names (copilot.transliteration: "باسورد" and "password"
  are both "bsrd"), after the Arabic clitics are taken off ("بايميلي": ب + ايميل + ي). So any
  spelling a customer invents ("باسوورد", "الباص وورد") is read without a list of spellings;
- what the English word is in MSA is general language knowledge, not a help center's: GLOSSARY
  below holds common support, account, computing and commerce words (about a hundred), each with
  the MSA words articles use for it. It is deliberately small and general; a help center's own
  terms belong in its `_synonyms.yml`.

A match adds the English word (Arabic articles print some in Latin; English articles are searched
with it across languages) and its MSA words to the lexical query, at a lower weight than the typed
words (copilot.retrieval.EXPANSION_WEIGHTS), never replacing what the customer typed.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

from copilot.transliteration import arabic_key, latin_key, sounds_alike
from kb.arabic import has_arabic, is_dialect_word, light_stem

# English headword -> the MSA words articles use for it (any of them may be the one a given help
# center uses: "مجال" in Microsoft's translations, "نطاق" elsewhere). General language only.
GLOSSARY: dict[str, tuple[str, ...]] = {
    # accounts and sign-in
    "password": ("كلمة المرور", "كلمة السر"), "passcode": ("رمز المرور",), "email": ("البريد الإلكتروني", "بريد"),
    "account": ("الحساب",), "login": ("تسجيل الدخول",), "logout": ("تسجيل الخروج",),
    "signin": ("تسجيل الدخول",), "user": ("المستخدم",), "username": ("اسم المستخدم",), "admin": ("المسؤول",),
    "administrator": ("المسؤول",), "profile": ("الملف الشخصي",), "verification": ("التحقق",),
    "code": ("الرمز",), "reset": ("إعادة تعيين",), "security": ("الأمان",), "block": ("حظر",),
    "hacker": ("اختراق",), "permission": ("الأذونات", "صلاحية"), "access": ("الوصول",), "role": ("الدور",),
    "guest": ("الضيف",), "authenticator": ("المصادقة",),
    # computing and devices
    "domain": ("المجال", "النطاق"), "server": ("الخادم",), "website": ("الموقع",), "link": ("الرابط",),
    "download": ("تنزيل", "تحميل"), "upload": ("تحميل", "رفع"), "install": ("تثبيت",),
    "update": ("تحديث",), "upgrade": ("ترقية",), "backup": ("نسخ احتياطي",), "restore": ("استعادة",),
    "settings": ("الإعدادات",), "setting": ("الإعدادات",), "setup": ("إعداد",), "file": ("الملف",),
    "folder": ("المجلد",), "storage": ("التخزين", "مساحة"), "data": ("البيانات",), "device": ("الجهاز",),
    "laptop": ("الكمبيوتر المحمول",), "computer": ("الكمبيوتر",), "mobile": ("الهاتف المحمول", "الجوال"),
    "phone": ("الهاتف",), "tablet": ("الجهاز اللوحي",), "printer": ("الطابعة",), "application": ("التطبيق",),
    "app": ("التطبيق",), "program": ("البرنامج",), "software": ("البرامج",), "version": ("الإصدار",),
    "browser": ("المستعرض", "المتصفح"), "online": ("عبر الإنترنت",), "internet": ("الإنترنت",),
    "network": ("الشبكة",), "virus": ("فيروس", "البرامج الضارة"), "spam": ("البريد العشوائي",),
    "inbox": ("علبة الوارد",), "message": ("الرسالة",), "notification": ("الإشعار", "الإعلام"),
    "chat": ("الدردشة", "المحادثة"), "meeting": ("الاجتماع",), "calendar": ("التقويم",),
    "contact": ("جهة الاتصال",), "group": ("المجموعة",), "team": ("الفريق",), "share": ("مشاركة",),
    "sync": ("مزامنة",), "screen": ("الشاشة",), "keyboard": ("لوحة المفاتيح",), "cloud": ("السحابة",),
    "template": ("القالب",), "signature": ("التوقيع",), "report": ("التقرير",), "dashboard": ("لوحة المعلومات",),
    "portal": ("المدخل", "البوابة"), "license": ("الترخيص",), "licence": ("الترخيص",),
    "error": ("خطأ",), "bug": ("خطأ",), "crash": ("تعطل",), "format": ("تنسيق",),
    # commerce, billing and support
    "subscription": ("الاشتراك",), "plan": ("الخطة", "الباقة"), "package": ("الباقة",), "trial": ("التجربة",),
    "premium": ("المميز",), "invoice": ("الفاتورة",), "bill": ("الفاتورة",), "billing": ("الفوترة",),
    "payment": ("الدفع",), "card": ("البطاقة",), "credit": ("الائتمان", "رصيد"), "visa": ("البطاقة",),
    "cash": ("نقدا",), "refund": ("استرداد", "استرجاع"), "cancel": ("إلغاء",), "order": ("الطلب",),
    "delivery": ("التوصيل",), "shipping": ("الشحن",), "tracking": ("تتبع",), "discount": ("خصم",),
    "coupon": ("القسيمة", "كوبون"), "promo": ("ترويجي", "خصم"), "offer": ("العرض",), "voucher": ("القسيمة",),
    "support": ("الدعم",), "ticket": ("التذكرة",), "feedback": ("الملاحظات",), "online shopping": ("التسوق",),
}  # fmt: skip

# Clitics an Arabic-script loanword takes: a proclitic (with, for, and) and the plural or a
# possessive. Taken off one each before matching, so "بايميلي" and "الايميلات" are "ايميل".
_PROCLITICS = ("ب", "ل", "و", "ف", "ك")
_ENCLITICS = ("اتكم", "اتهم", "اتنا", "اتي", "اتك", "اته", "ات", "كم", "هم", "نا", "ها", "ي", "ك", "ه")
STRICT_BELOW = 3  # sound keys shorter than this must match vowel for vowel
MIN_LETTERS = 3  # Arabic letters of the stem: shorter are particles
# Teh marbuta and heh end Arabic nouns, not English words (the same rule as for names).
_ARABIC_ENDINGS = frozenset("ةه")
_ARABIC_WORD = re.compile(r"\w+")
# Letters English words are (almost) never spelt with in Arabic script: a word holding one is
# Arabic. Heh is one: the sound keys drop it, so "جهاز" (device) would otherwise be "cash".
_NATIVE_LETTERS = frozenset("عحخهصضطظذثءئؤ")
# Loanwords in Arabic script write their vowels ("باسورد", "دومين"); a stem with no long vowel
# before its last letter is an Arabic root ("نفس", self, has invoice's consonants).
_LONG_VOWELS = frozenset("اوي")
# Imperfect verbs of plural subjects ("يغيروا", "يشترون"): Arabic, whatever they sound like.
_VERB = re.compile(r"^[يتن].+(وا|ون)$")
# A verb's one-letter prefixes: the imperfect's (I, he, you, we) and the dialects' present "ب".
_VERB_PREFIXES = ("ا", "ي", "ت", "ن", "ب")


class Loanword(NamedTuple):
    typed: str  # the Arabic-script word as folded ("باسورد")
    english: str  # the glossary's headword ("password")
    msa: tuple[str, ...]  # its MSA words ("كلمة المرور", "كلمة السر")


@cache
def _by_key() -> dict[str, list[str]]:
    """The glossary's headwords by sound key (one-word headwords: customers spell words, not phrases)."""
    keys: dict[str, list[str]] = {}
    for english in GLOSSARY:
        if " " not in english:
            keys.setdefault(latin_key(english), []).append(english)
    return keys


def sounds_like_loan(arabic: str, english: str) -> bool:
    """The Arabic spelling of an English word: the same consonant key and vowels where it writes them.

    A key of two consonants is shared by ordinary Arabic words ("مال", money, and email are both
    "ml"), so there the vowel places must agree both ways (no vowel before the m: not email).
    """
    return sounds_alike(arabic, english, strict=len(arabic_key(arabic)) < STRICT_BELOW)


def _stems(word: str) -> list[str]:
    """The word, then without one proclitic, one enclitic, or both: the shapes a loanword takes."""
    heads = [word] + [word[len(p) :] for p in _PROCLITICS if word.startswith(p) and len(word) - len(p) >= MIN_LETTERS]
    out: list[str] = []
    for head in heads:
        out.append(head)
        out += [head[: -len(s)] for s in _ENCLITICS if head.endswith(s) and len(head) - len(s) >= MIN_LETTERS]
    return list(dict.fromkeys(out))


def find_loanword(word: str) -> Loanword | None:
    """The glossary word a folded Arabic-script query word spells, if it spells one."""
    if not has_arabic(word) or is_dialect_word(word) or _NATIVE_LETTERS.intersection(word) or _VERB.match(word):
        return None
    for stem in _stems(word):
        if len(stem) < MIN_LETTERS or stem[-1] in _ARABIC_ENDINGS or not _LONG_VOWELS.intersection(stem[:-1]):
            continue
        for english in _by_key().get(arabic_key(stem), ()):
            if sounds_like_loan(stem, english):
                return Loanword(word, english, GLOSSARY[english])
    return None


def loanwords(query: str, skip: frozenset[str] = frozenset()) -> list[Loanword]:
    """The loanwords of an Arabic query, adjacent pairs first ("باك اب": backup), then single words.

    `skip` holds words not to read as loanwords: the index's own words, which articles use as
    they mean them (an Arabic word that happens to sound like an English one is one of those).
    """
    words = _ARABIC_WORD.findall(light_stem(query.lower()))
    found: list[Loanword] = []
    position = 0
    while position < len(words):
        word = words[position]
        pair = words[position] + words[position + 1] if position + 1 < len(words) else ""
        joinable = pair and _may_join(word, skip) and not _arabic_word(words[position + 1], skip)
        loan = find_loanword(pair) if joinable and pair not in skip else None
        if loan is not None:
            position += 2
        else:
            loan = find_loanword(word) if not _arabic_word(word, skip) else None
            position += 1
        if loan is not None:
            found.append(loan)
    return list({loan.english: loan for loan in found}.values())


def _arabic_word(word: str, skip: frozenset[str]) -> bool:
    """An index word, a dialect word, or an index word behind a verb's one-letter prefix ("اغير": I
    change, غير; "بيبقي": يبقي). Long tickets are full of these, and some sound like a glossary word
    ("اغير" like hacker); a loanword is none of them ("ايميل" is not ا + an index word)."""
    if word in skip or is_dialect_word(word):
        return True
    return any(word.startswith(p) and word[len(p) :] in skip for p in _VERB_PREFIXES if len(word) - len(p) >= 3)


def _may_join(word: str, skip: frozenset[str]) -> bool:
    """Whether a word can be the first half of a loanword split in two ("باك اب": backup): not a
    particle ("في الـ" is not "file") and not an Arabic word."""
    return len(word) >= MIN_LETTERS and not _arabic_word(word, skip)


def loanword_terms(query: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """The English words and MSA words the query's loanwords stand for, each once."""
    terms: list[str] = []
    for loan in loanwords(query, skip):
        terms += [t for t in (loan.english, *loan.msa) if t not in terms]
    return terms
