"""Dialect words become MSA for search; everything else is left as typed."""

from __future__ import annotations

import pytest

from kb.arabic import dialect_to_msa, is_dialect_word, normalize_arabic


@pytest.mark.parametrize(
    ("typed", "msa"),
    [
        ("عايز الفلوس ترجع", "اريد المبلغ ترجع"),  # Egyptian; the article prefix stays on "فلوس"
        ("ابغى الغي الطلب", "اريد الغي الطلب"),  # Gulf
        ("بدي الغي الطلب", "اريد الغي الطلب"),  # Levantine
        ("ليش ما وصلني", "لماذا ما وصلني"),
        ("الطلب جاني مكسور", "الطلب وصلني مكسور"),
        ("وعايز أصلحه", "واريد أصلحه"),  # a conjunction stays attached; other words keep their hamza
        ("مفيش اشعارات", "لا يوجد اشعارات"),
        ("المنتج وش اسوي", "المنتج ماذا افعل"),
    ],
)
def test_dialect_words_become_msa(typed: str, msa: str) -> None:
    assert dialect_to_msa(typed) == msa


def test_msa_and_english_come_back_unchanged() -> None:
    for text in ("كيف أُلغي الطلب؟", "إلى أين يصل الطلب", "refund not received", "Apple Pay"):
        assert dialect_to_msa(text) == text


def test_fillers_disappear_without_leaving_double_spaces() -> None:
    assert dialect_to_msa("طيب لسه ما وصل") == "ما وصل"


def test_dialect_words_are_recognized_in_normalized_form_only_when_listed() -> None:
    assert is_dialect_word(normalize_arabic("ابغى"))
    assert is_dialect_word("والفلوس")
    assert not is_dialect_word("الي")  # "إلى" once normalized: never a dialect word
    assert not is_dialect_word("مجاني")


def test_a_listed_dialect_verb_is_read_in_every_person() -> None:
    """The list gives "يقفل" (closes); customers write I, we and you, and the MSA verb follows."""
    assert dialect_to_msa("ابغى اقفل الحساب") == "اريد اغلق الحساب"
    assert dialect_to_msa("نبي نقفل الحساب") == "نريد نغلق الحساب"
    assert dialect_to_msa("ليش تقفل الجلسة") == "لماذا تغلق الجلسة"
    assert is_dialect_word("وتقفل")  # after a conjunction too
    assert dialect_to_msa("اطلع على الفاتورة") == "اطلع على الفاتورة"  # MSA "to look into", not "appear"
    assert dialect_to_msa("اقسم الفاتورة") == "اقسم الفاتورة"  # no listed verb behind it


@pytest.mark.parametrize(
    ("typed", "msa"),
    [
        ("كيف احطه", "كيف اضعه"),  # put, with an object pronoun
        ("ابي اشيلهم من المجموعة", "اريد ازيلهم من المجموعة"),  # remove them (Gulf)
        ("ازاي اخلي الموظفين يغيروا كلمة المرور", "كيف اجعل الموظفين يغيروا كلمة المرور"),  # let/make
        ("الحساب بيقفل كل يوم", "الحساب يغلق كل يوم"),  # the Egyptian progressive ب on a listed verb
    ],
)
def test_everyday_verbs_are_read_in_their_common_forms(typed: str, msa: str) -> None:
    assert dialect_to_msa(typed) == msa


def test_possessive_particles_read_as_msa() -> None:
    """Egyptian بتاع, Levantine تبع and Gulf حقت with a pronoun are MSA's "الخاص ب..." (mine, theirs)."""
    assert dialect_to_msa("الباسورد بتاعي") == "الباسورد الخاص بي"
    assert dialect_to_msa("ايميلات الموظفين بتاعتهم وين") == "ايميلات الموظفين الخاصه بهم اين"
    assert dialect_to_msa("الحساب تبعي") == "الحساب الخاص بي"
    assert is_dialect_word("بتاعهم") and is_dialect_word("حقتي")
    assert not is_dialect_word("تبعه")  # MSA: followed him (and تبعة, a liability)
    assert dialect_to_msa("ما هو حقي في الاسترداد") == "ما هو حقي في الاسترداد"  # MSA: my right
    assert not is_dialect_word("حقي")


def test_egyptian_passives_and_negation() -> None:
    assert dialect_to_msa("ليه اتخصم مني مرتين") == "لماذا خصم مني مرتين"  # was deducted
    assert dialect_to_msa("انحذف الحساب") == "حذف الحساب"
    assert dialect_to_msa("الاشتراك بيتخصم كل شهر") == "الاشتراك يخصم كل شهر"
    assert dialect_to_msa("الحسابات اتقفلت") == "الحسابات اغلقت"
    assert dialect_to_msa("التطبيق مبيفتحش") == "التطبيق لا يفتح"
    assert dialect_to_msa("الكود ماوصلش") == "الكود لا وصل"


def test_msa_words_that_look_like_the_new_rules_are_untouched() -> None:
    """MSA words a rule could misread: انسحب (withdrew), تسوية (settlement), متوحش (wild), a -vich
    name, أبيه (his father: "ابي" is not a verb that takes an object), تخلّى (gave up)."""
    for text in (
        "انسحب من الخطة",
        "اندفعت",
        "تسوية الحساب",
        "متوحش",
        "ميلانوفيتش",
        "ماكينتوش",
        "ابيه",
        "تخلى عن الخطة",
    ):
        assert dialect_to_msa(text) == text


def test_an_everyday_three_letter_word_is_not_read_as_a_conjunction_and_a_dialect_word() -> None:
    # "وجه" (face, side) used to become "ووصل" (و + Egyptian "جه", came); "ومش" (and not) is still read.
    assert dialect_to_msa("وجه الشاشة مقلوب") == "وجه الشاشة مقلوب"
    assert dialect_to_msa("ومش لاقي الطلب") == "ولا لاقي الطلب"
    assert dialect_to_msa("جه الطلب") == "وصل الطلب"
