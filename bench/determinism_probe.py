"""Is search bit-stable between processes? The same queries over the same prebuilt bench index, in two processes.

    PYTHONPATH=. .venv/bin/python bench/determinism_probe.py --domain demo --compare [--limit 100]

`--compare` runs this script twice as child processes with different PYTHONHASHSEED values (each opens the index
with `eval_retrieval.open_engine`, which waits for the views) and diffs what each saw per query: the top 10 (ids
and scores), the abstention and every signal. Within the child, each query is also asked a second time at the end
(in reverse order: after different other queries) and compared with its first answer.

`--dump FILE` (what a child runs) writes {"first": {query: answer}, "again": {query: answer}} as JSON;
`--data DIR` opens another index of the domain's help center than var/bench's (the tests' demo index).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.eval_retrieval import DOMAINS, domain_content, load_queries, open_engine

ROOT = Path("var/bench")


def answer(engine, row: dict, depth: int = 10) -> dict:
    result = engine.retriever.search(row["query"], lang=row["lang"], limit=depth)
    return {
        "hits": [[hit.key, hit.score] for hit in result.results],
        "abstained": result.abstained,
        "signals": dict(sorted(result.signals.items())),
    }


def rows_of(domain_name: str, limit: int) -> list[dict]:
    domain = next(d for d in DOMAINS if d.name == domain_name)
    rows = load_queries(domain.queries, None)
    if domain.near_scope is not None:
        rows += load_queries(domain.near_scope, None)
    step = max(1, len(rows) // limit)
    return rows[::step][:limit]


def dump(domain_name: str, limit: int, out: Path, data: Path | None = None, depth: int = 10) -> None:
    domain = next(d for d in DOMAINS if d.name == domain_name)
    engine = open_engine(domain_content(domain), data or ROOT / domain.name, None)
    rows = rows_of(domain_name, limit)
    first = {f"{r['lang']}|{r['query']}": answer(engine, r, depth) for r in rows}
    again = {f"{r['lang']}|{r['query']}": answer(engine, r, depth) for r in reversed(rows)}
    within = sorted(k for k in first if first[k] != again[k])
    print(f"within one process: {len(within)} of {len(first)} queries answer differently the second time")
    for key in within[:5]:
        print("  ", key, "abstained", first[key]["abstained"], again[key]["abstained"])
        x, y = first[key], again[key]
        for rank, (hx, hy) in enumerate(zip(x["hits"], y["hits"], strict=False)):
            if hx != hy:
                print(f"     rank {rank + 1}: {hx} / {hy}")
        for name in sorted(set(x["signals"]) | set(y["signals"])):
            if x["signals"].get(name) != y["signals"].get(name):
                print(f"     {name}: {x['signals'].get(name)} / {y['signals'].get(name)}")
    out.write_text(json.dumps({"first": first, "again": again}, ensure_ascii=False), "utf-8")
    engine.close()


def compare(a: dict, b: dict) -> dict:
    top, order, scores, abstained, max_signal, max_score = [], [], [], [], 0.0, 0.0
    worst = ""
    for key in a:
        x, y = a[key], b[key]
        x, y = {**x, "hits": x["hits"][:10]}, {**y, "hits": y["hits"][:10]}
        if [h[0] for h in x["hits"]] != [h[0] for h in y["hits"]]:
            (top if {h[0] for h in x["hits"]} != {h[0] for h in y["hits"]} else order).append(key)
        elif x["hits"] != y["hits"]:
            scores.append(key)
        for (kx, sx), (ky, sy) in zip(x["hits"], y["hits"], strict=False):
            if kx == ky:
                max_score = max(max_score, abs(sx - sy))
        if x["abstained"] != y["abstained"]:
            abstained.append(key)
        for name in set(x["signals"]) | set(y["signals"]):
            gap = abs(x["signals"].get(name, float("nan")) - y["signals"].get(name, float("nan")))
            gap = float("inf") if gap != gap else gap  # a signal only one side has is the largest difference
            if gap > max_signal:
                worst, max_signal = f"{key} {name}", gap
    return {
        "queries": len(a),
        "top10_set_differs": top,
        "top10_order_differs": order,
        "scores_only_differ": scores,
        "abstention_differs": abstained,
        "max_signal_difference": max_signal,
        "max_score_difference": max_score,
        "worst_signal": worst,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="demo", choices=[d.name for d in DOMAINS])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--depth", type=int, default=10, help="hits per answer compared (the diff reads the top 10)")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--seeds", default="1,2")
    args = parser.parse_args()
    if args.dump:
        dump(args.domain, args.limit, args.dump, args.data, args.depth)
        return
    outs = []
    with tempfile.TemporaryDirectory() as temp:
        for seed in args.seeds.split(","):
            out = Path(temp) / f"{seed}.json"
            env = dict(os.environ, PYTHONHASHSEED=seed)
            command = [sys.executable, __file__, "--domain", args.domain, "--limit", str(args.limit)]
            command += ["--dump", str(out), *(["--data", str(args.data)] if args.data else [])]
            subprocess.run(command, env=env, check=True)
            outs.append(json.loads(out.read_text("utf-8"))["first"])
    report = compare(outs[0], outs[1])
    print(f"{args.domain}: two processes (PYTHONHASHSEED {args.seeds}), {report['queries']} queries")
    for name in ("top10_set_differs", "top10_order_differs", "scores_only_differ", "abstention_differs"):
        print(f"  {name}: {len(report[name])}")
        for key in report[name][:4]:
            print(f"     {key}")
    print(f"  max signal difference: {report['max_signal_difference']:.3g} ({report['worst_signal']})")
    print(f"  max score difference (same article, same rank): {report['max_score_difference']:.3g}")


if __name__ == "__main__":
    main()
