"""kb.word_commonness: whether a word is ordinary in its language, read from wordfreq's Zipf scale."""

from __future__ import annotations

from kb.word_commonness import ORDINARY_ZIPF, is_ordinary, zipf


def test_everyday_words_are_ordinary_product_terms_are_not() -> None:
    for word in ("office", "phone", "business", "the"):
        assert is_ordinary(word, "en"), word
    for word in ("mailbox", "withholding", "servicenow", "billing"):
        assert not is_ordinary(word, "en"), word


def test_arabic_reads_its_own_line() -> None:
    assert is_ordinary("طريقة", "ar")  # "method", "way": an everyday noun
    assert not is_ordinary("كوبون", "ar")  # "coupon"
    assert ORDINARY_ZIPF["ar"] < ORDINARY_ZIPF["en"]  # a written Arabic word splits its lemma over clitic forms


def test_case_and_marks_fold_as_wordfreq_folds_them() -> None:
    assert zipf("Office", "en") == zipf("office", "en")
    assert zipf("طَرِيقَة", "ar") == zipf("طريقة", "ar")


def test_unknown_words_languages_and_empty_text_are_not_ordinary() -> None:
    assert zipf("zzqxv", "en") == 0.0
    assert zipf("office", "xx") == 0.0  # no wordfreq list: no frequency, no error
    assert not is_ordinary("office", "fr")  # no line for this language: nothing is ordinary
    assert not is_ordinary("   ", "en")
