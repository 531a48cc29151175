"""Short queries: an article whose title says the whole query comes first.

"password" should open "Reset your password", not a security-tips article that mentions
passwords more often; "تتبع الطلب" should open «تتبع طلبك». For a query of at most MAX_WORDS
meaningful words (stop words out), the results whose title contains every one of them (compared
as the snippets compare: Arabic normalized, prefixes and endings aside) move ahead of the others;
within each group the retriever's order stands. It only reorders what the page already shows
(above the score floor), so a weak hit never jumps a strong one from below the floor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from copilot.retrieval import SearchHit
from copilot.snippets import matches, query_keys

MAX_WORDS = 3
_WORD = re.compile(r"\w+")

Hit = TypeVar("Hit", bound=SearchHit)


def title_says_it_all(title: str, keys: Sequence[str]) -> bool:
    words = _WORD.findall(title)
    return all(any(matches(word, key) for word in words) for key in keys)


def title_first(hits: Sequence[Hit], query: str) -> list[Hit]:
    keys = query_keys(query)
    if not keys or len(keys) > MAX_WORDS:
        return list(hits)
    full = [h for h in hits if title_says_it_all(h.title, keys)]
    return full + [h for h in hits if h not in full]
