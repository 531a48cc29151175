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


# Index words of an Arabic help center, as `skip` holds them (copilot.expansion.Vocabulary.known).
INDEX_WORDS = frozenset({"غير", "يبقي", "يوم", "عنوان", "رقم"})


@pytest.mark.parametrize(
    ("query", "read"),
    [("عايز أغير العنوان", []),  # أغير: I change (ا + غير, an index word), not hacker
     ("الطلب بيبقي متأخر", []),  # بيبقي: the dialect's present of يبقي, not bug
     ("مشكلة في الـ login", []),  # في + الـ are particles, not "file" joined
     ("بعد يوم ولو اتأخر", []),  # يوم + ولو: an index word does not start a joined loanword ("email")
     ("رقم الموبايل اللي على الحساب", ["mobile"])],  # اللي (dialect) is not joined to موبايل
)  # fmt: skip
def test_long_tickets_arabic_words_are_not_read_as_loanwords_or_joined_into_one(query: str, read: list[str]) -> None:
    assert [loan.english for loan in loanwords(query, skip=INDEX_WORDS)] == read


def test_loanwords_in_a_long_ticket_are_still_read_beside_arabic_verbs() -> None:
    query = "عايز اغير الايميل بتاعي وكمان الاوردر بيبقي متأخر، سوي باك اب للملفات"
    read = [loan.english for loan in loanwords(query, skip=INDEX_WORDS)]
    assert read == ["email", "order", "backup"]
