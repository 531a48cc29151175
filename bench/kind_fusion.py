"""Fusion weights per kind of query, not per set (issue #18, session 38 retr38).

    PYTHONPATH=. .venv/bin/python bench/kind_fusion.py --json /tmp/kinds.json       # search: ranks per query
    PYTHONPATH=. .venv/bin/python bench/kind_fusion.py --fit /tmp/kinds.json        # the tables and fits, no search

Hypothesis: one set of RRF weights per language is a compromise across kinds of query (copilot.query_kind: keyword,
question, story, mixed); weights per (language, kind) fitted on one help center transfer to another because the kind,
not the vocabulary, decides which model is right. For each dev domain's index (the suite's, var/bench/<domain>) and
each language it has articles in, every answerable same-language dev question (as the suite's same-language case asks
it) is searched by each model alone (the suite's single-model modes) and by the product (hybrid) at main's weights and
at each point of jointfit25's grid (USE x BM25 beside e5's 1.0, k as configured); its rank at each is kept, so any
per-kind choice of points can be scored without searching again (a question's rank depends on its own weights only).

`--fit`: MRR@10 per kind of each model alone and of the hybrid at main's weights (and which model leads each kind on
each domain); then per language and kind the point fitted on one domain (its best, ties to the point nearest main's),
scored on the other (the transfer line), the joint fit (fitted_fusion's rule: the point whose smaller gain over main
across the domains is largest) and the whole case scored with each kind's point. A kind with fewer than MIN_FIT
questions on the fitting domain keeps main's weights.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from functools import partial
from pathlib import Path

from bench.eval_retrieval import chosen_domains, domain_content, load_queries, open_engine, rank_of
from bench.jointfit_grid import GRID, main_weights, maximin
from copilot import retrieval
from copilot.query_kind import KINDS, query_kind
from indexer.lexical import LexicalEncoder

MODELS = ("e5", "use", "lexical")
MIN_FIT = 8  # questions of a kind on the fitting domain, else main's weights for it

Point = tuple[float, float]


def _keeps(lexical: LexicalEncoder, lang: str, word: str) -> bool:
    return bool(lexical.encode_query(word, lang))


def _rank(engine, row: dict, only: str | None = None) -> int:
    """The answer's rank (0 when not in the first 10)."""
    result = engine.retriever.search(row["query"], lang=row["lang"], limit=10, only=only)
    return rank_of(result, set(row["relevant"])) or 0


def measure(args: argparse.Namespace) -> None:
    out = Path(args.json)
    figures: dict = {"rows": []}
    embedders = None
    for domain in chosen_domains(args.domains.split(",")):
        engine = open_engine(domain_content(domain), args.root / domain.name, embedders)
        embedders = engine.embedders
        retriever = engine.retriever
        saved = retriever.fusion
        langs = {str(p["lang"]) for p in engine.store.payloads(("lang",))}
        queries = [q for q in load_queries(domain.queries, None) if q["relevant"]]
        for lang in sorted(langs & {str(q["lang"]) for q in queries}):
            rows = [q for q in queries if q["lang"] == lang]
            started = time.perf_counter()
            retrieval.LEVERS["fitted_fusion"] = True
            records = []
            keeps = partial(_keeps, retriever.lexical, lang)
            for row in rows:
                record = {
                    "domain": domain.name,
                    "lang": lang,
                    "query": row["query"],
                    "label": row.get("kind", "-"),
                    "kind": query_kind(row["query"], lang, keeps),
                    "main": _rank(engine, row),
                    **{model: _rank(engine, row, model) for model in MODELS},
                    "grid": {},
                }
                records.append(record)
            retrieval.LEVERS["fitted_fusion"] = False  # the weights are set explicitly below
            for use, lexical in GRID[lang]:
                retriever.fusion = {**saved, lang: {"e5": 1.0, "use": use, "lexical": lexical}}
                for row, record in zip(rows, records, strict=True):
                    record["grid"][f"{use}/{lexical}"] = _rank(engine, row)
            retriever.fusion = saved
            retrieval.LEVERS["fitted_fusion"] = True
            figures["rows"].extend(records)
            out.write_text(json.dumps(figures, ensure_ascii=False, indent=0), "utf-8")
            print(f"{domain.name} {lang}: {len(rows)} questions ({time.perf_counter() - started:.0f} s)", flush=True)
        engine.close()


def mrr(ranks: list[int]) -> float:
    return statistics.mean(1 / r if r else 0.0 for r in ranks) if ranks else float("nan")


def _point(key: str) -> Point:
    use, lexical = key.split("/")
    return float(use), float(lexical)


def fit(path: Path) -> None:
    rows = json.loads(path.read_text("utf-8"))["rows"]
    for row in rows:
        row["grid"] = {_point(k): v for k, v in row["grid"].items()}
    cases = sorted({(r["domain"], r["lang"]) for r in rows})
    print("MRR@10 per kind (n), each model alone and the hybrid at main's weights; * = the best single model")
    leads: dict[tuple[str, str], list[str]] = {}
    for domain, lang in cases:
        for kind in (*KINDS, "all"):
            mine = [r for r in rows if (r["domain"], r["lang"]) == (domain, lang) and kind in (r["kind"], "all")]
            if not mine:
                continue
            figures = {m: mrr([r[m] for r in mine]) for m in (*MODELS, "main")}
            best = max(MODELS, key=lambda m: figures[m])
            leads.setdefault((lang, kind), []).append(f"{domain}:{best}")
            print(
                f"  {domain:5} {lang} {kind:8} {len(mine):>4}  "
                + "  ".join(f"{m} {figures[m]:.3f}{'*' if m == best else ' '}" for m in MODELS)
                + f"  hybrid {figures['main']:.3f}"
            )
    print("the best single model per kind, by domain:")
    for (lang, kind), who in sorted(leads.items()):
        print(f"  {lang} {kind:8} {', '.join(who)}")
    print("classifier kind x labelled kind (n):")
    for domain, lang in cases:
        pairs: dict[tuple[str, str], int] = {}
        for r in rows:
            if (r["domain"], r["lang"]) == (domain, lang):
                pairs[(r["kind"], r["label"])] = pairs.get((r["kind"], r["label"]), 0) + 1
        for kind in KINDS:
            labels = ", ".join(f"{label} {n}" for (k, label), n in sorted(pairs.items()) if k == kind)
            print(f"  {domain:5} {lang} {kind:8} {labels}")
    for lang in sorted({r["lang"] for r in rows}):
        main = main_weights(lang)
        domains = sorted({r["domain"] for r in rows if r["lang"] == lang})
        print(f"[{lang}] main {main}, domains {', '.join(domains)}")
        if len(domains) < 2:
            print(f"[{lang}] one domain: no transfer to score")
            continue
        points = sorted(next(r for r in rows if r["lang"] == lang)["grid"])
        of = {d: [r for r in rows if (r["domain"], r["lang"]) == (d, lang)] for d in domains}
        base_all = {d: mrr([r["main"] for r in of[d]]) for d in domains}
        check = {d: mrr([r["grid"][main] for r in of[d]]) for d in domains}
        print(f"[{lang}] main: " + ", ".join(f"{d} {base_all[d]:.3f} (grid at main {check[d]:.3f})" for d in domains))
        chosen: dict[str, dict[str, Point]] = {"joint": {}, **{d: {} for d in domains}}
        for kind in KINDS:
            table = {
                (d, p): mrr([r["grid"][p] for r in of[d] if r["kind"] == kind])
                for d in domains
                for p in points
                if any(r["kind"] == kind for r in of[d])
            }
            n = {d: sum(r["kind"] == kind for r in of[d]) for d in domains}
            base = {d: mrr([r["grid"][main] for r in of[d] if r["kind"] == kind]) for d in domains if n[d]}
            for d in domains:
                if n[d] >= MIN_FIT:
                    chosen[d][kind] = maximin(table, base, [d], main)
            if all(n[d] >= MIN_FIT for d in domains):
                chosen["joint"][kind] = maximin(table, base, domains, main)
            line = []
            for d in domains:
                if not n[d]:
                    continue
                own = chosen[d].get(kind)
                mark = f"own best {own} {table[(d, own)]:.3f}" if own else "too few to fit"
                line.append(f"{d} n={n[d]} main {base[d]:.3f}, {mark}")
            print(f"[{lang}] {kind:8} " + "; ".join(line))
            for fit_on in domains:
                point = chosen[fit_on].get(kind)
                for scored in domains:
                    if scored != fit_on and point and n[scored]:
                        there = table[(scored, point)]
                        print(f"[{lang}] {kind:8}   fitted on {fit_on} {point}, on {scored}: {there:.3f} "
                              f"({there - base[scored]:+.3f} over main, {n[scored]} questions)")  # fmt: skip
            if kind in chosen["joint"]:
                joint = chosen["joint"][kind]
                both = ", ".join(f"{d} {table[(d, joint)]:.3f}" for d in domains)
                print(f"[{lang}] {kind:8}   joint {joint}: {both}")
        for name, weights in chosen.items():
            scored = {d: mrr([r["grid"][weights.get(r["kind"], main)] for r in of[d]]) for d in domains}
            label = "joint fit" if name == "joint" else f"fitted on {name}"
            print(
                f"[{lang}] whole case, per-kind weights {label} {weights}: "
                + ", ".join(f"{d} {scored[d]:.3f} ({scored[d] - check[d]:+.3f})" for d in domains)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--root", type=Path, default=Path("var/bench"), help="the suite's indexes")
    parser.add_argument("--json", default="/tmp/kind_fusion.json")
    parser.add_argument("--fit", type=Path, help="read this file's ranks and print the tables and fits instead")
    args = parser.parse_args()
    if args.fit:
        fit(args.fit)
    else:
        measure(args)


if __name__ == "__main__":
    main()
