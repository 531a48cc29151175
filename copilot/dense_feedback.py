"""Dense-guided lexical feedback: the rare words of the dense models' best articles, searched lexically too.

A customer's words can share no stem with the article's ("ادي" for منح, "رجعت" for إعادة تنشيط): BM25 finds
nothing, the synonym and term tables hold no pair for it (a help center with no translated articles mines
none), while the dense models often do rank the article. Pseudo-relevance feedback (RM3-style) bridges the
two without any word list: the best chunks of the first FEEDBACK_ARTICLES articles the dense models rank
give the FEEDBACK_TERMS words the query lacks that are rarest in the language's articles (highest IDF,
`FeedbackVocabulary`), and the lexical side searches them at a low weight (retrieval.EXPANSION_WEIGHTS
"feedback"). They are ranking evidence only, never evidence that an answer exists: the dense models rank
something for any question, out-of-scope ones too (copilot.retrieval.Expansion.lexical_parts).

Fed on every query, the feedback re-votes for the dense ranking, which already votes in the fusion: it
gains where the dense models are right and BM25 wrong and loses as often where BM25 was right (bench/RESULTS.md
"Session 14, bridge4"). `agreed_article` singles out the first case as well as rankings can tell it: e5 and USE
rank the same article first (two models of different training agreeing) and BM25 does not rank it among its
first LEXICAL_MISS_TOP articles; the feedback then comes from that article alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from copilot.expansion import fold
from copilot.section_coverage import article_counts

_WORD = re.compile(r"\w+")
FEEDBACK_ARTICLES = 2  # the dense models' first articles whose best chunk gives terms
FEEDBACK_TERMS = 4  # terms added, rarest first
MIN_LETTERS = 3  # shorter folded words are particles and clitic remnants
AGREE_TOP = 1  # e5 and USE agree on an article both rank within their first AGREE_TOP articles
LEXICAL_MISS_TOP = 3  # ... that BM25 does not rank within its first LEXICAL_MISS_TOP: the lexical side missed it
AGREE_CHUNKS = 20  # chunks read per dense ranking for its first articles (an article's several chunks can lead)
LEXICAL_CHUNKS = 50  # chunks read of BM25's ranking for its first LEXICAL_MISS_TOP articles


def feedback_words(text: str) -> list[str]:
    """A text's words as the lexical side folds them, without short ones and numbers."""
    return [w for w in fold(text) if len(w) >= MIN_LETTERS and not w.isdigit()]


def written_forms(text: str) -> dict[str, str]:
    """Each folded word of `text` (`feedback_words`) with its first written form: the lexical encoder folds
    what it is given, and folding a folded word again can strip a letter the word needs."""
    forms: dict[str, str] = {}
    for written in _WORD.findall(text):
        for word in feedback_words(written):
            forms.setdefault(word, written.lower())
    return forms


@dataclass(frozen=True)
class FeedbackVocabulary:
    """Per language, how many articles hold each folded word (`df`) and how many articles there are."""

    df: Mapping[str, Mapping[str, int]]
    articles: Mapping[str, int]

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, object]]) -> FeedbackVocabulary:
        """From the index's chunk payloads (key, lang, title, text)."""
        held: dict[tuple[str, str], set[str]] = {}
        for row in rows:
            text = f"{row.get('title', '')} {row.get('text', '')}"
            held.setdefault((str(row.get("lang", "")), str(row.get("key", ""))), set()).update(feedback_words(text))
        return cls(*article_counts(held))

    def idf(self, word: str, lang: str) -> float:
        """log((N + 1) / (df + 1)): a word every article holds weighs about nothing."""
        return math.log((self.articles.get(lang, 0) + 1) / (self.df.get(lang, {}).get(word, 0) + 1))


def asks_unheld(query: str, lang: str, vocabulary: FeedbackVocabulary) -> bool:
    """Whether the query types a word no article of `lang` holds: the lexical side cannot read all of it, so the
    dense models' articles are where its words can come from. A query BM25 reads whole gets no feedback: there
    the dense models' first articles only pull the lexical side toward their own mistakes."""
    counts = vocabulary.df.get(lang, {})
    return any(word not in counts for word in feedback_words(query))


def feedback_terms(
    asked: str, sections: Sequence[str], lang: str, vocabulary: FeedbackVocabulary, limit: int = FEEDBACK_TERMS
) -> tuple[str, ...]:
    """The `limit` words (as written) of `sections` (the dense models' best chunks' texts, best first) that
    `asked` (the query and what the lexical side already searches for it) lacks, by IDF times the number of
    sections holding them; a word only one article of the language holds counts too (the dense models' find)."""
    have = set(feedback_words(asked))
    seen: dict[str, int] = {}
    written: dict[str, str] = {}
    for section in sections:
        forms = written_forms(section)
        for word in (w for w in forms if w not in have):
            seen[word] = seen.get(word, 0) + 1
            written.setdefault(word, forms[word])
    scored = sorted(seen, key=lambda w: -vocabulary.idf(w, lang) * seen[w])  # stable: a tie goes to the better chunk
    return tuple(written[w] for w in scored if vocabulary.idf(w, lang) > 0)[:limit]


def first_articles(keys: Iterable[str], limit: int) -> list[str]:
    """The first `limit` distinct articles of a ranking given as its chunks' article keys, best first."""
    out: list[str] = []
    for key in keys:
        if key not in out:
            if len(out) == limit:
                break
            out.append(key)
    return out


def agreed_article(
    e5: Sequence[str],
    use: Sequence[str],
    lexical: Sequence[str],
    agree_top: int | None = None,
    lexical_top: int | None = None,
) -> str | None:
    """The article e5 and USE both rank within their first `agree_top` articles (e5's better one if two) when
    BM25 does not rank it within its first `lexical_top`, else None (None: AGREE_TOP, LEXICAL_MISS_TOP as they are
    when called, so a bench can set them). Each ranking is its chunks' article keys, best first; a lexical side
    that ranks nothing (no searchable word) missed it too. Where BM25 ranks it high the fusion has it already,
    and where the dense models disagree one of them is wrong: no feedback."""
    both = set(first_articles(use, agree_top or AGREE_TOP))
    agreed = next((key for key in first_articles(e5, agree_top or AGREE_TOP) if key in both), None)
    if agreed is None or agreed in first_articles(lexical, lexical_top or LEXICAL_MISS_TOP):
        return None
    return agreed
