"""Whose titles can rank: a title written for the article, not the opening words cut off.

The own-language title ranking (copilot.retrieval lever own_titles) treats a title as the writer's
statement of what an article answers. Some collections have no such titles: passages imported
with their first words as the title, cut off with an ellipsis ("The Daily Mail newspaper
reported in 2012 that …"). Ranking those titles ranks the passages' first sentences, which
says nothing about the question: on xquad-dev (every title so cut) the lever cost hybrid MRR@10
0.919 -> 0.891 (Arabic) and 0.951 -> 0.929 (English). A query whose candidates mostly carry
such titles (copilot.title_evidence, the one test of it) gets no title credit.
"""

from __future__ import annotations

from collections.abc import Sequence

from copilot.title_evidence import opening_title
from indexer.stores.base import Hit


def written_titles(candidates: Sequence[Hit]) -> bool:
    """Whether at least half of the candidates have a title of their own (not their opening words)."""
    if not candidates:
        return False
    return sum(opening_title(h.payload) for h in candidates) * 2 <= len(candidates)
