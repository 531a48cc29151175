from pathlib import Path

from copilot.expansion import Synonyms, Vocabulary, fold


def test_synonym_groups_expand_across_scripts_and_follow_edits(tmp_path: Path) -> None:
    path = tmp_path / "_synonyms.yml"
    path.write_text("- [refund, money back, استرداد, فلوس]\n- [Apple Pay, ابل باي]\n", encoding="utf-8")
    synonyms = Synonyms(path)
    assert synonyms.expand("فلوسي ما رجعت") == []  # "فلوسي" is not "فلوس": groups list the forms they mean
    assert synonyms.expand("وين الفلوس") == ["refund", "money back", "استرداد"]
    assert synonyms.expand("ابل باي ما يشتغل") == ["Apple Pay"]
    assert synonyms.expand("where is my money back") == ["refund", "استرداد", "فلوس"]
    path.write_text("- [delivery, توصيل]\n", encoding="utf-8")
    import os

    os.utime(path, ns=(1, 2))  # a new mtime even on coarse clocks
    assert synonyms.expand("delivery fees") == ["توصيل"]


def test_vocabulary_corrects_only_unknown_words_within_the_language() -> None:
    payloads = [
        {"lang": "en", "title": "Reset your password", "section": "", "text": "Use the reset link we email you."},
        {"lang": "ar", "title": "استرجاع المبلغ", "section": "", "text": "نعيد المبلغ إلى البطاقة."},
    ]
    vocabulary = Vocabulary(lambda: payloads, lambda: "v1")
    assert vocabulary.corrections("pasword reset", "en") == ["password"]
    assert vocabulary.corrections("password reset", "en") == []
    assert vocabulary.corrections("استرجاغ المبلغ", "ar") == fold("استرجاع")
    assert vocabulary.corrections("pasword", "ar") == []  # English words are not Arabic vocabulary


def test_two_swapped_neighbouring_letters_are_one_edit() -> None:
    payloads = [{"lang": "en", "title": "Refund time", "section": "", "text": "Your refund takes some time."}]
    vocabulary = Vocabulary(lambda: payloads, lambda: "v1")
    # Levenshtein counts a swap as two edits, past a short word's limit: these had no correction
    assert vocabulary.corrections("refnud tiem", "en") == ["refund", "time"]


def test_vocabulary_leaves_dialect_words_alone() -> None:
    payloads = [{"lang": "ar", "title": "الشحن المجاني", "section": "", "text": "منتج تالف أو ناقص."}]
    vocabulary = Vocabulary(lambda: payloads, lambda: "v1")
    assert vocabulary.corrections("الطلب جاني ناقص", "ar") == []  # "جاني" is "came to me", not "مجاني"
    assert vocabulary.corrections("الشحن المجانى", "ar") == []


def test_a_short_arabic_words_correction_can_be_read_by_the_dense_models() -> None:
    """drafts41's lever (LEVERS["short_corrections"], off): "المبلع" is corrected to مبلغ for the lexical side; the
    dense text reads the correction with the article kept. Five letters and up are the spelling families'."""
    payloads = [{"lang": "ar", "title": "استرجاع المبلغ", "section": "", "text": "نعيد المبلغ إلى البطاقة."}]
    vocabulary = Vocabulary(lambda: payloads, lambda: "v1")
    assert vocabulary.corrected_text("وين المبلع", "ar") == "وين المبلغ"
    assert vocabulary.corrected_text("وين المبلع", "ar", frozenset({"مبلع"})) == "وين المبلع"  # a loanword stays
    assert vocabulary.corrected_text("استرجاغ المبلغ", "ar") == "استرجاغ المبلغ"  # 7 letters: not this lever's
    assert vocabulary.corrected_text("المبلع", "en") == "المبلع"
    assert vocabulary.corrected_text("وين المبلع", "ar", meant={"مبلع"}.__contains__) == "وين المبلع"  # a real word
