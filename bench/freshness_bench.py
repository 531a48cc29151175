"""Commit to searchable: seconds from the git push hook to the edited article being the top result.

    python bench/freshness_bench.py            # 5 one-article commits, median and max
    python bench/freshness_bench.py --runs 10 --json

The demo content is copied into a fresh git repository (content/ in a subfolder, as in this
project); the server is deployed as recommended for git sync: it renders and searches the
snapshot in --data, and `kb worker` (started here) follows the repository through
KB_GIT_CONTENT_DIR. Each run commits a new section holding a made-up word to one English
article, posts a GitHub-signed push to
/api/v1/hooks/git, then polls /api/v1/search every 50 ms until that article is the top result for
the word. The clock starts just before the hook is posted. The index and embedding cache in
--data are reused between bench runs, so only the edit is embedded, as in production.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copilot.engine import Engine  # noqa: E402
from indexer.git_sync import snapshot_dir  # noqa: E402
from kb.articles import load_article  # noqa: E402
from kb.settings import Settings  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.background import serving  # noqa: E402
from webapp.sync_commands import sync_engine  # noqa: E402

ARTICLES = [
    "en/orders/gift-cards.md",
    "en/payments/apple-pay.md",
    "en/delivery/delivery-fees.md",
    "en/returns/refund-timing.md",
    "en/account/reset-password.md",
]
POLL_S = 0.05
TIMEOUT_S = 60.0


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def make_repo(target: Path) -> Path:
    content = target / "content"
    shutil.copytree(ROOT / "content", content)
    git(target, "init", "-q", "-b", "main")
    git(target, "config", "user.name", "Bench Writer")
    git(target, "config", "user.email", "bench@example.com")
    git(target, "config", "commit.gpgsign", "false")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "import the help center")
    return content


def nonsense_word(rng: random.Random) -> str:
    """Pronounceable, in no dictionary or article, so only the edited article can match it."""
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(4)) + rng.choice("xqj")


def commit_edit(content: Path, relative: str, word: str) -> None:
    path = content / relative
    section = f"\n## {word.capitalize()} programme\n\nThe {word} programme is described here, with {word} terms.\n"
    path.write_text(path.read_text("utf-8") + section, "utf-8")
    git(content, "commit", "-q", "-am", f"{word}: {relative}")


def post_hook(base_url: str, secret: str) -> int:
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"{base_url}/api/v1/hooks/git", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.loads(response.read())["job"])


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def wait_searchable(base_url: str, word: str, article_id: str) -> None:
    url = f"{base_url}/api/v1/search?" + urllib.parse.urlencode({"q": word, "lang": "en", "limit": 3})
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        results = get_json(url)["results"]
        if results and results[0]["id"] == article_id:
            return
        time.sleep(POLL_S)
    raise SystemExit(f"{word!r} did not bring up {article_id} within {TIMEOUT_S:.0f} s")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "bench" / "freshness")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="kb-freshness-") as tmp:
        content = make_repo(Path(tmp))
        settings = Settings.from_env(data_dir=args.data, webhook_secret=secret, git_content_dir=content)
        engine = Engine(replace(settings, content_dir=snapshot_dir(settings)))
        setup = sync_engine(engine, content, show_progress=None)  # a new repository: a full comparison
        engine.warm_up()
        app = create_app(engine.settings, engine=engine)
        app.config["RATELIMIT_ENABLED"] = False
        samples: list[dict[str, object]] = []
        # The syncs run in `kb worker`, a process of its own as in production: the web app sees its
        # result when the new index version is published.
        worker = subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "worker", "--data", str(args.data)],
            env={**os.environ, "KB_CONTENT_DIR": str(engine.settings.content_dir), "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        load_before = load()
        with serving(app) as base_url:
            warm_up = post_hook(base_url, secret)  # the worker loads its models on its first sync: not timed
            deadline = time.monotonic() + 300
            while get_json(f"{base_url}/api/v1/hooks/git/status")["done_job"] < warm_up:
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit("kb worker did not run the warm-up sync")
                time.sleep(0.2)
            for i in range(args.runs):
                relative = ARTICLES[i % len(ARTICLES)]
                word = nonsense_word(rng)
                commit_edit(content, relative, word)
                article_id = load_article(content / relative, content).id
                started = time.perf_counter()
                job = post_hook(base_url, secret)
                wait_searchable(base_url, word, article_id)
                elapsed = time.perf_counter() - started
                run = get_json(f"{base_url}/api/v1/hooks/git/status")["last_run"] or {}
                samples.append({"article": relative, "word": word, "job": job, "seconds": round(elapsed, 3),
                                "sync_seconds": run.get("seconds")})
        worker.terminate()
        worker.wait(timeout=60)
        engine.close()
    seconds = [float(s["seconds"]) for s in samples]  # type: ignore[arg-type]
    report = {
        "runs": len(samples),
        "median_s": round(statistics.median(seconds), 2),
        "max_s": round(max(seconds), 2),
        "target_s": 10,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load(),
        "setup": setup.summary(),
        "samples": samples,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    for s in samples:
        print(f"  {s['article']:32} {s['word']:10} hook->searchable {s['seconds']:.2f} s (sync {s['sync_seconds']} s)")
    print(
        f"commit to searchable over {report['runs']} one-article commits: median {report['median_s']} s, "
        f"max {report['max_s']} s (target {report['target_s']} s; {report['cpus']} CPUs, "
        f"load {report['load_before']} -> {report['load_after']})"
    )


if __name__ == "__main__":
    main()
