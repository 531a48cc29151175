"""Label-free probes of an index: what a new help center can ask of itself before anyone labels a question.

Its titles and headings asked as queries (the writer's short statement of what a page or section answers), the
same with words left out (a customer's partial wording of them), and sentences of the language's commonest
words drawn at random (wordfreq's lists, which ship with the library: language the help center is not about).
Deterministic: the same index gives the same probes.

CUSTOMER_PROBES (off: measured, not switched): an Arabic index's titles, headings and partial titles are asked
the way its customers write (`customer_wording`): the dialect list read backwards (kb.arabic.DIALECT_TO_MSA
inverted: an MSA word such as "اريد" asked as "عايز"), and the article's ال left off some words, so the probes sit
where dialect and terse customer questions sit rather than at the index's formal MSA headings (bench/RESULTS.md
"Session 20, selfprobe20": on m365 it moves the carried floors little, the dialect list covers few headings).
English probes are unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import numpy as np
from wordfreq import top_n_list

from kb.arabic import DIALECT_TO_MSA, normalize_arabic

PROBES = 100  # per kind and language: enough for a 5% quantile to rest on five probes
COMMON_WORDS = 5000  # the random sentences draw from the language's commonest words
SENTENCE_WORDS = (4, 8)  # words per random sentence
KEEP_SHARE = 0.6  # a partial title keeps this share of its words (at least one left out)
SEED = 20
CUSTOMER_PROBES = False  # True: Arabic probes in the customers' wording (customer_wording); False: as written
CUSTOMER_LANGS = ("ar",)  # the languages whose probes are reworded (English customers write as the pages do)
ARTICLE_DROP = 0.5  # the share of a customer-worded probe's ال-words typed without their article

# The dialect list read backwards: an MSA word -> the first dialect word listed for it (one-word equivalents only;
# a filler has no MSA side; "من" is "from" far more often than "who").
MSA_TO_DIALECT: dict[str, str] = {}
for _dialect, _msa in DIALECT_TO_MSA.items():
    if _msa and " " not in _msa and _msa != "من":
        MSA_TO_DIALECT.setdefault(_msa, _dialect)


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


def customer_wording(text: str, rng: random.Random) -> str:
    """Arabic `text` as a customer would type it: each MSA word with a dialect form (MSA_TO_DIALECT) in that form,
    keeping its article ("الان" is itself a word), and ARTICLE_DROP of the other ال-words without their article."""
    out = []
    for word in text.split():
        plain = normalize_arabic(word)
        if plain in MSA_TO_DIALECT:
            out.append(MSA_TO_DIALECT[plain])
        elif plain.startswith("ال") and plain[2:] in MSA_TO_DIALECT:
            out.append("ال" + MSA_TO_DIALECT[plain[2:]])
        elif plain.startswith("ال") and len(plain) > 4 and rng.random() < ARTICLE_DROP:
            out.append(word[2:])
        else:
            out.append(word)
    return " ".join(out)


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
    if CUSTOMER_PROBES and lang in CUSTOMER_LANGS:
        rng = random.Random(f"{SEED}/{lang}/customer")
        out.update({kind: [customer_wording(t, rng) for t in out[kind]] for kind in ("title", "heading", "partial")})
    return {kind: texts for kind, texts in out.items() if texts}


# The same-language floors carried to any index (LEVERS["self_floors"]): the shipped floors (copilot.tuning
# ABSTAIN_FLOORS, fitted on the demo help center) sit at these positions of the demo's own probe distribution
# (titles, headings and partial titles asked as queries, pooled: POOLED); on another index each floor moves to the
# same position of that index's own probes. e5's, USE's and BM25's score scales follow the corpus (a help center
# of task sentences such as GNOME Help scores its own headings higher than the demo does); the share of its own
# probes a floor leaves under it is what carries over. field_top (a share of the title's words) is kept as it is.
# Printed by bench/self_probe.py --read (the "reference quantiles" line), from the demo's probes.
POOLED = ("title", "heading", "partial")
# With CUSTOMER_PROBES the Arabic positions are read among the demo's customer-worded probes.
FORMAL_REFERENCE: dict[str, dict[str, float]] = {
    "en": {"e5_top": 0.592, "use_top": 0.288, "lexical_share": 0.324},
    "ar": {"e5_top": 0.329, "use_top": 0.257, "lexical_share": 0.188},
}
CUSTOMER_REFERENCE: dict[str, dict[str, float]] = {"ar": {"e5_top": 0.343, "use_top": 0.266, "lexical_share": 0.188}}
REFERENCE_QUANTILES: dict[str, dict[str, float]] = {
    **FORMAL_REFERENCE,
    **(CUSTOMER_REFERENCE if CUSTOMER_PROBES else {}),
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


def lowered_floors(floors: Mapping[str, float], carried: Mapping[str, float]) -> dict[str, float]:
    """`floors` lowered to this index's `carried` ones where those are lower, never raised (LEVERS["lowered_floors"]).

    A floor the index's own probes carry down says its own wording scores lower than the demo's does, so the shipped
    floor would flag its answerable questions; one they carry up says only that its pages score themselves higher,
    which its customers' questions need not (m365: 0 -> 4 of 145 answerable flagged by the raised floors, its
    customers writing in a register its MSA pages do not). Raising is left to floors learnt from the search log
    (`kb floors`)."""
    return {name: min(floor, carried.get(name, floor)) for name, floor in floors.items()}
