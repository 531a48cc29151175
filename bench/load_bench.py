"""Load: 8 clients for 10 minutes against a real server, with a re-index every minute.

    python bench/load_bench.py                 # 8 clients, 10 minutes
    python bench/load_bench.py --minutes 2     # shorter, same mix

The demo content is copied to a temporary folder and indexed once (not timed). The server is the
real app in its own process on 127.0.0.1 (waitress, 8 threads, rate limits off: one address sends
far more than any person). Each client cycles through the mix customers and partners produce:
the as-you-type search API, the results page, an article page, the token API's suggest, and the
contact form (GET, then POST with its CSRF token: a real ticket). Every `--reindex-every` seconds
one article gets a new sentence and `kb index` runs in a separate process, as an editor's publish
would. Printed: requests and errors per kind (an error is a 5xx, a refused connection or a
timeout; must be 0), p50/p95 latency per kind, the re-index runs, and the server's RSS at start
(after warm-up), middle and end, which must be flat after warm-up.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desk.desk import Desk  # noqa: E402
from kb.settings import Settings  # noqa: E402

SERVER = """
import logging
import sys
from waitress import serve
from webapp import create_app
app = create_app()
app.extensions["engine"].warm_up()
print("ready", flush=True)
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" notes: load is the point here
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
"""
QUERIES = ["refund", "how long until my refund arrives", "نسيت كلمة المرور", "apple pay", "delivery fees",
           "تتبع الطلب", "change my address", "warranty claim", "gift card balance", "استرجاع المبلغ"]
ARTICLES = ["/en/articles/refund-timing", "/ar/articles/reset-password", "/en/articles/apple-pay",
            "/en/articles/delivery-fees", "/ar/articles/refund-timing"]
TICKETS = [("Refund not received", "I returned my order two weeks ago and the refund is not on my card."),
           ("نسيت كلمة المرور", "لا أستطيع الدخول إلى حسابي، رابط الاستعادة لا يعمل")]
EDITED = "en/returns/refund-timing.md"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


class Client(threading.Thread):
    def __init__(self, number: int, base: str, token: str, until: float) -> None:
        super().__init__(daemon=True)
        self.number, self.base, self.token, self.until = number, base, token, until
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.session = requests.Session()

    def run(self) -> None:
        kinds = itertools.cycle(["instant", "page", "article", "instant", "suggest", "article", "contact"])
        step = self.number
        while time.monotonic() < self.until:
            kind = next(kinds)
            step += 1
            started = time.perf_counter()
            try:
                ok = getattr(self, kind)(step)
            except requests.RequestException as error:
                ok = f"{type(error).__name__}: {error}"
            self.timings[kind].append((time.perf_counter() - started) * 1000)
            if ok is not True:
                self.errors[kind].append(str(ok))

    def _check(self, response: requests.Response, *expected: int) -> bool | str:
        return True if response.status_code in expected else f"{response.status_code} {response.url}"

    def instant(self, step: int) -> bool | str:
        query = QUERIES[step % len(QUERIES)]
        return self._check(self.session.get(f"{self.base}/api/v1/search", params={"q": query, "src": "instant"},
                                             timeout=60), 200)

    def page(self, step: int) -> bool | str:
        lang = "ar" if step % 2 else "en"
        return self._check(self.session.get(f"{self.base}/{lang}/search", params={"q": QUERIES[step % len(QUERIES)]},
                                             timeout=60), 200)

    def article(self, step: int) -> bool | str:
        return self._check(self.session.get(self.base + ARTICLES[step % len(ARTICLES)], timeout=60), 200)

    def suggest(self, step: int) -> bool | str:
        subject, body = TICKETS[step % len(TICKETS)]
        return self._check(self.session.post(f"{self.base}/api/v1/suggest", json={"subject": subject, "body": body},
                                              headers={"Authorization": f"Bearer {self.token}"}, timeout=60), 200)

    def contact(self, step: int) -> bool | str:
        page = self.session.get(f"{self.base}/en/contact", timeout=60).text
        found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        if not found:
            return "contact page without a CSRF token"
        subject, body = TICKETS[0]
        response = self.session.post(f"{self.base}/en/contact", allow_redirects=False, timeout=60, data={
            "name": "Load", "email": f"load{self.number}@example.com", "subject": subject,
            "message": f"{body} ({step})", "csrf_token": found.group(1)})
        return self._check(response, 302)


def rss_mb(process: psutil.Process) -> float:
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reindex-every", type=float, default=60.0, help="seconds between re-index runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="load-bench-"))
    content, data = work / "content", work / "data"
    shutil.copytree(ROOT / "content", content)
    env = {**os.environ, "KB_CONTENT_DIR": str(content), "KB_DATA_DIR": str(data), "KB_RATE_LIMITS": "off",
           "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    kb = [sys.executable, "-c", "from webapp.cli import main; main()"]
    print("indexing the demo content (not timed) ...", flush=True)
    subprocess.run([*kb, "index", "--quiet"], env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    desk = Desk(Settings(content_dir=content, data_dir=data))
    token = desk.accounts.create_token("load bench")
    desk.close()

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    base = f"http://127.0.0.1:{port}"
    reindexes: list[dict[str, float | int]] = []
    timeline: list[tuple[int, float]] = []
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        for _ in range(100):  # the port opens just after "ready"
            try:
                requests.get(f"{base}/api/v1/health", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        process = psutil.Process(server.pid)
        warm = Client(0, base, token, time.monotonic() + 5)
        warm.run()  # one round of every kind before the clock starts
        rss = {"start": rss_mb(process)}
        started = time.monotonic()
        until = started + args.minutes * 60
        clients = [Client(i + 1, base, token, until) for i in range(args.clients)]
        for client in clients:
            client.start()
        next_index, middle_taken, edits = started + args.reindex_every, False, 0
        next_sample = started
        while time.monotonic() < until:
            now = time.monotonic()
            if now >= next_sample:  # the timeline shows whether growth follows re-indexing or requests
                timeline.append((round(now - started), round(rss_mb(process), 1)))
                next_sample += 15
            if not middle_taken and now >= started + args.minutes * 30:
                rss["middle"], middle_taken = rss_mb(process), True
            if now >= next_index:
                edits += 1
                article = content / EDITED
                article.write_text(article.read_text("utf-8") + f"\nLoad bench edit {edits}.\n", "utf-8")
                t0 = time.perf_counter()
                done = subprocess.run([*kb, "index", "--quiet"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, check=False)
                reindexes.append({"at_s": round(now - started), "seconds": round(time.perf_counter() - t0, 2),
                                  "exit": done.returncode})
                next_index += args.reindex_every
            time.sleep(0.2)
        for client in clients:
            client.join(120)
        rss["end"] = rss_mb(process)
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    kinds = sorted({k for c in clients for k in c.timings})
    report = {
        "clients": args.clients, "minutes": args.minutes,
        "kinds": {
            kind: {
                "requests": sum(len(c.timings[kind]) for c in clients),
                "errors": sum(len(c.errors[kind]) for c in clients),
                "p50_ms": round(statistics.median(t := [x for c in clients for x in c.timings[kind]]), 1),
                "p95_ms": round(percentile(t, 0.95), 1),
            }
            for kind in kinds
        },
        "errors": sum(len(e) for c in clients for e in c.errors.values()),
        "first_errors": [e for c in clients for es in c.errors.values() for e in es][:5],
        "reindex": reindexes,
        "rss_mb": {k: round(v, 1) for k, v in rss.items()},
        "rss_timeline": timeline,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    total = sum(k["requests"] for k in report["kinds"].values())
    print(f"{args.clients} clients, {args.minutes:g} min: {total} requests, {report['errors']} errors")
    for kind, figures in report["kinds"].items():
        print(f"  {kind:8} {figures['requests']:6} requests  {figures['errors']} errors  "
              f"p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms")
    print("  re-index runs: " + ", ".join(f"at {r['at_s']} s took {r['seconds']} s (exit {r['exit']})"
                                          for r in reindexes))
    print("  server RSS MB: " + ", ".join(f"{k} {v}" for k, v in report["rss_mb"].items()))
    print("  RSS timeline (s: MB): " + ", ".join(f"{t}: {mb}" for t, mb in timeline))
    for error in report["first_errors"]:
        print("  error:", error)


if __name__ == "__main__":
    main()
