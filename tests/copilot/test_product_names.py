"""The customer-framing lever: names read from the help center's own text, the query's intent without them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from copilot.engine import Engine
from copilot.expansion import fold
from copilot.product_names import (
    INTENT_WEIGHT,
    arabic_script_name,
    index_names,
    intent_part,
    intent_sources,
    name_words,
)
from copilot.retrieval import LEVERS
from indexer.stores.base import Hit, PayloadFilter, StoreQuery

TEXTS = [
    "You can add licences in Teams. Admins open Teams and pick a plan; the Teams app shows the invoice.",
    "Your files live in SharePoint. Share a SharePoint page, a SharePoint list.",
    "Move files to OneDrive with OneDrive and OneDrive sync.",
    "You can pay with Apple Pay on an iPhone. It works with Apple Pay on any iPhone,",
    "and Apple Pay refunds reach the iPhone.",
    "Request a refund for a cancelled plan. The refund reaches your card; refund times vary. Refund policy.",
    "Download the PDF invoice. The PDF shows VAT. Your VAT number appears on the PDF and the VAT total.",
    "Members of Manzil Plus get free delivery. Join Manzil Plus, or cancel Manzil Plus at manzil.example.",
    "Write to care@manzil.example or visit manzil.example/help; manzil.example answers every day.",
]


def test_words_the_text_capitalises_mid_sentence_are_names() -> None:
    names = name_words(TEXTS)
    assert {"teams", "sharepoint", "onedrive", "apple", "iphone", "plus"} <= names


def test_ordinary_words_acronyms_and_sentence_starts_are_not_names() -> None:
    names = name_words(TEXTS)
    # "Refund" starts a sentence once and is lower case elsewhere; PDF and VAT are acronyms.
    assert not {"refund", "invoice", "pdf", "vat", "the", "you", "pay"} & names


def test_a_word_seen_inside_addresses_is_not_a_name_by_them() -> None:
    names = name_words(TEXTS[-1:])  # only in an email address and domains: no prose sighting
    assert "manzil" not in names
    assert "manzil" in name_words(TEXTS)  # "Manzil Plus" in prose, three times


def test_a_word_seen_too_rarely_says_nothing() -> None:
    assert "zed" not in name_words(["We met Zed. Then Zed left."])  # one mid-sentence sighting


def test_index_names_reads_titles_and_text() -> None:
    payloads = [{"title": "Set up Contoso Sync", "text": "Install Contoso on a laptop; Contoso syncs. Ask Contoso."}]
    assert "contoso" in index_names(payloads)


def test_the_intent_is_the_query_without_the_names_it_typed() -> None:
    names = name_words(TEXTS)
    assert intent_part("refund for my Teams licence", names) == "refund for my licence"
    assert intent_part("change the address on my Apple Pay order", names) == "change the address on my order"


def test_latin_names_in_an_arabic_query_are_names_whatever_their_case() -> None:
    names = name_words(TEXTS)
    assert intent_part("استرجاع فلوس اشتراك teams", names) == "استرجاع فلوس اشتراك"


def test_a_lower_case_or_first_word_in_a_latin_query_is_not_taken_for_a_name() -> None:
    names = name_words(TEXTS)
    assert intent_part("refund for my teams licence", names) is None  # could be the ordinary word
    assert intent_part("Teams refund for my licence", names) is None  # every query starts with a capital
    assert intent_part("iPhone refund for my order", names) == "refund for my order"  # camel case is a name


def test_a_number_after_a_name_goes_with_it() -> None:
    names = name_words(TEXTS) | {"office"}
    assert intent_part("invoice for our Office 365 licences please", names) == "invoice for our licences please"


def test_too_little_left_is_no_intent() -> None:
    names = name_words(TEXTS)
    assert intent_part("Teams", names) is None
    assert intent_part("open Teams", names) is None  # one word left is too vague to rank on
    assert intent_part("refund for my order", names) is None  # no name: nothing to split


def test_acronyms_typed_in_capitals_stay_in_the_intent() -> None:
    names = name_words(TEXTS) | {"vat"}
    assert intent_part("VAT on our Teams bill", names) == "VAT on our bill"


# The folded words of an Arabic help center's articles (copilot.expansion.Vocabulary.known).
ARABIC_KNOWN = frozenset(fold("اشتراك استرجاع فلوس جوال فاتورة ملفات تقارير نشاط ماذا تلقائي"))
NAMES = frozenset({"teams", "outlook", "onedrive", "google", "azure", "iphone", "meeza", "admin"})


def test_names_written_in_arabic_script_leave_the_intent_too() -> None:
    assert intent_part("استرجاع فلوس اشتراك تيمز", NAMES, ARABIC_KNOWN) == "استرجاع فلوس اشتراك"
    assert intent_part("موظف نسي باسورد الاوتلوك", NAMES, ARABIC_KNOWN) == "موظف نسي باسورد"  # the article goes
    assert intent_part("فاتورة ضريبية لطلب الآيفون؟", NAMES, ARABIC_KNOWN) == "فاتورة ضريبية لطلب"
    assert intent_part("تقارير نشاط ون درايف", NAMES, ARABIC_KNOWN) == "تقارير نشاط"  # two words, one name
    assert intent_part("استرجاع فلوس اشتراك تيمز", NAMES) is None  # no article vocabulary: Latin names only


def test_arabic_words_the_articles_use_are_never_names() -> None:
    # "ماذا" (what) has meeza's sound and vowels, "جوالي" (my phone) google's, "تلقائي" outlook's consonants
    assert intent_part("ماذا يحدث لملفات الاشتراك", NAMES, ARABIC_KNOWN) is None
    assert intent_part("ضاع جوالي وما يوصل الكود", NAMES, ARABIC_KNOWN) is None  # the articles' "جوال", my phone
    assert intent_part("ايقاف التجديد التلقائي للاشتراك", NAMES, ARABIC_KNOWN) is None
    assert intent_part("الاشتراك خلص وش يصير لملفاتي", NAMES, ARABIC_KNOWN) is None  # an initial yeh: not azure
    assert arabic_script_name("الاوتلوك", NAMES, ARABIC_KNOWN) == "outlook"
    assert arabic_script_name("عايز", NAMES, ARABIC_KNOWN) is None  # a dialect word is the customer's own
    assert arabic_script_name("ادمن", NAMES, ARABIC_KNOWN) is None  # a general computing word: a role, no product


def test_intent_sources_follow_each_model_weight() -> None:
    where = PayloadFilter(langs=("en",))
    vector = np.ones(4, dtype=np.float32)
    sources = intent_sources({"e5": vector, "use": vector}, {"e5": 1.0, "use": 0.6}, where)
    assert [(s.vector_name, s.weight) for s in sources] == [("e5", INTENT_WEIGHT), ("use", INTENT_WEIGHT * 0.6)]
    assert all(s.filter == where for s in sources)
    assert intent_sources({"e5": vector}, {"e5": 0.0}, where) == []  # a model the fusion leaves out stays out


def test_search_ranks_the_intent_too_when_the_query_names_a_product(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook in copilot.retrieval: the intent is embedded and joins the fused ranking, once per
    model, at INTENT_WEIGHT of that model's weight; a query with no name, or the lever off, adds nothing."""
    retriever = indexed.retriever
    embedded: list[str] = []
    asked: list[list[StoreQuery]] = []
    query_vectors, store_query = retriever.query_vectors, retriever.store.query

    def spy_vectors(text: str, only: str | None = None) -> dict[str, np.ndarray]:
        embedded.append(text)
        return query_vectors(text, only)

    def spy_query(queries: Sequence[StoreQuery]) -> list[list[Hit]]:
        asked.append(list(queries))
        return store_query(queries)

    monkeypatch.setattr(retriever, "query_vectors", spy_vectors)
    monkeypatch.setattr(retriever.store, "query", spy_query)

    result = retriever.search("refund for my Apple Pay order", lang="en")
    assert result.results  # the search still answers
    assert embedded == ["refund for my Apple Pay order", "refund for my order"]
    # the search's own batch (index views such as the hub shares ask the store their own queries)
    ranking = next(b[0].sources for b in asked if any(s.vector_name == "e5" for s in b[0].sources))
    intent = ranking[-2:]
    assert [s.vector_name for s in intent] == ["e5", "use"]
    for source in intent:
        own = next(s for s in ranking if s.vector_name == source.vector_name)
        assert source.weight == pytest.approx(INTENT_WEIGHT * own.weight)

    embedded.clear()
    retriever.search("when will I get my refund", lang="en")
    assert embedded == ["when will I get my refund"]
    embedded.clear()
    retriever.search("refund for my Apple Pay order", lang="en", ticket=True)  # a ticket's story: no intent
    assert embedded == ["refund for my Apple Pay order"]
    monkeypatch.setitem(LEVERS, "framing", False)
    embedded.clear()
    retriever.search("refund for my Apple Pay order please", lang="en")
    assert embedded == ["refund for my Apple Pay order please"]


def test_two_words_spell_one_name_only_when_each_is_foreign_and_sounds() -> None:
    # "جوالي" (my phone) is the articles' word; "هواوي" adds no consonant: no "google" between them
    assert arabic_script_name("جوالي", NAMES, ARABIC_KNOWN, then="هواوي") is None
    assert arabic_script_name("ون", NAMES, ARABIC_KNOWN, then="درايف") == "onedrive"
