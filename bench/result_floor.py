"""Choose the results page's relative score floor (copilot/result_floor.py) on a dev set.

    PYTHONPATH=$PWD python bench/result_floor.py [--content content] [--queries tests/eval/dev_queries.jsonl]

For each candidate floor it prints, over the queries with a relevant article: how often the
relevant article is among the shown results (kept), the median and 90th percentile of results
shown, and the same for the queries as typed by customers (questions and dialect). Also the
head queries' first result. Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from copilot.engine import Engine
from copilot.head_queries import head_first
from copilot.result_floor import split_at_floor
from copilot.retrieval import SearchHit
from kb.catalog import Catalog
from kb.settings import Settings

FLOORS = (0.0, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--data", type=Path, default=Path("var/bench/content"))
    parser.add_argument("--queries", type=Path, default=Path("tests/eval/dev_queries.jsonl"))
    args = parser.parse_args()
    engine = Engine(Settings.from_env(content_dir=args.content, data_dir=args.data))
    engine.index(show_progress=None)
    rows = [json.loads(line) for line in args.queries.read_text("utf-8").splitlines() if line.strip()]
    results = []
    for row in rows:
        result = engine.retriever.search(row["query"], lang=row["lang"], limit=50, audience="public")
        hits = [] if result.abstained else list(result.results)
        results.append((row, hits))
    catalog = Catalog(engine.settings)

    def tags_of(hit: SearchHit) -> tuple[str, ...]:
        found = catalog.get(hit.lang, hit.id)
        return found.tags if found is not None else ()

    answerable = [(r, h) for r, h in results if r.get("relevant") and any(x.id in r["relevant"] for x in h)]
    print(f"{len(rows)} queries, {len(answerable)} with the relevant article somewhere in the results")
    print(f"{'floor':>6} {'kept':>7} {'kept@1st3':>9} {'median shown':>12} {'p90 shown':>9} {'max':>4}")
    for floor in FLOORS:
        kept, shown_counts, top3 = 0, [], 0
        for row, hits in answerable:
            shown, _more = split_at_floor(hits, floor)
            shown_counts.append(len(shown))
            ids = [h.id for h in shown]
            kept += any(i in row["relevant"] for i in ids)
            top3 += any(i in row["relevant"] for i in ids[:3])
        counts = sorted(shown_counts)
        p90 = counts[int(0.9 * (len(counts) - 1))]
        print(f"{floor:>6.2f} {kept / len(answerable):>7.1%} {top3 / len(answerable):>9.1%} "
              f"{statistics.median(counts):>12} {p90:>9} {max(counts):>4}")
    ranked_top1 = sum(h[0].id in r["relevant"] for r, h in answerable) / len(answerable)
    page_top1 = sum(head_first(split_at_floor(h)[0], r["query"], tags_of)[0].id in r["relevant"]
                    for r, h in answerable) / len(answerable)
    print(f"\nfirst result is relevant: retriever order {ranked_top1:.1%}, results page (head_first) {page_top1:.1%}")
    print("\nhead queries (kind=head): first result on the results page (floor, then head_first)")
    for row, hits in results:
        if row.get("kind") == "head":
            first = head_first(split_at_floor(hits)[0], row["query"], tags_of)[0].id if hits else "-"
            mark = "ok" if first in row.get("relevant", []) else "MISS"
            print(f"  [{row['lang']}] {row['query']!r:45} -> {first} ({mark}), {len(hits)} results")
    engine.close()


if __name__ == "__main__":
    main()
