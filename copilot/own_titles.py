"""Whose titles can rank, and by what: a title written for the article, asked the customer's intent.

The own-language title ranking (copilot.retrieval lever own_titles) treats a title as the writer's
statement of what an article answers. Some collections have no such titles: passages imported
with their first words as the title, cut off with an ellipsis ("The Daily Mail newspaper
reported in 2012 that …"). Ranking those titles ranks the passages' first sentences, which
says nothing about the question: on xquad-dev (every title so cut) the lever cost hybrid MRR@10
0.919 -> 0.891 (Arabic) and 0.951 -> 0.929 (English). A query whose candidates mostly carry
such titles (copilot.title_evidence, the one test of it) gets no title credit.

A query that frames a cross-cutting request with a product ("استرجاع فلوس اشتراك Teams") asks the
titles the same thing the fusion is asked: the product's own pages carry its name in their titles,
so ranking titles by the whole query credits them above the refund page that answers (m365 Arabic
framing slice 0.599 without own titles, 0.553 with). Such a query's titles are ranked by the query
and its intent (copilot.product_names.intent_part) blended, so the name still counts, half as much.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from copilot.query_vectors import unit
from copilot.title_evidence import opening_title
from indexer.stores.base import Hit

# The intent's share of the title query. bench/eval_retrieval-style A/B (one process, hybrid MRR@10 of
# m365 Arabic's framing slice / its rest; demo unchanged at every setting): 0 (whole query) 0.546 /
# 0.834; 0.3: 0.593 / 0.830; 0.5: 0.607 / 0.833; 1.0 (intent alone): 0.625 / 0.828, the rest losing
# the queries whose product is their subject ("fapiao", "Gmail"). The blend keeps the name's say.
INTENT_MIX = 0.5
# The intent's share when the query's names include a product family (copilot.name_families: a name
# several articles' titles print frames the request; a one-page name may be its subject, which the
# blend above protects). A/B in one process beside the family levers, m365 Arabic framing slice / rest:
# 0.5 (INTENT_MIX) 0.722 / 0.835; 0.75: 0.734 / 0.835 ("لو ما جددنا وش يصير لملفات SharePoint" 3 -> 2);
# 1.0: 0.733 / 0.835 (that one, and "عايز اشيل رخص Exchange ..." 9 -> 10); the demo and m365 English
# over Arabic-only unchanged at each.
FAMILY_INTENT_MIX = 0.75


def written_titles(candidates: Sequence[Hit]) -> bool:
    """Whether at least half of the candidates have a title of their own (not their opening words)."""
    if not candidates:
        return False
    return sum(opening_title(h.payload) for h in candidates) * 2 <= len(candidates)


def title_query(query: np.ndarray, intent: np.ndarray | None, mix: float = INTENT_MIX) -> np.ndarray:
    """What the own titles are ranked by: the query, blended with its intent (both unit length, the
    intent at `mix`) when it names a product and so has one; the whole query otherwise."""
    if intent is None:
        return query
    return (1 - mix) * unit(query) + mix * unit(intent)
