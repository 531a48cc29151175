"""Retrieval quality of an index: Recall@1/5/10 and MRR@10 per language and per mode, plus latency.

    python bench/eval_retrieval.py --content content --queries tests/eval/dev_queries.jsonl
    python bench/eval_retrieval.py --content ../shared/eval/xquad-dev/content \
        --queries ../shared/eval/xquad-dev/queries.jsonl
    python bench/eval_retrieval.py --content content --content-langs en --query-langs ar  # cross-lingual

A query file has one `{"lang", "query", "relevant": [article ids]}` per line; queries with no
relevant article are out-of-scope and are reported apart (how often something is still returned).
Modes: hybrid (the product), e5, use (dense alone), lexical (BM25 alone, Qdrant's IDF). Scores are
article-level: an article counts once, at the rank of its best chunk. Figures are printed and
written as JSON (`--json`); nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from copilot.engine import Engine
from copilot.retrieval import SearchResult
from kb.settings import Settings

MODES = {"hybrid": None, "e5": "e5", "use": "use", "lexical": "lexical"}


def load_queries(path: Path, langs: set[str] | None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if langs is None or r["lang"] in langs]


def filtered_content(source: Path, langs: list[str], target: Path) -> Path:
    """Only these languages' articles, with the help center's own files (synonyms, categories).

    A help center missing translations still has its synonym groups; leaving them out would
    measure a help center that does not exist.
    """
    for lang in langs:
        shutil.copytree(source / lang, target / lang)
    for own in source.glob("_*.yml"):
        shutil.copy2(own, target / own.name)
    return target


def rank_of(result: SearchResult, relevant: set[str]) -> int | None:
    for position, hit in enumerate(result.results, 1):
        if hit.id in relevant:
            return position
    return None


def evaluate(engine: Engine, queries: list[dict], mode: str, lang_filter: bool) -> dict:
    per_lang: dict[str, dict] = {}
    latencies: list[float] = []
    for row in queries:
        started = time.perf_counter()
        result = engine.retriever.search(
            row["query"], lang=row["lang"] if lang_filter else None, limit=10, only=MODES[mode]
        )
        latencies.append((time.perf_counter() - started) * 1000)
        stats = per_lang.setdefault(
            row["lang"], {"n": 0, "r1": 0, "r5": 0, "r10": 0, "mrr": 0.0, "oos": 0, "oos_flagged": 0, "false_flags": 0}
        )
        relevant = set(row["relevant"])
        if not relevant:
            stats["oos"] += 1
            stats["oos_flagged"] += result.abstained
            continue
        stats["false_flags"] += result.abstained
        rank = rank_of(result, relevant)
        stats["n"] += 1
        stats["r1"] += rank == 1
        stats["r5"] += rank is not None and rank <= 5
        stats["r10"] += rank is not None and rank <= 10
        stats["mrr"] += 1 / rank if rank else 0.0
    report = {}
    for lang, s in sorted(per_lang.items()):
        n = max(s["n"], 1)
        report[lang] = {
            "queries": s["n"],
            "recall@1": round(s["r1"] / n, 3),
            "recall@5": round(s["r5"] / n, 3),
            "recall@10": round(s["r10"] / n, 3),
            "mrr@10": round(s["mrr"] / n, 3),
            "out_of_scope": s["oos"],
            "abstained_out_of_scope": round(s["oos_flagged"] / max(s["oos"], 1), 3),
            "abstained_answerable": round(s["false_flags"] / n, 3),
        }
    ordered = sorted(latencies)
    report["latency_ms"] = {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1], 1),
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--queries", type=Path, default=Path("tests/eval/dev_queries.jsonl"))
    parser.add_argument("--data", type=Path, default=None, help="index directory (default: var/bench/<content name>)")
    parser.add_argument("--content-langs", default=None, help="index only these content languages, e.g. en")
    parser.add_argument("--query-langs", default=None, help="run only queries in these languages, e.g. ar")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--no-lang-filter", action="store_true", help="detect the language instead of passing it")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    args = parser.parse_args()

    content = args.content
    temp = None
    if args.content_langs:
        temp = Path(tempfile.mkdtemp())
        content = filtered_content(args.content, args.content_langs.split(","), temp / "content")
    name = args.content.resolve().name if args.content.name != "content" else args.content.resolve().parent.name
    data = args.data or Path("var/bench") / (name + (f"-{args.content_langs}" if args.content_langs else ""))
    engine = Engine(Settings.from_env(content_dir=content, data_dir=data))
    started = time.perf_counter()
    indexed = engine.index(show_progress=None)
    print(f"index: {indexed.summary()} ({time.perf_counter() - started:.1f} s)")
    queries = load_queries(args.queries, set(args.query_langs.split(",")) if args.query_langs else None)
    engine.retriever.search("warm up", lang="en")
    report: dict = {"content": str(args.content), "queries": str(args.queries), "content_langs": args.content_langs}
    print(
        f"{'mode':8} {'lang':4} {'n':>4} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7}  "
        "abstain oos/answerable   latency p50/p95 ms"
    )
    for mode in args.modes.split(","):
        result = evaluate(engine, queries, mode, lang_filter=not args.no_lang_filter)
        report[mode] = result
        for lang, r in result.items():
            if lang == "latency_ms":
                continue
            lat = result["latency_ms"]
            print(
                f"{mode:8} {lang:4} {r['queries']:>4} {r['recall@1']:>6.3f} {r['recall@5']:>6.3f} "
                f"{r['recall@10']:>6.3f} {r['mrr@10']:>7.3f}  {r['abstained_out_of_scope']:>6.2f}/"
                f"{r['abstained_answerable']:<14.3f} {lat['p50']}/{lat['p95']}"
            )
    engine.close()
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
        print(f"report: {args.json}")


if __name__ == "__main__":
    main()
