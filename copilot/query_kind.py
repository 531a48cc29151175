"""The kind of a typed query, read from its form alone: how many content words it has and in which scripts.

Any help center's customers type three kinds of query whatever its subject: a short keyword query (one or two
content words, "refund", "reset password"), a long framed sentence (a customer's story, six content words or more:
"my laptop arrived yesterday with a cracked screen, what do I do"), and a mixed-script one (a Latin product name in
an Arabic question: "كيف اغير الـ password"); the rest are ordinary questions. Issue #18's hypothesis
(bench/RESULTS.md "Session 38, retr38"): which model ranks best depends on the kind rather than the vocabulary, so
fusion weights per (language, kind) fitted on one help center would hold on another.

Content words are the ones the lexical index keeps (`keeps`: the index's analyzer gives the word a term, its own
stopword list in the query's language), as copilot.content_words reads them: no word list, nothing per help center.
The mixed register is copilot.query_register's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from copilot.query_register import query_register

Kind = Literal["keyword", "question", "story", "mixed"]
KINDS: tuple[Kind, ...] = ("keyword", "question", "story", "mixed")
# At most this many content words: a keyword query (BM25 and the titles carry it, if anything does).
KEYWORD_WORDS = 2
# At least this many: a framed sentence (the dense models read the whole of it).
STORY_WORDS = 6

_WORD = re.compile(r"\w+")


def content_count(query: str, keeps: Callable[[str], bool]) -> int:
    """How many of `query`'s words `keeps` (a word the lexical index gives a term)."""
    return sum(1 for word in _WORD.findall(query) if keeps(word))


def query_kind(query: str, lang: str, keeps: Callable[[str], bool]) -> Kind:
    """`query`'s kind: "mixed" when it types words in another script than its language's (query_register), else by
    its content words: "keyword" up to KEYWORD_WORDS, "story" from STORY_WORDS, "question" between."""
    if query_register(query, lang) == "mixed":
        return "mixed"
    count = content_count(query, keeps)
    if count <= KEYWORD_WORDS:
        return "keyword"
    if count >= STORY_WORDS:
        return "story"
    return "question"
