"""Do two models agree on the article a cross-lingual question is about?

When only another language's articles can answer, the fallback's first article is ranked mostly by
USE (the model aligned across languages). e5 reads the question differently (it is not aligned across
languages, but Arabic and English product words still meet in it). An out-of-scope question lands
somewhere for each model on its own, so the two should disagree more often than they do on a question
the help center answers, where both are pulled to the same article. The evidence is e5's best title
(retrieval's "title_e5" view) against the first candidate's article: no constant, no word list, on
whatever titles the index has.

Read on the demo (bench/eval_retrieval.py --suite, the "e5 agreement" line; bench/RESULTS.md "Session 14,
xabstain4"), it does not separate: e5's best title is not the first article for 56% of the answerable Arabic
questions over English-only articles and 88% of the out-of-scope ones (English over Arabic-only: 59% and 78%),
and the out-of-scope questions the share floors miss score chunk shares above the answerable dialect questions
that both models read poorly. So retrieval reads it as a signal (`cross_e5_agrees`) and gates a chunk-share
floor with it behind LEVERS["e5_agreement"], off, with no floor fitted.
"""

from __future__ import annotations


def agrees(scores: dict[str, float], key: str) -> float | None:
    """1.0 when `key` is the best-scoring key of `scores` (a model's title cosines by article key), else
    0.0; None when there are no scores to agree with."""
    if not scores:
        return None
    return 1.0 if max(scores, key=lambda other: scores[other]) == key else 0.0
