from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from copilot import completion, keyboard_layout
from copilot.engine import Engine
from copilot.expansion import Vocabulary
from copilot.keyboard_layout import US_TO_ARABIC, latin_readings, to_arabic, to_us, wrong_layout

PAYLOADS = [
    {"lang": "en", "title": "When will I get my refund?", "section": "Refunds", "text": "refund card"},
    {"lang": "en", "title": "Track your order", "section": "", "text": "track an order and export the invoice"},
    {"lang": "ar", "title": "نسيت كلمة المرور", "section": "", "text": "إذا نسيت كلمة المرور اطلب رابطًا"},
    {"lang": "ar", "title": "استرداد المبلغ", "section": "", "text": "متى يصل استرداد المبلغ"},
]
LANGS = ("en", "ar")


def read(query: str, typing: bool = False) -> str | None:
    vocabulary = Vocabulary(lambda: PAYLOADS, lambda: "v1")
    return wrong_layout(query, vocabulary.known, LANGS, vocabulary.words if typing else None)


def test_the_keys_read_on_the_other_layout_are_arabic_101_over_us_qwerty() -> None:
    assert to_arabic("hgfhs,v]") == "الباسورد"
    assert to_us("ثءحخقف") == "export"
    assert to_arabic(";glm hglv,v") == "كلمة المرور"
    assert to_arabic("`") == "ذ" and to_arabic("'") == "ط" and to_arabic("/") == "ظ"  # the punctuation keys
    assert to_arabic("Hkh") == "أنا" and to_arabic("Y") == "إ" and to_arabic("N") == "آ"  # shifted
    assert to_arabic("K") == "،" and to_arabic("?") == "؟" and to_arabic("P") == "؛"
    assert to_arabic("b") == "لا" and to_arabic("G") == "لأ" and to_arabic("T") == "لإ" and to_arabic("B") == "لآ"


def test_lam_alef_reads_as_its_one_key_or_its_two_letters_keys() -> None:
    assert latin_readings("لمخلاشم") == ["global", "gloghal"]  # "global": b; "light" would be g then h
    assert to_us("ﻻ") == "b"  # the presentation-form glyph some systems type for the key
    assert to_us("لأ") == "G"


def test_every_arabic_key_reads_back_as_its_key() -> None:
    for key, arabic in US_TO_ARABIC.items():
        if not arabic.isascii():
            assert to_us(arabic) == key, (key, arabic)


def test_gibberish_whose_other_layout_is_index_words_is_read_as_that() -> None:
    assert read(to_us("نسيت كلمة المرور")) == "نسيت كلمة المرور"  # "ksdj ;glm hglv,v"
    assert read(to_us("استرداد المبلغ")) == "استرداد المبلغ"
    assert read(to_arabic("track my order")) == "track my order"  # "فقشؤن ةغ خقيثق"
    assert read(to_arabic("export")) == "export"
    assert read("hgfhs,v]") == "الباسورد"  # password as a loanword the search reads (copilot.loanwords)


def test_real_words_codes_emails_links_and_mixed_queries_are_searched_as_typed() -> None:
    for typed in ("refund", "track order", "reset xyzzy order", "Zoom", "kiosk", "0x80070005", "win10 ksdj",
                  "help@manzil.example", "https://manzil.example/ksdj", "www.ksdj.com",
                  "نسيت كلمة المرور", "كلمة password", "ksdj كلمة"):
        assert read(typed) is None, typed
    # one real word beside the gibberish: half the query is no majority ("Zoom" is an English word by wordfreq)
    assert read(";glm zoom") is None
    assert read("") is None and read("  ") is None and read("?!") is None


def test_with_language_words_a_word_no_article_prints_counts_too() -> None:
    vocabulary = Vocabulary(lambda: PAYLOADS, lambda: "v1")
    typed = to_us("وين طلبي")  # "where is my order" in Gulf Arabic: no article prints either word
    assert wrong_layout(typed, vocabulary.known, LANGS) is None
    assert wrong_layout(typed, vocabulary.known, LANGS, language_words=True) == "وين طلبي"
    assert wrong_layout("reset order", vocabulary.known, LANGS, language_words=True) is None


def test_while_typing_the_last_word_may_be_the_start_of_an_index_word() -> None:
    half = to_arabic("track my orde")
    assert read(half) is None  # "orde" is no word: one of two voting words
    assert read(half, typing=True) == "track my orde"
    assert read("lkj", typing=True) is None  # three letters start too many words (منت...)


def test_search_reads_a_wrong_layout_query_and_verbatim_or_a_ticket_keeps_it(indexed: Engine) -> None:
    retriever = indexed.retriever
    typed = to_us("كلمة المرور")  # ";glm hglv,v"
    result = retriever.search(typed, lang="ar")
    assert (result.query, result.typed_query) == ("كلمة المرور", typed)
    assert result.results[0].id == "reset-password"
    assert result.as_json()["typed_query"] == typed
    as_typed = retriever.search(typed, lang="ar", verbatim=True)
    assert (as_typed.query, as_typed.typed_query) == (typed, None)
    assert retriever.search(typed, lang="ar", ticket=True).typed_query is None
    assert retriever.search("كلمة المرور", lang="ar").typed_query is None


def test_a_query_longer_than_a_search_takes_is_searched_as_typed(indexed: Engine) -> None:
    """The search cuts a query at max_query_chars; the layout reading ran on all of it first (the search box's
    settled post and the contact form's search field carry up to 1 MiB: seconds of CPU). Past the cut, no reading."""
    retriever = indexed.retriever
    typed = to_us("كلمة المرور") + " "  # ";glm hglv,v "
    limit = indexed.settings.max_query_chars
    fits = typed * (limit // len(typed))
    assert retriever.read_layout(fits) == ("كلمة المرور " * (limit // len(typed)))
    assert retriever.read_layout(fits + typed) is None
    result = retriever.search(typed * 1000, lang="ar")
    assert result.typed_query is None and result.truncated


# Hostile text for the reading (session 27): any character, and the ones the layouts make special: the lam-alef keys
# and their presentation-form glyphs, Arabic marks alone (Tashkeel typed with Shift), joiners, combining marks.
ODD = st.sampled_from(["b", "B", "G", "T", "لا", "لأ", "ﻻ", "ﻷ", "\ufdf2", "\u064b\u064e\u0651", "\u0652", "\u200d",
                       "\u200c", "\u0301", "e\u0301", "\u202e", "\ufeff", " ", "\t", "\n", "1", "x1", "@", "://", "ـ",
                       "hgfhs,v]", "ثءحخقف", "\ud800", "\x00"])
HOSTILE = st.lists(ODD | st.text(max_size=6), max_size=12).map("".join) | st.text()
# The patterns as they were: the new ones are anchored where a piece or word starts, and must find the same.
OLD_CODE = re.compile(r"(?=\S*\d)(?=\S*[^\W\d_])\S+")
OLD_LAST_WORD = re.compile(r"(\w+)$")


@settings(max_examples=300, derandomize=True, deadline=None)
@given(query=HOSTILE, typing=st.booleans())
def test_any_text_reads_as_none_or_the_same_pieces_on_the_other_layout(query: str, typing: bool) -> None:
    read_as = read(query, typing)
    if read_as is not None:  # whitespace as typed: only the pieces between it are read on the other layout
        assert re.split(r"\S+", read_as) == re.split(r"\S+", query)
    assert bool(keyboard_layout._CODE.search(query)) == bool(OLD_CODE.search(query))
    old = OLD_LAST_WORD.search(query)
    new = completion._LAST_WORD.search(query)
    assert (old and old.span()) == (new and new.span())

