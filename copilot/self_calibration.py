"""Label-free probes of an index: what a new help center can ask of itself before anyone labels a question.

Its titles and headings asked as queries (the writer's short statement of what a page or section answers), the
same with words left out (a customer's partial wording of them), and sentences of the language's commonest
words drawn at random (wordfreq's lists, which ship with the library: language the help center is not about).
Deterministic: the same index gives the same probes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import numpy as np
from wordfreq import top_n_list

PROBES = 100  # per kind and language: enough for a 5% quantile to rest on five probes
COMMON_WORDS = 5000  # the random sentences draw from the language's commonest words
SENTENCE_WORDS = (4, 8)  # words per random sentence
KEEP_SHARE = 0.6  # a partial title keeps this share of its words (at least one left out)
SEED = 20


def _spread(texts: Sequence[str], size: int) -> list[str]:
    unique = sorted(set(t.strip() for t in texts if t and t.strip()))
    step = max(1, len(unique) // size)
    return unique[::step][:size]


def partial(text: str, rng: random.Random) -> str | None:
    """`text` with words left out at random (KEEP_SHARE of them kept, in order); None under two words."""
    words = text.split()
    if len(words) < 2:
        return None
    keep = min(len(words) - 1, max(1, round(len(words) * KEEP_SHARE)))
    chosen = sorted(rng.sample(range(len(words)), keep))
    return " ".join(words[i] for i in chosen)


def random_sentences(lang: str, size: int = PROBES, seed: int = SEED) -> list[str]:
    """`size` sentences of SENTENCE_WORDS words drawn from the language's COMMON_WORDS commonest."""
    words = top_n_list(lang, COMMON_WORDS)
    rng = random.Random(f"{seed}/{lang}")
    return [" ".join(rng.sample(words, rng.randint(*SENTENCE_WORDS))) for _ in range(size)] if words else []


def probes(rows: Sequence[Mapping[str, object]], lang: str, size: int = PROBES) -> dict[str, list[str]]:
    """Per kind ("title", "heading", "partial", "random"), the probes of one language's chunks (payload rows
    with "title" and "heading_path"); rows may be empty (a language the index has no article in: random only)."""
    titles = _spread([str(r.get("title", "")) for r in rows], size)
    headings = [str(p[-1]) for r in rows if isinstance(p := r.get("heading_path"), list) and p]
    headings = _spread([h for h in headings if h not in set(titles)], size)
    rng = random.Random(f"{SEED}/{lang}/partial")
    parts = [p for t in _spread([*titles, *headings], size) if (p := partial(t, rng))]
    out = {"title": titles, "heading": headings, "partial": parts, "random": random_sentences(lang, size)}
    return {kind: texts for kind, texts in out.items() if texts}


# The same-language floors carried to any index (LEVERS["self_floors"]): the shipped floors (copilot.tuning
# ABSTAIN_FLOORS, fitted on the demo help center) sit at these positions of the demo's own probe distribution
# (titles, headings and partial titles asked as queries, pooled: POOLED); on another index each floor moves to the
# same position of that index's own probes. e5's, USE's and BM25's score scales follow the corpus (a help center
# of task sentences such as GNOME Help scores its own headings higher than the demo does); the share of its own
# probes a floor leaves under it is what carries over. field_top (a share of the title's words) is kept as it is.
# Printed by bench/self_probe.py --read (the "reference quantiles" line), from the demo's probes.
POOLED = ("title", "heading", "partial")
REFERENCE_QUANTILES: dict[str, dict[str, float]] = {
    "en": {"e5_top": 0.592, "use_top": 0.288, "lexical_share": 0.324},
    "ar": {"e5_top": 0.329, "use_top": 0.257, "lexical_share": 0.188},
}


def position(value: float, samples: Sequence[float]) -> float:
    """Where `value` sits in `samples` (0..1, interpolated between the sorted samples' mid-ranks)."""
    ordered = np.sort(np.asarray(samples, dtype=float))
    ranks = (np.arange(len(ordered)) + 0.5) / len(ordered)
    return float(np.interp(value, ordered, ranks))


def value_at(share: float, samples: Sequence[float]) -> float:
    """The inverse of `position`: the value at that position of `samples`."""
    ordered = np.sort(np.asarray(samples, dtype=float))
    ranks = (np.arange(len(ordered)) + 0.5) / len(ordered)
    return float(np.interp(share, ranks, ordered))


def carried_floors(
    floors: Mapping[str, float], signals: Sequence[Mapping[str, float]], reference: Mapping[str, float]
) -> dict[str, float]:
    """`floors` moved to this index: each signal with a `reference` position gets the value at that position of
    the probes' `signals` (what the index's own probes score); the others, and any with under MIN_PROBES
    probes, stay as they are."""
    out = dict(floors)
    for name, share in reference.items():
        values = [s.get(name, 0.0) for s in signals]  # a signal missing counts as 0, as the floors read it
        if name in out and len(values) >= MIN_PROBES:
            out[name] = value_at(share, values)
    return out


MIN_PROBES = 20  # fewer probes than this (an almost empty index): the shipped floors
