"""A title that is only its article's opening words gives no title evidence: not to the field credit,
not to the title rankings (copilot.title_evidence, the one test all of them ask)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from copilot.retrieval import Retriever
from copilot.title_evidence import opening_keys, opening_title, opening_words
from copilot.title_vectors import TitleVectors
from indexer.lexical import LexicalEncoder
from indexer.stores.base import Hit
from tests.copilot.test_title_vectors import LetterEmbedder

_CUT = "The Daily Mail newspaper reported in 2012 that …"
_BODY = "The Daily Mail newspaper reported in 2012 that the benefits agency was checking claimants' TV bills."


def test_cut_off_or_repeated_opening_words_are_no_title() -> None:
    assert opening_words(_CUT) and opening_words("Sky launched its HD service in ...")
    assert opening_words("The Daily Mail newspaper reported in 2012", _BODY)  # the opening as it is
    assert not opening_words("The Daily Mail newspaper reported in 2012")  # no body given: a title
    assert not opening_words("Refunds", "Refunds are paid back within 14 days.")  # short: still names the topic
    assert not opening_words("Reset your password", "Open Settings and choose Security.")


def test_only_the_first_chunk_shows_where_the_body_opens() -> None:
    title = "The Daily Mail newspaper reported in 2012"
    first = {"key": "en/sky-3", "title": title, "text": _BODY, "ordinal": 0}
    later = {**first, "ordinal": 1}
    written = {"key": "en/reset", "title": "Reset your password", "text": "Open Settings.", "ordinal": 0}
    assert opening_title(first) and not opening_title(later)
    assert opening_keys([later, first, written]) == {"en/sky-3"}  # any chunk that shows it marks the article
    assert opening_keys([{"key": "en/x", "title": _CUT, "ordinal": 3}]) == {"en/x"}


def _retriever(opening: frozenset[str]) -> Retriever:
    """A Retriever with only what the field credit reads: the lexical encoder and the opening-title keys."""
    retriever = Retriever.__new__(Retriever)
    retriever.lexical = LexicalEncoder()
    retriever._fields = {}
    retriever._opening = SimpleNamespace(get=lambda: opening)  # type: ignore[assignment]
    return retriever


def test_the_field_credit_reads_no_opening_title_but_still_reads_tags() -> None:
    query = "daily mail benefits"
    lexical = LexicalEncoder()
    terms = {"en": (lexical.encode_query(query, "en"), lexical.encode_query(query, "en"))}
    cut = Hit("a", 1.0, {"key": "en/a", "lang": "en", "title": _CUT, "tags": []})
    tagged = Hit("b", 1.0, {"key": "en/b", "lang": "en", "title": _CUT, "tags": ["benefits"]})
    credited = {h.id: h.score for h in _retriever(frozenset())._credit_fields([cut, tagged], terms, 0.3)}
    assert credited["a"] == pytest.approx(1.0 + 0.3 * 2 / 3)  # without the guard: "daily", "mail"
    guarded = {h.id: h.score for h in _retriever(frozenset({"en/a", "en/b"}))._credit_fields([cut, tagged], terms, 0.3)}
    assert guarded["a"] == pytest.approx(1.0)
    assert guarded["b"] == pytest.approx(1.0 + 0.3 / 3)  # the tag is the writer's: it still counts



def test_opening_titles_are_not_ranked_as_titles_but_headings_still_are() -> None:
    rows = [
        {"key": "en/sky-3", "lang": "en", "title": _CUT, "text": _BODY, "ordinal": 0, "section": "Benefits"},
        {"key": "en/reset", "lang": "en", "title": "Reset your password", "text": "Open Settings.", "ordinal": 0},
    ]
    query = LetterEmbedder("use").embed_queries(["daily mail"])[0]
    titles = TitleVectors(LetterEmbedder("use"), lambda: list(rows), lambda: "v1")  # type: ignore[arg-type]
    assert set(titles.get().scores(query, ["en"])) == {"en/reset"}
    headings = TitleVectors(LetterEmbedder("use"), lambda: list(rows), lambda: "v1", field="section")  # type: ignore[arg-type]
    assert set(headings.get().scores(query, ["en"])) == {"en/sky-3"}
