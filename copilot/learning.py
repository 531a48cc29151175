"""Learning from agents: passages agents inserted for similar earlier tickets rank a little higher.

Agents are the best judges of which article answers a ticket; when they insert a passage, that
choice is stored (suggestion events). A new ticket whose cleaned text is close to an earlier one
(token-set similarity over the same folded words the lexical search uses) lifts the articles agents
chose then. The lift is modest and capped: a multiplier on the retrieval score, so it reorders
near-ties but cannot carry a weak match past a strong one, and retrieval quality is measured with
and without it (`bench/copilot_bench.py --learning`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from rapidfuzz import fuzz

from copilot.expansion import fold
from copilot.retrieval import SearchHit

MIN_SIMILARITY = 0.6  # token-set ratio; below it two tickets are about different things
STEP = 0.08  # lift per similar earlier ticket, weighted by its similarity
MAX_BOOST = 0.2


class AgentChoice(Protocol):
    """An earlier ticket's query and an article an agent inserted for it ("lang/id").

    A protocol: the desk stores these (`desk.events.AgentChoice`) and hands them over as plain data,
    so the desk never imports search.
    """

    @property
    def query(self) -> str: ...
    @property
    def lang(self) -> str: ...
    @property
    def article_key(self) -> str: ...


class LearnedBoosts:
    """Boosts from stored agent choices, re-read at most every `refresh_s` (not on every ticket)."""

    def __init__(self, choices: Callable[[], Sequence[AgentChoice]], refresh_s: float = 10.0) -> None:
        self.choices = choices
        self.refresh_s = refresh_s
        self._loaded: tuple[float, list[tuple[AgentChoice, str]]] | None = None
        self._lock = threading.Lock()

    def _folded(self) -> list[tuple[AgentChoice, str]]:
        with self._lock:
            now = time.monotonic()
            if self._loaded is None or now - self._loaded[0] > self.refresh_s:
                self._loaded = (now, [(c, " ".join(fold(c.query))) for c in self.choices()])
            return self._loaded[1]

    def __call__(self, query: str, lang: str) -> dict[str, float]:
        words = " ".join(fold(query))
        boosts: dict[str, float] = {}
        for choice, folded in self._folded():
            if choice.lang != lang:
                continue
            similarity = fuzz.token_set_ratio(words, folded) / 100
            if similarity >= MIN_SIMILARITY:
                boosts[choice.article_key] = min(MAX_BOOST, boosts.get(choice.article_key, 0.0) + STEP * similarity)
        return boosts


def rerank(passages: Sequence[SearchHit], boosts: Mapping[str, float]) -> list[SearchHit]:
    """Boosted passages move up past those their lifted score (score x (1 + boost)) now beats.

    Nothing else moves, and a passage passes only passages on its own score scale: a same-language
    one never passes a cross-language fallback (placed first on purpose, its score on another
    scale), nor a fallback a same-language one; fallbacks reorder among themselves (a help center
    whose articles are all in another language answers with fallbacks only).
    """
    ranked = list(passages)
    for hit in list(ranked):
        boost = boosts.get(f"{hit.lang}/{hit.id}", 0.0)
        if not boost:
            continue
        lifted = replace(hit, score=hit.score * (1 + boost))
        position = ranked.index(hit)
        target = position
        while (
            target > 0
            and ranked[target - 1].locale_fallback == lifted.locale_fallback
            and ranked[target - 1].score < lifted.score
        ):
            target -= 1
        ranked.pop(position)
        ranked.insert(target, lifted)
    return ranked
