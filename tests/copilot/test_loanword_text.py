"""What the dense models read for a query with loanwords (copilot.loanword_text, lever loan_reading).

Unit tests of the rewrite on plain strings (no index), and the real pipeline on the demo help center:
an Arabic query's loanword (and a glossary word typed in Latin) reaches the models as its MSA word when
the levers are on, and as typed when they are off and for a ticket's text.
"""

from __future__ import annotations

import pytest

import copilot.retrieval as retrieval
from copilot.engine import Engine
from copilot.loanword_text import msa_word, possessed, read_latin_terms, read_loanwords
from copilot.loanwords import loanwords

# Folded index words of an Arabic help center that says "المجال" for domain (copilot.expansion.Vocabulary.known).
# "غير" (change) is one: "اغير" (I change) is ا + an index word, not hacker (copilot.loanwords).
KNOWN = frozenset({"مجال", "كلمه", "مرور", "مسوول", "شركه", "جديد", "غير"})


@pytest.mark.parametrize(
    ("query", "read"),
    [("ابي اشتري دومين جديد للشركة", "ابي اشتري المجال جديد للشركة"),
     ("موظف نسي الباسورد", "موظف نسي كلمة المرور"),
     ("ما عندنا احد ادمن", "ما عندنا احد المسؤول"),
     ("سوي باك اب للملفات", "سوي نسخ احتياطي للملفات")],  # two tokens that spell one loanword
)  # fmt: skip
def test_a_loanword_is_read_as_its_msa_word_in_its_place(query: str, read: str) -> None:
    assert read_loanwords(query, KNOWN) == read


def test_the_msa_word_is_the_first_the_index_uses() -> None:
    (domain,) = loanwords("دومين")
    assert domain.msa == ("المجال", "النطاق")
    assert msa_word(domain, frozenset({"نطاق"})) == "النطاق"  # a help center that says النطاق gets it
    assert msa_word(domain, frozenset()) == "المجال"  # neither used: the glossary's first


def test_a_possessed_loanword_keeps_the_customers_spelling() -> None:
    for query in ("نسيت الباسورد حقي", "لابتوبي ما يفتح"):
        (loan,) = loanwords(query)
        assert possessed(loan) == query.startswith("لابتوبي")
    assert read_loanwords("لابتوبي ما يفتح", KNOWN) == "لابتوبي ما يفتح"  # "my laptop": the ending cannot move
    assert read_loanwords("لابتوبات الشركة", KNOWN) == "الكمبيوتر المحمول الشركة"  # a plural alone is nobody's


def test_two_consonant_keys_stay_as_typed_for_the_models() -> None:
    # Ordinary Arabic words share them ("فاز", won, reads as visa); the lexical side still searches them.
    assert [loan.english for loan in loanwords("من فاز بالمباراة")] == ["visa"]
    assert read_loanwords("من فاز بالمباراة", KNOWN) == "من فاز بالمباراة"
    assert read_loanwords("الاحتفاظ بايميلات موظف", KNOWN) == "الاحتفاظ بايميلات موظف"  # email: m-l


def test_text_without_loanwords_and_index_words_stay_as_typed() -> None:
    assert read_loanwords("كيف اغير كلمة المرور", KNOWN) == "كيف اغير كلمة المرور"
    assert read_loanwords("نسيت الباسورد", KNOWN | {"باسورد"}) == "نسيت الباسورد"  # the index's own word


def test_a_glossary_word_typed_in_latin_is_read_as_its_msa_word_unless_the_index_prints_it() -> None:
    assert read_latin_terms("ازاي اخلي حد admin على الحساب", KNOWN) == "ازاي اخلي حد المسؤول على الحساب"
    assert read_latin_terms("احذف الـ cards المحفوظة", KNOWN) == "احذف الـ البطاقة المحفوظة"  # a plural too
    assert read_latin_terms("ازاي اخلي حد admin", KNOWN | {"admin"}) == "ازاي اخلي حد admin"  # articles print it
    assert read_latin_terms("تحليلات الاستخدام في power bi", KNOWN) == "تحليلات الاستخدام في power bi"


def test_the_models_read_the_msa_word_only_when_the_lever_is_on(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = indexed.retriever
    embedded: list[str] = []
    real = retriever.query_vectors

    def spy(query: str, only: str | None = None):  # type: ignore[no-untyped-def]
        embedded.append(query)
        return real(query, only)

    monkeypatch.setattr(retriever, "query_vectors", spy)
    query = "نسيت الباسورد"
    retriever.search(query, lang="ar")
    assert "كلمة المرور" in embedded[0] and "الباسورد" not in embedded[0]
    embedded.clear()
    retriever.search(query, lang="ar", ticket=True)  # a ticket's story is embedded as written
    assert "الباسورد" in embedded[0]
    embedded.clear()
    retriever.search("ازاي اخلي حد admin على الحساب", lang="ar")
    assert "المسؤول" in embedded[0] and "admin" not in embedded[0]
    embedded.clear()
    monkeypatch.setitem(retrieval.LEVERS, "loan_reading", False)
    monkeypatch.setitem(retrieval.LEVERS, "latin_reading", False)
    retriever.search(query, lang="ar")
    assert "الباسورد" in embedded[0]
    embedded.clear()
    retriever.search("ازاي اخلي حد admin على الحساب", lang="ar")
    assert "admin" in embedded[0]
