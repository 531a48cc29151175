"""How often the agreement gate of dense feedback fires, and how often the article it feeds is the right one.

    PYTHONPATH=. python bench/feedback_gate.py                 # the dev domains and the m365 customer slice
    PYTHONPATH=. python bench/feedback_gate.py --heldout 4     # a held-out round's counts (read after deciding)

LEVERS["agreed_feedback"] feeds the lexical side the words of the article e5 and USE agree on when BM25 ranks it
low (copilot.dense_feedback.agreed_article). Per domain, query language and gate setting (the dense models
agreeing within their first 1 or 2 articles, BM25 missing it from its first 2, 3 or 5), this prints how many
answerable questions the gate fires for, for how many of those the agreed article is a relevant one (the
"dense right, BM25 wrong" case the gate is meant to find), and how many out-of-scope questions it fires for.
Same-language cases only: where the query's language has no article there is nothing to agree on.
The three rankings are read once per question (Retriever._agreement_rankings) and every setting applied to them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.eval_retrieval import DOMAINS, add_heldout_argument, chosen_domains, load_queries, suite_cases
from copilot.dense_feedback import agreed_article
from copilot.engine import Engine

SETTINGS = [(agree, miss) for agree in (1, 2) for miss in (2, 3, 5)]  # (agree_top, lexical_top)
SLICE = Path("tests/eval/m365_customer_queries.jsonl")


def gate_counts(engine: Engine, rows: list[dict]) -> dict[str, dict[tuple[int, int], list[int]]]:
    """Per query language and setting: [answerable, fired, fired on a relevant article, out-of-scope, fired]."""
    retriever = engine.retriever
    counts: dict[str, dict[tuple[int, int], list[int]]] = {}
    for row in rows:
        plan = retriever.plan(row["query"], lang=row["lang"])
        vectors = retriever._embed(plan, {})[0]
        rankings = retriever._agreement_rankings(plan, vectors)
        keys = [[str(hit.payload.get("key", "")) for hit in hits] for hits in rankings or [[], [], []]]
        relevant = set(row["relevant"])
        for setting in SETTINGS:
            agreed = agreed_article(keys[0], keys[1], keys[2], *setting)
            tally = counts.setdefault(row["lang"], {}).setdefault(setting, [0, 0, 0, 0, 0])
            if relevant:
                tally[0] += 1
                tally[1] += agreed is not None
                tally[2] += agreed is not None and agreed.split("/", 1)[-1] in relevant
            else:
                tally[3] += 1
                tally[4] += agreed is not None
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    add_heldout_argument(parser)
    args = parser.parse_args()
    cases = suite_cases(chosen_domains(args.domains.split(","), args.heldout), Path("var/bench"))
    print(f"{'domain':7} {'set':7} {'lang':4} {'agree/miss':10} {'fired':>13} {'dense right':>11} {'oos fired':>9}")
    for case in (c for c in cases if c.name == "same-language"):
        sets = [("dev", case.rows)]
        if case.domain == "m365" and not args.heldout:
            sets.append(("slice", load_queries(SLICE, None)))
        for name, rows in sets:
            for lang, settings in sorted(gate_counts(case.engine, rows).items()):
                for (agree, miss), (n, fired, right, oos, oos_fired) in settings.items():
                    print(
                        f"{case.domain:7} {name:7} {lang:4} {f'{agree}/{miss}':10} {fired:>4} of {n:>4} "
                        f"({fired / max(n, 1):4.0%}) {right:>11} {oos_fired:>4} of {oos:<4}"
                    )


if __name__ == "__main__":
    main()
