"""The cross-lingual title evidence read both ways: as the dense models read the question, and as typed.

When only another language's articles can answer (an English-only help center asked in Arabic), the
floors judge how well the best English title matches the question (`cross_title_share`, on the index's
own scale, copilot.calibration). USE embeds the question's MSA reading (retrieval.Expansion.msa: the
dialect words the list in kb.arabic knows replaced by their MSA words). That reading is partial: the
words the list knows are replaced and the rest are kept ("المندوب جه وأنا مش في البيت" reads "المندوب
وصل وأنا لا في البيت"), and a half-dialect sentence can sit further from the right title than either
the typed question or a fluent off-topic one. On the demo's Arabic questions over its English-only
articles (bench/RESULTS.md "Session 15, xfloor5"), the typed text matches the best English title better
for some dialect questions ("المندوب ما لقى البيت": title share -0.41 typed, -0.62 read) and worse for
others ("ليه اتخصم مني 69 جنيه": -0.78 typed, -0.39 read). An answerable question only needs one reading
that matches its article. An MSA question reads the same both ways, so taking the better reading changes
nothing for it, and most off-topic questions are MSA.

The typed reading is scored on the same candidates the fallback ranked, so it can only say that the
same articles match better or worse, not bring in other ones. No constant and no word list: the floors
stay the suite's fit (bench/eval_retrieval.py).
"""

from __future__ import annotations

from collections.abc import Iterable


def best_candidate_title(scores: dict[str, float], keys: Iterable[str]) -> float | None:
    """The best title cosine among the candidates' articles (`keys`), from a model's cosines by article
    key; None when no candidate has a title there."""
    found = [scores[key] for key in keys if key in scores]
    return max(found) if found else None


def better_reading(read: float, typed: float | None) -> float:
    """The title evidence of the reading that matches better: the dense models' (`read`) or, when the
    question was read as something other than what was typed, the typed text's (`typed`)."""
    return read if typed is None else max(read, typed)
