"""copilot.unknown_names on small indexes: a name the help center never mentions, told from its words, their typos
and forms, the customer's everyday words and places; and the rule that abstains on it (LEVERS["unknown_names"])."""

import pytest

from copilot import retrieval
from copilot.engine import Engine
from copilot.expansion import Vocabulary
from copilot.retrieval import UNKNOWN_NAME_HELD, weak_evidence
from copilot.tuning import ABSTAIN_FLOORS
from copilot.unknown_names import name_kind, unknown_names

DESKTOP = [
    {
        "lang": "en",
        "title": "Change the desktop wallpaper",
        "section": "",
        "text": "Open Settings and choose Background. Restart Firefox after you install it from Software. "
        "Your email password is kept in Online Accounts. Windows partitions show in Files.",
    },
    {"lang": "en", "title": "Sticky keys", "section": "", "text": "Turn on sticky keys to type one key at a time."},
]


def vocabulary(payloads: list[dict]) -> Vocabulary:
    return Vocabulary(lambda: payloads, lambda: "v1")


def test_a_name_the_help_center_never_mentions_counts() -> None:
    words = vocabulary(DESKTOP)
    assert unknown_names("how do I install Steam games?", "en", words) == ["steam"]
    assert unknown_names("forgot my Gmail password", "en", words) == ["gmail"]  # no misspelt "email": a known word
    assert unknown_names("update the BIOS on my Dell laptop", "en", words) == ["bios", "dell"]
    assert unknown_names("my iTunes songs won't play", "en", words) == ["itunes"]  # camel case, even first
    # names the index prints do not count, nor forms of its words
    assert unknown_names("Firefox keeps Restarting on Windows", "en", words) == []


def test_everyday_words_typos_and_places_never_count() -> None:
    words = vocabulary(DESKTOP)
    assert unknown_names("my laptop is broken and wont turn on", "en", words) == []  # lower case, everyday
    assert unknown_names("Laptop broken", "en", words) == []  # the first word's capital says nothing
    assert unknown_names("chnage my Wallpapper", "en", words) == []  # misspelt index words (a swap, a double)
    assert unknown_names("turn on Stikcy keys", "en", words) == []
    assert unknown_names("I flew to Dubai and the clock is wrong", "en", words) == []  # a place, not a product
    assert unknown_names("my TV shows the wrong Time", "en", words) == []  # ordinary words, however typed
    assert unknown_names("my order is packed since Sunday, still in Arabic", "en", words) == []  # when, not what
    assert name_kind("Steam", 3) == "capital" and name_kind("Steam", 0) is None
    assert name_kind("BIOS", 0) == "acronym" and name_kind("iPhone", 0) == "camel"
    assert unknown_names("how do I install Steam games?", "ar", words) == []  # no article in the language: nothing


def test_an_arabic_question_counts_latin_names_only_those_no_article_prints() -> None:
    payloads = [
        {"lang": "ar", "title": "استعادة كلمة المرور", "section": "", "text": "افتح حساب Gmail من الإعدادات."},
        {"lang": "en", "title": "Teams calls", "section": "", "text": "Join a call in Microsoft Teams."},
    ]
    words = vocabulary(payloads)
    assert unknown_names("مشكلة في Teams", "ar", words, ("ar", "en")) == []  # the English articles print it
    assert unknown_names("مشكلة في Spotify", "ar", words, ("ar", "en")) == ["spotify"]
    assert unknown_names("مشكلة في Teems", "ar", words, ("ar", "en")) == []  # misspelt, in the other language
    # Arabic letters: a name ("سبوتيفاي") reads no differently from a dialect verb ("جاتني"), so neither counts
    assert unknown_names("كيف الغي اشتراك سبوتيفاي", "ar", words, ("ar", "en")) == []
    assert unknown_names("جاتني رسالة من Gmail", "ar", words, ("ar", "en")) == []


def test_the_rule_abstains_only_where_at_most_one_floor_holds_the_question() -> None:
    floors = ABSTAIN_FLOORS["en"] if ABSTAIN_FLOORS else {}
    strong = {name: floor + 0.1 for name, floor in floors.items()}
    one = {**{name: floor - 0.1 for name, floor in floors.items()}, "use_top": floors["use_top"] + 0.1}
    assert weak_evidence(one, floors) and not weak_evidence(strong, floors)
    two = {**one, "lexical_share": floors["lexical_share"] + 0.1}
    assert UNKNOWN_NAME_HELD == 1 and not weak_evidence(two, floors)
    assert not weak_evidence(one, {})  # no floors: nothing to read


def test_the_lever_abstains_on_a_weak_search_naming_an_unknown_thing(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = indexed.retriever
    assert not retrieval.LEVERS["unknown_names"]  # off (bench/RESULTS.md "Session 40, oos40")
    assert "unknown_names" not in retriever.search("cancel my Spotify subscription", lang="en").signals  # unread
    monkeypatch.setitem(retrieval.LEVERS, "unknown_names", True)
    assert retriever.search("cancel my Spotify subscription", lang="en").signals["unknown_names"] == 1.0
    floors = ABSTAIN_FLOORS["en"] if ABSTAIN_FLOORS else {}
    held_by_one = {**{name: floor - 0.1 for name, floor in floors.items()}, "use_top": floors["use_top"] + 0.1}
    assert retriever._abstains("en", {**held_by_one, "unknown_names": 1.0})
    assert not retriever._abstains("en", {**held_by_one, "unknown_names": 0.0})
    strong = {name: floor + 0.1 for name, floor in floors.items()}
    assert not retriever._abstains("en", {**strong, "unknown_names": 2.0})  # never alone on a strong match
    monkeypatch.setitem(retrieval.LEVERS, "unknown_names", False)
    assert not retriever._abstains("en", {**held_by_one, "unknown_names": 1.0})
