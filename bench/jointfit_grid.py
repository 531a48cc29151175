"""The query adapter's fusion weights refitted with the adapter on (issue #18, session 25 jointfit25).

    PYTHONPATH=. .venv/bin/python bench/jointfit_grid.py --domains demo,m365,gnome --json bench/results/jointfit25.json
    PYTHONPATH=. .venv/bin/python bench/jointfit_grid.py --fit bench/results/jointfit25.json  # the fits, no search

The fusion weights (copilot.fitted_fusion, copilot.tuning.FUSION_WEIGHTS) were fitted with LEVERS["query_adapter"]
off; with e5's query sharper, the fusion may want to trust it differently. For each dev domain's index (the suite's,
var/bench/<domain>) and each language it has articles in, the same-language dev questions (answerable and
out-of-scope, as the suite's same-language case asks them) are searched by the product (hybrid) under each adapter
variant and each point of a coarse grid of weights beside e5's 1.0: MRR@10 and the abstention (out-of-scope /
answerable flagged). Variants: `off` (main), `on` (the adapter as the lever has it: the same-language e5 ranking only),
`half` (the adapted vector mixed half and half with the embedded one). The cross-lingual cases do not move with
either (an index's map is of its own languages, and the fallback searches with the embedded vector).

`--fit` reads the figures back and applies the fitted_fusion rule (per language, the grid point whose smaller gain
over main, across the domains asking the language, is largest; a tie goes to the point nearest main's weights) on
every domain jointly and leaving each domain out (fit on the others, score on it: issue #18's transfer rule).
Figures and the decision: bench/RESULTS.md "Session 25, jointfit25".
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.eval_retrieval import chosen_domains, domain_content, evaluate, load_queries, open_engine
from bench.query_adapter_grid import _Fixed
from copilot import retrieval
from copilot.fitted_fusion import fusion_weights
from copilot.query_adapter import QueryAdapter
from copilot.query_vectors import unit
from copilot.tuning import FUSION_WEIGHTS

GRID = {  # (USE, BM25) beside e5 1.0, k as configured: fusion20's grids, one step wider on each side
    "en": [(use, lexical) for use in (0.2, 0.3, 0.45, 0.6, 0.8, 1.0) for lexical in (0.1, 0.2, 0.3, 0.45, 0.6, 1.0)],
    "ar": [(use, lexical) for use in (0.3, 0.45, 0.6, 0.8, 1.0) for lexical in (0.6, 0.8, 1.0, 1.3, 1.6)],
}
VARIANTS = ("on", "half", "off")  # off over the whole grid too: what a refit gains without the adapter


@dataclass(frozen=True)
class _Blend(QueryAdapter):
    """The adapter's vector mixed with the embedded one: unit((1 - alpha) q + alpha q')."""

    alpha: float = 0.5

    def apply(self, vector: np.ndarray, lang: str) -> np.ndarray:
        adapted = super().apply(vector, lang)
        return unit((1.0 - self.alpha) * unit(vector) + self.alpha * adapted).astype(np.float32)


def main_weights(lang: str) -> tuple[float, float]:
    """Main's (USE, BM25) for `lang`: the fitted ones where fitted_fusion has them, else the shipped."""
    weights = fusion_weights(FUSION_WEIGHTS, lang, True)
    return weights["use"], weights["lexical"]


def measure(args: argparse.Namespace) -> None:
    retrieval.LEVERS["query_adapter"] = True
    retrieval.LEVERS["fitted_fusion"] = False  # the weights are set explicitly below
    figures: dict = {}
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    embedders = None
    for domain in chosen_domains(args.domains.split(",")):
        engine = open_engine(domain_content(domain), args.root / domain.name, embedders)
        embedders = engine.embedders
        retriever = engine.retriever
        adapter = retriever._query_adapter.get()  # type: ignore[union-attr]
        print(f"{domain.name}: maps {[(lang, m.lam, m.mix) for lang, m in adapter.maps.items()]}", flush=True)
        half = _Blend(adapter.maps, 0.0, 0.5)
        variants: dict[str, QueryAdapter] = {"off": QueryAdapter({}, 0.0), "on": adapter, "half": half}
        saved = retriever.fusion
        langs = {str(p["lang"]) for p in engine.store.payloads(("lang",))}
        queries = load_queries(domain.queries, None)
        for lang in sorted(langs & {str(q["lang"]) for q in queries}):
            rows = [q for q in queries if q["lang"] == lang]
            main = main_weights(lang)
            for variant in args.variants.split(","):
                retriever._query_adapter = _Fixed(variants[variant])  # type: ignore[assignment]
                points = [main, *[p for p in GRID[lang] if p != main]]
                for use, lexical in points:
                    started = time.perf_counter()
                    retriever.fusion = {**saved, lang: {"e5": 1.0, "use": use, "lexical": lexical}}
                    stats = evaluate(engine, rows, "hybrid", True)[lang]
                    line = {
                        "domain": domain.name,
                        "lang": lang,
                        "variant": variant,
                        "use": use,
                        "lexical": lexical,
                        "mrr": stats["mrr@10"],
                        "oos": stats["abstained_out_of_scope"],
                        "answerable": stats["abstained_answerable"],
                        "n": stats["queries"],
                    }
                    figures.setdefault("points", []).append(line)
                    print(
                        f"{domain.name} {lang} {variant:<4} use {use:<4} bm25 {lexical:<4} "
                        f"MRR@10 {stats['mrr@10']:.3f} "
                        f"abst {stats['abstained_out_of_scope']:.2f}/{stats['abstained_answerable']:.3f} "
                        f"({time.perf_counter() - started:.0f} s)",
                        flush=True,
                    )
                    out.write_text(json.dumps(figures, indent=1), "utf-8")
            retriever.fusion = saved
        engine.close()


def maximin(
    table: dict[tuple[str, tuple[float, float]], float], base: dict[str, float], fit_on: list[str], main: tuple
) -> tuple[float, float]:
    """The point whose smallest gain over `base` across `fit_on` is largest; ties to the point nearest `main`."""
    points = {point for (_, point) in table}

    def key(point: tuple[float, float]) -> tuple[float, float]:
        worst = min(table[(d, point)] - base[d] for d in fit_on)
        return round(worst, 4), -abs(point[0] - main[0]) - abs(point[1] - main[1])

    return max((p for p in points if all((d, p) in table for d in fit_on)), key=key)


def fit(path: Path) -> None:
    points = json.loads(path.read_text("utf-8"))["points"]
    by = {(p["domain"], p["lang"], p["variant"], p["use"], p["lexical"]): p for p in points}
    for lang in sorted({p["lang"] for p in points}):
        main = main_weights(lang)
        domains = sorted({p["domain"] for p in points if p["lang"] == lang})
        base = {d: by[(d, lang, "off", *main)]["mrr"] for d in domains}
        print(f"[{lang}] main {main}: " + ", ".join(f"{d} {base[d]:.3f}" for d in domains))
        for variant in [v for v in VARIANTS if any(p["variant"] == v for p in points)]:
            table = {
                (d, (p["use"], p["lexical"])): p["mrr"]
                for p in points
                for d in domains
                if p["lang"] == lang and p["variant"] == variant and p["domain"] == d
            }
            at_main = ", ".join(f"{d} {table[(d, main)]:.3f}" for d in domains)
            joint = maximin(table, base, domains, main)
            print(f"[{lang}] {variant} at main's weights: {at_main}")
            jointly = ", ".join(_at(by, d, lang, variant, joint) for d in domains)
            print(f"[{lang}] {variant} joint fit {joint}: {jointly}")
            for held in domains if len(domains) > 1 else ():
                others = [d for d in domains if d != held]
                lodo = maximin(table, base, others, main)
                print(
                    f"[{lang}] {variant} without {held}: fit on {'+'.join(others)} {lodo}, scored on {held}: "
                    f"{_at(by, held, lang, variant, lodo)} (joint {table[(held, joint)]:.3f}, gap "
                    f"{table[(held, joint)] - table[(held, lodo)]:+.3f})"
                )
            for d in domains:
                best = max((p for (dd, p) in table if dd == d), key=lambda p: table[(d, p)])
                print(f"[{lang}] {variant} {d}'s own best {best}: {table[(d, best)]:.3f}")


def _at(by: dict, domain: str, lang: str, variant: str, point: tuple[float, float]) -> str:
    p = by[(domain, lang, variant, *point)]
    return f"{domain} {p['mrr']:.3f} (abst {p['oos']:.2f}/{p['answerable']:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--root", type=Path, default=Path("var/bench"), help="the suite's indexes")
    parser.add_argument("--json", default="bench/results/jointfit25.json")
    parser.add_argument("--fit", type=Path, help="read this file's figures and print the fits instead of searching")
    args = parser.parse_args()
    if args.fit:
        fit(args.fit)
    else:
        measure(args)


if __name__ == "__main__":
    main()
