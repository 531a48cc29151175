"""Does any heading of the article search would show first say anything of what is asked?

When only another language's articles can answer (a help center not yet translated), abstaining
is judged on cross-lingual scores (retrieval's CROSS_*_FLOORS): how well the best chunk and the
best title match the question, as shares of the index's own scale. An off-topic question can
still land near one title through one shared word ("طريقة عمل الكبسة", a kabsa recipe, near
"Payment methods": "طريقة" reads as "method"), which lifts the title share above its floor. This is
evidence of another kind, read by the model that is good across languages (USE): the first
article's best text among its title and its section headings. A question that article answers
matches at least one of them a little; a question that only grazes its title matches none of them
at all. So the floor is low, near the cosine of unrelated texts: it catches the questions that
share nothing with the article, not weak matches (those the share floors judge).

HEADING_FLOOR: on the dev sets' cross-lingual cases (bench/eval_retrieval.py --suite), the lowest
answerable questions score 0.092 (demo English over Arabic-only), 0.094 (demo Arabic over
English-only) and 0.135 (m365 English over Arabic-only); the out-of-scope ones below 0.09 are 0.040
and 0.053. The floor sits between them. A raw cosine, not a share of the index's title scale: that
scale is compressed where titles are near-duplicates (m365's nearest wrong title 0.757 against the
demo's 0.509), and would move this floor into the answerable questions there; the cosine of texts
that share nothing is the model's, not the index's. bench/RESULTS.md "Session 8, abstain4".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from copilot.title_vectors import TitleMatrix

HEADING_FLOOR = 0.07


def best_heading(matrices: Sequence[TitleMatrix], key: str, lang: str, query: np.ndarray) -> float | None:
    """The best cosine of the (unit) query with article `key`'s texts in these matrices (its title,
    its headings), or None when none of them holds the article."""
    best: float | None = None
    for matrix in matrices:
        vectors = matrix.vectors.get(lang)
        rows = [row for row, other in enumerate(matrix.keys.get(lang, ())) if other == key]
        if vectors is None or not rows:
            continue
        score = float((vectors[rows] @ query).max())
        best = score if best is None else max(best, score)
    return best
