"""Per-index fusion weights from the index's own text (issue #18, bench/RESULTS.md "Session 39, selffit39").

Label-free pseudo-queries built from an index's chunks: each section heading other than its article's title, and
each section's first sentence with the title's words left out (so a probe is not the title asked again); a probe's
answer is the article it came from. Each model alone (e5, USE, BM25) is asked them; its article MRR@10 against
e5's says how well it finds this index's articles relative to e5. `fitted_weights` moves the shipped USE and BM25
weights by that ratio relative to the same ratio on a reference index (the demo, where the weights were fitted),
clamped to [1/CLAMP, CLAMP] times the shipped weight. Measured offline only (bench/self_fusion.py): not wired
into the ranking; see RESULTS for why.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

MODELS = ("e5", "use", "lexical")
MIN_WORDS = 3  # a probe of fewer words says too little to be a question
MAX_WORDS = 20  # a first sentence is cut to this many words
CLAMP = 2.0  # a fitted weight stays within [shipped / CLAMP, shipped * CLAMP]
SEED = 39

_SENTENCE_END = re.compile(r"[.!?؟\n]+")
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def first_sentence(text: str, title: str) -> str | None:
    """The first sentence of `text` with at least MIN_WORDS words once `title`'s words are left out (cut to
    MAX_WORDS words); None when no sentence has that many."""
    drop = set(_words(title))
    for sentence in _SENTENCE_END.split(text):
        kept = [w for w in sentence.split() if not set(_words(w)) <= drop]
        if len(kept) >= MIN_WORDS:
            return " ".join(kept[:MAX_WORDS])
    return None


def pseudo_queries(rows: Sequence[Mapping[str, object]], size: int) -> dict[str, list[tuple[str, str]]]:
    """Per kind ("heading", "sentence"), up to `size` (probe, article id) pairs drawn (seeded) from one language's
    chunk payloads ("article_id", "title", "heading_path", "text")."""
    headings: dict[str, str] = {}
    sentences: dict[str, str] = {}
    for row in rows:
        article, title = str(row.get("article_id", "")), str(row.get("title", ""))
        path = row.get("heading_path")
        heading = str(path[-1]) if isinstance(path, list) and path else ""
        if heading and heading.strip().lower() != title.strip().lower() and len(_words(heading)) >= 2:
            headings.setdefault(heading.strip(), article)
        if (sentence := first_sentence(str(row.get("text", "")), title)) is not None:
            sentences.setdefault(sentence, article)
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, pairs in (("heading", headings), ("sentence", sentences)):
        ordered = sorted(pairs.items())
        random.Random(f"{SEED}/{kind}").shuffle(ordered)
        if ordered:
            out[kind] = ordered[:size]
    return out


def mrr(ranks: Sequence[int]) -> float:
    """MRR of 1-based ranks, 0 for not found."""
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def fitted_weights(
    own: Mapping[str, float], reference: Mapping[str, float], shipped: Mapping[str, float]
) -> dict[str, float]:
    """The shipped weights with USE's and BM25's scaled by (model / e5 self-retrieval MRR on this index) over the
    same ratio on the reference index, clamped to CLAMP either way; e5's and any other key kept."""
    out = dict(shipped)
    for model in ("use", "lexical"):
        if model not in shipped or not own.get("e5") or not reference.get("e5") or not reference.get(model):
            continue
        factor = (own[model] / own["e5"]) / (reference[model] / reference["e5"])
        out[model] = round(shipped[model] * min(CLAMP, max(1 / CLAMP, factor)), 3)
    return out
