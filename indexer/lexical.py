"""Sparse lexical vectors, one analyzer per language.

BM25 weighting is Qdrant's: documents get BM25 term-frequency weights from the edge engine's `Bm25`
model (Snowball stemming and stopwords per language), queries get one unit weight per term, and the
collection's IDF modifier supplies the inverse document frequency at query time. The same vectors
go to qdrant-edge and to a Qdrant server, so both stores rank the same way. Arabic text is
normalized and its conjunction/article prefixes stripped first (see `kb.arabic`), on both sides.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from qdrant_edge import Bm25, Bm25Config

from kb.arabic import light_stem

# The analyzer's version is part of the vector's name: changing how text becomes terms changes the
# name, and a store whose index has another name rebuilds (embeddings come from the cache).
SPARSE_VECTOR = "lexical-v3"
_SNOWBALL = {"en": "english", "ar": "arabic", "fr": "french", "es": "spanish", "de": "german", "tr": "turkish"}
# Chunks are short (a few hundred characters), BM25's length normalisation should know that.
_AVG_TOKENS = 60.0


@dataclass(frozen=True)
class SparseVector:
    indices: tuple[int, ...]
    values: tuple[float, ...]

    def __bool__(self) -> bool:
        return bool(self.indices)


class LexicalEncoder:
    def __init__(self) -> None:
        self._models: dict[str, Bm25] = {}
        self._lock = threading.Lock()

    def _model(self, lang: str) -> Bm25:
        with self._lock:
            model = self._models.get(lang)
            if model is None:
                model = Bm25(Bm25Config(language=_SNOWBALL.get(lang, "english"), avg_len=_AVG_TOKENS))
                self._models[lang] = model
            return model

    @staticmethod
    def prepare(text: str, lang: str) -> str:
        return light_stem(text) if lang == "ar" else text

    def encode_document(self, text: str, lang: str) -> SparseVector:
        vector = self._model(lang).embed_document(self.prepare(text, lang))
        return SparseVector(tuple(vector.indices), tuple(vector.values))

    def encode_query(self, text: str, lang: str) -> SparseVector:
        vector = self._model(lang).embed_query(self.prepare(text, lang))
        return SparseVector(tuple(vector.indices), tuple(vector.values))
