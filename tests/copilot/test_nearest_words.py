"""The index words nearest a question word no article holds: the vocabulary, the neighbour table, the expansion."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from copilot import retrieval
from copilot.engine import Engine
from copilot.nearest_words import PAYLOAD_FIELDS as NEAREST_FIELDS
from copilot.nearest_words import IndexWords, NearestTable, WordVectors, neighbours
from copilot.retrieval import Expansion
from copilot.term_table import TermMiner
from indexer.embedders import Embedder
from indexer.lexical import LexicalEncoder
from kb.settings import Settings
from tests.conftest import copy_slice, indexed_engine

MINER = TermMiner(LexicalEncoder())


class TableEmbedder:
    """A unit-test model: each word's vector is given (unknown words point nowhere near them); every word
    embedded is kept."""

    model_id = "table"
    dim = 3

    def __init__(self, name: str, vectors: dict[str, Sequence[float]]) -> None:
        self.name = name
        self.vectors = vectors
        self.embedded: list[str] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += texts
        return np.array([self.vectors.get(t, (0.0, 0.0, 1.0)) for t in texts], dtype=np.float32)

    embed_passages = embed_queries


def _row(key: str, text: str, lang: str = "ar", title: str = "") -> dict:
    return {"key": f"{lang}/{key}", "lang": lang, "title": title, "heading_path": [], "text": text}


ROWS = [
    _row("grant", "منح الترخيص للمستخدم", title="منح التراخيص"),
    _row("grant", "خطوات منح الترخيص"),  # a second chunk of the same article: one article
    _row("remove", "إزالة الترخيص من المستخدم", title="إزالة ترخيص"),
    _row("mailbox", "صندوق البريد المشترك والتقويم"),
    _row("mailbox-perms", "اذونات صندوق البريد", title="منح اذونات"),
    _row("refund", "Refund a licence", lang="en"),
]


def test_the_vocabulary_is_the_words_two_articles_hold_and_held_is_every_term() -> None:
    words = IndexWords.of(MINER, ROWS)
    assert words.articles == {"ar": 4, "en": 1}
    vocabulary = set(words.words["ar"])
    assert {"منح", "الترخيص", "صندوق", "البريد"} <= vocabulary  # each in two articles (grant's two chunks count once)
    assert "والتقويم" not in vocabulary and "إزالة" not in vocabulary  # one article each
    assert words.df["ar"]["منح"] == 2
    assert words.words["en"] == ()  # one English article: nothing in two
    assert words.held["ar"] >= set(MINER.terms("والتقويم إزالة", "ar"))


def test_absent_words_are_those_no_article_of_the_language_holds() -> None:
    words = IndexWords.of(MINER, ROWS)
    assert words.absent("كيف ادي زميلي الترخيص", "ar", MINER) == ["ادي", "زميلي"]
    assert words.absent("ازالة الترخيص 365", "ar", MINER) == []  # held (hamza folded), a number
    assert words.absent("عايز امنح", "ar", MINER) == ["امنح"]  # عايز is the dialect list's (read as MSA already)
    assert words.absent("refund my licence", "en", MINER) == []  # "my" is a stopword
    assert words.absent("refund", "ar", MINER) == ["refund"]  # no Arabic article prints it


def _table(embedders: list[TableEmbedder]) -> NearestTable:
    return NearestTable.build(IndexWords.of(MINER, ROWS), [WordVectors(e) for e in embedders])  # type: ignore[arg-type]


E5 = {"ادي": (1.0, 0.0, 0.0), "منح": (0.95, 0.31, 0.0), "الترخيص": (0.6, 0.8, 0.0), "زميلي": (0.0, 0.8, 0.6)}
USE = {"ادي": (1.0, 0.0, 0.0), "منح": (0.5, 0.86, 0.0), "صندوق": (0.7, 0.71, 0.0)}


def test_a_neighbour_counts_when_every_model_puts_it_near_above_its_floor() -> None:
    e5, use = TableEmbedder("e5", E5), TableEmbedder("use", USE)
    table = _table([e5, use])
    models = {"e5": e5, "use": use}
    near = partial(neighbours, ["ادي"], "ar", table.matrices, models)  # type: ignore[arg-type]
    assert near(floors={"e5": 0.9, "use": 0.4}) == ["منح"]  # e5's nearest (0.95), USE's second (0.50)
    assert near(floors={"e5": 0.9, "use": 0.6}) == []  # USE's منح under its floor: the models disagree
    assert near(floors={"e5": 0.96, "use": 0.4}) == []  # e5's منح under its floor
    assert near(floors={"use": 0.6}) == ["صندوق"]  # one model: its nearest above its floor
    assert near(floors={"use": 0.6}, limit=2) == ["صندوق"]  # منح (0.50) stays under it
    assert neighbours([], "ar", table.matrices, models) == []  # type: ignore[arg-type]
    assert neighbours(["ادي"], "en", table.matrices, models) == []  # type: ignore[arg-type]


def test_each_index_word_is_brought_once() -> None:
    e5 = TableEmbedder("e5", {**E5, "اعطي": (0.9, 0.44, 0.0)})
    table = _table([e5])
    near = partial(neighbours, lang="ar", matrices=table.matrices, embedders={"e5": e5}, floors={"e5": 0.5})
    assert near(["ادي", "اعطي"], limit=2) == ["منح", "الترخيص"]  # both words' nearest two, each once
    assert near(["ادي", "اعطي"], limit=1) == ["منح"]


def test_the_vocabulary_is_embedded_once_across_index_versions() -> None:
    e5 = TableEmbedder("e5", E5)
    vectors = WordVectors(e5)  # type: ignore[arg-type]
    vectors.build({"ar": ("منح", "الترخيص")})
    matrix = vectors.build({"ar": ("منح", "صندوق")})
    assert e5.embedded == ["الترخيص", "منح", "صندوق"]  # منح once; الترخيص left the index, so it is dropped
    assert matrix.words["ar"] == ("منح", "صندوق") and matrix.vectors["ar"].shape == (2, 3)
    assert np.allclose(np.linalg.norm(matrix.vectors["ar"], axis=1), 1.0)


def test_nearest_words_rank_but_are_no_evidence_for_abstaining() -> None:
    expansion = Expansion(msa="ادي الترخيص", nearest=("منح",))
    weight = retrieval.EXPANSION_WEIGHTS["nearest"]
    assert ("منح", weight) in expansion.lexical_parts("ادي الترخيص")
    assert all("منح" not in text for text, _ in expansion.lexical_parts("ادي الترخيص", ranking=False))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Iterator[Engine]:
    root: Path = tmp_path_factory.mktemp("nearest-words")
    settings = Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data")
    yield from indexed_engine(settings, embedders)


def test_a_word_no_article_holds_searches_its_nearest_index_word_with_the_lever_on(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With fake models that put "زلطات" (no article holds it) next to "رسوم" (fees): the lever on, the lexical
    side searches رسوم for it and finds the delivery fees first; off, it searches the typed word alone."""
    retriever = engine.retriever
    vectors = {"زلطات": (1.0, 0.0, 0.0), "رسوم": (0.98, 0.2, 0.0)}
    models = [TableEmbedder("e5", vectors), TableEmbedder("use", vectors)]
    table = NearestTable.build(
        IndexWords.of(retriever._term_miner, engine.store.payloads(NEAREST_FIELDS)),
        [WordVectors(m) for m in models],  # type: ignore[arg-type]
    )
    assert "رسوم" in table.words.words["ar"]
    monkeypatch.setattr(retriever._nearest, "peek", lambda check=False: table)
    monkeypatch.setitem(retrieval.LEVERS, "nearest_words", True)
    plan = retriever.plan("كم زلطات", lang="ar")
    assert plan.expansion.nearest == ("رسوم",)
    lexical = retriever.search("كم زلطات", lang="ar", only="lexical").results
    assert lexical and lexical[0].key == "ar/delivery-fees"
    monkeypatch.setitem(retrieval.LEVERS, "nearest_words", False)
    assert retriever.plan("كم زلطات", lang="ar").expansion.nearest == ()
    assert not [hit for hit in retriever.search("كم زلطات", lang="ar", only="lexical").results if hit.lang == "ar"]
