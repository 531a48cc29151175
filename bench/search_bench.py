"""Search latency through the HTTP API with 1 and 8 concurrent clients, and the server's memory.

    python bench/search_bench.py --content content --queries tests/eval/dev_queries.jsonl
    python bench/search_bench.py --corpus m365-ar

Starts `kb serve` on a free local port over an index built beforehand (reused from
var/bench/<name>), sends every query once per concurrency level (the server is restarted between
levels so its query-vector cache starts cold), and prints p50/p95 of the server's own `took_ms`
and of the client's round trip, plus the server's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from copilot.engine import Engine
from kb.articles import load_content
from kb.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 1)


def get(port: int, query: str, lang: str | None) -> tuple[float, float]:
    params = {"q": query, "limit": "10", **({"lang": lang} if lang else {})}
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/search?{urllib.parse.urlencode(params)}") as r:
        body = json.loads(r.read())
    return body["took_ms"], (time.perf_counter() - started) * 1000


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return float("nan")


def run_level(settings: Settings, queries: list[tuple[str, str | None]], clients: int) -> dict:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "serve", "--port", str(port), "--content", str(settings.content_dir),
         "--data", str(settings.data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "KB_RATE_LIMITS": "off"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get(port, "warm up", "en")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        with ThreadPoolExecutor(clients) as pool:
            timings = list(pool.map(lambda q: get(port, *q), queries))
        server_ms = [t[0] for t in timings]
        client_ms = [t[1] for t in timings]
        return {
            "clients": clients,
            "queries": len(queries),
            "server_p50_ms": percentile(server_ms, 0.5),
            "server_p95_ms": percentile(server_ms, 0.95),
            "client_p50_ms": percentile(client_ms, 0.5),
            "client_p95_ms": percentile(client_ms, 0.95),
            "server_peak_rss_mb": peak_rss_mb(server.pid),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--corpus", choices=["m365-ar"], default=None, help="import and use a shared corpus")
    parser.add_argument(
        "--titles-as-queries", action="store_true", help="query with the corpus's own titles and summaries"
    )
    parser.add_argument("--queries", type=Path, default=ROOT / "tests/eval/dev_queries.jsonl")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    content, name = args.content, args.content.resolve().name
    if args.corpus:
        from m365_import import convert

        content, name = Path(tempfile.mkdtemp()) / "content", args.corpus
        convert(Path(os.environ.get("KB_SHARED_DIR", ROOT.parent / "shared")) / "corpora" / "m365-ar", content)
    settings = Settings.from_env(content_dir=content, data_dir=args.data or ROOT / "var" / "bench" / name)
    engine = Engine(settings)
    print(f"[{name}] index: {engine.index(show_progress=None).summary()}")
    engine.close()
    if args.corpus or args.titles_as_queries:  # an imported corpus has no query set: its titles and summaries
        articles = load_content(content).articles
        queries = [(a.title, None) for a in articles] + [(a.summary[:80], None) for a in articles if a.summary]
    else:
        rows = [json.loads(line) for line in args.queries.read_text("utf-8").splitlines() if line.strip()]
        queries = [(r["query"], r["lang"]) for r in rows]
    results = []
    for clients in (1, 8):
        level = run_level(settings, queries, clients)
        results.append(level)
        print(
            f"[{name}] {clients} client(s), {level['queries']} queries: server took_ms p50 {level['server_p50_ms']} "
            f"p95 {level['server_p95_ms']}; round trip p50 {level['client_p50_ms']} p95 {level['client_p95_ms']}; "
            f"server peak RSS {level['server_peak_rss_mb']} MB"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), "utf-8")


if __name__ == "__main__":
    main()
