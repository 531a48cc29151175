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
from copilot.retrieval import FUSION_WEIGHTS, RRF_K
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
    retriever.fusion, retriever.rrf_k = dict(FUSION_WEIGHTS), RRF_K
    abstention(engine, rows)
    engine.close()


def abstention(engine: Engine, rows: list[dict]) -> None:
    """Grid over per-source score floors: abstain when every source's best score is under its floor.

    `field_top` (the share of the query's terms in the top article's title and tags) is evidence
    like the others; its grid is coarse (half, most, all of the query) so that it is not fitted
    to a handful of out-of-scope queries.
    """
    for lang in sorted({r["lang"] for r in rows}):
        signals = []
        for row in (r for r in rows if r["lang"] == lang):
            result = engine.retriever.search(row["query"], lang=lang, limit=10)
            signals.append((bool(row["relevant"]), result.signals))
        answerable = [s for ok, s in signals if ok]
        out_of_scope = [s for ok, s in signals if not ok]
        grids = {name: sorted({round(s[name], 3) for _, s in signals}) for name in ("e5_top", "use_top", "lexical_top")}
        best = None
        for e5, use, lex, title in itertools.product(
            grids["e5_top"][::3], [*grids["use_top"][::6], 9.0], [*grids["lexical_top"][::6], 999.0], (0.5, 0.7, 9.0)
        ):

            def flagged(s: dict, e5: float = e5, use: float = use, lex: float = lex, title: float = title) -> bool:
                return (
                    s["e5_top"] < e5
                    and s["use_top"] < use
                    and s["lexical_top"] < lex
                    and s.get("field_top", 0.0) < title
                )

            false_rate = sum(map(flagged, answerable)) / len(answerable)
            if false_rate > 0.05:
                continue
            recall = sum(map(flagged, out_of_scope)) / max(len(out_of_scope), 1)
            if best is None or (recall, -false_rate) > (best[0], -best[1]):
                best = (recall, false_rate, e5, use, lex, title)
        print(f"[{lang}] abstention: {len(out_of_scope)} out-of-scope, {len(answerable)} answerable")
        if best:
            print(
                f"[{lang}] best: flags {best[0]:.0%} of out-of-scope, {best[1]:.1%} of answerable with "
                f"e5_top < {best[2]}, use_top < {best[3]}, lexical_top < {best[4]}, field_top < {best[5]}"
            )


if __name__ == "__main__":
    main()
