"""Indexing speed: cold index, incremental re-index of one edited article, peak memory.

    python bench/index_bench.py                       # shipped content and ../shared/corpora/m365-ar
    python bench/index_bench.py --corpus content      # just one

For each corpus: a cold index into a fresh data directory (no embedding cache), then five times
"edit one article, run `kb index`" as a user would (a new process each time: start-up and model
loading included) and the same in-process. Prints medians; writes JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from copilot.engine import Engine
from kb.articles import iter_article_paths
from kb.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
M365 = Path(os.environ.get("KB_SHARED_DIR", ROOT.parent / "shared")) / "corpora" / "m365-ar"


def prepare(corpus: str, work: Path) -> Path:
    content = work / "content"
    if corpus == "m365-ar":
        from m365_import import convert

        convert(M365, content)
    else:
        shutil.copytree(ROOT / corpus, content)
    return content


def edit(path: Path, round_number: int) -> None:
    text = path.read_text("utf-8")
    path.write_text(text + f"\n\nEdited paragraph number {round_number} for the benchmark.\n", "utf-8")


def bench(corpus: str, rounds: int, keep: Path | None) -> dict:
    work = keep / corpus if keep else Path(tempfile.mkdtemp(prefix="kb-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    content = prepare(corpus, work)
    settings = Settings.from_env(content_dir=content, data_dir=work / "data")
    engine = Engine(settings)
    engine.warm_up()
    started = time.perf_counter()
    report = engine.index(show_progress=None)
    cold = time.perf_counter() - started
    chunks = report.chunks_embedded + report.chunks_reused
    articles = len(report.added)
    print(f"[{corpus}] cold: {report.summary()}")
    print(f"[{corpus}] cold: {articles / cold:.1f} articles/s, {chunks / cold:.2f} chunks/s, {cold:.1f} s")

    paths = list(iter_article_paths(content))
    target = paths[len(paths) // 2]
    in_process, cli = [], []
    env = {**os.environ}
    for number in range(rounds):
        edit(target, number)
        t0 = time.perf_counter()
        engine.index(show_progress=False)
        in_process.append(time.perf_counter() - t0)
        edit(target, 100 + number)
        t0 = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "webapp.cli",
                "index",
                "--quiet",
                "--content",
                str(content),
                "--data",
                str(settings.data_dir),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        cli.append(time.perf_counter() - t0)
        assert "1 changed" in done.stdout, done.stdout + done.stderr
    engine.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "corpus": corpus,
        "articles": articles,
        "chunks": chunks,
        "cold_s": round(cold, 1),
        "articles_per_s": round(articles / cold, 2),
        "chunks_per_s": round(chunks / cold, 2),
        "incremental_in_process_s_median": round(statistics.median(in_process), 3),
        "incremental_cli_s_median": round(statistics.median(cli), 3),
        "peak_rss_mb": round(peak_mb),
    }
    print(
        f"[{corpus}] incremental (one edited article), median of {rounds}: "
        f"in-process {result['incremental_in_process_s_median']} s, "
        f"`kb index` end to end {result['incremental_cli_s_median']} s"
    )
    print(f"[{corpus}] peak RSS of the indexing process: {result['peak_rss_mb']} MB")
    if keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", help="content (shipped) or m365-ar; default both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="keep content and index in KEEP/<corpus>")
    args = parser.parse_args()
    results = [bench(corpus, args.rounds, args.keep) for corpus in args.corpus or ["content", "m365-ar"]]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), "utf-8")


if __name__ == "__main__":
    main()
