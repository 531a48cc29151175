"""A bilingual term table mined from the help center's own translated articles.

Articles that share an id in two languages say the same thing twice: their titles translate each
other, and so (mostly) do their sections, in the same order. Counting which terms of one side
appear in the same aligned segments as which terms of the other (Dice's coefficient over titles
and sections) gives the help center's own translations of its own vocabulary ("تقسيط" ->
"instalments", "رمضان" -> "ramadan", "ضمان" -> "warranty"), words no fixed list would hold for
another help center. The table translates a query's terms into the language of the articles that
have no version in the query's language (the lexical bridge of the missing-translation
fallback, see copilot.retrieval.Expansion.cross_lingual_terms); the dense models carry the rest.

Terms are the lexical index's own (the ids its analyzer gives a word, stemmed and without
stopwords), so the table and BM25 agree on what a word is; each mined term keeps its most
frequent written form, which is what the query side hands to the other language's analyzer.
A help center with no translated pairs (m365: Arabic only) gets an empty table: nothing is
invented, and no other help center's words are shipped.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from copilot.index_view import FromIndex
from indexer.lexical import LexicalEncoder

_WORD = re.compile(r"\w{2,}")
# A pair counts when its terms share at least this many aligned segments and this Dice score:
# one shared segment is chance (every term of a title co-occurs with every other once). Measured
# held out (bench/eval_retrieval.py --term-table-folds: mined from half the demo's translated
# pairs, Arabic queries about the other half over the English-only index, MRR@10): no table
# 0.786; Dice >= 0.4 with two translations per term 0.766 (noise: "account" for "منزل"); Dice
# >= 0.6 with one 0.797 (>= 0.7: 0.792). The full table (leaky: mined from the answers' own
# translations) 0.795 at 0.4.
MIN_SHARED = 2
MIN_DICE = 0.6
MAX_TRANSLATIONS = 1


@dataclass(frozen=True)
class TermTable:
    """Per (source language, target language): source term id -> target written words, best first."""

    pairs: int = 0  # translated article pairs it was mined from
    table: dict[tuple[str, str], dict[int, tuple[str, ...]]] = field(default_factory=dict)

    def translate(self, terms: Iterable[int], source: str, target: str) -> list[str]:
        by_term = self.table.get((source, target), {})
        out: list[str] = []
        for term in terms:
            out.extend(w for w in by_term.get(term, ()) if w not in out)
        return out

    def __len__(self) -> int:
        return sum(len(t) for t in self.table.values())


class TermMiner:
    """Mines a `TermTable` from chunk payloads with the lexical index's analyzer."""

    def __init__(self, lexical: LexicalEncoder) -> None:
        self.lexical = lexical
        self._ids: dict[tuple[str, str], tuple[int, ...]] = {}

    def term_ids(self, word: str, lang: str) -> tuple[int, ...]:
        """The index's term ids of one written word (empty for a stopword); cached."""
        key = (lang, word)
        ids = self._ids.get(key)
        if ids is None:
            if len(self._ids) > 200_000:
                self._ids.clear()
            ids = tuple(self.lexical.encode_query(word, lang).indices)
            self._ids[key] = ids
        return ids

    def terms(self, text: str, lang: str, forms: dict[int, Counter[str]] | None = None) -> set[int]:
        """The term ids of a text; `forms` collects each term's written forms as they occur."""
        out: set[int] = set()
        for word in _WORD.findall(text.lower()):
            if word.isdigit():
                continue
            for term in self.term_ids(word, lang):
                out.add(term)
                if forms is not None:
                    forms[term][word] += 1
        return out

    def mine(self, payloads: Sequence[dict]) -> TermTable:
        articles = _articles(payloads)
        by_id: dict[str, dict[str, _Article]] = defaultdict(dict)
        for (lang, article_id), article in articles.items():
            by_id[article_id][lang] = article
        langs = sorted({lang for lang, _ in articles})
        table: dict[tuple[str, str], dict[int, tuple[str, ...]]] = {}
        pairs = 0
        for source in langs:
            for target in langs:
                if source >= target:
                    continue
                segments = [
                    segment
                    for versions in by_id.values()
                    if source in versions and target in versions
                    for segment in _aligned(versions[source], versions[target])
                ]
                pairs = max(pairs, sum(1 for v in by_id.values() if source in v and target in v))
                if not segments:
                    continue
                forms: dict[str, dict[int, Counter[str]]] = {source: defaultdict(Counter), target: defaultdict(Counter)}
                sides = [
                    (self.terms(a, source, forms[source]), self.terms(b, target, forms[target])) for a, b in segments
                ]
                table[(source, target)] = _translations(sides, forms[target])
                table[(target, source)] = _translations([(b, a) for a, b in sides], forms[source])
        return TermTable(pairs, table)


class LiveTermTable:
    """The live index's term table, mined again when the index changes."""

    def __init__(
        self,
        lexical: LexicalEncoder,
        payloads: Callable[[], list[dict]],
        version: Callable[[], str | None],
        background: bool = False,
    ) -> None:
        miner = TermMiner(lexical)
        # In the background for the live index: a stale table for a second only refines ranking less.
        self._table = FromIndex(version, lambda: miner.mine(payloads()), background=background)

    def get(self) -> TermTable:
        return self._table.get()


PAYLOAD_FIELDS = ("lang", "article_id", "title", "heading_path", "ordinal", "text")


@dataclass
class _Article:
    title: str = ""
    chunks: list[tuple[int, tuple[str, ...], str]] = field(default_factory=list)  # (ordinal, headings, text)

    def sections(self) -> list[str]:
        """The article's sections in order: each heading path with the text under it."""
        grouped: dict[tuple[str, ...], list[str]] = {}
        for _, headings, text in sorted(self.chunks):
            grouped.setdefault(headings, []).append(text)
        return [" ".join([*headings, *texts]) for headings, texts in grouped.items()]


def _articles(payloads: Sequence[dict]) -> dict[tuple[str, str], _Article]:
    articles: dict[tuple[str, str], _Article] = {}
    for p in payloads:
        article = articles.setdefault((str(p.get("lang", "")), str(p.get("article_id", ""))), _Article())
        article.title = str(p.get("title", ""))
        headings = p.get("heading_path")
        path = tuple(str(h) for h in headings) if isinstance(headings, list) else ()
        ordinal = p.get("ordinal")
        article.chunks.append((ordinal if isinstance(ordinal, int) else 0, path, str(p.get("text", ""))))
    return articles


def _aligned(a: _Article, b: _Article) -> list[tuple[str, str]]:
    """Segments that translate each other: the titles, and the sections when both versions have
    the same number of them (a translation that added or dropped a section cannot be aligned by
    position, so only its title counts)."""
    segments = [(a.title, b.title)]
    sa, sb = a.sections(), b.sections()
    if len(sa) == len(sb) and len(sa) > 1:
        segments += list(zip(sa, sb, strict=True))
    return segments


def _translations(
    sides: list[tuple[set[int], set[int]]], target_forms: dict[int, Counter[str]]
) -> dict[int, tuple[str, ...]]:
    """Per source term, the target terms with the best Dice score over the aligned segments."""
    source_count: Counter[int] = Counter()
    target_count: Counter[int] = Counter()
    joint: Counter[tuple[int, int]] = Counter()
    for source, target in sides:
        source_count.update(source)
        target_count.update(target)
        joint.update((s, t) for s in source for t in target)
    candidates: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for (s, t), shared in joint.items():
        if shared < MIN_SHARED:
            continue
        dice = 2 * shared / (source_count[s] + target_count[t])
        if dice >= MIN_DICE:
            candidates[s].append((dice, t))
    table: dict[int, tuple[str, ...]] = {}
    for s, scored in candidates.items():
        best = sorted(scored, reverse=True)[:MAX_TRANSLATIONS]
        table[s] = tuple(target_forms[t].most_common(1)[0][0] for _, t in best)
    return table
