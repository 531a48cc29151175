"""Dense-guided lexical feedback: which words of the dense models' best chunks the lexical side also searches."""

import pytest

from copilot import retrieval
from copilot.dense_feedback import FeedbackVocabulary, asks_unheld, feedback_terms, feedback_words
from copilot.retrieval import Expansion

ROWS = [
    {"key": "ar/license", "lang": "ar", "title": "منح الترخيص", "text": "منح الترخيص للمستخدمين من مركز الإدارة"},
    {"key": "ar/license", "lang": "ar", "title": "منح الترخيص", "text": "يمكنك منح ترخيص للحساب"},
    {"key": "ar/billing", "lang": "ar", "title": "الفواتير", "text": "الفواتير في مركز الإدارة للحساب"},
    {"key": "ar/mfa", "lang": "ar", "title": "المصادقة", "text": "المصادقة متعددة العوامل للحساب في مركز الإدارة"},
    {"key": "en/license", "lang": "en", "title": "Assign licenses", "text": "Assign a license to 2 users"},
]


def test_words_count_once_per_article_per_language() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    assert vocabulary.articles == {"ar": 3, "en": 1}
    [grant] = feedback_words("منح")
    assert vocabulary.df["ar"][grant] == 1  # two chunks of one article
    assert vocabulary.idf("حساب", "ar") == pytest.approx(0.0)  # every Arabic article holds it
    assert vocabulary.idf(grant, "ar") > vocabulary.idf("اداره", "ar") == pytest.approx(0.0)


def test_short_words_and_numbers_are_no_feedback_words() -> None:
    assert feedback_words("Assign a license to 2 users") == ["assign", "license", "users"]


def test_the_rarest_words_the_query_lacks_come_first_as_written() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    sections = ["منح الترخيص من مركز الإدارة للحساب", "الفواتير في مركز الإدارة"]
    terms = feedback_terms("كيف ادي الترخيص", sections, "ar", vocabulary, limit=2)
    # one article holds منح, one الفواتير: the better (first) chunk's word leads the tie; every article holds
    # مركز, الإدارة, حساب; the query asks الترخيص already
    assert terms == ("منح", "الفواتير")


def test_words_every_article_holds_are_never_added() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    assert feedback_terms("الفواتير", ["مركز الإدارة للحساب"], "ar", vocabulary) == ()


def test_a_word_two_sections_hold_outranks_an_equally_rare_one_that_one_holds() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    sections = ["المصادقة متعددة", "الفواتير المصادقة"]
    assert feedback_terms("سجل دخول بخطوتين", sections, "ar", vocabulary, limit=1) == ("المصادقة",)


def test_feedback_ranks_but_is_no_evidence_for_abstaining() -> None:
    expansion = Expansion(msa="ادي الترخيص", feedback=("منح",))
    weight = retrieval.EXPANSION_WEIGHTS["feedback"]
    assert ("منح", weight) in expansion.lexical_parts("ادي الترخيص")
    assert all("منح" not in text for text, _ in expansion.lexical_parts("ادي الترخيص", ranking=False))


def test_only_a_query_typing_a_word_no_article_holds_asks_for_feedback() -> None:
    vocabulary = FeedbackVocabulary.of(ROWS)
    assert asks_unheld("كيف ادي الترخيص", "ar", vocabulary)  # no Arabic article writes ادي
    assert not asks_unheld("منح الترخيص للحساب", "ar", vocabulary)
    assert asks_unheld("assign licenses", "ar", vocabulary)  # no Arabic article writes them
    assert not asks_unheld("assign a license", "en", vocabulary)
