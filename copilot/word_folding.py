"""Words as search compares them, and one key per question however it is typed.

Its own module, importing only kb.arabic: the lexical side (copilot.expansion and the modules that read its words),
click feedback (copilot.click_feedback) and the desk's search-log labels (desk.search_labels) fold by this one rule,
and the desk reads it without importing search, the index or a model.
"""

from __future__ import annotations

import re

from kb.arabic import light_stem

_WORD = re.compile(r"\w+")


def fold(text: str) -> list[str]:
    """Words as the lexical side compares them: lowercase, Arabic normalized and prefix-stripped."""
    return _WORD.findall(light_stem(text.lower()))


def query_key(query: str) -> str:
    """The query as feedback compares queries: folded words (`fold`: lowercase, Arabic normalized and
    prefix-stripped), each once, in sorted order ("Refund late" and "late refund!" are one query). Paraphrases
    stay different queries: feedback is per query. Empty when the query has no word (only punctuation or emoji)."""
    return " ".join(sorted(set(fold(query))))
