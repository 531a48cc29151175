"""copilot.word_roots: a customer's verb and a section's derived verbal noun meet on their root."""

from __future__ import annotations

import pytest

from copilot.word_roots import noun_root, noun_roots, verb_roots
from kb.arabic import normalize_arabic


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("الاستبدال", "√بدل"),  # X, with the article
        ("استبدالها", "√بدل"),  # X, with a possessive pronoun
        ("إلغاء", "√لغي"),  # IV, weak final letter
        ("الإرجاع", "√رجع"),  # IV
        ("التوصيل", "√وصل"),  # II
        ("احتفاظ", "√حفظ"),  # VIII
        ("استدعاء", "√دعي"),  # X, weak final letter
    ],
)
def test_derived_verbal_nouns_give_their_root(word: str, root: str) -> None:
    assert noun_root(normalize_arabic(word)) == root


@pytest.mark.parametrize("word", ["المطالبة", "محاولة", "منتج", "الطلب", "رسوم"])
def test_form_three_and_plain_nouns_give_none(word: str) -> None:
    """مفاعلة drifts from the verb's sense ("مطالبة", a claim, is not "اطلب", I order); other nouns have no pattern."""
    assert noun_root(normalize_arabic(word)) is None


def test_a_verb_meets_the_noun_of_another_form_of_its_root() -> None:
    section = noun_roots("الاستبدال: لا نوفر الاستبدال المباشر في حالات تغيّر الرأي.")
    assert "√بدل" in section
    never = lambda word: False  # noqa: E731
    assert verb_roots("ينفع أبدلها بمقاس أكبر؟", never, section) == ["√بدل"]
    assert verb_roots("الغي الطلب", never, noun_roots("إلغاء الطلب")) == ["√لغي"]


def test_only_roots_the_sections_hold_are_read_and_skipped_words_are_not() -> None:
    section = noun_roots("الاستبدال")
    assert verb_roots("أرجعها", lambda word: False, section) == []  # √رجع: no section says it
    assert verb_roots("أبدلها", lambda word: word == normalize_arabic("أبدلها"), section) == []
