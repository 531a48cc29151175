"""Choose fusion weights and the abstention rule on a development query set, per language.

    python bench/tune_fusion.py --content content --queries tests/eval/dev_queries.jsonl

Fusion: a coarse grid of weighted-RRF weights (e5 fixed at 1, USE and lexical varied) and RRF k,
scored by article-level MRR@10 on the answerable queries of each language. The grid is coarse on
purpose: the product will meet queries this set does not have, and a weight that wins by 0.005
here means nothing there. Abstention: thresholds on the per-source evidence the retriever returns
(`signals`), scored by how many out-of-scope queries they flag against how many answerable ones.
Prints the tables; the chosen values are copied into copilot/retrieval.py by hand, with the
figures in the commit message.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from copilot.engine import Engine
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
    args = parser.parse_args()
    engine = Engine(Settings.from_env(content_dir=args.content, data_dir=args.data))
    print(engine.index(show_progress=None).summary())
    rows = [json.loads(line) for line in args.queries.read_text("utf-8").splitlines() if line.strip()]
    retriever = engine.retriever
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
    engine.close()


if __name__ == "__main__":
    main()
