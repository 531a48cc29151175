"""Arabic word families from the index vocabulary (copilot.vocabulary_variants): unit tests."""

from copilot.expansion import Vocabulary
from copilot.retrieval import EXPANSION_WEIGHTS, Expansion
from copilot.vocabulary_variants import COMMON_WORDS, WordFamilies

COMMON = [f"كلمه{n}" for n in range(COMMON_WORDS - 1)]  # stand-ins for the index's most frequent words
INDEX_WORDS = [
    "غير",
    *COMMON,
    "تغيير",
    "استرجاع",
    "تنزيل",
    "ملاحظه",
    "الدفع",
    "دفع",
    "مبلغ",
    "رجوع",
    *(f"اخرى{n}" for n in range(2000)),
]


def test_a_verb_brings_the_nouns_of_its_root_that_the_index_prints() -> None:
    families = WordFamilies(INDEX_WORDS)
    assert families.variants(["ارجعها"]) == ["استرجاع", "رجوع"]
    assert families.variants(["انزلها"]) == ["تنزيل"]
    assert "ملاحظه" in families.variants(["الملاحظات"])  # a plural finds the singular the article uses


def test_words_already_typed_stopwords_and_unknown_roots_bring_nothing() -> None:
    families = WordFamilies(INDEX_WORDS)
    assert families.variants(["تغيير"]) == []  # its family's other word, "غير" (other), is a common word
    assert families.variants(["على", "في"]) == []
    assert families.variants(["شاشه"]) == []  # no index word of that root


def test_the_vocabulary_reads_families_from_the_live_index() -> None:
    articles = [{"lang": "ar", "title": "تنزيل التطبيق", "section": "", "text": "طريقة تنزيل التطبيق"}]
    vocabulary = Vocabulary(lambda: articles, lambda: "v1")
    assert vocabulary.variants("كيف انزل التطبيق", "ar") == ["تنزيل"]
    assert vocabulary.variants("download the app", "en") == []


def test_families_rank_but_are_no_evidence_for_abstaining() -> None:
    expansion = Expansion("كيف انزل التطبيق", variants=("تنزيل",))
    assert ("تنزيل", EXPANSION_WEIGHTS["variants"]) in expansion.lexical_parts("كيف انزل التطبيق")
    assert "تنزيل" not in [text for text, _ in expansion.lexical_parts("كيف انزل التطبيق", ranking=False)]
