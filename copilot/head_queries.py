"""Head queries: the article the writers meant comes first among the results a page shows.

Most searches are a few words ("password", "تتبع الطلب") or a stock question ("how do I return an
item"). Ranking by passage similarity can put a neighbour first: a security-tips article that
mentions passwords more often than "Reset your password" does. Two writer-controlled signals
reorder the shown results (above the score floor, so nothing weak jumps ahead):

- a tag of two or more words that the query contains word for word ("return an item" in
  "how do I return an item"): writers name the questions an article answers in its tags;
- for a query of at most SHORT_QUERY words as typed, a title containing all of its meaningful
  words (stop words out) - "Reset your password" for "password". Longer questions are left to
  the ranking: "Items that can't be returned" contains "return" and "item" but does not answer
  "how do I return an item".

Both signals first, then the tag alone, then the title alone, then the rest: «كلمة المرور» is a
tag of the reset article and of the security tips, only the reset article's title says it.

Words compare as the snippets compare them (Arabic normalized, prefixes and short endings aside).
Within each group, and for every other result, the retriever's order stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from copilot.retrieval import SearchHit
from copilot.snippets import matches, query_keys, word_key

SHORT_QUERY = 3
_WORD = re.compile(r"\w+")

Hit = TypeVar("Hit", bound=SearchHit)


def title_says_it_all(title: str, keys: Sequence[str]) -> bool:
    words = _WORD.findall(title)
    return bool(keys) and all(any(matches(word, key) for word in words) for key in keys)


def query_has_tag(query: str, tags: Sequence[str]) -> bool:
    """A tag of 2+ words appears in the query as a run of the same words."""
    typed = [word_key(w) for w in _WORD.findall(query)]
    for tag in tags:
        words = [word_key(w) for w in _WORD.findall(tag)]
        n = len(words)
        if n >= 2 and any(typed[i : i + n] == words for i in range(len(typed) - n + 1)):
            return True
    return False


def head_first(hits: Sequence[Hit], query: str, tags_of: Callable[[Hit], Sequence[str]]) -> list[Hit]:
    short = len(_WORD.findall(query)) <= SHORT_QUERY
    keys = query_keys(query) if short else []

    def group(hit: Hit) -> tuple[bool, bool]:
        tagged = query_has_tag(query, tags_of(hit))
        titled = short and title_says_it_all(hit.title, keys)
        return not tagged, not titled

    return sorted(hits, key=group)  # stable: the retriever's order within a group
