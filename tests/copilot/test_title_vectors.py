"""Title vectors: one per article and language, from the live index, re-embedded only when a title changes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from copilot.title_vectors import TitleVectors


class LetterEmbedder:
    """A unit-test model: a title's vector is its letters' counts, and every text embedded is kept.
    (Also the letter model of test_own_titles and test_title_evidence, under the name they need.)"""

    model_id = "letters"
    dim = 26

    def __init__(self, name: str = "use") -> None:
        self.name = name
        self.embedded: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += texts
        return np.array([[t.lower().count(chr(97 + i)) for i in range(26)] for t in texts], dtype=np.float32)

    embed_queries = embed_passages


def test_titles_are_scored_per_language_and_embedded_once() -> None:
    rows = [
        {"key": "en/refund", "lang": "en", "title": "Refund timing"},
        {"key": "en/refund", "lang": "en", "title": "Refund timing"},  # every chunk repeats its title
        {"key": "en/track", "lang": "en", "title": "Track an order"},
        {"key": "ar/refund", "lang": "ar", "title": "موعد الاسترداد"},
    ]
    version = ["v1"]
    model = LetterEmbedder()
    titles = TitleVectors(model, lambda: list(rows), lambda: version[0])  # type: ignore[arg-type]
    query = model.embed_queries(["refund"])[0]
    scores = titles.get().scores(query / np.linalg.norm(query), ["en"])
    assert set(scores) == {"en/refund", "en/track"} and scores["en/refund"] > scores["en/track"]
    assert model.embedded.count("Refund timing") == 1
    rows[2] = {"key": "en/track", "lang": "en", "title": "Track a parcel"}
    version[0] = "v2"
    titles._matrix._checked = float("-inf")  # the index changed: do not wait for the next check
    titles.get()
    assert model.embedded.count("Refund timing") == 1 and "Track a parcel" in model.embedded


class _QueryFormEmbedder(LetterEmbedder):
    """Records which form (passage or query) each text was embedded in."""

    name = "e5"

    def __init__(self) -> None:
        super().__init__()
        self.as_queries: list[str] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.as_queries += texts
        return self.embed_passages(texts)


def test_headings_score_an_article_by_its_best_heading() -> None:
    rows = [
        {"key": "en/billing", "lang": "en", "section": "Invoices"},
        {"key": "en/billing", "lang": "en", "section": "Refund a charge"},
        {"key": "en/billing", "lang": "en", "section": "Refund a charge"},  # two chunks, one heading
        {"key": "en/track", "lang": "en", "section": "Where is my order"},
        {"key": "en/empty", "lang": "en", "section": ""},  # no heading: not scored
    ]
    model = LetterEmbedder()
    headings = TitleVectors(model, lambda: list(rows), lambda: "v1", field="section")  # type: ignore[arg-type]
    query = model.embed_queries(["refund"])[0]
    scores = headings.get().scores(query / np.linalg.norm(query), ["en"])
    assert set(scores) == {"en/billing", "en/track"}
    best = model.embed_queries(["Refund a charge"])[0]
    assert np.isclose(scores["en/billing"], float(query @ best) / np.linalg.norm(query) / np.linalg.norm(best))
    assert model.embedded.count("Refund a charge") == 2  # once by the index build, once by this test


def test_titles_can_be_embedded_in_query_form() -> None:
    rows = [{"key": "ar/refund", "lang": "ar", "title": "موعد الاسترداد"}]
    model = _QueryFormEmbedder()
    TitleVectors(model, lambda: list(rows), lambda: "v1", as_queries=True).get()  # type: ignore[arg-type]
    assert model.as_queries == ["موعد الاسترداد"]
    plain = _QueryFormEmbedder()
    TitleVectors(plain, lambda: list(rows), lambda: "v1").get()  # type: ignore[arg-type]
    assert plain.as_queries == [] and plain.embedded == ["موعد الاسترداد"]
