"""How much of what a question asks the first article says at all: evidence for abstaining on near-topic questions.

An off-topic question ("kabsa recipe") scores low everywhere and the abstention floors catch it. A near-topic
one is written in the help center's own field and shares its words: "do you sell bunk beds for kids" to a
furniture shop with no product pages, "freeze the first row in Excel" to the Microsoft 365 admin help. Its
models' scores and its BM25 score look like an answerable question's, because the field's words match; what
it asks specifically (bunk beds, freezing a row) is in no article. So: the share of the question's terms
(copilot.section_choice.terms: folded, dialect words as MSA, stemmed, stop words out) that the first article's
title, headings and text hold, each term once. An answerable question's article holds most of its terms;
a near-topic question's holds the field's words and not the ask.

The share means different things in different help centers: in a large, repetitive corpus (m365's 576 pages
of admin prose) any article holds many of a question's words. So it is read on the index's own scale
(`CoverageScale`), measured without labelled queries as calibration.py measures its scales: the index's
section headings (a writer's short statement of what one part of one article answers) asked as questions,
covered by their own article (what an answered question gets) and, on average, by the language's other
articles (what the corpus's common words give any question). The first other article BM25 finds was tried as
the zero: it holds the heading's words by construction (it was found by them), so the scale collapsed.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from copilot.calibration import MIN_TITLES, TITLE_SAMPLE, title_sample
from copilot.expansion import fold
from copilot.section_choice import terms
from copilot.vocabulary_variants import arabic_root
from copilot.word_roots import ROOT_MARK
from kb.arabic import dialect_to_msa

_WORD = re.compile(r"\w+")
MIN_HEADING_TERMS = 2  # a one-word heading ("Overview") asks nothing an article's neighbours would not hold


def article_terms(rows: Iterable[Mapping[str, object]]) -> dict[str, frozenset[str]]:
    """Per article key, the terms (`held_terms`) of its title, its headings and its text (all its chunks)."""
    texts: dict[str, list[str]] = {}
    titled: set[str] = set()
    for row in rows:
        key = str(row.get("key", ""))
        parts = texts.setdefault(key, [])
        if key not in titled:
            parts.append(str(row.get("title", "")))
            titled.add(key)
        heading = row.get("heading_path")
        parts += [str(h) for h in heading] if isinstance(heading, list) else []
        parts.append(str(row.get("text", "")))
    return {key: held_terms(" ".join(parts)) for key, parts in texts.items()}


def held_terms(text: str) -> frozenset[str]:
    """A text's comparable terms, and the root term of each of its Arabic words (`word_forms`)."""
    roots = (arabic_root(word) for word in fold(dialect_to_msa(text)))
    return frozenset(terms(text)) | {ROOT_MARK + root for root in roots if root}


def word_forms(query: str) -> list[frozenset[str]]:
    """Per asked word of the query (one with a comparable term), the forms that find it in an article: its
    stem and, for an Arabic word, its ISRI root (copilot.vocabulary_variants.arabic_root). A customer's
    "اشحن" and the article's "الشحن" share a stem; "أرجعها" and "الإرجاع", or a dialect verb and the
    article's noun, share only the root. Roots are broad ("خدمة", service, and "مستخدم", user, are both
    خدم), which a near-topic question gains from too, but its ask is in no article under any form."""
    forms: dict[str, frozenset[str]] = {}
    for word in _WORD.findall(query):
        own = terms(word)
        if own and own[0] not in forms:
            roots = (arabic_root(folded) for folded in fold(dialect_to_msa(word)))
            forms[own[0]] = frozenset(own) | {ROOT_MARK + root for root in roots if root}
    return list(forms.values())


def coverage(query: str, held: frozenset[str]) -> float | None:
    """The share of the query's asked words (`word_forms`) found in `held`; None for a query with none."""
    asked = word_forms(query)
    return sum(bool(forms & held) for forms in asked) / len(asked) if asked else None


@dataclass(frozen=True)
class CoverageScale:
    """One language's coverage in the index's own units: the median coverage of its headings asked as
    queries by their own article (`own`) and by any other article of the language (`background`: the
    mean over them, what a question gets from an article that has nothing to do with it but the corpus's
    common words)."""

    own: float
    background: float

    def share(self, value: float) -> float:
        """Where a coverage sits from the background's (0) to the article's own (1)."""
        return (value - self.background) / max(self.own - self.background, 1e-3)


def coverage_scales(
    rows: Sequence[Mapping[str, object]], held: Mapping[str, frozenset[str]], langs: Sequence[str]
) -> dict[str, CoverageScale]:
    """Per language with at least MIN_TITLES such headings, its CoverageScale (from `rows`, the index's
    chunk payloads with key, lang, title and heading_path; `held`, article_terms of them)."""
    scales: dict[str, CoverageScale] = {}
    for lang in langs:
        owners: dict[str, str] = {}
        for row in rows:
            path = row.get("heading_path")
            heading = str(path[-1]) if isinstance(path, list) and path else ""
            asks = heading != row.get("title") and len(word_forms(heading)) >= MIN_HEADING_TERMS
            if row.get("lang") == lang and asks:
                owners.setdefault(heading, str(row.get("key", "")))
        articles = {str(r.get("key")) for r in rows if r.get("lang") == lang}
        if len(articles) < 2:
            continue
        own, background = [], []
        for heading in title_sample(list(owners), TITLE_SAMPLE):
            asked = word_forms(heading)
            mine = held.get(owners[heading], frozenset())
            own.append(sum(bool(forms & mine) for forms in asked) / len(asked))
            holding = [sum(bool(forms & held.get(key, frozenset())) for key in articles) for forms in asked]
            others = sum(holding) - sum(bool(forms & mine) for forms in asked)  # every article but its own
            background.append(others / (len(articles) - 1) / len(asked))
        if len(own) >= MIN_TITLES:
            scales[lang] = CoverageScale(statistics.median(own), statistics.median(background))
    return scales


# Abstain also when every one of these sits under its floor (beside the abstention floors, which flag when
# every model is unsure): the first article holds little of what is asked, on the index's coverage scale
# (`coverage_share`), USE finds nothing near it on the index's own scale (`use_share`, copilot.calibration's
# same-language CrossScale), and no title holds most of the question's words (`field_top`). Same-language, typed
# questions only. Fitted on both domains' dev and near-topic questions together (bench/eval_retrieval.py --suite,
# at most 4% of each case's answerable questions flagged, model floors included), near-topic flagged with the
# model floors alone -> with these: demo Arabic 40% -> 60% (answerable 2.9% -> 2.9%), demo English 36% -> 40%
# (1.9% -> 3.8%), m365 Arabic 8% -> 40% (0.0% -> 0.7%). Fitted on the demo alone the same floors (m365: 40% at
# 0.7%); fitted on m365 alone they flag 8.1% of the demo's English answerable questions (no transfer that way).
# Surface stems instead of roots: demo Arabic 52%. bench/RESULTS.md "Session 13, abstain3".
NEAR_TOPIC_FLOORS = {"coverage_share": -0.04, "use_share": -1.45, "field_top": 0.5}


def near_topic(signals: Mapping[str, float], floors: Mapping[str, float] = NEAR_TOPIC_FLOORS) -> bool:
    """Whether a search's evidence reads as a near-topic question: every floor's signal measured and under it."""
    return all(name in signals for name in floors) and all(signals[name] < floor for name, floor in floors.items())
