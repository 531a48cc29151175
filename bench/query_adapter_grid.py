"""The query adapter (copilot.query_adapter) per dev domain: its fit's time, the label-free choice, and a grid.

    PYTHONPATH=. .venv/bin/python bench/query_adapter_grid.py --domains demo,m365,gnome

For each domain's index (the suite's, var/bench/<domain>) and each language with a map: the seconds the fit
took (reading the passage vectors, the held-out grid, the final fit; the e5 heading vectors are built before and
timed apart), the held-out pairs' MRR@10 for every (lam, mix) of the label-free grid, and the dev questions'
same-language MRR@10 with each of a small grid of maps in place of the chosen one, by e5 alone and hybrid, so a
reader sees how near the label-free choice is to the best the dev questions would have picked. The dev figures
are never read by the fit.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from bench.eval_retrieval import chosen_domains, domain_content, evaluate, load_queries, open_engine
from copilot import retrieval
from copilot.query_adapter import LAMBDAS, MIXES, QueryAdapter, choose, fit_map, language_pairs

DEV_GRID = [(lam, mix) for lam in (10.0, 100.0) for mix in (0.25, 0.5, 0.75)]


class _Fixed:
    """A stand-in for the retriever's adapter view that always has one adapter."""

    def __init__(self, adapter: QueryAdapter) -> None:
        self.adapter = adapter

    def peek(self) -> QueryAdapter:
        return self.adapter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--modes", default="e5,hybrid")
    parser.add_argument("--root", type=Path, default=Path("var/bench"), help="the suite's indexes (a copy: no writer)")
    args = parser.parse_args()
    retrieval.LEVERS["query_adapter"] = True
    embedders = None
    for domain in chosen_domains(args.domains.split(",")):
        engine = open_engine(domain_content(domain), args.root / domain.name, embedders)
        embedders = engine.embedders
        retriever = engine.retriever
        started = time.perf_counter()
        headings = retriever._e5_headings.current()  # type: ignore[union-attr]
        titles = retriever._more_titles["title_e5"].current()
        print(f"{domain.name}: e5 heading vectors {time.perf_counter() - started:.1f} s (cached after the suite's)")
        adapter = retriever._query_adapter.get()  # type: ignore[union-attr]
        print(f"{domain.name}: fit {adapter.seconds:.2f} s")
        rows, chunks = engine.store.dense_vectors("e5", ("key", "lang", "section"))
        queries = load_queries(domain.queries, None)
        for lang in engine.settings.languages:
            mine = [row for row, payload in enumerate(rows) if payload.get("lang") == lang]
            asked = [q for q in queries if q["lang"] == lang and q["relevant"]]
            if not mine or not asked:
                continue
            own_rows, own_chunks = [rows[row] for row in mine], chunks[mine]
            pairs = language_pairs(titles, headings, own_rows, own_chunks, lang)
            scores = choose(pairs, own_chunks, [str(p.get("key", "")) for p in own_rows])
            chosen = adapter.maps.get(lang)
            picked = (chosen.lam, chosen.mix) if chosen else (0.0, 0.0)
            print(f"  {lang}: {len(pairs.articles)} pairs of {len(set(pairs.articles))} articles; chosen {picked}")
            print(f"  {lang}: held-out pairs MRR@10, identity {scores[(0.0, 0.0)]:.4f}")
            for lam in LAMBDAS:
                line = "  ".join(f"a={mix}: {scores[(lam, mix)]:.4f}" for mix in MIXES)
                print(f"  {lang}:   lam={lam:g}  {line}")
            grid = [(0.0, 0.0), picked, *[choice for choice in DEV_GRID if choice != picked]]
            for lam, mix in dict.fromkeys(grid):
                maps = {}
                if mix:
                    found = chosen or next(iter(adapter.maps.values()), None)
                    assert found is not None
                    maps[lang] = replace(found, matrix=fit_map(pairs.queries, pairs.targets, lam), lam=lam, mix=mix)
                retriever._query_adapter = _Fixed(QueryAdapter(maps, 0.0))  # type: ignore[assignment]
                figures = []
                for mode in args.modes.split(","):
                    stats = evaluate(engine, asked, mode, True)[lang]
                    figures.append(f"{mode} {stats['mrr@10']:.3f}")
                label = f"lam={lam:g} a={mix}" + (" (chosen)" if (lam, mix) == picked else "") if mix else "identity"
                print(f"  {lang}:   dev n={len(asked)} {label:<26} " + "  ".join(figures))
        engine.close()


if __name__ == "__main__":
    main()
