"""Candidate cross-lingual abstention rules scored offline on bench/xcal_margins.py's dumps (no model loaded).

    PYTHONPATH=. python bench/xcal_margins.py --domains demo --json var/xcal/demo.json
    PYTHONPATH=. python bench/xcal_margins.py --domains m365 --json var/xcal/m365.json
    PYTHONPATH=. python bench/xcal_candidates.py var/xcal/demo.json var/xcal/m365.json

Each dump holds every question's signals (floors off) and the index's own title-as-query samples
(copilot.calibration.title_query_scores, density_samples). Printed per case: the product's rule (title names exempt,
heading floor, density floor OR both share floors) beside the candidates of bench/RESULTS.md "Session 16, xcal6",
with the floors as set, and the share of the case's near-topic out-of-scope questions (tests/eval/near_scope_*.jsonl)
each flags when the dump holds any; then, for the English-over-Arabic case the two domains share, each signal scale
fitted on one domain (the most out-of-scope flagged within --max-false of answerable) and scored on the other (dev
rows only). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from copilot import retrieval
from copilot.heading_floor import HEADING_FLOOR

Signals = tuple[np.ndarray, np.ndarray, np.ndarray]  # chunk, title, density: one value per question


def _spread(values: np.ndarray) -> float:
    return float(np.std(values)) or 1e-3


def case_data(rows: list[dict], scales: dict, near: bool = False) -> dict:
    """One case's questions as arrays, on every candidate scale: the dev rows, or (`near`) the near-topic
    out-of-scope questions (tests/eval/near_scope_*.jsonl) alone."""
    rows = [r for r in rows if bool(r.get("near")) == near and not r.get("customer")]  # the customer slice apart

    def signal(name: str, default: float) -> np.ndarray:
        return np.array([r["signals"].get(name, default) for r in rows], dtype=float)

    cross, samples = scales["cross"], {k: np.array(v) for k, v in scales["title_samples"].items()}
    density = np.array(scales["density_samples"])
    chunk_share, title_share = signal("cross_share", 0.0), signal("cross_title_share", 0.0)
    title = raw_title(cross, title_share)  # the reading it took
    chunk, dens = signal("cross_top", 0.0), signal("cross_density", np.inf)
    wrong_chunk, wrong_title = samples["wrong_chunk"], samples["wrong_title"]
    return {
        "oos": np.array([not r["relevant"] for r in rows]),
        "named": signal("title_names", 0.0) > 0,
        "heading": signal("cross_heading_top", 1.0) < HEADING_FLOOR,
        "scales": {
            # the product's: 0 = the nearest wrong article (title), 1 = the right one; density from its background
            "per-index shares": (chunk_share, title_share, signal("cross_density_share", np.inf)),
            "raw cosines": (chunk, title, dens),
            # z-scores against the index's own title-as-query samples (nearest wrong chunk, title; own density)
            "z of own samples": (
                (chunk - wrong_chunk.mean()) / _spread(wrong_chunk),
                (title - wrong_title.mean()) / _spread(wrong_title),
                (dens - density.mean()) / _spread(density),
            ),
            # the title on the raw cosine (about the background: any two titles, 0.12-0.13 on every index)
            "shares, raw title": (chunk_share, title, signal("cross_density_share", np.inf)),
        },
    }


def raw_title(cross: dict, share: np.ndarray) -> np.ndarray:
    """The title cosines behind the title shares of a dump's CrossScale (copilot.calibration.CrossScale.title_share:
    0 = the background, 1 = the nearest wrong title; a dump without a background: 0 = the nearest wrong title,
    1 = the right one, the scale before bench/RESULTS.md "Session 17, xscale7")."""
    if "background_title" in cross:
        return cross["background_title"] + share * (cross["wrong_title"] - cross["background_title"])
    return cross["wrong_title"] + share * (cross["true_title"] - cross["wrong_title"])


Rule = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
RULES: dict[str, Rule] = {
    "density OR both shares": lambda c, t, d: d | (c & t),  # the product's
    "density needs a share": lambda c, t, d: (c & t) | (d & (c | t)),
    "shares alone": lambda c, t, d: c & t,
}


def flags(case: dict, scale: str, floors: tuple[float, float, float], rule: str) -> np.ndarray:
    chunk, title, dens = case["scales"][scale]
    under = RULES[rule](chunk < floors[0], title < floors[1], dens < floors[2])
    return np.asarray((case["heading"] | under) & ~case["named"])


def rate(case: dict, flagged: np.ndarray) -> str:
    oos = case["oos"]
    return f"{flagged[oos].mean():.0%} at {flagged[~oos].mean():.1%}"


def fit(case: dict, scale: str, rule: str, max_false: float, points: int = 30) -> tuple[float, float, float]:
    """Floors flagging the most out-of-scope questions within `max_false` of answerable (then the fewest
    answerable): a grid over quantiles of the observed values."""

    def grid(values: np.ndarray) -> np.ndarray:
        values = values[np.isfinite(values)]
        return np.r_[-np.inf, np.quantile(values, np.linspace(0, 0.6, points))]

    chunk, title, dens = case["scales"][scale]
    best, chosen = (-1.0, 0.0), (-np.inf, -np.inf, -np.inf)
    for floors in itertools.product(grid(chunk), grid(title), grid(dens) if rule != "shares alone" else [-np.inf]):
        flagged = flags(case, scale, floors, rule)
        answerable, oos = flagged[~case["oos"]].mean(), flagged[case["oos"]].mean()
        if answerable <= max_false and (oos, -answerable) > best:
            best, chosen = (oos, -answerable), floors
    return chosen


def shipped(label: str, case: dict) -> dict[str, tuple[str, tuple[float, float, float], str]]:
    """The product's floors for this case's direction, and the candidates with floors set from them."""
    source, _, target = label.split()[-1].partition(">")
    floors = retrieval.CROSS_DIRECTION_FLOORS.get((source, target), retrieval.CROSS_ONLY_FLOORS)
    density = retrieval.CROSS_DENSITY_FLOORS.get((source, target), -np.inf)
    product = (floors["cross_share"], floors["cross_title_share"], density)
    demo_title = {"en>ar": 0.260, "ar>en": 0.237}.get(f"{source}>{target}", 0.237)  # the demo's floors as cosines
    return {
        "product": ("per-index shares", product, "density OR both shares"),
        "density needs a share": ("per-index shares", product, "density needs a share"),
        "title floor on the raw cosine": (
            "shares, raw title",
            (product[0], demo_title, density),
            "density OR both shares",
        ),
        "chunk floor -2.0": ("per-index shares", (-2.0, product[1], density), "density OR both shares"),
    }


def near_line(label: str, case: dict, near: dict) -> str:
    """The share of the case's near-topic questions (in the field, answered by no article: all out of scope) each
    candidate flags, with the floors `shipped` sets from the dev `case`."""
    figures = [f"{name} {flags(near, *setting).mean():.0%}" for name, setting in shipped(label, case).items()]
    return f"{label} near-topic ({len(near['oos'])}), flagged: " + "; ".join(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="+", type=Path)
    parser.add_argument("--max-false", type=float, default=0.04)
    args = parser.parse_args()
    dump: dict = {}
    for path in args.dumps:
        dump.update(json.loads(path.read_text("utf-8")))
    cases = {
        label: case_data(rows, dump[label + " scales"][0]) for label, rows in dump.items() if "scales" not in label
    }
    near = {
        label: case_data(rows, dump[label + " scales"][0], near=True)
        for label, rows in dump.items()
        if "scales" not in label and any(r.get("near") for r in rows)
    }
    for label, case in cases.items():
        figures = [f"{name} {rate(case, flags(case, *setting))}" for name, setting in shipped(label, case).items()]
        print(
            f"{label} ({(~case['oos']).sum()} + {case['oos'].sum()}), oos / answerable flagged: " + "; ".join(figures)
        )
        if label in near:
            print(near_line(label, case, near[label]))
    pair = [label for label in cases if label.endswith("en>ar")]
    for scale in next(iter(cases.values()))["scales"]:
        for rule in RULES:
            fitted = {label: fit(cases[label], scale, rule, args.max_false) for label in pair}
            parts = [
                f"own fit {label} {rate(cases[label], flags(cases[label], scale, fitted[label], rule))}"
                for label in pair
            ]
            for fit_on, score_on in itertools.permutations(pair, 2):
                scored = flags(cases[score_on], scale, fitted[fit_on], rule)
                parts.append(
                    f"fitted on {fit_on.split()[0]}, scored on {score_on.split()[0]} {rate(cases[score_on], scored)}"
                )
            print(f"transfer [{scale}, {rule}]: " + "; ".join(parts))


if __name__ == "__main__":
    main()
