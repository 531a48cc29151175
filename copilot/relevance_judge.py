"""The local model as a judge of the first results (LEVERS["judge_abstain"], LEVERS["judge_rerank"]; both off).

A `RelevanceJudge` says, for a question and an article of its first results, how much more the model answers
"yes" than "no" to "Does this article answer the question?" (log P(yes) - log P(no) of its next token, in nats;
bench/relevance_judgments.py asks the local GGUF and caches the answers), or None when it has no judgment.
- `judged_abstains`: abstain when the first article's judgment is under JUDGE_FLOOR.
- `judged_order`: among the first JUDGE_TOP articles, one the model judges yes by JUDGE_MARGIN more than the first
  moves above it (the best judged of them when several do); nothing outside the first JUDGE_TOP moves.
Both are inert without a judge or a judgment. bench/RESULTS.md "Session 32, llmjudge32" has their figures.
`CachedJudgments` reads the bench's JSONL (no model in the loop); this module does not import llama-cpp.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TypeVar

# Fixed before any judgment was seen beside its labels: abstain when the model says "no" more than "yes" ...
JUDGE_FLOOR = 0.0
# ... and move an article above the first when the model says "yes" to it by 2 nats more than to the first.
JUDGE_MARGIN = 2.0
JUDGE_TOP = 2  # the articles judged (K): 2, by the cost (bench/RESULTS.md "Session 32, llmjudge32")

T = TypeVar("T")


class RelevanceJudge(Protocol):
    def judgment(self, query: str, article: str) -> float | None:
        """log P(yes) - log P(no) that `article` (an id) answers `query`, or None when not judged."""
        ...


class CachedJudgments:
    """Judgments made beforehand: bench/relevance_judgments.py's JSONL rows, one domain's and case's."""

    def __init__(self, rows: dict[tuple[str, str], float]) -> None:
        self.rows = rows

    @classmethod
    def load(cls, path: Path, domain: str | None = None, case: str | None = None) -> CachedJudgments:
        rows: dict[tuple[str, str], float] = {}
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = (str(row["query"]), str(row["article"]))
                value = row["judgment"]
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not a judgment row ({error})") from error
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{path}:{number}: judgment is not a number ({value!r})")
            if (domain is None or row.get("domain") == domain) and (case is None or row.get("case") == case):
                rows[key] = float(value)
        return cls(rows)

    def judgment(self, query: str, article: str) -> float | None:
        return self.rows.get((query, article))


def judged_abstains(first: float | None, floor: float = JUDGE_FLOOR) -> bool:
    """Whether the first article's judgment says abstain (None: no judgment, no say)."""
    return first is not None and first < floor


def judged_order(items: Sequence[T], judgments: Sequence[float | None], margin: float = JUDGE_MARGIN,
                 top: int = JUDGE_TOP) -> list[T]:
    """`items` with the best-judged of the first `top` moved first when the model says yes to it (a judgment
    above 0) by at least `margin` more than to the first; `judgments` are the first items' (None: not judged)."""
    ordered = list(items)
    if not ordered or not judgments or judgments[0] is None:
        return ordered
    first = judgments[0]
    best, best_value = 0, first
    for position, value in enumerate(judgments[1:top], 1):
        if position >= len(ordered) or value is None:
            continue
        if value > 0 and value >= first + margin and value > best_value:
            best, best_value = position, value
    if best:
        ordered.insert(0, ordered.pop(best))
    return ordered
