"""Sibling titles: among near-tied first articles, the one whose title says more of the question goes first.

A help center writes families of articles on one topic whose titles share most of their words and
differ in the one that says which task or thing each is about: "تقارير نشاط النماذج" and "تقارير نشاط
OneDrive" (forms and OneDrive activity reports), "توصيات نهج كلمة المرور" and "إيقاف تشغيل متطلبات
كلمات المرور القوية للمستخدمين" (a policy page and the users' strong-password setting). Their bodies
share the family's vocabulary, so the fused scores of such siblings sit close and a hair decides them;
the field credit (Retriever._credit_fields) counts the question's words in each title, but as one
small credit among many, and the sibling whose chunks say the family's words more often keeps the
first place (bench/RESULTS.md "Session 14, dialect4": 7 of 28 m365 Arabic dev misses, 6 of 31 of the
customer slice, put a sibling first).

The rule needs no word of any language, only set inclusion of the question's own lexical terms: when
the first article's title holds a set S of at least SIBLING_SHARED of the question's terms (the family's
words: a sibling shares them), and a candidate within
SIBLING_MARGIN of its fused score (a share of the score of an article first everywhere) has a title
holding every term of S and at least one more, that candidate says everything the first's title
says of the question and more: it takes the first place (the two swap places and scores, so the
margin an answer card judges stays). A candidate whose title lacks one of the first's matched terms
changes nothing, so a title that merely matches different words never overturns the fusion. Without the
SIBLING_SHARED floor the rule is a title-word credit, not a sibling test: a first title holding none or one
of the question's words yields to any title holding one more, and that cost both dev domains (probe of
every would-be swap within 0.3: 4 right, 15 wrong; with the floor 2 right, none wrong; bench/RESULTS.md
"Session 14, siblings4").

Off (retrieval.LEVERS["sibling_titles"]): on the dev sets it moves two questions 4 -> 1 and 2 -> 1 and one of
the m365 customer slice 2 -> 1, costing none, but held-out rounds 1-3 lose three questions 1 -> 2 and gain
none. The code and its tests stay for a help center with more sibling families to measure it on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from indexer.stores.base import Hit

SIBLING_TOP = 5  # the sibling must already be this near: the rule decides near ties only
SIBLING_MARGIN = 0.3  # ... and its fused score within this share of a first-everywhere score of the first's
SIBLING_SHARED = 2  # the first's title holds at least this many of the question's terms: the family's words


def prefer_specific(
    ranked: Sequence[Hit], matched: Callable[[Hit], frozenset[int]], best_fused: float, margin: float = SIBLING_MARGIN
) -> list[Hit]:
    """The ranking with its first article and the nearest candidate whose title's matched terms
    (`matched`: the question's terms the hit's title holds) strictly include the first's swapped,
    places and scores, when that candidate is among the first SIBLING_TOP and within `margin` times
    `best_fused` of the first's score and the first's title holds at least SIBLING_SHARED of the
    question's terms; otherwise the ranking as it was."""
    if len(ranked) < 2:
        return list(ranked)
    first = ranked[0]
    held = matched(first)
    if len(held) < SIBLING_SHARED:
        return list(ranked)
    for i, hit in enumerate(ranked[1:SIBLING_TOP], 1):
        if first.score - hit.score > margin * best_fused:
            break
        if matched(hit) > held:
            swapped = [Hit(hit.id, first.score, hit.payload), *ranked[1:i], Hit(first.id, hit.score, first.payload)]
            return [*swapped, *ranked[i + 1 :]]
    return list(ranked)
