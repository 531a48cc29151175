"""The index words the dense models put nearest a question word the index never holds.

A customer's dialect word ("ادي", "اشيل", "وين") can occur nowhere in an MSA help center: BM25 gets
nothing from it, the fixed dialect list does not hold it, and the index-vocabulary families (roots,
spellings, edit distance: copilot.vocabulary_variants, copilot.spelling_families) only reach words
that look like it. The dense models embed single words too, and the index's vocabulary is finite: it
is embedded once per index version (`WordVectors`, only new words; the words of at least
MIN_ARTICLES articles, a word one article prints is mostly a name or a code token), and a question
word no article holds brings its NEAREST index word that both models put within their first AGREE,
above each model's FLOORS cosine, at a low weight on the lexical side (retrieval.EXPANSION_WEIGHTS
["nearest"]), ranking only: the models' neighbour is a guess, never evidence that an answer exists
(retrieval.Expansion.lexical_parts). One model's nearest word alone is in the question's right article
12-15% of the time on m365 (4-5% by chance), both models' agreed one 33% (bench/nearest_words.py); but
the dialect verbs the bridge was meant for ("ادي", "اخلي", "خلصت") get no agreed neighbour, the models'
nearest to them are look-alikes ("ادي": aad, الأحادي). LEVERS["nearest_words"] is off (bench/RESULTS.md
"Session 16, nearword6").

Words are the lexical index's own (copilot.term_table.TermMiner: the analyzer's term ids, each kept
with its most frequent written form), so "held" means what BM25 means by it. No word list; nothing
from another help center.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from copilot.term_table import TermMiner
from indexer.embedders import Embedder
from kb.arabic import is_dialect_word, normalize_arabic

MIN_ARTICLES = 2  # vocabulary: words at least this many articles of the language print
MIN_LETTERS = 3  # shorter question words are particles and clitic remnants
NEAREST = 1  # index words an absent question word brings, nearest first
AGREE = 3  # ... that every model puts within its first AGREE: one model's neighbour alone is noise too often
# Per model, the cosine an index word must reach to be brought (bench/nearest_words.py measured the rate at
# which a neighbour is in the right article, per cosine band).
FLOORS = {"e5": 0.9, "use": 0.6}
PAYLOAD_FIELDS = ("key", "lang", "title", "heading_path", "text")
_WORD = re.compile(r"\w+")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexWords:
    """Per language: every term id an article holds, and the vocabulary worth embedding (the written form
    of each term at least `min_articles` articles hold, with that count), most frequent first."""

    held: Mapping[str, frozenset[int]]
    words: Mapping[str, tuple[str, ...]]
    df: Mapping[str, Mapping[str, int]]  # written vocabulary word -> articles holding its term
    articles: Mapping[str, int]

    @classmethod
    def of(
        cls, miner: TermMiner, payloads: Iterable[Mapping[str, object]], min_articles: int = MIN_ARTICLES
    ) -> IndexWords:
        """From the index's chunk payloads (key, lang, title, heading_path, text): the text the lexical
        index encodes (kb.chunking.Chunk.embed_text) is the title, the heading path and the body."""
        by_article: dict[tuple[str, str], set[int]] = defaultdict(set)
        forms: dict[str, dict[int, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        for row in payloads:
            lang = str(row.get("lang", ""))
            path = row.get("heading_path")
            headings = [str(h) for h in path] if isinstance(path, list) else []
            text = " ".join([str(row.get("title", "")), *headings, str(row.get("text", ""))])
            by_article[(lang, str(row.get("key", "")))] |= miner.terms(text, lang, forms[lang])
        counts: dict[str, Counter[int]] = defaultdict(Counter)
        articles: Counter[str] = Counter()
        for (lang, _), terms in by_article.items():
            counts[lang].update(terms)
            articles[lang] += 1
        words: dict[str, tuple[str, ...]] = {}
        df: dict[str, dict[str, int]] = {}
        for lang, count in counts.items():
            kept = [(n, forms[lang][t].most_common(1)[0][0]) for t, n in count.most_common() if n >= min_articles]
            df[lang] = {}
            for n, word in kept:
                df[lang].setdefault(word, n)
            words[lang] = tuple(df[lang])
        held = {lang: frozenset(count) for lang, count in counts.items()}
        return cls(held, words, df, dict(articles))

    def absent(self, query: str, lang: str, miner: TermMiner) -> list[str]:
        """The query's words (lowercase, as typed) whose index terms no article of `lang` holds: not stopwords
        (no term), numbers, short words, nor dialect words the rewrite reads already (kb.arabic)."""
        held = self.held.get(lang, frozenset())
        out: list[str] = []
        for word in _WORD.findall(query.lower()):
            if len(word) < MIN_LETTERS or word.isdigit() or word in out or is_dialect_word(normalize_arabic(word)):
                continue
            terms = miner.term_ids(word, lang)
            if terms and not any(t in held for t in terms):
                out.append(word)
        return out


@dataclass(frozen=True)
class WordMatrix:
    """One model's unit vectors of the vocabulary, per language, row for row with `words`."""

    words: Mapping[str, tuple[str, ...]]
    vectors: Mapping[str, np.ndarray]

    def nearest(self, queries: np.ndarray, lang: str, k: int) -> list[list[tuple[str, float]]]:
        """Per row of `queries` (unit vectors), the `k` nearest vocabulary words of `lang` and their cosines."""
        matrix = self.vectors.get(lang)
        if matrix is None or not len(matrix) or not len(queries):
            return [[] for _ in range(len(queries))]
        scores = queries @ matrix.T
        k = min(k, matrix.shape[0])
        out: list[list[tuple[str, float]]] = []
        for row in scores:
            top = np.argpartition(-row, k - 1)[:k]
            top = top[np.argsort(-row[top], kind="stable")]
            out.append([(self.words[lang][i], float(row[i])) for i in top])
        return out

    @property
    def nbytes(self) -> int:
        return sum(int(m.nbytes) for m in self.vectors.values())


def unit(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)).astype(np.float32)


class WordVectors:
    """A model's vectors of the index's vocabulary, each word embedded once (kept across index versions
    while the index still holds it), single words in the model's query form on both sides."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def build(self, words: Mapping[str, Sequence[str]]) -> WordMatrix:
        with self._lock:
            wanted = {w for ws in words.values() for w in ws}
            new = sorted(wanted - set(self._known))
            for start in range(0, len(new), 256):
                batch = new[start : start + 256]
                for word, vector in zip(batch, unit(self.embedder.embed_queries(batch)), strict=True):
                    self._known[word] = vector
            self._known = {w: v for w, v in self._known.items() if w in wanted}
            vectors = {
                lang: np.stack([self._known[w] for w in ws]) if ws else np.zeros((0, self.embedder.dim), np.float32)
                for lang, ws in words.items()
            }
        return WordMatrix({lang: tuple(ws) for lang, ws in words.items()}, vectors)


def neighbours(
    absent: Sequence[str],
    lang: str,
    matrices: Mapping[str, WordMatrix],
    embedders: Mapping[str, Embedder],
    limit: int = NEAREST,
    floors: Mapping[str, float] | None = None,
) -> list[str]:
    """Per absent word, the index words every model (of those with a floor, FLOORS when None) puts within its
    first AGREE above its floor, in the first model's order, at most `limit` each; with one model, its first
    `limit`. Each index word once (an absent word is in no article, so in no model's vocabulary)."""
    floors = FLOORS if floors is None else floors
    models = [(m, embedders[n], floors[n]) for n, m in matrices.items() if n in embedders and n in floors]
    if not absent or not models:
        return []
    window = AGREE if len(models) > 1 else limit
    found = []
    for matrix, embedder, floor in models:
        nearest = matrix.nearest(unit(embedder.embed_queries(list(absent))), lang, window)
        found.append([[w for w, score in near if score >= floor] for near in nearest])
    out: list[str] = []
    for position in range(len(absent)):
        first, *others = (model[position] for model in found)
        agreed = [w for w in first if all(w in other for other in others) and w not in out]
        out += agreed[:limit]
    return out


@dataclass(frozen=True)
class NearestTable:
    """What one index version's searches read: its words, and each model's vectors of its vocabulary."""

    words: IndexWords
    matrices: Mapping[str, WordMatrix]
    embedders: Mapping[str, Embedder]  # the models that embedded the matrices, by name: the query words' too

    @classmethod
    def build(cls, words: IndexWords, vectors: Sequence[WordVectors]) -> NearestTable:
        started = time.perf_counter()
        chosen = [v for v in vectors if v.embedder.name in FLOORS]
        matrices = {v.embedder.name: v.build(words.words) for v in chosen}
        log.info(
            "nearest words: %s words embedded by %s in %.1f s, %.1f MB",
            sum(len(w) for w in words.words.values()),
            "/".join(matrices),
            time.perf_counter() - started,
            sum(m.nbytes for m in matrices.values()) / 1e6,
        )
        return cls(words, matrices, {v.embedder.name: v.embedder for v in chosen})

    def neighbours(self, query: str, lang: str, miner: TermMiner) -> list[str]:
        """The index words nearest the query's words no article of `lang` holds (`neighbours`)."""
        return neighbours(self.words.absent(query, lang, miner), lang, self.matrices, self.embedders)
