"""Common query terms (copilot.common_terms): BM25's query terms weighed by the index's own chunk frequencies.

A small fake index: a numbered series whose six short steps all say "employee" (in the breadcrumb and twice
in the body), and one long page that says "verification" once. Scored as Qdrant scores a sparse query (query
weight x IDF x the document's BM25 tf weight), "employee verification" puts a step first; with the
common word counted by its IDF over the IDF at COMMON_SHARE, the verification page goes first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.common_terms import ChunkFrequencies, idf
from copilot.retrieval import LEVERS, Retriever
from indexer.lexical import LexicalEncoder, SparseVector
from kb.settings import Settings

# The verification page is long: its one "verification" gets a low tf weight beside the steps' repeated word.
LONG = " ".join(f"Users confirm each sign-in on device {n} with a code from the app." for n in range(25))
ROWS = [
    *(
        {
            "lang": "en",
            "title": f"Step {n}: offboard a former employee",
            "heading_path": [f"Part {n}"],
            "text": f"Task {n} for the employee leaving: the employee account {word}.",
        }
        for n, word in enumerate(("blocks", "keeps", "wipes", "forwards", "moves", "frees"), 1)
    ),
    {"lang": "en", "title": "Set up verification", "heading_path": [], "text": LONG},
    *({"lang": "en", "title": f"Topic {n}", "heading_path": [], "text": f"Something else {n}."} for n in range(13)),
    {"lang": "ar", "title": "إعداد التحقق", "heading_path": [], "text": "يؤكد المستخدمون الدخول برمز."},
]
ENCODER = LexicalEncoder()


def _frequencies() -> ChunkFrequencies:
    return ChunkFrequencies.of(ROWS, lambda text, lang: ENCODER.encode_document(text, lang).indices)


def _term(word: str) -> int:
    return ENCODER.encode_query(word, "en").indices[0]


def _scores(query: SparseVector, frequencies: ChunkFrequencies) -> list[str]:
    """The chunks' titles, best first, as Qdrant's IDF modifier scores a sparse query."""
    weights = dict(zip(query.indices, query.values, strict=True))
    scored = []
    for row in ROWS[:7]:
        text = " > ".join([str(row["title"]), *row["heading_path"]]) + f"\n\n{row['text']}"
        doc = ENCODER.encode_document(text, "en")
        pairs = zip(doc.indices, doc.values, strict=True)
        score = sum(weights.get(t, 0.0) * frequencies.idf("en", t) * v for t, v in pairs)
        scored.append((score, str(row["title"])))
    return [title for _, title in sorted(scored, reverse=True)]


def test_counts_each_chunk_once_per_language_with_its_breadcrumb() -> None:
    frequencies = _frequencies()
    assert frequencies.chunks == {"en": 20, "ar": 1}
    assert frequencies.counts["en"][_term("employee")] == 6  # title and body in each step: one chunk each
    assert frequencies.counts["en"][_term("part")] == 6  # the heading path counts as the index encodes it
    assert frequencies.counts["en"][_term("verification")] == 1
    assert frequencies.idf("en", _term("verification")) == pytest.approx(idf(20, 1))


def test_a_term_beyond_the_share_counts_by_its_idf_over_the_share_s() -> None:
    frequencies = _frequencies()
    assert frequencies.factor("en", _term("verification"), share=0.1) == 1.0
    assert frequencies.factor("en", _term("employee"), share=0.1) == pytest.approx(idf(20, 6) / idf(20, 2))
    assert frequencies.factor("en", _term("employee"), share=0.5) == 1.0  # under the share: counts fully
    assert frequencies.factor("fr", _term("employee"), share=0.1) == 1.0  # a language with no chunks: alike


def test_weighing_puts_the_page_holding_the_rare_word_above_the_series_step() -> None:
    frequencies = _frequencies()
    query = ENCODER.encode_query("employee verification", "en")
    assert _scores(query, frequencies)[0].startswith("Step")  # the step's repeated word outweighs
    weighed = frequencies.weigh(query, "en", share=0.1, sharpen=0.0)
    assert _scores(weighed, frequencies)[0] == "Set up verification"
    assert dict(zip(weighed.indices, weighed.values, strict=True))[_term("verification")] == 1.0
    # sharpened, the rare word gains and the common one loses, alone it is unchanged
    sharp = frequencies.weigh(query, "en", share=1.0, sharpen=1.0)
    values = dict(zip(sharp.indices, sharp.values, strict=True))
    assert values[_term("verification")] > 1.0 > values[_term("employee")]
    alone = ENCODER.encode_query("employee", "en")
    assert frequencies.weigh(alone, "en", share=1.0, sharpen=1.0).values == pytest.approx(alone.values)


class _Payloads:
    def version(self) -> str:
        return "v1"

    def payloads(self, fields: tuple[str, ...]) -> list[dict]:
        return [dict(row) for row in ROWS]


def test_the_retriever_builds_the_view_only_with_the_lever_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    retriever = Retriever(settings, _Payloads(), [])  # type: ignore[arg-type]
    monkeypatch.setitem(LEVERS, "common_terms", False)
    assert retriever._chunk_frequencies not in retriever._views()
    monkeypatch.setitem(LEVERS, "common_terms", True)
    assert retriever._chunk_frequencies in retriever._views()
    assert retriever._chunk_frequencies.get().counts["en"][_term("employee")] == 6
