"""Each cross-lingual dev query translated once by the local GGUF model, into a JSONL cache (query_translation).

    PYTHONPATH=. .venv/bin/python bench/query_translations.py --root /work/llm-bench \
        --out bench/results/query_translations.jsonl              # ar>en of GNOME and the demo, then en>ar
    PYTHONPATH=. .venv/bin/python bench/query_translations.py --only gnome:ar   # one domain's one language

The model and llama-cpp-python are bench/llm_bench.py's (built and downloaded once under `--root`); the
chat is copilot.query_translation's (`translation_messages`, temperature 0, at most 64 tokens) through the
product's LlamaCppDrafter, and its reply is read by `cleaned` as the product reads it. Rows already in
`--out` are not asked again. Each row: query, source, target, the raw reply, the translation (None when
`cleaned` refused the reply) and the seconds it took; the median seconds per query is printed at the end.
bench/lever_ablation.py --translations FILE searches with them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.eval_retrieval import load_queries
from bench.llm_bench import ensure_llama_cpp, ensure_model
from copilot.query_translation import MAX_TRANSLATION_TOKENS, cleaned, translation_messages

# (domain, query file, query language, the articles' language), in the order they are translated
WORK = [
    ("gnome", Path("tests/eval/gnome_queries.jsonl"), "ar", "en"),
    ("demo", Path("tests/eval/dev_queries.jsonl"), "ar", "en"),
    ("m365", Path("tests/eval/m365_queries.jsonl"), "en", "ar"),
    ("demo", Path("tests/eval/dev_queries.jsonl"), "en", "ar"),
]


def local_drafter(root: Path, threads: int, max_tokens: int) -> Any:
    """The product's LlamaCppDrafter over bench/llm_bench.py's GGUF (built and downloaded once under `root`)."""
    ensure_llama_cpp(root)
    model = ensure_model(root)
    from copilot.model_drafters import LlamaCppDrafter

    return LlamaCppDrafter(str(model), threads=threads, context=512, max_tokens=max_tokens)


def cached_keys(path: Path, text_field: str) -> set[tuple[str, str, str]]:
    """(text, source, target) of each row a cache file holds already."""
    if not path.is_file():
        return set()
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return {(row[text_field], row["source"], row["target"]) for row in rows}


def translate(
    drafter: Any, text: str, messages: list[dict[str, str]], max_tokens: int
) -> tuple[str, str | None, float]:
    """The model's raw reply, the translation `cleaned` reads in it (None when refused or failed), and the seconds."""
    started = time.perf_counter()
    try:
        reply = drafter.complete(messages, max_tokens)
    except Exception as error:
        reply = f"<error: {error}>"
    translation = None if reply.startswith("<error") else cleaned(reply, text)
    return reply, translation, time.perf_counter() - started


def print_seconds(seconds: list[float], what: str) -> None:
    if seconds:
        print(f"{len(seconds)} translated, median {statistics.median(seconds):.2f} s per {what}, "
              f"p90 {sorted(seconds)[int(len(seconds) * 0.9) - 1]:.2f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("var/llm-bench"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/query_translations.jsonl"))
    parser.add_argument("--only", default=None, help="domain:lang pairs, comma-separated (default: all four)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    drafter = local_drafter(args.root, args.threads, MAX_TRANSLATION_TOKENS)
    done = cached_keys(args.out, "query")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    wanted = set(args.only.split(",")) if args.only else None
    seconds: list[float] = []
    with args.out.open("a", encoding="utf-8") as out:
        for domain, path, source, target in WORK:
            if wanted is not None and f"{domain}:{source}" not in wanted:
                continue
            rows = [row for row in load_queries(path, None) if row["lang"] == source]
            print(f"{domain} {source}>{target}: {len(rows)} queries", flush=True)
            for row in rows:
                key = (row["query"], source, target)
                if key in done:
                    continue
                messages = translation_messages(row["query"], target)
                reply, translation, took = translate(drafter, row["query"], messages, MAX_TRANSLATION_TOKENS)
                seconds.append(took)
                record = {"query": row["query"], "source": source, "target": target, "reply": reply,
                          "translation": translation, "seconds": round(took, 2), "domain": domain,
                          "kind": row.get("kind")}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
                done.add(key)
                print(f"{took:5.1f}s {row['query']} -> {translation}", flush=True)
    print_seconds(seconds, "query")


if __name__ == "__main__":
    main()
