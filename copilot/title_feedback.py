"""Pseudo-relevance feedback on titles, for one direction: English queries over Arabic articles.

An English question over a help center whose answer exists only in Arabic is ranked by the
cross-lingual fallback (copilot.retrieval._missing_translations): both models' chunks fused, then
the articles' titles and headings as more rankings. There the two models disagree most: over the
answerable English queries of both dev domains the answering Arabic article loses mostly to a
neighbour that e5's *chunks* rank higher (demo: 46 of 56 misses, m365 15 of 23), while e5 and USE
on the *titles* rank the answer above that neighbour more often than not. The first candidates,
when both models' titles agree on them, are mostly the right topic even when not the right article:
their Arabic titles say, in the articles' own language and words, what the English query means.
Adding their e5 title vectors to the query's (Rocchio's feedback, one step) and ranking the titles
again pulls up the article whose title is nearest that topic in Arabic, as one more RRF source.

Only the candidates both models agree on are feedback: of the first FEEDBACK_ARTICLES of the
ranking, those that e5 and USE each place among their first FEEDBACK_AGREEMENT titles (a candidate one model
alone likes is the disagreement this lever must not amplify). Applied per direction
(copilot.retrieval.FEEDBACK_DIRECTIONS): the same feedback on Arabic queries over English
articles cost that direction up to 0.010 MRR@10 (bench/RESULTS.md "Session 5, cross-lingual
ranking"); see "Session 6, English over Arabic-only ranking" for this version's figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from copilot.title_vectors import TitleMatrix

FEEDBACK_ARTICLES = 2  # at most this many agreed candidates feed the query back
FEEDBACK_AGREEMENT = 10  # a candidate is agreed on when both models' titles rank it this high or better
FEEDBACK_BETA = 1.0  # the feedback's weight beside the query's own unit vector


def top_keys(scores: dict[str, float], depth: int) -> set[str]:
    """The `depth` best-scoring article keys."""
    return set(sorted(scores, key=lambda key: -scores[key])[:depth])


def agreed_candidates(
    ranked: Sequence[str],
    rankings: Sequence[dict[str, float]],
    depth: int = FEEDBACK_AGREEMENT,
    count: int = FEEDBACK_ARTICLES,
) -> list[str]:
    """Of the first `count` keys of `ranked`, those every ranking (cosines by key) places in its first
    `depth`: a lower candidate never stands in for a first one the models disagree on (taking the
    first agreed ones from anywhere in the ranking cost m365 0.003 where this gains 0.002)."""
    if not rankings:
        return []
    tops = [top_keys(scores, depth) for scores in rankings]
    return [key for key in ranked[:count] if all(key in top for top in tops)]


def feedback_query(
    query: np.ndarray, titles: TitleMatrix, keys: Sequence[str], beta: float = FEEDBACK_BETA
) -> np.ndarray | None:
    """The query's unit vector plus `beta` times the mean title vector of `keys` (any language of
    `titles`); None when none of the keys has a title there."""
    wanted = set(keys)
    rows = [
        titles.vectors[lang][row]
        for lang, lang_keys in titles.keys.items()
        for row, key in enumerate(lang_keys)
        if key in wanted
    ]
    if not rows:
        return None
    unit = query / max(float(np.linalg.norm(query)), 1e-9)
    moved = unit + beta * np.mean(rows, axis=0)
    return moved / max(float(np.linalg.norm(moved)), 1e-9)
