"""What a sync costs the searches that follow it, before and after the shared index snapshot and the
background title vectors, side by side in one run.

    python bench/index_view_bench.py                      # this tree against main's ab94064
    python bench/index_view_bench.py --baseline REF --domains m365
    python bench/index_view_bench.py --profile --domains m365   # where the first search's time goes


Each tree (the baseline, extracted with `git archive`, and this one) runs in its own process with
the same models, per domain (the demo help center and m365, from their embedding caches in
var/bench, so nothing is embedded):
- a server engine starts on an empty index and warms up (a new help center's first deploy);
- another engine of the same process syncs the content, as the worker or `kb index` does, and the
  server's next search, once it sees the new version (CHECK_EVERY_S), is timed: "first search after
  the first sync" (every title new: the title vectors' whole build);
- one article is edited and synced again, and the server's next search timed, SMALL_SYNCS times
  (median): "after a small sync";
- the payload reads (`store.payloads` calls and their time) those first searches caused;
- the steady state, on a copy of the domain's prebuilt index in var/bench (the same HNSW graph for
  both trees: an index built anew differs in its near ties): every dev query once, median and
  p95 of `took_ms` (STEADY_PASSES passes), after the background builds are done; and each query's
  top 10 (article keys), compared between the trees (PYTHONHASHSEED fixed: some near ties are
  broken by the iteration order of string sets, which differs between processes otherwise).
The first searches ask a query of the kind that takes the cross-lingual path (m365: English over
Arabic-only articles; demo: Arabic with English-only candidates), the path that uses the title vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SMALL_SYNCS = 5
WINDOW_S = 0.1  # "a search 0.1 s after the sync": before the serving process's check (every WATCH_EVERY_S)
STEADY_PASSES = 2  # the dev queries twice (the second from the query-vector cache): a loaded machine's noise
BASELINE = "ab94064"  # main with every lever of session 4 merged
DOMAINS = {  # name: (content, embedding cache's data dir, dev queries, first-search query language)
    "demo": (ROOT / "content", ROOT / "var/bench/demo", ROOT / "tests/eval/dev_queries.jsonl", "ar"),
    "m365": (ROOT / "var/bench/m365-content", ROOT / "var/bench/m365", ROOT / "tests/eval/m365_queries.jsonl", "en"),
}


# -- one tree, one process -------------------------------------------------------------------------


def timed_search(engine: Any, query: str, lang: str) -> float:
    started = time.perf_counter()
    engine.retriever.search(query, lang=lang)
    return round((time.perf_counter() - started) * 1000, 1)


def settle(engine: Any) -> None:
    """Wait for every background build (the baseline has fewer of them and no `wait_for_views`)."""
    retriever = engine.retriever
    if hasattr(retriever, "wait_for_views"):
        retriever.wait_for_views()
    for view in (retriever._hubs, retriever.term_table._table):
        view.wait()


class PayloadReads:
    """Counts the store's payload reads and their time (every store class of the process)."""

    def __init__(self, store_class: Any) -> None:
        self.calls = 0
        self.ms = 0.0
        original = store_class.payloads

        def counted(store: Any, fields: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(store, fields)
            finally:
                self.calls += 1
                self.ms += (time.perf_counter() - started) * 1000

        store_class.payloads = counted

    def take(self) -> dict[str, float]:
        out = {"calls": self.calls, "ms": round(self.ms, 1)}
        self.calls, self.ms = 0, 0.0
        return out


def domain_copy(name: str, work: Path) -> tuple[Path, Any, list[dict], dict]:
    """The domain's content and embedding cache copied under `work` (the index is built from them),
    its settings, its dev queries and the first answerable one in the domain's first language."""
    from kb.settings import Settings

    content_source, cache_dir, queries_path, first_lang = DOMAINS[name]
    content, data = work / name / "content", work / name / "data"
    shutil.copytree(content_source, content)
    data.mkdir(parents=True)
    shutil.copy2(cache_dir / "embeddings.sqlite", data / "embeddings.sqlite")
    rows = [json.loads(line) for line in queries_path.read_text("utf-8").splitlines() if line.strip()]
    first = next(r for r in rows if r["lang"] == first_lang and r.get("relevant"))
    return content, Settings.from_env(content_dir=content, data_dir=data), rows, first


def measure_domain(name: str, embedders: list, work: Path) -> dict:
    from copilot import index_view
    from copilot.engine import Engine
    from indexer.stores.edge import EdgeStore
    from kb.settings import Settings

    content, settings, rows, first = domain_copy(name, work)
    content_source, cache_dir = DOMAINS[name][:2]
    reads = PayloadReads(EdgeStore)
    server = Engine(settings, embedders)
    server.warm_up()  # an empty index: what the server of a new help center starts with
    syncer = Engine(settings, embedders)  # the worker's (or `kb index`'s) engine
    out: dict[str, Any] = {}
    started = time.perf_counter()
    syncer.index(show_progress=False)
    out["sync_s"] = round(time.perf_counter() - started, 1)
    wait = index_view.CHECK_EVERY_S + 0.2
    time.sleep(wait)
    reads.take()
    out["first_after_first_sync_ms"] = timed_search(server, first["query"], first["lang"])
    out["reads_first_sync"] = reads.take()
    out["second_after_first_sync_ms"] = timed_search(server, first["query"], first["lang"])
    settle(server)
    articles = sorted(content.rglob("*.md"))

    def sync_rounds(label: str, edited: list[Path], pause: float) -> list[float]:
        """One round per article of `edited`: edit it, sync, search `pause` seconds later; the server is
        settled (its check has run) before the next round."""
        times: list[float] = []
        for article in edited:
            article.write_text(article.read_text("utf-8") + f"\n\nOne more paragraph for the {label}.\n", "utf-8")
            syncer.index(show_progress=False)
            time.sleep(pause)
            reads.take()
            times.append(timed_search(server, first["query"], first["lang"]))
            out[f"reads_{label}"] = reads.take()
            if pause < wait:
                time.sleep(wait)  # the check has run: the next round starts from a settled server
            settle(server)
        return times

    spread = [articles[(i + 1) * len(articles) // (SMALL_SYNCS + 1)] for i in range(SMALL_SYNCS)]
    small = sync_rounds("small_sync", spread, wait)
    out["first_after_small_sync_ms"] = statistics.median(small)
    out["first_after_small_sync_rounds_ms"] = small
    # a search that comes before the server's check (`index_view.watch`) noticed the sync
    between = [articles[(2 * i + 1) * len(articles) // (2 * SMALL_SYNCS + 1)] for i in range(SMALL_SYNCS)]
    window = sync_rounds("window", between, WINDOW_S)
    out["window_after_small_sync_ms"] = statistics.median(window)
    out["window_after_small_sync_rounds_ms"] = window
    server.close()
    syncer.close()
    prebuilt = work / name / "prebuilt"
    shutil.copytree(cache_dir, prebuilt)
    steady = Engine(Settings.from_env(content_dir=content_source, data_dir=prebuilt), embedders)
    steady.index(show_progress=False)  # a cache built by another analyzer version is rebuilt (from its embeddings)
    steady.warm_up()
    settle(steady)
    took: list[float] = []
    top: dict[str, list[str]] = {}
    for _ in range(STEADY_PASSES):
        for row in rows:
            result = steady.retriever.search(row["query"], lang=row["lang"])
            took.append(result.took_ms)
            top[f"{row['lang']}|{row['query']}"] = [hit.key for hit in result.results[:10]]
    took.sort()
    out["steady_p50_ms"] = round(statistics.median(took), 1)
    out["steady_p95_ms"] = round(took[int(0.95 * (len(took) - 1))], 1)
    out["queries"] = len(rows)
    out["top10"] = top
    steady.close()
    return out


def profile_domain(name: str, embedders: list, work: Path, top: int = 25, after: float | None = None) -> None:
    """This tree only: the first search after a one-article sync under cProfile, with each view's
    build timed (which of them the search waited for), printed. Not a figure for RESULTS' table:
    the profiler slows pure-Python code. The search comes `after` seconds after the sync (default:
    once the server's check has seen it; WINDOW_S: before)."""
    import cProfile
    import pstats

    from copilot import index_view
    from copilot.engine import Engine

    content, settings, _rows, first = domain_copy(name, work)
    server, syncer = Engine(settings, embedders), Engine(settings, embedders)
    server.warm_up()
    syncer.index(show_progress=False)
    time.sleep(index_view.CHECK_EVERY_S + 0.2)
    timed_search(server, first["query"], first["lang"])
    settle(server)
    builds: list[tuple[str, str, float]] = []  # (thread, view, ms)

    def timed(label: str, build: Any) -> Any:
        def timed_build() -> Any:
            started = time.perf_counter()
            try:
                return build()
            finally:
                builds.append((threading.current_thread().name, label, (time.perf_counter() - started) * 1000))

        return timed_build

    retriever = server.retriever
    for attribute, view in vars(retriever).items():  # every live view's build, timed in place
        if isinstance(view, index_view.FromIndex):
            view._build = timed(attribute, view._build)
    for number, view in enumerate(retriever.vocabulary.views() if retriever.vocabulary is not None else []):
        if isinstance(view, index_view.FromIndex):
            view._build = timed(f"vocabulary[{number}]", view._build)
    articles = sorted(content.rglob("*.md"))
    article = articles[len(articles) // 2]
    article.write_text(article.read_text("utf-8") + "\n\nOne more paragraph for the benchmark.\n", "utf-8")
    syncer.index(show_progress=False)
    time.sleep(index_view.CHECK_EVERY_S + 0.2 if after is None else after)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    server.retriever.search(first["query"], lang=first["lang"])
    profiler.disable()
    ms = (time.perf_counter() - started) * 1000
    when = "once the check saw it" if after is None else f"{after} s after it"
    print(f"[{name}] first search after a one-article sync, {when}: {ms:.0f} ms (profiled)")
    settle(server)
    for thread, label, ms in builds:  # MainThread: the search waited for it
        print(f"[{name}]   view build {label:30} {ms:8.0f} ms  ({thread})")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    server.close()
    syncer.close()


def measure(domains: list[str], out_path: Path) -> None:
    from indexer.embedders import E5SmallEmbedder, Embedder, MultilingualUSEEmbedder

    embedders: list[Embedder] = [E5SmallEmbedder(threads=1), MultilingualUSEEmbedder(threads=1)]
    for model in embedders:
        model.embed_queries(["warm up"])
    work = Path(tempfile.mkdtemp(prefix="kb-index-view-"))
    try:
        figures = {name: measure_domain(name, embedders, work) for name in domains}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_path.write_text(json.dumps(figures, ensure_ascii=False), "utf-8")


# -- both trees, side by side ----------------------------------------------------------------------


def run_tree(tree: Path, domains: list[str]) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}  # ties among set members: same order
    command = [sys.executable, __file__, "--measure", str(out), "--domains", ",".join(domains)]
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    return json.loads(out.read_text("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision measured as 'before'")
    parser.add_argument("--domains", default=",".join(DOMAINS))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)  # one tree's process
    parser.add_argument("--profile", action="store_true", help="profile this tree's first search after a small sync")
    parser.add_argument(
        "--profile-after",
        type=float,
        default=None,
        help=f"with --profile: search this many seconds after the sync (e.g. {WINDOW_S})",
    )
    args = parser.parse_args()
    domains = args.domains.split(",")
    if args.profile:
        from indexer.embedders import E5SmallEmbedder, MultilingualUSEEmbedder

        work = Path(tempfile.mkdtemp(prefix="kb-index-view-"))
        try:
            for name in domains:
                models = [E5SmallEmbedder(threads=1), MultilingualUSEEmbedder(threads=1)]
                profile_domain(name, models, work, after=args.profile_after)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    if args.measure:
        measure(domains, args.measure)
        return
    base = Path(tempfile.mkdtemp(prefix="kb-baseline-"))
    archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    try:
        before, after = run_tree(base, domains), run_tree(ROOT, domains)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    lines = [
        ("first search after the first sync (ms)", "first_after_first_sync_ms"),
        ("second search after it (ms)", "second_after_first_sync_ms"),
        (f"first search after a one-article sync (ms, median of {SMALL_SYNCS})", "first_after_small_sync_ms"),
        (f"search {WINDOW_S} s after a one-article sync (ms, median of {SMALL_SYNCS})", "window_after_small_sync_ms"),
        ("steady state took_ms p50", "steady_p50_ms"),
        ("steady state took_ms p95", "steady_p95_ms"),
    ]
    for name in domains:
        b, a = before[name], after[name]
        print(f"[{name}] {a['queries']} queries; sync {b['sync_s']} s / {a['sync_s']} s (before / after)")
        for label, key in lines:
            print(f"[{name}]   {label:45} {b[key]:>9} -> {a[key]}")
        reads = (
            ("first sync", "reads_first_sync"),
            ("one-article sync", "reads_small_sync"),
            (f"sync, {WINDOW_S} s on", "reads_window"),
        )
        for label, key in reads:
            rb, ra = b[key], a[key]
            print(
                f"[{name}]   payload reads on the first search after the {label:17} "
                f"{rb['calls']} ({rb['ms']} ms) -> {ra['calls']} ({ra['ms']} ms)"
            )
        same = sum(1 for q, keys in b["top10"].items() if a["top10"].get(q) == keys)
        print(f"[{name}]   identical top 10: {same} of {len(b['top10'])} queries")
    if args.json:
        args.json.write_text(json.dumps({"before": before, "after": after}, ensure_ascii=False, indent=2), "utf-8")


if __name__ == "__main__":
    main()
