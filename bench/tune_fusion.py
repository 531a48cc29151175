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
out-of-scope queries the training figures flatter the floors by 10-20 points. The fit itself is the product's
(copilot.learnt_floors, which `kb floors` runs on a help center's own search log).
Prints the tables; the chosen values are copied into copilot/retrieval.py by hand, with the
figures in the commit message.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from copilot.engine import Engine
from copilot.learnt_floors import SIGNALS, cross_validate, fit_rule, flags
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
