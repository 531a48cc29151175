"""Spellings of misspelt Arabic words from the index vocabulary (copilot.spelling_families): unit tests."""

from pathlib import Path

import pytest

from copilot.expansion import Vocabulary
from copilot.retrieval import EXPANSION_WEIGHTS, LEVERS, Expansion, Retriever
from copilot.spelling_families import SpellingFamilies, read_spellings, skeleton
from copilot.vocabulary_variants import COMMON_SHARE, COMMON_WORDS, WordFamilies
from kb.settings import Settings

# Articles whose words make a real index vocabulary: the subscription, password and mail words are
# printed often enough to rank, and filler text makes the index large enough to have common words.
ARTICLES = [
    {"lang": "ar", "title": "إلغاء الاشتراك", "section": "الاشتراكات", "text": "يمكنك إلغاء الاشتراك من صفحة الفوترة."},
    {"lang": "ar", "title": "تغيير كلمة المرور", "section": "الحساب", "text": "غيّر كلمة المرور من إعدادات الحساب."},
    {"lang": "ar", "title": "إعداد البريد", "section": "البريد", "text": "أضف البريد الإلكتروني ثم أكمل الخطوات."},
    {"lang": "en", "title": "Cancel a subscription", "section": "Billing", "text": "Cancel it from the billing page."},
]
FILLER = " ".join(f"كلمه{n}" for n in range(COMMON_WORDS * COMMON_SHARE))
COMMON = " ".join(f"شائع{n}" for n in range(COMMON_WORDS))  # the index's most frequent words, printed often
INDEX = [*ARTICLES, {"lang": "ar", "title": "", "section": "", "text": f"{COMMON} " * 5 + FILLER}]


def vocabulary() -> Vocabulary:
    return Vocabulary(lambda: INDEX, lambda: "v1")


def test_a_misspelt_word_brings_the_index_spelling() -> None:
    words = vocabulary()
    assert "اشتراك" in words.spellings("كيف الغي الاشتارك", "ar")  # two letters swapped
    assert "اشتراك" in words.spellings("كيف الغي الاشتراااك", "ar")  # a letter doubled
    assert "بريد" in words.spellings("اعداد البرييد", "ar")  # a long vowel doubled
    assert words.spellings("البريد الالكتيروني", "ar") == ["كتروني"]  # a long vowel put in (folded as the index)
    assert words.spellings("البريد الالكترني", "ar") == []  # its Snowball stem is the index word's: BM25 finds it
    assert words.spellings("ابي اكلم الدعم", "ar") == []  # I talk: a verb of كلمه, no swap of "اكمل"
    assert words.spellings("نسيت كلمه المرورر", "ar") == ["مرور"]  # one spelling: no other index word is near


def test_run_together_and_split_words_are_read_as_the_index_words() -> None:
    words = vocabulary()
    assert words.spellings("نسيت كلمهالمرور", "ar")[-2:] == ["كلمه", "مرور"]
    assert "اشتراك" in words.spellings("الغاء الاشت راك", "ar")


def test_a_consonant_dropped_or_added_is_no_misspelling_read_here() -> None:
    words = vocabulary()
    assert words.spellings("الغاء الاشتراق", "ar") == []  # a letter typed for another
    assert words.spellings("الغاء الاشتاك", "ar") == []  # a consonant dropped
    assert vocabulary().corrections("الغاء الاشتاك", "ar") == ["اشتراك"]  # which the corrections read


def test_a_word_of_the_same_root_is_another_word_not_a_spelling() -> None:
    words = [*(f"شائع{n}" for n in range(COMMON_WORDS * COMMON_SHARE)), "اعرض", "مالاوي"]
    families = SpellingFamilies(words, WordFamilies(()).root)
    assert families.spellings("اعراض") == []  # symptoms: a plural of عرض, not "I show" misspelt
    assert families.spellings("ملاوي") == ["مالاوي"]  # a name: its long vowels are spelling


def test_printed_words_common_words_and_dialect_words_bring_nothing() -> None:
    words = vocabulary()
    assert words.spellings("الغاء الاشتراك", "ar") == []  # spelt as the articles spell it
    assert words.spellings("شائعع7 شايع11", "ar") == []  # the index's most frequent words are never brought
    assert words.spellings("جاني الاشتراك", "ar") == []  # a dialect word is spelt as meant
    assert words.spellings("cancel the subscriptoin", "en") == []


def test_the_family_is_ranked_by_distance_then_frequency() -> None:
    words = ["كلمه", *(f"شائع{n}" for n in range(COMMON_WORDS)), "حساب", "حسابي", "حسام"]
    families = SpellingFamilies(words, WordFamilies(()).root)
    assert families.spellings("حسابب") == ["حساب", "حسابي"]
    assert skeleton("اشتراااك") == skeleton("اشتيراك") == skeleton("اشتراك")


def test_the_dense_text_reads_the_spelling_with_the_article_kept() -> None:
    lexicon = SpellingFamilies(
        [*(f"شائع{n}" for n in range(COMMON_WORDS * COMMON_SHARE)), "اشتراك"], WordFamilies(()).root
    )
    assert read_spellings("كيف الغي الاشتارك؟", lexicon) == "كيف الغي الاشتراك؟"
    assert read_spellings("كيف الغي الاشتارك؟", lexicon, keep={"اشتارك"}) == "كيف الغي الاشتارك؟"


def test_spellings_rank_but_are_no_evidence_for_abstaining() -> None:
    expansion = Expansion("الغاء الاشتارك", spellings=("اشتراك",))
    assert ("اشتراك", EXPANSION_WEIGHTS["spellings"]) in expansion.lexical_parts("الغاء الاشتارك")
    assert "اشتراك" not in [text for text, _ in expansion.lexical_parts("الغاء الاشتارك", ranking=False)]


def test_a_word_the_lexical_side_reads_gets_its_correction_for_evidence_only() -> None:
    # "عندنا" (at us) is عند with a pronoun: BM25 reads it by its stem, and its edit-distance
    # neighbour "عندما" (when) is another word. A real typo's correction is not such a one.
    index = [*INDEX, {"lang": "ar", "title": "عندما يتوقف الحساب", "section": "", "text": "عند الدفع"}]
    words = Vocabulary(lambda: index, lambda: "v1")
    assert words.corrections("عندنا مشكله في الحساب", "ar") == ["عندما"]
    assert words.read_corrections("عندنا مشكله في الحساب", "ar") == ["عندما"]
    assert words.read_corrections("الغاء الاشتاك", "ar") == []
    assert words.corrections("الغاء الاشتاك", "ar") == ["اشتراك"]
    expansion = Expansion("عندنا مشكله", corrections=("عندما", "اشتراك"), misread=("عندما",))
    ranked = dict(expansion.lexical_parts("عندنا مشكله"))
    evidence = dict(expansion.lexical_parts("عندنا مشكله", ranking=False))
    assert "اشتراك" in ranked and "عندما" not in ranked
    assert evidence["عندما اشتراك"] == EXPANSION_WEIGHTS["corrections"]


def test_a_verb_of_an_index_word_is_read_and_a_misspelling_is_not() -> None:
    words = [*(f"شائع{n}" for n in range(COMMON_WORDS * COMMON_SHARE)), "قدر", "حساب", "اشتراك"]
    families = SpellingFamilies(words, WordFamilies(()).root)
    assert families.read("اقدر")  # I can: a verb of قدر
    assert families.read("بحسابات")  # حساب's Snowball stem
    assert not families.read("الاشتارك")  # two letters swapped: nothing of the index's
    assert families.misspelt("الاشتارك") and not families.misspelt("اقدر")


class _NoStore:
    """Enough of a store for query building (as tests/copilot/test_query_terms.py's): no index is read."""

    def version(self) -> str:
        return "v1"

    def payloads(self, fields: tuple[str, ...]) -> list[dict]:
        return []


def test_the_read_words_lever_takes_such_corrections_out_of_the_ranking_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = [*INDEX, {"lang": "ar", "title": "عندما يتوقف الحساب", "section": "", "text": "عند الدفع"}]
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    vocabulary = Vocabulary(lambda: index, lambda: "v1")
    retriever = Retriever(settings, _NoStore(), [], vocabulary=vocabulary)  # type: ignore[arg-type]
    corrected = ("عندما", EXPANSION_WEIGHTS["corrections"])
    monkeypatch.setitem(LEVERS, "read_words", False)
    expansion = retriever.expand("عندنا مشكله", "ar")
    assert expansion.misread == () and corrected in expansion.lexical_parts("عندنا مشكله")
    monkeypatch.setitem(LEVERS, "read_words", True)
    expansion = retriever.expand("عندنا مشكله", "ar")
    assert expansion.corrections == expansion.misread == ("عندما",)
    assert corrected not in expansion.lexical_parts("عندنا مشكله")
    assert corrected in expansion.lexical_parts("عندنا مشكله", ranking=False)
