"""Each dev domain's article titles translated once by the local GGUF model, into a JSONL cache (translated_titles).

    PYTHONPATH=. .venv/bin/python bench/title_translations.py --root /work/llm-bench \
        --out /work/llm-bench/title_translations.jsonl            # the demo, GNOME, then m365
    PYTHONPATH=. .venv/bin/python bench/title_translations.py --only gnome   # one domain

Which titles: every title of an article with no version in the other shipped language (GNOME's English-only pages,
m365's Arabic-only ones) and, for the demo, every title both ways: the suite's demo cross-lingual cases search each
language's questions over a copy holding only the other language's articles (bench/eval_retrieval.py `suite_cases`).
The model and llama-cpp-python are bench/llm_bench.py's (built and downloaded once under `--root`), run on 1 thread
by default (on a loaded 2-core machine 2 threads took 27-31 s a title, 1 thread a median 8 s); the chat is
copilot.title_translations' `title_messages` (temperature 0, at most MAX_TITLE_TOKENS tokens) through the product's
LlamaCppDrafter, the reply read by copilot.query_translation's `cleaned`. A title already in `--out` (same text,
source and target) is not asked again. Each row: title, source, target, the raw reply, the translation (None when
`cleaned` refused it), its hash, domain, article key and seconds; the median seconds per title is printed.
bench/lever_ablation.py --title-translations FILE ranks with them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.eval_retrieval import DOMAINS, domain_content
from bench.query_translations import cached_keys, local_drafter, print_seconds, translate
from copilot.title_translations import MAX_TITLE_TOKENS, title_messages
from kb.articles import load_content
from kb.chunking import text_hash
from kb.translations import group_by_id

LANGS = ("en", "ar")
ORDER = ("demo", "gnome", "m365")  # the smallest first: a cut-short run still measures a domain whole
EVERY_TITLE = {"demo"}  # the suite searches each language over the other's articles alone


def wanted_titles(domain: str, content: Path) -> list[tuple[str, str, str, str]]:
    """(title, source, target, article key) for each title the domain's cross-lingual cases need."""
    groups = group_by_id(load_content(content).articles, LANGS)
    out = []
    for group in groups.values():
        for lang, article in sorted(group.items()):
            for target in LANGS:
                if target != lang and (target not in group or domain in EVERY_TITLE):
                    out.append((article.title, lang, target, article.key))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("var/llm-bench"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/title_translations.jsonl"))
    parser.add_argument("--only", default=None, help="domains, comma-separated (default: demo, gnome, m365)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    drafter = local_drafter(args.root, args.threads, MAX_TITLE_TOKENS)
    done = cached_keys(args.out, "title")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    names = args.only.split(",") if args.only else list(ORDER)
    domains = {d.name: d for d in DOMAINS}
    seconds: list[float] = []
    with args.out.open("a", encoding="utf-8") as out:
        for name in names:
            titles = wanted_titles(name, domain_content(domains[name]))
            print(f"{name}: {len(titles)} titles", flush=True)
            for title, source, target, key in titles:
                if (title, source, target) in done:
                    continue
                reply, translation, took = translate(drafter, title, title_messages(title, target), MAX_TITLE_TOKENS)
                seconds.append(took)
                record = {"title": title, "source": source, "target": target, "reply": reply,
                          "translation": translation, "hash": text_hash(title), "domain": name, "key": key,
                          "seconds": round(took, 2)}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
                done.add((title, source, target))
                print(f"{took:5.1f}s {title} -> {translation}", flush=True)
    print_seconds(seconds, "title")


if __name__ == "__main__":
    main()
