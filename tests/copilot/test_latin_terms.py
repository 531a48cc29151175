"""English glossary words typed in Latin inside an Arabic query, read as the MSA words articles use."""

from __future__ import annotations

from copilot.latin_terms import headword, latin_terms


def test_a_latin_glossary_word_in_an_arabic_query_brings_its_msa_words() -> None:
    assert latin_terms("ازاي اخلي حد admin على الحساب") == ["المسؤول"]
    assert "الإشعار" in latin_terms("ما توصلني notifications من التطبيق")  # a plural reads as its headword


def test_names_english_queries_and_unknown_words_bring_nothing() -> None:
    assert latin_terms("تصدير الفاتورة pdf من Outlook") == []  # not general vocabulary: printed as typed
    assert latin_terms("reset my admin password") == []  # an English query is searched as typed
    assert headword("Passwords") == "password" and headword("boxes") is None
