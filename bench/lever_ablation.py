"""Each ranking lever switched off alone, on every dev domain: what it adds, and whether it transfers.

    PYTHONPATH=. python bench/lever_ablation.py                       # every lever of retrieval.LEVERS
    PYTHONPATH=. python bench/lever_ablation.py --levers hubs,loanwords --json bench/results/levers.json
    PYTHONPATH=. python bench/lever_ablation.py --levers framing --kind framing  # a slice apart from the rest
    PYTHONPATH=. python bench/lever_ablation.py --heldout  # on held-out round 1 (tests/eval/heldout/)
    PYTHONPATH=. python bench/lever_ablation.py --heldout 2  # on held-out round 2 (tests/eval/heldout/round2/)
    PYTHONPATH=. python bench/lever_ablation.py --levers title_e5 --ranks  # each question whose rank the flip moved
    PYTHONPATH=. python bench/lever_ablation.py --levers title_e5+arabic_names  # two levers flipped together
    PYTHONPATH=. python bench/lever_ablation.py --levers query_translation \
        --translations bench/results/query_translations.jsonl  # the query translations made beforehand
    PYTHONPATH=. python bench/lever_ablation.py --levers query_translation,query_translation_confident \
        --translations bench/results/query_translations_confidence.jsonl --min-confidence -0.6  # scored ones
    PYTHONPATH=. python bench/lever_ablation.py --levers translated_titles \
        --title-translations /work/llm-bench/title_translations.jsonl  # titles translated beforehand
    PYTHONPATH=. python bench/lever_ablation.py --levers judge_abstain,judge_rerank \
        --judgments /work/llm-bench/relevance_judgments.jsonl --judged-only  # the local model's judgments

The suite (bench/eval_retrieval.py --suite) reports the product as configured; this runs the same
domains and cases (its `suite_cases`: the demo, its English-only copy for Arabic queries, m365)
in hybrid mode once with the levers as configured and once per lever with that lever flipped,
so a lever's effect is measured on both domains with everything else held. Hybrid MRR@10 and
abstention per case and query language are printed; nothing is asserted. `--ranks` also lists, per flip,
each answerable question whose first relevant article moved (its rank as configured -> flipped, "-" past
10): whether a delta is a few questions moving far or many moving a little.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.eval_retrieval import DOMAINS, add_heldout_argument, chosen_domains, evaluate, kind_lines, suite_cases
from copilot.query_translation import CachedTranslations
from copilot.relevance_judge import CachedJudgments
from copilot.retrieval import LEVERS
from copilot.title_translations import TitleTranslations


def parse_flips(text: str) -> list[list[str]]:
    """`--levers a,b+c`: a flipped alone, then b and c flipped together; an unknown name is an error."""
    flips = [flip.split("+") for flip in text.split(",") if flip]
    unknown = [name for flip in flips for name in flip if name not in LEVERS]
    if unknown:
        raise ValueError(f"unknown lever {unknown[0]!r}; known: {', '.join(LEVERS)}")
    return flips


def translated_row(translations: CachedTranslations, row: dict) -> bool:
    """Whether the cache has the row's query translated into another language."""
    return any(query == row["query"] and source == row["lang"] for query, source, _ in translations.rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--levers", default=",".join(LEVERS), help="levers to flip, one at a time (a+b: a and b flipped together)"
    )
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--kind", default=None, help="also this query kind's MRR@10 apart from the others'")
    parser.add_argument("--ranks", action="store_true", help="also each question whose rank the flip changed")
    parser.add_argument("--kinds", action="store_true", help="also every query kind's MRR@10 per case")
    parser.add_argument(
        "--ranks-json", type=Path, default=None,
        help="write each answerable row's rank per setting, domain and case here (bench/confidence_thresholds.py)",
    )
    parser.add_argument(
        "--translations", type=Path, default=None,
        help="query translations (bench/query_translations.py's JSONL) for LEVERS['query_translation']",
    )
    parser.add_argument(
        "--translated-only", action="store_true",
        help="with --translations: leave out the cases where no row has a translation",
    )
    parser.add_argument(
        "--min-confidence", type=float, default=None,
        help="the least confidence of a translation searched with LEVERS['query_translation_confident'] "
        "(default: copilot.query_translation.MIN_CONFIDENCE)",
    )
    parser.add_argument(
        "--judgments", type=Path, default=None,
        help="relevance judgments (bench/relevance_judgments.py's JSONL) for LEVERS['judge_abstain'], ['judge_rerank']",
    )
    parser.add_argument(
        "--judged-only", action="store_true",
        help="with --judgments: only the rows whose first article as configured was judged",
    )
    parser.add_argument(
        "--title-translations", type=Path, default=None,
        help="article titles translated ahead of time (bench/title_translations.py's JSONL) for "
        "LEVERS['translated_titles']",
    )
    add_heldout_argument(parser)
    args = parser.parse_args()
    try:
        flips = parse_flips(args.levers)
    except ValueError as error:
        parser.error(str(error))
    cases = suite_cases(chosen_domains(args.domains.split(","), args.heldout), Path("var/bench"))
    if args.translations is not None:
        translations = CachedTranslations.load(args.translations)
        for case in cases:
            case.engine.retriever.translator = translations
            if args.min_confidence is not None:
                case.engine.retriever.min_translation_confidence = args.min_confidence
            translated = [row for row in case.rows if translated_row(translations, row)]
            print(f"{case.domain} {case.name}: {len(translated)} of {len(case.rows)} rows translated")
        if args.translated_only:  # a case with no translated row is left out: the lever cannot act there
            cases = [case for case in cases if any(translated_row(translations, row) for row in case.rows)]
    if args.title_translations is not None:
        titles = TitleTranslations.load(args.title_translations)
        for case in cases:
            case.engine.retriever.title_translations = titles
    if args.judgments is not None:
        judged = [json.loads(line) for line in args.judgments.read_text("utf-8").splitlines() if line.strip()]
        for case in cases:
            judge = CachedJudgments.load(args.judgments, case.domain, case.name)
            case.engine.retriever.judge = judge
            firsts = {
                row["query"] for row in judged
                if row.get("domain") == case.domain and row.get("case") == case.name and row.get("rank") == 1
            }
            print(f"{case.domain} {case.name}: {len(judge.rows)} judgments, first article of "
                  f"{sum(row['query'] in firsts for row in case.rows)} of {len(case.rows)} rows")
            if args.judged_only:
                case.rows = [row for row in case.rows if row["query"] in firsts]
        cases = [case for case in cases if case.rows]
    configured = dict(LEVERS)
    report: dict[str, dict] = {}
    configured_ranks: dict[int, list[int | None]] = {}  # case position -> each answerable row's rank as configured
    moved: list[str] = []
    all_ranks: dict[str, dict[str, dict[str, list[dict]]]] = {}
    print(f"{'setting':24} {'domain':7} {'case':14} {'lang':4} {'n':>4} {'MRR@10':>7}  abstain oos/answerable")
    for flip in [None, *flips]:
        LEVERS.update(configured)
        for name in flip or []:
            LEVERS[name] = not configured[name]
        label = "+".join(f"{name}={'on' if LEVERS[name] else 'off'}" for name in flip) if flip else "as configured"
        for position, case in enumerate(cases):
            ranks: list[tuple[dict, int | None]] = []
            result = evaluate(case.engine, case.rows, "hybrid", lang_filter=True, ranks=ranks)
            before = configured_ranks.setdefault(position, [rank for _, rank in ranks])
            moved += [
                f"{label:24} {case.domain:7} {case.name:19} {row['lang']:4} {row.get('kind', '-')!s:18} "
                f"{old or '-':>2} -> {rank or '-':>2}  {row['query']}"
                for (row, rank), old in zip(ranks, before, strict=True)
                if rank != old
            ]
            report.setdefault(label, {}).setdefault(case.domain, {})[case.name] = result
            all_ranks.setdefault(label, {}).setdefault(case.domain, {})[case.name] = [
                {"query": row["query"], "lang": row["lang"], "kind": row.get("kind"), "rank": rank}
                for row, rank in ranks
            ]
            for lang, r in result.items():
                if lang == "latency_ms":
                    continue
                print(
                    f"{label:24} {case.domain:7} {case.name:14} {lang:4} {r['queries']:>4} {r['mrr@10']:>7.3f}  "
                    f"{r['abstained_out_of_scope']:>6.2f}/{r['abstained_answerable']:.3f}"
                )
            if args.kinds:
                for line in kind_lines(f"{label:24} {case.domain:7} {case.name:14}", ranks):
                    print(line)
            if args.kind:  # the kind's own slice and the rest of the dev set, side by side
                slices = [
                    ({**row, "kind": args.kind if row.get("kind") == args.kind else "rest"}, rank)
                    for row, rank in ranks
                ]
                for line in kind_lines(f"{label:24} {case.domain:7} {case.name:14}", slices):
                    print(line)
    LEVERS.update(configured)
    for line in moved if args.ranks else []:
        print(line)
    for case in cases:
        case.engine.close()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    if args.ranks_json:
        args.ranks_json.parent.mkdir(parents=True, exist_ok=True)
        args.ranks_json.write_text(json.dumps(all_ranks, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
