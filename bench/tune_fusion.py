"""Choose fusion weights and the abstention rule on a development query set, per language.

    python bench/tune_fusion.py --content content --queries tests/eval/dev_queries.jsonl
    python bench/tune_fusion.py --abstention-only --max-false 0.04  # floors and register offsets only

Fusion: a coarse grid of weighted-RRF weights (e5 fixed at 1, USE and lexical varied) and RRF k,
scored by article-level MRR@10 on the answerable queries of each language. The grid is coarse on
purpose: the product will meet queries this set does not have, and a weight that wins by 0.005
here means nothing there. Abstention: thresholds on the per-source evidence the retriever returns
(`signals`), scored by how many out-of-scope queries they flag against how many answerable ones,
with offsets per query register (dialect, mixed script; see copilot.retrieval.query_register) fitted
on answerable queries, and cross-validated figures beside the training ones: with a few dozen
out-of-scope queries the training figures flatter the floors by 10-20 points.
Prints the tables; the chosen values are copied into copilot/retrieval.py by hand, with the
figures in the commit message.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from copilot.engine import Engine
from copilot.retrieval import query_register
from copilot.tuning import FUSION_WEIGHTS, RRF_K
from kb.settings import Settings


def mrr(engine: Engine, rows: list[dict]) -> tuple[float, float]:
    total = top1 = 0.0
    for row in rows:
        result = engine.retriever.search(row["query"], lang=row["lang"], limit=10)
        ids = [h.id for h in result.results]
        rank = next((i for i, hit in enumerate(ids, 1) if hit in row["relevant"]), None)
        total += 1 / rank if rank else 0
        top1 += rank == 1
    return total / len(rows), top1 / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--queries", type=Path, default=Path("tests/eval/dev_queries.jsonl"))
    parser.add_argument("--data", type=Path, default=Path("var/bench/tune"))
    parser.add_argument("--abstention-only", action="store_true", help="skip the fusion grid")
    parser.add_argument(
        "--max-false", type=float, default=0.04, help="largest share of answerable queries the floors may flag"
    )
    args = parser.parse_args()
    engine = Engine(Settings.from_env(content_dir=args.content, data_dir=args.data))
    print(engine.index(show_progress=None).summary())
    rows = [json.loads(line) for line in args.queries.read_text("utf-8").splitlines() if line.strip()]
    retriever = engine.retriever
    retriever.abstain_floors = None  # signals only: no floors are needed to measure them
    if args.abstention_only:
        abstention(engine, rows, args.max_false)
        engine.close()
        return
    for lang in sorted({r["lang"] for r in rows}):
        answerable = [r for r in rows if r["lang"] == lang and r["relevant"]]
        results = []
        for use, lexical, k in itertools.product((0.0, 0.3, 0.6, 1.0), (0.0, 0.3, 0.6, 1.0, 1.5), (10, 30, 60)):
            retriever.fusion = {lang: {"e5": 1.0, "use": use, "lexical": lexical}}
            retriever.rrf_k = k
            score, r1 = mrr(engine, answerable)
            results.append((round(score, 3), round(r1, 3), use, lexical, k))
        results.sort(reverse=True)
        print(f"[{lang}] best MRR@10 / R@1 with (use, lexical, k):")
        for line in results[:8]:
            print("   ", line)
        default = next(r for r in results if r[2:] == (1.0, 1.0, 60))
        print(f"[{lang}] equal weights, k=60: {default}")
    retriever.fusion, retriever.rrf_k = dict(FUSION_WEIGHTS), RRF_K
    abstention(engine, rows, args.max_false)
    engine.close()


# The lexical evidence in the index's own units (copilot.calibration), so fitted floors carry over.
SIGNALS = ("e5_top", "use_top", "lexical_share", "field_top")
OFFSET_SIGNALS = ("e5_top", "use_top", "lexical_share")  # field_top is a share of words, not a model's score
MIN_REGISTER_QUERIES = 5  # answerable queries a register needs (and plain too) to get its own offsets


def register_offsets(
    scores: np.ndarray, registers: Sequence[str], answerable: np.ndarray
) -> dict[str, dict[str, float]]:
    """Per register, how much lower its answerable queries' median evidence is than plain queries'.

    Fitted on answerable queries only, which a help center has plenty of (search logs with clicks),
    unlike out-of-scope ones; clipped at zero, so a register never makes abstaining easier.
    """
    regs = np.asarray(registers)
    plain = answerable & (regs == "plain")
    offsets: dict[str, dict[str, float]] = {}
    if plain.sum() < MIN_REGISTER_QUERIES:
        return offsets
    for register in sorted(set(registers) - {"plain"}):
        group = answerable & (regs == register)
        if group.sum() < MIN_REGISTER_QUERIES:
            continue
        shift = np.median(scores[group], axis=0) - np.median(scores[plain], axis=0)
        offsets[register] = {
            name: round(float(min(0.0, shift[i])), 3) for i, name in enumerate(SIGNALS) if name in OFFSET_SIGNALS
        }
    return offsets


def adjusted(scores: np.ndarray, registers: Sequence[str], offsets: dict[str, dict[str, float]]) -> np.ndarray:
    """Scores minus their register's offsets: comparing these to plain floors is comparing the raw
    scores to the register's floors."""
    out = scores.copy()
    for i, register in enumerate(registers):
        shift = offsets.get(register, {})
        out[i] -= [shift.get(name, 0.0) for name in SIGNALS]
    return out


def flag_counts(scores: np.ndarray, grids: Sequence[np.ndarray]) -> np.ndarray:
    """How many rows every combination of floors flags (every score under its floor), one count per grid point.

    A row is flagged at floor indices (a, b, c, d) when each index is at least the number of grid values at or
    below the row's score; so the counts are the 4-d prefix sums of a histogram of those numbers. The same counts
    as comparing every row with every combination (which bench/log_floors.py's fits on a thousand logged queries
    spent minutes on), in the size of the grid instead of rows times grid."""
    for grid in grids:
        if not (np.diff(grid) > 0).all():
            raise ValueError("each floor grid must be strictly increasing")
    first = [np.searchsorted(grid, scores[:, i], side="right") for i, grid in enumerate(grids)]
    counts = np.zeros([len(grid) + 1 for grid in grids])
    np.add.at(counts, tuple(first), 1)
    for axis in range(len(grids)):
        counts = counts.cumsum(axis=axis)
    return counts[tuple(slice(0, len(grid)) for grid in grids)]


def choose_floors(scores: np.ndarray, out_of_scope: np.ndarray, max_false: float) -> tuple[float, float, list[float]]:
    """The floors that flag most out-of-scope queries with at most `max_false` of answerable ones.

    Abstain when every signal is under its floor. The grids are the observed values, thinned (every
    3rd e5, every 6th USE and lexical score) plus "off", and `field_top` takes half, most or all of
    the query only: coarse on purpose, so that the floors are not fitted to a handful of queries.
    Returns (recall, false rate, floors); ties go to the fewer false flags.
    """
    grids = [
        np.unique(scores[:, 0].round(3))[::3],
        np.append(np.unique(scores[:, 1].round(3))[::6], 9.0),
        np.append(np.unique(scores[:, 2].round(3))[::6], 999.0),
        np.array([0.5, 0.7, 9.0]),
    ]
    false_rate = flag_counts(scores[~out_of_scope], grids) / int((~out_of_scope).sum())
    recall = (
        flag_counts(scores[out_of_scope], grids) / int(out_of_scope.sum())
        if out_of_scope.any()
        else np.zeros(false_rate.shape)
    )
    score = np.where(false_rate <= max_false, recall * 1000 - false_rate, -1.0)
    best = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(recall[best]), float(false_rate[best]), [float(grids[i][best[i]]) for i in range(len(grids))]


def fit_rule(
    scores: np.ndarray, registers: Sequence[str], out_of_scope: np.ndarray, max_false: float, offsets_on: bool
) -> tuple[list[float], dict[str, dict[str, float]]]:
    offsets = register_offsets(scores, registers, ~out_of_scope) if offsets_on else {}
    _, _, floors = choose_floors(adjusted(scores, registers, offsets), out_of_scope, max_false)
    return floors, offsets


def flags(scores: np.ndarray, registers: Sequence[str], floors: list[float], offsets: dict) -> np.ndarray:
    return np.asarray((adjusted(scores, registers, offsets) < np.asarray(floors)).all(axis=1))


def cross_validate(
    scores: np.ndarray,
    registers: Sequence[str],
    out_of_scope: np.ndarray,
    max_false: float,
    offsets_on: bool,
    folds: int = 5,
    repeats: int = 5,
) -> tuple[float, float]:
    """Recall and false-flag rate on held-out queries (stratified k-fold, repeated): what to expect
    on queries the floors were not chosen on. Training-set figures flatter the rule."""
    hits = false = 0
    for seed in range(repeats):
        rng = np.random.default_rng(seed)
        fold = np.empty(len(out_of_scope), dtype=int)
        for label in (True, False):  # stratified: each fold gets its share of out-of-scope queries
            members = rng.permutation(np.flatnonzero(out_of_scope == label))
            fold[members] = np.arange(len(members)) % folds
        for k in range(folds):
            test = fold == k
            regs = np.asarray(registers)
            floors, offsets = fit_rule(scores[~test], list(regs[~test]), out_of_scope[~test], max_false, offsets_on)
            flagged = flags(scores[test], list(regs[test]), floors, offsets)
            hits += int(flagged[out_of_scope[test]].sum())
            false += int(flagged[~out_of_scope[test]].sum())
    return hits / (repeats * max(int(out_of_scope.sum()), 1)), false / (repeats * int((~out_of_scope).sum()))


def abstention(engine: Engine, rows: list[dict], max_false: float) -> None:
    """Floors per source and offsets per query register, with training and cross-validated figures."""
    for lang in sorted({r["lang"] for r in rows}):
        mine = [r for r in rows if r["lang"] == lang]
        signals = [engine.retriever.search(r["query"], lang=lang, limit=10).signals for r in mine]
        scores = np.array([[s.get(name, 0.0) for name in SIGNALS] for s in signals])
        out_of_scope = np.array([not r["relevant"] for r in mine])
        registers = [query_register(r["query"], lang) for r in mine]
        counts = {g: registers.count(g) for g in sorted(set(registers))}
        print(f"[{lang}] abstention: {out_of_scope.sum()} out-of-scope, {(~out_of_scope).sum()} answerable; {counts}")
        for offsets_on in (False, True):
            floors, offsets = fit_rule(scores, registers, out_of_scope, max_false, offsets_on)
            flagged = flags(scores, registers, floors, offsets)
            cv_recall, cv_false = cross_validate(scores, registers, out_of_scope, max_false, offsets_on)
            print(
                f"[{lang}] {'with' if offsets_on else 'without'} register offsets: flags "
                f"{flagged[out_of_scope].mean():.0%} of out-of-scope, {flagged[~out_of_scope].mean():.1%} of "
                f"answerable (5-fold CV: {cv_recall:.0%} / {cv_false:.1%}) with "
                f"{dict(zip(SIGNALS, (round(f, 3) for f in floors), strict=True))} offsets {offsets}"
            )


if __name__ == "__main__":
    main()
