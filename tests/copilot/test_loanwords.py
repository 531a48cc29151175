"""English loanwords typed in Arabic script (copilot.loanwords): unit tests, no index needed."""

import pytest

from copilot.loanwords import GLOSSARY, find_loanword, loanword_terms, loanwords


@pytest.mark.parametrize(
    ("query", "english"),
    [("نسيت الباسورد", "password"), ("سياسة الباسوردات", "password"), ("الاحتفاظ بايميلات موظف", "email"),
     ("سجلت بايميلي الشخصي", "email"), ("ابي اشتري دومين جديد", "domain"), ("ما عندنا احد ادمن", "admin"),
     ("الأوردر جالي ناقص", "order"), ("اضيف اعضاء للجروب", "group"), ("ابغى ريفند", "refund"),
     ("سوي باك اب للملفات", "backup")],
)  # fmt: skip
def test_a_loanword_is_read_in_any_spelling_with_its_clitics(query: str, english: str) -> None:
    assert english in [loan.english for loan in loanwords(query)]


def test_a_loanword_brings_the_english_word_and_its_msa_words() -> None:
    terms = loanword_terms("غيرت الباسورد")
    assert terms[0] == "password"
    assert set(GLOSSARY["password"]) <= set(terms)


@pytest.mark.parametrize(
    "word",
    ["نفس",  # self: invoice's consonants, but no written vowel: an Arabic root
     "مال",  # money: email's consonants, but no vowel before the m
     "يغيروا",  # a plural imperfect verb, whatever it sounds like
     "بتاعهم",  # ain: a letter English words are never spelt with
     "كثير", "الشركة", "موظف"],
)  # fmt: skip
def test_ordinary_arabic_words_are_not_loanwords(word: str) -> None:
    assert find_loanword(word) is None


def test_words_the_index_uses_are_left_as_they_are() -> None:
    assert loanword_terms("نسيت الباسورد", skip=frozenset({"باسورد"})) == []
    assert loanword_terms("reset password") == []  # Latin words are the English side already
