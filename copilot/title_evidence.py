"""Whether an article's title is evidence: a statement written for the article, or its opening words.

Search credits titles in several places (the field credit of copilot.retrieval, the own-language
title ranking, the title vector rankings of copilot.title_vectors) because a title is the writer's
statement of what an article answers. Some collections have no such titles: passages imported with
their first words as the title, cut off with an ellipsis ("The Daily Mail newspaper reported in
2012 that …"), or the opening words repeated as they are. Crediting those titles credits the
passage's first sentence a second time, which says nothing about the question: on xquad-dev
(every title so cut) the title credits cost hybrid MRR@10 about 0.02 in each language and put it
under BM25. Such a title gives no title evidence anywhere; this module is the one test of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CUT_OFF = ("…", "...")
# A title is read as its body's opening only from this many words on: a short written title ("Refunds")
# may well be the first word of its body and still name the topic.
OPENING_WORDS = 5


def opening_words(title: str, text: str = "") -> bool:
    """Whether `title` is only the first words of its article: cut off with an ellipsis, or (given the
    article's first section `text`) the same words the body opens with, OPENING_WORDS or more of them."""
    title = title.strip()
    if title.endswith(CUT_OFF):
        return True
    words = title.split()
    return len(words) >= OPENING_WORDS and text.split()[: len(words)] == words


def opening_title(payload: Mapping[str, Any]) -> bool:
    """`opening_words` for a chunk's payload (title, text, ordinal): the body opens in the first chunk only."""
    text = str(payload.get("text", "")) if payload.get("ordinal") == 0 else ""
    return opening_words(str(payload.get("title", "")), text)


def opening_keys(rows: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The keys of the articles whose title is only their opening words, from the index's chunk
    payloads: a cut-off title says so in any chunk, a title repeated as it is in the first one."""
    return frozenset(str(row["key"]) for row in rows if row.get("key") and opening_title(row))
