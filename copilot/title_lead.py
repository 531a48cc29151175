"""A title that stands out: the first title's lead over the second, in the query's own score spread.

English questions over Arabic-only articles mostly lose to a broad neighbour: an article whose
chunks sit near many questions ("change an order after placing it" for "cancel order", "track
order", notifications) wins the chunk rankings of both models, while the answer's own title is the
best match among the titles and lands at rank 2-4 (bench/RESULTS.md, "Session 6, enar"). The title
rankings already join the fallback as RRF sources (copilot.retrieval.TITLE_RANKINGS), but a rank
says nothing about how far the first title is ahead: a first title that barely beats the next of
m365's near-duplicate titles and one that clearly beats every other title get the same RRF share.

So the best title also gets a credit that grows with its lead: its cosine minus the second title's,
in standard deviations of the query's cosines against every title of that language (a unit each
index and each query sets itself, so neither the model's cosine band nor how alike an index's
titles are matters), full at `full_lead` and nothing when two titles tie.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer.stores.base import Hit

MIN_TITLES = 3  # a spread needs a few titles; a help center of two articles has no "standing out"


@dataclass(frozen=True)
class TitleLead:
    """The best title's article key and its lead over the second title, in standard deviations."""

    key: str
    lead: float


def title_lead(scores: dict[str, float]) -> TitleLead | None:
    """The best-scoring key and how far it is ahead of the next, as a share of the scores' spread;
    None with too few titles or no spread at all."""
    if len(scores) < MIN_TITLES:
        return None
    spread = statistics.pstdev(scores.values())
    if spread <= 0:
        return None
    first, second = sorted(scores.items(), key=lambda item: -item[1])[:2]
    return TitleLead(first[0], (first[1] - second[1]) / spread)


def best_lead(leads: Iterable[TitleLead | None]) -> TitleLead | None:
    """The lead that stands out most among several askings of the same question (the whole query,
    and the query without its product names), or None when none leads."""
    return max((lead for lead in leads if lead is not None), key=lambda lead: lead.lead, default=None)


def credit_lead(ranked: Sequence[Hit], lead: TitleLead | None, credit: float, full_lead: float) -> list[Hit]:
    """The ranking with the leading title's article credited `credit` times min(1, lead / full_lead),
    best first; unchanged when no title leads or the article is not among the candidates."""
    if lead is None or credit <= 0 or full_lead <= 0:
        return list(ranked)
    bonus = credit * min(1.0, lead.lead / full_lead)
    rescored = [
        Hit(h.id, h.score + bonus if str(h.payload.get("key", "")) == lead.key else h.score, h.payload) for h in ranked
    ]
    return sorted(rescored, key=lambda h: -h.score)
