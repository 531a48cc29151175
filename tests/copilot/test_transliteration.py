"""Arabic-script product names and the Latin names the index prints (unit tests, fake payloads)."""

from pathlib import Path

import pytest

from copilot.expansion import Vocabulary
from copilot.retrieval import LEVERS, Retriever
from copilot.transliteration import arabic_key, keyed, latin_key, sounds_alike, spelled_names
from kb.settings import Settings
from tests.copilot.test_query_terms import _NoStore


@pytest.mark.parametrize(
    ("arabic", "latin"),
    [("تيمز", "Teams"), ("ون درايف", "OneDrive"), ("كلاودفلير", "Cloudflare"), ("ديفندر", "Defender"),
     ("نوشن", "Notion"), ("ايفرنوت", "Evernote"), ("شيربوينت", "SharePoint"), ("باورشيل", "PowerShell"),
     ("قوقل", "Google"), ("جوجل", "Google"), ("اوتلوك", "Outlook")],
)  # fmt: skip
def test_a_name_and_its_arabic_spelling_share_a_sound_key(arabic: str, latin: str) -> None:
    assert arabic_key(arabic.replace(" ", "")) == latin_key(latin)
    assert sounds_alike(arabic.replace(" ", ""), latin)


def test_a_long_vowel_the_arabic_writes_must_be_heard_in_the_latin() -> None:
    assert sounds_alike("ديفندر", "defender")  # short vowels are not written in Arabic
    assert not sounds_alike("اوتلوك", "titlek")  # same consonants, but the written initial vowel is missing
    assert not sounds_alike("تيمز", "timer")  # another consonant key


ARTICLES = [
    {"lang": "ar", "title": "تقارير Microsoft Teams", "section": "", "text": "افتح Microsoft Teams ثم OneDrive."},
    {"lang": "ar", "title": "توصيل سجلات DNS في Cloudflare", "section": "", "text": "سجل الدخول إلى Cloudflare."},
    {"lang": "ar", "title": "الدفع", "section": "", "text": "تحقق 3D Secure من البنك. راجع https://x.com/teams"},
    {"lang": "en", "title": "Secure Checkout", "section": "", "text": "Itself often."},
]


def test_arabic_script_names_find_the_latin_names_of_the_arabic_articles() -> None:
    vocabulary = Vocabulary(lambda: ARTICLES, lambda: "v1")
    assert vocabulary.transliterations("تقارير تيمز", "ar") == ["teams"]
    assert vocabulary.transliterations("سجلات كلاودفلير", "ar") == ["cloudflare"]
    assert vocabulary.transliterations("ملفات ون درايف", "ar") == ["onedrive"]  # two words, one name
    assert vocabulary.transliterations("وظائف شاغرة", "ar") == []  # an Arabic noun, though it sounds like Secure
    assert vocabulary.transliterations("teams reports", "en") == []


def test_a_name_behind_a_conjunction_or_preposition_is_read_too() -> None:
    vocabulary = Vocabulary(lambda: ARTICLES, lambda: "v1")
    assert vocabulary.transliterations("تقارير وتيمز", "ar") == []  # as typed: و + تيمز spells no name
    assert vocabulary.transliterations("تقارير وتيمز", "ar", clitics=True) == ["teams"]
    assert vocabulary.transliterations("اشتغل عالتيمز", "ar", clitics=True) == ["teams"]  # ع for على + the article
    assert vocabulary.transliterations("سجل بكلاودفلير", "ar", clitics=True) == ["cloudflare"]
    assert vocabulary.transliterations("وظائف وشاغرة", "ar", clitics=True) == []


def test_typed_words_bridge_into_articles_that_print_them_in_another_script() -> None:
    vocabulary = Vocabulary(lambda: ARTICLES, lambda: "v1")
    assert vocabulary.shared_words("cloudflare dns records", "en", "ar") == ["cloudflare", "dns"]
    assert vocabulary.shared_words("cloudflare dns records", "en", "en") == []  # its own language: no bridge
    assert vocabulary.shared_words("سجلات الدفع", "ar", "en") == []  # Arabic words English articles lack


def test_short_names_and_brand_casing_match_vowel_for_vowel() -> None:
    """ "ايفون" and iPhone share only "fn": enough when every vowel place agrees, and "iPhone" is
    name-cased though it starts in lowercase; a code identifier ("monikerRange") is not."""
    text = "ادفع من iPhone عبر Apple Pay. راجع monikerRange."
    articles = [{"lang": "ar", "title": "الدفع", "section": "", "text": text}]
    vocabulary = Vocabulary(lambda: articles, lambda: "v1")
    assert vocabulary.transliterations("ادفع بالايفون", "ar") == ["iphone"]
    assert vocabulary.transliterations("الآيفون", "ar") == ["iphone"]
    assert vocabulary.transliterations("مونيكر رينج", "ar") == []
    assert sounds_alike("ايفون", "iPhone", strict=True)
    assert not sounds_alike("فن", "iPhone", strict=True)  # no vowel before the f: "art", not the phone


def test_spelled_names_reads_a_keyed_table_of_the_index_names() -> None:
    by_key = keyed(["teams", "outlook", "azure", "windows", "office"])
    assert spelled_names("تيمز", by_key) == ["teams"]
    assert spelled_names("اوتلوك", by_key) == ["outlook"]
    assert spelled_names("ويندوز", by_key, glides=True) == ["windows"]  # an initial waw is the w
    assert spelled_names("تيم", by_key) == []  # too short to be a name
    assert spelled_names("تيمزة", by_key) == []  # an Arabic noun ending


def test_an_initial_waw_or_yeh_must_be_heard_where_a_match_removes_the_word() -> None:
    by_key = keyed(["azure"])
    assert spelled_names("يصير", by_key) == ["azure"]  # the lexical side searches both and lets articles decide
    assert spelled_names("يصير", by_key, glides=True) == []  # "becomes" is no "azure"


ENGLISH_ONLY = [
    {"lang": "en", "title": "What is GNOME?", "section": "Partition a disk", "text": "Use Disks to format a drive."},
    {"lang": "en", "title": "Google accounts", "section": "Notion and Evernote", "text": "Connect your account."},
]


def test_an_arabic_script_term_finds_the_english_title_word_of_an_english_only_help_center() -> None:
    """No Arabic article prints a Latin name here, so only the English titles and headings can be read."""
    vocabulary = Vocabulary(lambda: ENGLISH_ONLY, lambda: "v1")
    assert vocabulary.transliterations("ما هو جنوم", "ar") == []  # the Arabic articles' names: there are none
    assert vocabulary.english_terms("ما هو جنوم", "ar") == ["gnome"]
    assert vocabulary.english_terms("كيف اعمل البارتيشن", "ar") == ["partition"]  # behind the article
    assert vocabulary.english_terms("ربط نوشن", "ar") == ["notion"]
    assert vocabulary.english_terms("what is gnome", "en") == []


def test_an_ordinary_arabic_word_is_not_read_as_an_english_title_word() -> None:
    """ "جوال" (mobile) has Google's sound key and vowels, but the web writes it in Arabic (wordfreq Zipf 3.99)."""
    vocabulary = Vocabulary(lambda: ENGLISH_ONLY, lambda: "v1")
    assert sounds_alike("جوال", "google")
    assert vocabulary.english_terms("حساب الجوال", "ar") == []
    assert vocabulary.english_terms("ربط نوشن", "ar") == ["notion"]  # the same help center reads a name (Zipf 0)


def test_the_lever_bridges_the_english_title_word_into_the_english_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    vocabulary = Vocabulary(lambda: ENGLISH_ONLY, lambda: "v1")
    retriever = Retriever(settings, _NoStore(), [], vocabulary=vocabulary)  # type: ignore[arg-type]
    monkeypatch.setitem(LEVERS, "heading_sounds", False)
    assert "gnome" not in retriever.cross_lingual_terms("ما هو جنوم", "ar", "en").split()
    monkeypatch.setitem(LEVERS, "heading_sounds", True)
    assert "gnome" in retriever.cross_lingual_terms("ما هو جنوم", "ar", "en").split()
    assert "gnome" in retriever.plan("ما هو جنوم", "ar").expansion.transliterations  # searched at their weight
    assert retriever.cross_lingual_terms("حساب الجوال", "ar", "en") == ""  # Arabic words: nothing to bridge
