"""MRR@10 with the query translation gated by its confidence, at thresholds fitted on one domain and scored on others.

    PYTHONPATH=. .venv/bin/python bench/confidence_thresholds.py \
        --confidence /work/llm-bench/query_translations_confidence.jsonl \
        bench/results/xconf31_demo_ranks.json bench/results/xconf31_m365_ranks.json \
        bench/results/xconf31_gnome_ranks.json

Reads bench/lever_ablation.py's `--ranks-json` files (each answerable row's rank with the levers as configured and
with "query_translation" flipped on) and bench/translation_confidence.py's scored translations. A row's translation
acts on that row's search alone, so a row's rank with the translation gated at threshold t is its rank with the
lever on when its translation's confidence (`--field`) is at least t, else its rank as configured; MRR@10 per
domain, case and language follows for any t without searching again (`bench/lever_ablation.py --levers
query_translation_confident --min-confidence t` searches it, and must print the same). Thresholds: the a-priori
`--fixed` ones, the median of every scored translation's confidence (no rank seen), and for each domain the one
that maximises that domain's cross-lingual MRR@10 (the sum of reciprocal ranks over its cross-lingual cases; ties
to the highest threshold), scored on the other domains. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

OFF = "as configured"
ON = "query_translation=on"


def gated_ranks(
    off: list[dict], on: list[dict], confidence: dict[tuple[str, str], float], t: float
) -> list[int | None]:
    """Each row's rank with its translation searched only when its confidence is at least `t`."""
    ranks = []
    for before, after in zip(off, on, strict=True):
        if before["query"] != after["query"]:
            raise ValueError(f"the runs list different rows: {before['query']!r} / {after['query']!r}")
        known = confidence.get((before["query"], before["lang"]))
        ranks.append(after["rank"] if known is not None and known >= t else before["rank"])
    return ranks


def mrr(ranks: list[int | None]) -> float:
    return sum(1 / rank for rank in ranks if rank) / max(len(ranks), 1)


def fitted(
    runs: dict[tuple[str, str, str], tuple[list[dict], list[dict]]],
    confidence: dict[tuple[str, str], float],
    domain: str,
    lang: str | None,
) -> float:
    """The threshold that maximises `domain`'s cross-lingual reciprocal ranks (its rows in `lang` only, when given):
    one of its rows' confidences, or infinity (no translation); ties to the highest."""
    cross = [key for key in runs if key[0] == domain and key[1] != "same-language" and lang in (None, key[2])]
    values = {
        confidence[(row["query"], row["lang"])]
        for key in cross
        for row in runs[key][0]
        if (row["query"], row["lang"]) in confidence
    }
    return max(
        [*sorted(values), math.inf],
        key=lambda t: (sum(sum(1 / r for r in gated_ranks(*runs[key], confidence, t) if r) for key in cross), t),
    )


def cell(off: list[dict], on: list[dict], confidence: dict[tuple[str, str], float], t: float, own: bool) -> str:
    """MRR@10 at threshold `t`, the rows whose translation passes, and * when `t` was fitted on these rows."""
    used = sum(1 for row in off if confidence.get((row["query"], row["lang"]), -math.inf) >= t)
    return f" {mrr(gated_ranks(off, on, confidence, t)):6.3f} ({used:>3}){'*' if own else ' '}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ranks", type=Path, nargs="+", help="bench/lever_ablation.py --ranks-json files")
    parser.add_argument("--confidence", type=Path, required=True, help="bench/translation_confidence.py's JSONL")
    parser.add_argument("--field", default="confidence", choices=("confidence", "min_logprob"))
    parser.add_argument("--fixed", default="-0.5", help="a-priori thresholds, comma-separated")
    args = parser.parse_args()
    confidence: dict[tuple[str, str], float] = {}
    for line in args.confidence.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row.get(args.field) is not None:
            confidence[(row["query"], row["source"])] = float(row[args.field])
    # (domain, case, lang) -> (off rows, on rows)
    runs: dict[tuple[str, str, str], tuple[list[dict], list[dict]]] = {}
    for path in args.ranks:
        report = json.loads(path.read_text("utf-8"))
        for domain, cases in report[ON].items():
            for case, rows in cases.items():
                for lang in sorted({row["lang"] for row in rows}):
                    runs[(domain, case, lang)] = (
                        [row for row in report[OFF][domain][case] if row["lang"] == lang],
                        [row for row in rows if row["lang"] == lang],
                    )
    thresholds: list[tuple[str, float]] = [(f"fixed {t}", float(t)) for t in args.fixed.split(",") if t]
    thresholds.append(("median of all", statistics.median(confidence.values())))
    for domain in sorted({domain for domain, _, _ in runs}):
        thresholds.append((f"fit on {domain}", fitted(runs, confidence, domain, None)))
    # per direction (the query's language): fitted on each domain's cross-lingual rows in that language
    directed = {
        (domain, lang): fitted(runs, confidence, domain, lang)
        for domain, case, lang in runs
        if case != "same-language"
    }
    print("thresholds: " + ", ".join(f"{name} {t:.3f}" for name, t in thresholds))
    print("per direction: " + ", ".join(f"fit on {d} {lang} {t:.3f}" for (d, lang), t in sorted(directed.items())))
    header = f"{'domain':7} {'case':20} {'lang':4} {'n':>4} {'off':>6} {'on':>6}"
    print(header + "".join(f" {name[:14]:>14}" for name, _ in thresholds) + f" {'dir, elsewhere':>14}")
    for (domain, case, lang), (off, on) in sorted(runs.items()):
        cells = []
        for name, t in thresholds:
            cells.append(cell(off, on, confidence, t, own=name == f"fit on {domain}"))
        elsewhere = [t for (d, other), t in directed.items() if other == lang and d != domain]
        cells.append(cell(off, on, confidence, elsewhere[0], own=False) if len(elsewhere) == 1 else "  -")
        print(f"{domain:7} {case:20} {lang:4} {len(off):>4} {mrr([r['rank'] for r in off]):6.3f} "
              f"{mrr([r['rank'] for r in on]):6.3f}" + "".join(cells))
    print("(n): rows whose translation passes; *: the threshold fitted on this domain (not a transfer figure)")


if __name__ == "__main__":
    main()
