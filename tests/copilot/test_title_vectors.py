"""Title vectors: one per article and language, from the live index, re-embedded only when a title changes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from copilot.title_vectors import TitleVectors


class _CountingEmbedder:
    """A unit-test model: a title's vector is its letters' counts, and every text embedded is kept."""

    name = "use"
    model_id = "letters"
    dim = 26

    def __init__(self) -> None:
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
    model = _CountingEmbedder()
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
