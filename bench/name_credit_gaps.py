"""How far the field credit can move a miss framed by a product name (issue #18, the lever name_rarity).

    PYTHONPATH=. python bench/eval_retrieval.py --suite --no-grids --misses /tmp/miss_dev.jsonl
    PYTHONPATH=. python bench/name_credit_gaps.py /tmp/miss_dev.jsonl

For each miss of the `--misses` file (hybrid, not ranked first) whose question frames its request with product
names (copilot.framed_lead.framing_names: the Latin words copilot.product_names leaves out of the intent), the
question is searched again as configured and two figures are printed: the score gap between the first result and
the right page, and the names' whole field credit (FIELD_CREDIT x best fused score x the names' share of the
typed query's terms): the most that weighing the names in the titles, down to nothing, can move one title against
another. Where the gap is the larger, no weighing of the names in the field credit reaches the miss; the lever
name_rarity (and candidate_rarity before it) works only there. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from bench.eval_retrieval import DOMAINS, chosen_domains, suite_cases
from copilot.retrieval import Retriever
from indexer.lexical import SparseVector
from indexer.stores.base import Hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("misses", type=Path, help="a --misses file of bench/eval_retrieval.py --suite")
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.misses.read_text(encoding="utf-8").splitlines() if line.strip()]
    missed = {(row["domain"], row["case"], row["query"]) for row in rows}
    swings: list[float] = []
    credit_fields = Retriever._credit_fields

    def spy(
        self: Retriever,
        ranked: Sequence[Hit],
        terms: dict[str, tuple[SparseVector, SparseVector]],
        credit: float,
        names: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        for lang, (_, typed) in terms.items():
            named = set(self.lexical.encode_query(" ".join(sorted(names)), lang).indices) & set(typed.indices)
            if named:
                swings.append(credit * len(named) / len(set(typed.indices)))
        return credit_fields(self, ranked, terms, credit, names)

    Retriever._credit_fields = spy  # type: ignore[method-assign]
    counts = {"framed": 0, "in first 10": 0, "gap larger": 0}
    print(f"{'domain':7} {'case':20} {'rank':>4} {'gap':>6} {'names':>6}  query")
    for case in suite_cases(chosen_domains(args.domains.split(","), None), Path("var/bench")):
        for row in case.rows:
            if (case.domain, case.name, row["query"]) not in missed or not row["relevant"]:
                continue
            swings.clear()
            result = case.engine.retriever.search(row["query"], lang=row["lang"], limit=10)
            if not swings:
                continue
            counts["framed"] += 1
            keys = [hit.key.split("/", 1)[-1] for hit in result.results]
            right = next((n for n, key in enumerate(keys) if key in row["relevant"]), None)
            gap = result.results[0].score - result.results[right].score if right is not None else None
            if gap is not None:
                counts["in first 10"] += 1
                counts["gap larger"] += gap > max(swings)
            shown = f"{gap:6.3f}" if gap is not None else f"{'-':>6}"
            rank = right + 1 if right is not None else "-"
            print(f"{case.domain:7} {case.name:20} {rank:>4} {shown} {max(swings):6.3f}  {row['query']}")
    print(", ".join(f"{name}: {n}" for name, n in counts.items()))


if __name__ == "__main__":
    main()
