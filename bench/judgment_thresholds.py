"""The relevance judgments' abstention and reranking at fixed, label-free and cross-fitted thresholds (no search).

    PYTHONPATH=. .venv/bin/python bench/judgment_thresholds.py /work/llm-bench/relevance_judgments.jsonl

Reads bench/relevance_judgments.py's JSONL (each row: a question's article at `rank` as the product ranks it, its
label `relevant`, whether the product `abstained`, and the model's `judgment`). Per domain and case, over the
questions whose first article was judged: out-of-scope flagged / answerable flagged as configured, then with
LEVERS["judge_abstain"] at threshold t (flagged = the product abstains or the first article's judgment < t), for
the fixed t = copilot.relevance_judge.JUDGE_FLOOR, two label-free thresholds (the median and the 10th percentile
of every first-article judgment, read without a label) and, for each domain, the highest t flagging under 5% of its
answerable questions beyond the product's own flags, scored on the other domains (the transfer line).
Then LEVERS["judge_rerank"] at JUDGE_MARGIN over the questions whose first two articles were judged: questions
moved, and the change of their reciprocal rank (a relevant article moved 2 -> 1 gains 0.5, 1 -> 2 loses it).
How well the model reads each language: the share of (relevant, not relevant) pairs of judged first and second
articles the judgment orders right (AUC), per query language and case. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

from copilot.relevance_judge import JUDGE_FLOOR, JUDGE_MARGIN, judged_order

MAX_FALSE = 0.05


def flagged(rows: list[dict], t: float | None) -> tuple[int, int, int, int]:
    """(out-of-scope flagged, out-of-scope, answerable flagged, answerable) with the floor at `t` (None: off)."""
    oos = [r for r in rows if not r["answerable"]]
    ans = [r for r in rows if r["answerable"]]

    def hit(r: dict) -> bool:
        return r["abstained"] or (t is not None and r["judgment"] < t)

    return sum(map(hit, oos)), len(oos), sum(map(hit, ans)), len(ans)


def cell(rows: list[dict], t: float | None) -> str:
    o, no, a, na = flagged(rows, t)
    return f"{o}/{no} {o / max(no, 1):.2f} | {a}/{na} {a / max(na, 1):.3f}"


def fit(rows: list[dict]) -> float:
    """The highest threshold flagging under MAX_FALSE of the answerable questions the product does not flag."""
    ans = [r for r in rows if r["answerable"]]
    candidates = sorted({r["judgment"] for r in rows} | {-99.0})
    best = -99.0
    for t in candidates:
        extra = sum(1 for r in ans if not r["abstained"] and r["judgment"] < t)
        if ans and extra / len(ans) < MAX_FALSE:
            best = t
    return best


def auc(rows: list[dict]) -> tuple[float, int, int]:
    pos = [r["judgment"] for r in rows if r["relevant"]]
    neg = [r["judgment"] for r in rows if r["answerable"] and not r["relevant"]] + [
        r["judgment"] for r in rows if not r["answerable"]
    ]
    if not pos or not neg:
        return float("nan"), len(pos), len(neg)
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg)), len(pos), len(neg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("judgments", type=Path)
    parser.add_argument("--examples", type=int, default=10, help="print this many Arabic judgments with labels")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.judgments.read_text("utf-8").splitlines() if line.strip()]
    firsts = [r for r in rows if r["rank"] == 1]
    by_case: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in firsts:
        by_case[(r["domain"], r["case"])].append(r)
    by_domain: dict[str, list[dict]] = defaultdict(list)
    for r in firsts:
        by_domain[r["domain"]].append(r)
    values = sorted(r["judgment"] for r in firsts)
    median, tenth = statistics.median(values), values[len(values) // 10]
    fits = {domain: fit(domain_rows) for domain, domain_rows in by_domain.items()}
    print(f"{len(rows)} judgments, {len(firsts)} first articles; median {median:.3f}, 10th percentile {tenth:.3f}; "
          f"fitted: " + ", ".join(f"{d} {t:.3f}" for d, t in fits.items()))
    head = f"{'domain':6} {'case':20} | as configured: oos flagged | answerable flagged"
    print(head + f" || fixed {JUDGE_FLOOR} || median || 10th pct || " + " || ".join(f"fit {d}" for d in fits))
    for (domain, case), case_rows in sorted(by_case.items()):
        cells = [cell(case_rows, None), cell(case_rows, JUDGE_FLOOR), cell(case_rows, median), cell(case_rows, tenth)]
        cells += [cell(case_rows, t) + ("*" if d == domain else "") for d, t in fits.items()]
        print(f"{domain:6} {case:20} | " + " || ".join(cells))
    print(f"\nrerank at margin {JUDGE_MARGIN} (questions whose first two articles were judged)")
    pairs: dict[tuple[str, str, str], dict[int, dict]] = defaultdict(dict)
    for r in rows:
        pairs[(r["domain"], r["case"], r["query"])][r["rank"]] = r
    moved: dict[tuple[str, str], list[float]] = defaultdict(list)
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for (domain, case, query), ranked in pairs.items():
        if 1 not in ranked or 2 not in ranked or not ranked[1]["answerable"]:
            continue
        counted[(domain, case)] += 1
        order = judged_order([ranked[1], ranked[2]], [ranked[1]["judgment"], ranked[2]["judgment"]])
        if order[0] is ranked[2]:
            delta = 0.5 if ranked[2]["relevant"] else -0.5 if ranked[1]["relevant"] else 0.0
            moved[(domain, case)].append(delta)
            print(f"  moved {domain} {case} {query!r}: {ranked[1]['article']} {ranked[1]['judgment']:.2f} "
                  f"-> {ranked[2]['article']} {ranked[2]['judgment']:.2f}  RR {delta:+.1f}")
    for key, n in sorted(counted.items()):
        deltas = moved.get(key, [])
        print(f"{key[0]:6} {key[1]:20} {n:4} answerable judged at 1 and 2: {len(deltas)} moved, "
              f"{sum(d > 0 for d in deltas)} up, {sum(d < 0 for d in deltas)} down, MRR {sum(deltas) / n:+.4f}")
    print("\nhow the judgment orders relevant above not-relevant first and second articles (AUC)")
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["lang"], "cross" if r["case"].startswith("cross") else "same")].append(r)
    for (lang, kind), group in sorted(groups.items()):
        value, npos, nneg = auc(group)
        rel = [r["judgment"] for r in group if r["relevant"]]
        other = [r["judgment"] for r in group if not r["relevant"]]
        print(f"  {lang} {kind}: AUC {value:.3f} ({npos} relevant, median {statistics.median(rel) if rel else 0:.2f}; "
              f"{nneg} not, median {statistics.median(other) if other else 0:.2f})")
    print(f"\n{args.examples} Arabic judgments")
    arabic = [r for r in rows if r["lang"] == "ar"][: args.examples]
    for r in arabic:
        label = "relevant" if r["relevant"] else "out-of-scope" if not r["answerable"] else "not relevant"
        print(f"  {r['judgment']:6.2f} {label:12} {r['domain']} {r['case']} {r['query']} -> {r['article']}")


if __name__ == "__main__":
    main()
