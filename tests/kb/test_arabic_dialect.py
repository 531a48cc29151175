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
