"""Misspelt Arabic words read through a general Arabic lexicon (copilot.lexicon_spellings)."""

from pathlib import Path

import pytest

from copilot.expansion import Vocabulary
from copilot.lexicon_spellings import LexiconSpellings, folded_frequencies, inflected, lexicon_spellings
from copilot.retrieval import LEVERS, Retriever
from kb.settings import Settings
from tests.copilot.test_query_terms import _NoStore

# A toy list, as shares of all words (Zipf = log10 of the share per billion words): تتبع 4.7, تبغ 2.7 ...
TOY = {
    "تتبع": 5e-5,
    "تبغ": 5e-7,
    "الضمان": 1.3e-5,
    "الزمان": 4e-5,
    "يستخدمها": 2e-6,
    "نسيت": 3e-5,
    "نسبت": 2e-6,
    "الشحنة": 7e-6,
    "الشحنه": 4e-7,
}


def test_a_typo_is_read_as_the_common_word_one_edit_away() -> None:
    reader = LexiconSpellings(folded_frequencies(TOY))
    assert reader.read("تتبغ") == "تتبع"  # ع typed as غ: track
    assert reader.read_text("تتبغ الطلب؟") == "تتبع الطلب؟"  # the typed text around the word is kept
    assert reader.readings("تتبغ الطلب") == {"تتبغ": "تتبع"}


def test_words_spelt_as_meant_dialect_words_and_kept_words_stay() -> None:
    reader = LexiconSpellings(folded_frequencies(TOY))
    assert reader.read("نسيت") is None  # I forgot: the list knows it, though نسبت is one edit away
    assert reader.read("الشحنه") is None  # ta marbuta typed as ha: folded, the list's الشحنة
    assert reader.read("بيستخدمها") is None  # uses it, with the progressive ب: a clitic, no typo of يستخدمها
    assert reader.read("تبغا") is None  # wants (Gulf dialect), a letter from تبغ
    assert reader.read_text("تتبغ تتبغ", keep={"تتبغ"}) == "تتبغ تتبغ"  # the index's words, loanwords and names
    # two common words one letter away and neither clearly the more frequent: ض or ز typed as ظ
    assert LexiconSpellings(folded_frequencies(TOY)).read("الظمان") is None


def test_an_inflected_word_is_told_from_a_typo() -> None:
    assert inflected("منتجاتي", "منتجات")  # my products: a pronoun
    assert inflected("تحتفظون", "يحتفظون")  # you keep / they keep: another person's prefix
    assert not inflected("الاشتراكك", "الاشتراك")  # a doubled last letter is a typo
    assert not inflected("الدفغ", "الدفع")  # another last letter is a typo


def test_the_general_list_reads_the_dev_typos_and_leaves_words_spelt_as_meant() -> None:
    reader = lexicon_spellings()  # wordfreq's Arabic list
    assert reader.read("استرجاغ") == "استرجاع"  # refund
    assert reader.read("الدفغ") == "الدفع"  # the payment
    assert reader.read("جوالي") is None  # my mobile: one letter from حوالي (about), but on the web often enough
    assert reader.read("يغطي") is None  # covers: one letter from يعطي (gives)
    assert reader.read("واخد") is None  # taking (dialect)
    assert reader.read_text("تيمز و outlook") == "تيمز و outlook"  # a name in Arabic script and a Latin word


def test_the_lever_reads_the_typo_for_both_sides_over_english_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = [{"lang": "en", "title": "Refunds", "section": "", "text": "When your refund arrives."}]
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    retriever = Retriever(settings, _NoStore(), [], vocabulary=Vocabulary(lambda: index, lambda: "v1"))  # type: ignore[arg-type]
    monkeypatch.setitem(LEVERS, "lexicon_spellings", False)
    plan = retriever.plan("استرجاغ المبلغ", "ar")
    assert retriever._dense_text(plan) == "استرجاغ المبلغ" and "استرجاع" not in plan.expansion.corrections
    monkeypatch.setitem(LEVERS, "lexicon_spellings", True)
    plan = retriever.plan("استرجاغ المبلغ", "ar")
    assert retriever._dense_text(plan) == "استرجاع المبلغ"
    assert "استرجاع" in plan.expansion.corrections  # searched at the corrections' weight
    assert retriever._dense_text(retriever.plan("استرجاغ المبلغ", "ar", ticket=True)) == "استرجاغ المبلغ"
