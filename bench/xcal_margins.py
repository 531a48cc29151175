"""Cross-lingual abstention, question by question: each signal's value, which floors fire, and how far the answerable
questions sit from each floor (issue #18, bench/RESULTS.md "Session 16, xcal6").

    PYTHONPATH=. python bench/xcal_margins.py                       # dev, both domains, every cross-lingual case
    PYTHONPATH=. python bench/xcal_margins.py --json var/xcal.json  # also every question's signals, for reading

When only the other language can answer, search abstains (copilot.retrieval.Retriever._abstains) when the question
names no title and (the heading floor, the fused floor with LEVERS["fused_floor"], the direction's density floor, or
both share floors) fire. This prints, per cross-lingual case (query language > article language) and per floor of that
rule: how many out-of-scope and answerable questions it flags alone, the answerable questions' lowest values and how
many sit within a margin of the floor (a floor whose answerable questions sit within a hair of it flags held-out ones);
then the suite's fused-floor lines (bench/eval_retrieval.fused_floor_lines; no fit on held-out questions). Signals are
collected with the floors off, as the suite does (bench/eval_retrieval.collect_signals); nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.eval_retrieval import (
    DOMAINS,
    MAX_FALSE,
    PRODUCT_RULE_SIGNALS,
    Case,
    add_heldout_argument,
    chosen_domains,
    collect_signals,
    cross_matrix,
    direction,
    fused_floor_lines,
    load_queries,
    product_rule,
    suite_cases,
)
from copilot import retrieval
from copilot.calibration import density_samples, other_articles, title_query_scores
from copilot.heading_floor import HEADING_FLOOR

MARGINS = (0.1, 0.25, 0.5)  # in the signal's own units (shares of the index's scale; a cosine for the heading)


def floors_of(source: str, target: str) -> dict[str, float]:
    """The product's floors for one direction, by signal (absent: that floor does not apply)."""
    shares = retrieval.CROSS_DIRECTION_FLOORS.get((source, target), retrieval.CROSS_ONLY_FLOORS)
    out = {"cross_share": shares["cross_share"], "cross_title_share": shares["cross_title_share"]}
    if retrieval.LEVERS["heading_floor"]:
        out["cross_heading_top"] = HEADING_FLOOR
    density = retrieval.CROSS_DENSITY_FLOORS.get((source, target))
    if density is not None:
        out["cross_density_share"] = density
    out["cross_fused_top"] = retrieval.CROSS_FUSED_FLOOR  # printed with LEVERS["fused_floor"] off too
    return out


def margin_lines(label: str, scores: np.ndarray, oos: np.ndarray, floors: dict[str, float]) -> list[str]:
    """Per floor: out-of-scope / answerable flagged by it alone (title names exempt), the answerable questions'
    lowest values and how many sit within each margin above it."""
    named = scores[:, PRODUCT_RULE_SIGNALS.index("title_names")] > 0
    lines = []
    for name, floor in floors.items():
        values = scores[:, PRODUCT_RULE_SIGNALS.index(name)]
        under = (values < floor) & ~named
        answerable = np.sort(values[~oos & ~named])
        near = ", ".join(f"<{m}: {((answerable >= floor) & (answerable < floor + m)).sum()}" for m in MARGINS)
        lines.append(
            f"{label} {name} floor {floor:.3f}: alone flags {under[oos].sum()}/{oos.sum()} out-of-scope, "
            f"{under[~oos].sum()}/{(~oos).sum()} answerable; answerable lowest {answerable[:4].round(3).tolist()}, "
            f"median {np.median(answerable):.3f}; above the floor within {near}; out-of-scope median "
            f"{np.median(values[oos]):.3f}"
        )
    source, _, target = label.split()[-1].partition(">")
    shares = (floors["cross_share"], floors["cross_title_share"])
    product = product_rule(scores, (source, target), shares)
    both = (
        (scores[:, 0] < shares[0]) & (scores[:, 1] < shares[1]) & ~named
    )  # the share floors' conjunction, for the margin of the pair: the nearer of the two distances
    gap = np.maximum(scores[:, 0] - shares[0], scores[:, 1] - shares[1])
    lines.append(
        f"{label} product rule: {product[oos].mean():.0%} of out-of-scope at {product[~oos].mean():.1%} of answerable; "
        f"share floors together {both[oos].sum()}/{oos.sum()} at {both[~oos].sum()}/{(~oos).sum()}, answerable "
        f"not flagged by them within 0.1 of both: {((gap >= 0) & (gap < 0.1) & ~oos & ~named).sum()}"
    )
    return lines


CUSTOMER = Path("tests/eval/m365_customer_queries.jsonl")  # the customer slice (bench/feedback_gate.py)


def customer_signals(case: Case) -> list[tuple[dict, dict]]:
    """The customer slice's questions in the case's query languages, each with its signals (floors off)."""
    asking = {r["lang"] for r in case.rows}
    rows = load_queries(CUSTOMER, asking)
    retriever = case.engine.retriever
    floors, retriever.abstain_floors = retriever.abstain_floors, None
    try:
        return [(r, dict(retriever.search(r["query"], lang=r["lang"], limit=10).signals)) for r in rows]
    finally:
        retriever.abstain_floors = floors


def title_background_quantiles(vectors: np.ndarray, keys: Sequence[str]) -> dict[str, float]:
    """Quantiles of the USE cosine between two titles of different articles (the background)."""
    article = np.array(keys)
    values = (vectors @ vectors.T)[other_articles(article, article)]
    return {str(q): float(np.quantile(values, q)) for q in (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    parser.add_argument("--json", type=Path, default=None, help="write every question's signals here")
    parser.add_argument(
        "--customer",
        action="store_true",
        help=f"also dump m365's customer slice ({CUSTOMER}), its questions in a language the index lacks",
    )
    add_heldout_argument(parser)
    args = parser.parse_args()
    cases = [
        c
        for c in suite_cases(chosen_domains(args.domains.split(","), args.heldout), Path("var/bench"))
        if c.name.startswith("cross-lingual")
    ]
    dump: dict[str, list[dict]] = {}
    for case in cases:
        collect_signals(case)
        label = f"{case.domain} {direction(case)}"
        scores, oos = cross_matrix(case, PRODUCT_RULE_SIGNALS)
        source, _, target = direction(case).partition(">")
        for line in margin_lines(label, scores, oos, floors_of(source, target)):
            print(line)
        rows = [r for lang in case.signals for r in case.rows if r["lang"] == lang]
        signals = [s for lang in case.signals for s in case.signals[lang]]
        near = [s for lang in case.near_signals for s in case.near_signals[lang]]
        dump[label] = [{**r, "signals": s} for r, s in zip(rows, signals, strict=True)] + [
            {**r, "near": True, "signals": s}
            for r, s in zip(
                [r for lang in case.near_signals for r in case.near if r["lang"] == lang], near, strict=True
            )
        ]
        if args.customer and case.domain == "m365" and not args.heldout:
            dump[label] += [{**r, "customer": True, "signals": s} for r, s in customer_signals(case)]
        scales = case.engine.retriever._cross_scales
        density = case.engine.retriever._density_scales
        titles = case.engine.retriever._titles.get()  # type: ignore[union-attr]
        ids = [(row, key.split("/", 1)[1]) for row, key in enumerate(titles.keys[target])]
        e5_view = case.engine.retriever._more_titles.get("title_e5")
        e5 = e5_view.get() if e5_view is not None else None
        samples = title_query_scores(case.engine.store, titles.vectors[target], ids, titles, target, "use")
        dump[label + " scales"] = [
            {
                "cross": (scales.peek() or {}).get((source, target)).__dict__ if scales else None,  # type: ignore[union-attr]
                "density": (density.peek() or {}).get(target).__dict__ if density else None,  # type: ignore[union-attr]
                "density_samples": density_samples(e5.vectors[target], e5.keys[target])[0] if e5 else None,
                "title_background": title_background_quantiles(titles.vectors[target], titles.keys[target]),
                "title_samples": dict(
                    zip(("true_chunk", "wrong_chunk", "true_title", "wrong_title"), samples, strict=True)
                ),
            }
        ]
    for line in fused_floor_lines({f"{c.domain} {direction(c)}": c for c in cases}, MAX_FALSE, not args.heldout):
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(dump, ensure_ascii=False, indent=1, default=str), "utf-8")
    for case in cases:
        case.engine.close()


if __name__ == "__main__":
    main()
