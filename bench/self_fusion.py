"""Per-index fusion weights from the index's own text (issue #18, session 39 selffit39): the offline check.

    PYTHONPATH=. nice -n 15 .venv/bin/python bench/self_fusion.py --json /tmp/selffit.json [--domains demo,m365,gnome]
    PYTHONPATH=. .venv/bin/python bench/self_fusion.py --read /tmp/selffit.json

For each dev domain's index (the suite's, var/bench/<domain>, warm) and each language it has articles in, label-free
pseudo-queries built from the index's own chunks (copilot.self_fusion.pseudo_queries: section headings other than the
title, and each section's first sentence with the title's words left out) are searched by each model alone (the
suite's single-model modes) and by the hybrid; a probe's answer is the article it was taken from. `--read` prints
each model's MRR@10 per index and language, its ratio to e5's, and the weights copilot.self_fusion.fitted_weights
derives from them against the demo's (the index the shipped weights were first fitted on).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.eval_retrieval import chosen_domains, domain_content, open_engine, rank_of
from copilot.fitted_fusion import fusion_weights
from copilot.self_fusion import MODELS, fitted_weights, mrr, pseudo_queries
from copilot.tuning import FUSION_WEIGHTS


def measure(args: argparse.Namespace) -> None:
    figures: list[dict] = []
    embedders = None
    for domain in chosen_domains(args.domains.split(",")):
        engine = open_engine(domain_content(domain), Path("var/bench") / domain.name, embedders)
        embedders = engine.embedders
        rows = engine.store.payloads(("lang", "article_id", "title", "heading_path", "text"))
        for lang in sorted({str(r["lang"]) for r in rows}):
            started = time.perf_counter()
            probes = pseudo_queries([r for r in rows if r.get("lang") == lang], args.size)
            for kind, pairs in probes.items():
                ranks: dict[str, list[int]] = {}
                for mode in (*MODELS, "hybrid"):
                    only = None if mode == "hybrid" else mode
                    ranks[mode] = [
                        rank_of(engine.retriever.search(text, lang=lang, limit=10, only=only), {answer}) or 0
                        for text, answer in pairs
                    ]
                figures.append({"domain": domain.name, "lang": lang, "kind": kind, "n": len(pairs), "ranks": ranks})
                print(
                    f"{domain.name} {lang} {kind} n={len(pairs)} "
                    + " ".join(f"{m} {mrr(r):.3f}" for m, r in ranks.items())
                    + f" ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    Path(args.json).write_text(json.dumps(figures, ensure_ascii=False))


def read(path: Path) -> None:
    figures = json.loads(path.read_text("utf-8"))
    by_index: dict[tuple[str, str, str], dict[str, float]] = {}
    for f in figures:
        by_index[(f["domain"], f["lang"], f["kind"])] = {m: mrr(r) for m, r in f["ranks"].items()}
    print("| domain | lang | probes | n | e5 | USE | BM25 | hybrid | USE/e5 | BM25/e5 | weights (USE, BM25) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for f in figures:
        key = (f["domain"], f["lang"], f["kind"])
        m = by_index[key]
        ref = by_index.get(("demo", f["lang"], f["kind"]))
        shipped = fusion_weights(FUSION_WEIGHTS, f["lang"], fitted=True)
        w = fitted_weights(m, ref, shipped) if ref else shipped
        print(
            f"| {f['domain']} | {f['lang']} | {f['kind']} | {f['n']} | {m['e5']:.3f} | {m['use']:.3f} | "
            f"{m['lexical']:.3f} | {m['hybrid']:.3f} | {m['use'] / m['e5']:.3f} | {m['lexical'] / m['e5']:.3f} | "
            f"{w['use']:.2f}, {w['lexical']:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json")
    parser.add_argument("--read", type=Path)
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--size", type=int, default=150)
    args = parser.parse_args()
    if args.read:
        read(args.read)
    else:
        measure(args)


if __name__ == "__main__":
    main()
