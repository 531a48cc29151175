"""The question's content words as the missing-translation fallback's USE query (lever content_words, off).

An Arabic customer over an English-only help center frames the question in words the article never
says: dialect particles ("بعد ما", "حق", "مرة"), question words, "كيف اعرف اذا". The dense models embed
the whole question, and for USE the frame weighs as much as the topic: over the English-only articles,
USE alone ranks the answer at MRR@10 0.606 on the whole question and 0.631 on its content words on
GNOME Help's 72 Arabic dev questions, 0.577 and 0.601 on the demo's 170 (bench/RESULTS.md "Session 20,
gnomexl20").

The content words are the ones the lexical index keeps (`indexer.lexical.LexicalEncoder.encode_query`
gives a word a term): the query language's own stopword list, in the index's analyzer, not a list written
for a help center. With copilot.retrieval LEVERS["content_words"] the fallback's USE ranking of the other
language's chunks is asked those words (MODE "replace"; "add": as one more ranking at CONTENT_WEIGHT).
Off: hybrid gnome ar>en 0.696 -> 0.712, but the demo's ar>en 0.798 -> 0.797 (3 questions down, 2 up).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from indexer.stores.base import PayloadFilter, Source

# The models whose content-word vector ranks. USE only: on the same dev questions e5 ranks the answer lower
# on the content words than on the whole question (gnome 0.602 -> 0.537, demo 0.610 -> 0.568): e5 reads
# the question words ("كيف", "هل") that make a query a query.
MODELS = ("use",)
# The content query's share of its model's weight in the fallback's fusion (copilot.retrieval
# CROSS_LINGUAL_WEIGHTS).
CONTENT_WEIGHT = 0.5

# The query languages and registers (copilot.retrieval.query_register) whose content words rank. Arabic only:
# "add" on English questions over Arabic-only articles cost demo en>ar 0.803 -> 0.800 and m365 en>ar 0.806 -> 0.791.
LANGS: tuple[str, ...] = ("ar",)
REGISTERS: tuple[str, ...] = ("plain", "dialect", "mixed")
# "add": the content vector is one more ranking beside the whole query's; "replace": it ranks in its place.
MODE = "replace"

_WORD = re.compile(r"\w+")


def applies(lang: str, register: str) -> bool:
    """Whether a query of this language and register asks the fallback by its content words too."""
    return lang in LANGS and register in REGISTERS


def content_text(text: str, keeps: Callable[[str], bool]) -> str | None:
    """`text`'s words that `keeps` (a word the lexical index gives a term), in order; None when that drops
    no word (the vector would be the query's own) or every word (nothing left to ask)."""
    words = _WORD.findall(text)
    kept = [word for word in words if keeps(word)]
    if not kept or len(kept) == len(words):
        return None
    return " ".join(kept)


def content_sources(
    vectors: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    where: PayloadFilter,
    models: Iterable[str] = MODELS,
) -> list[Source]:
    """The content words' dense rankings, each at CONTENT_WEIGHT of its model's weight in the fusion beside it."""
    chosen = set(models)
    return [
        Source(name, vector, where, CONTENT_WEIGHT * weights.get(name, 1.0))
        for name, vector in vectors.items()
        if name in chosen and weights.get(name, 1.0) > 0
    ]


def with_content(
    sources: list[Source], vectors: Mapping[str, np.ndarray], weights: Mapping[str, float], where: PayloadFilter
) -> list[Source]:
    """`sources` with the content words' rankings (`content_sources`): added, or (MODE "replace") each in place of
    its model's whole-query ranking over `where`, at that ranking's weight."""
    if MODE != "replace":
        return [*sources, *content_sources(vectors, weights, where)]
    chosen = {name: vector for name, vector in vectors.items() if name in MODELS}
    out = []
    for source in sources:  # each model's first ranking over `where` is the whole query's (intents come after)
        vector = chosen.pop(source.vector_name, None) if source.filter == where else None
        out.append(source if vector is None else Source(source.vector_name, vector, source.filter, source.weight))
    return out
