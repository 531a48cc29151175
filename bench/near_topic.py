"""The near-topic floors (copilot.query_coverage.NEAR_TOPIC_FLOORS, copilot.section_coverage.SECTION_FLOORS):
fitted on one domain, scored on each.

bench/eval_retrieval.py --suite collects every query's evidence with the floors off, the dev queries' and the
near-topic out-of-scope questions' (tests/eval/near_scope_*.jsonl), and prints these lines: per domain and
language, what the shipped floors flag beside the model floors alone, then the floors fitted on each domain
(and on both) scored on every domain. A fit keeps the answerable share flagged (model floors or near-topic)
at most `max_false` on every domain and language it is fitted on, and takes the floors flagging the most
out-of-scope questions there (the dev set's and the near-topic ones together, averaged over the cases).
The grid is coarse (quantiles of the observed shares), so a floor is not fitted to a handful of questions.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from copilot.query_coverage import NEAR_TOPIC_FLOORS
from copilot.retrieval import query_register, register_floors
from copilot.section_coverage import SECTION_FLOORS

RULES: dict[str, Mapping[str, float]] = {"query_coverage": NEAR_TOPIC_FLOORS, "section_coverage": SECTION_FLOORS}
GRID_POINTS = 24  # quantiles per share signal
FIELD_GRID = (0.2, 0.5, 0.7, 9.0)  # field_top: none, half, most of the question in a title (9: off)


@dataclass(frozen=True)
class NearData:
    """One domain and language: each query's near-topic evidence (inf where not measured), whether the
    model floors flag it, whether it is out of scope and whether it is one of the near-topic questions."""

    label: str
    names: tuple[str, ...]
    scores: np.ndarray
    unsure: np.ndarray
    oos: np.ndarray
    near: np.ndarray

    def flags(self, floors: Sequence[float]) -> np.ndarray:
        return np.asarray(self.unsure | (self.scores < np.asarray(floors)).all(axis=1))


def near_data(
    label: str,
    rows: Sequence[dict],
    signals: Sequence[Mapping[str, float]],
    floors: Mapping[str, Mapping[str, float]],
    offsets: Mapping[str, Mapping[str, Mapping[str, float]]],
    names: Sequence[str] = tuple(NEAR_TOPIC_FLOORS),
) -> NearData:
    """`rows` (one language's) and their `signals`, read with the product's model `floors` and `offsets`; the
    near-topic rule's signals are `names`."""
    scores = np.array([[s.get(name, np.inf) for name in names] for s in signals]).reshape(-1, len(names))
    unsure = []
    for row, signal in zip(rows, signals, strict=True):
        lang = row["lang"]
        register = query_register(row["query"], lang)
        own = register_floors(dict(floors.get(lang, {})), dict(offsets.get(lang, {})), register)
        unsure.append(bool(own) and all(signal.get(name, 0.0) < floor for name, floor in own.items()))
    oos = np.array([not r["relevant"] for r in rows], dtype=bool)
    near = np.array([r.get("kind") == "out-of-scope-near" for r in rows], dtype=bool)
    return NearData(label, tuple(names), scores, np.array(unsure, dtype=bool), oos, near)


def fit_floors(datas: Sequence[NearData], max_false: float) -> tuple[float, ...] | None:
    """The floors flagging the most out-of-scope questions (mean over `datas`) with at most `max_false`
    of each one's answerable questions flagged; None when no floor keeps that (the model floors alone)."""
    pooled = np.vstack([d.scores for d in datas])
    grids = []
    for i, name in enumerate(datas[0].names):
        if name == "field_top":
            grids.append(np.array(FIELD_GRID))
            continue
        column = pooled[:, i][np.isfinite(pooled[:, i])]
        if not len(column):  # never measured (signals collected without the views): nothing to fit
            return None
        grids.append(np.unique(np.quantile(column, np.linspace(0.0, 1.0, GRID_POINTS)).round(3)))
    best: tuple[float, tuple[float, ...] | None] = (-1.0, None)
    for floors in itertools.product(*grids):
        flagged = [d.flags(floors) for d in datas]
        if any(f[~d.oos].mean() > max_false for f, d in zip(flagged, datas, strict=True)):
            continue
        recall = float(np.mean([f[d.oos].mean() for f, d in zip(flagged, datas, strict=True)]))
        if recall > best[0]:
            best = (recall, tuple(float(x) for x in floors))
    return best[1]


def describe(data: NearData, floors: Sequence[float] | None) -> str:
    """Near-topic / other out-of-scope / answerable flagged, with these floors (model floors alone: None)."""
    flagged = data.flags(floors) if floors is not None else data.unsure
    other = data.oos & ~data.near

    def share(mask: np.ndarray, digits: int = 0) -> str:  # "-" for a domain with none (no near-topic file)
        return f"{flagged[mask].mean():.{digits}%} of {mask.sum()}" if mask.any() else "- of 0"

    return f"near-topic {share(data.near)}, out-of-scope {share(other)}, answerable {share(~data.oos, 1)}"


def near_topic_lines(
    datas: Sequence[NearData], max_false: float, fit: bool = True, rule: Mapping[str, float] = NEAR_TOPIC_FLOORS
) -> list[str]:
    """The shipped floors of `rule` on each case, and (`fit`) the floors fitted on each domain (and on all) scored
    on each: not on held-out queries, which nothing is fitted on."""
    shipped = tuple(rule.values())
    lines = [f"near-topic floors {dict(rule)} [{d.label}]: {describe(d, shipped)} (model floors alone: "
             f"{describe(d, None)})" for d in datas]  # fmt: skip
    if not fit:
        return lines
    domains = sorted({d.label.split()[0] for d in datas})
    for fit_on in [*domains, "all"]:
        fitted = [d for d in datas if fit_on == "all" or d.label.split()[0] == fit_on]
        floors = fit_floors(fitted, max_false)
        named = dict(zip(rule, floors, strict=True)) if floors is not None else "none"
        for data in datas:
            scored = describe(data, floors)
            lines.append(f"near-topic floors fitted on {fit_on} {named}, scored on {data.label}: {scored}")
    return lines
