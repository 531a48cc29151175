"""Answer cards on the dev sets: how often a card shows, how often it is the right section, and when it should not.

    PYTHONPATH=. python bench/answer_bench.py
    PYTHONPATH=. python bench/answer_bench.py --dump            # one line per query: reason, signals, verdict
    PYTHONPATH=. python bench/answer_bench.py --json out.json
    PYTHONPATH=. python bench/answer_bench.py --no-fit                # skip the cross-fit of thresholds

Each query goes through what the results page does: a public search in the query's language, then
`AnswerCards.answer` (extractive: no model). Figures per domain and language:
- answerable with a card: answerable queries (a labelled article) that got a card, over all of them
  and over those that read as questions (the only ones a card is meant for);
- article precision: cards whose article is one of the query's relevant articles;
- section precision: over queries labelled in tests/eval/answer_labels.jsonl (the sections that
  answer them, "article#anchor", anchor empty for the opening), cards whose article AND section are
  labelled answers: the issue's target is >= 90%;
- out of scope with a card: queries with no relevant article that still got one (target <= 5%);
- answerable questions without a card, by the gate that refused them and the query's kind: where reach is lost.
Labels carry a domain: the demo's 88 questions, on which the thresholds were chosen, and 31 m365
Arabic questions labelled afterwards from the articles, a domain the thresholds never saw.

How far the demo figures are fitted: every query is also decided once with the gates open
(`OPEN_GATES`), its signals recorded, and a grid of thresholds scored on them (`Thresholds.refusal`,
the card's own gate order). Thresholds fitted on one demo language's labelled questions (most right
cards at >= 90% precision there) are then scored on the other language's and on m365's: the honest
estimate of precision on questions the thresholds were not chosen on.
The demo index is var/bench/demo (built by bench/eval_retrieval.py --suite; reused, only changes
embedded); m365 (var/bench/m365 over var/bench/m365-content) is measured when it is there. `--chunks MAX/MIN` reads
the indexes eval_retrieval.py --chunks built at those chunk sizes (var/bench-chunks-MAX-MIN) instead.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from bench.eval_retrieval import BENCH_ROOT, chunk_root
from copilot.answer_card import OPEN_GATES, AnswerCards, CardDecision, Thresholds, reads_as_question
from copilot.engine import Engine
from copilot.retrieval import query_register
from kb.settings import Settings

DOMAINS = [
    ("demo", Path("content"), Path("var/bench/demo"), Path("tests/eval/dev_queries.jsonl")),
    ("m365", Path("var/bench/m365-content"), Path("var/bench/m365"), Path("tests/eval/m365_queries.jsonl")),
]
LABELS = Path("tests/eval/answer_labels.jsonl")


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def verdict(decision: CardDecision, row: dict, sections: set[str] | None) -> str:
    """right / wrong_section / wrong_article / out_of_scope (a card for one), or the reason for none."""
    card = decision.card
    if card is None:
        return decision.reason
    if not row["relevant"]:
        return "out_of_scope"
    if card.article not in row["relevant"]:
        return "wrong_article"
    if sections is not None and f"{card.article}#{card.anchor}" not in sections:
        return "wrong_section"
    return "right" if sections is not None else "right_article"


# The grid the cross-fit searches: article split ratio, coverage floor for plain and dialect questions,
# coverage floor for mixed-script ones (a different measure), section tie ratio.
FIT_GRID = {
    "split": (0.75, 0.8, 0.85, 0.9, 0.95),
    "coverage": (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25),
    "mixed_coverage": (0.8, 0.9, 1.0, 1.1, 1.25),
    "section_split": (0.9, 0.95, 1.0, float("inf")),
}
FIT_PRECISION = 0.9
MIN_FIT_CARDS = 5


def measure(
    engine: Engine, rows: list[dict], labels: dict[tuple[str, str], set[str]], dump: bool, open_decisions: list[dict]
) -> dict:
    """Figures per language; `open_decisions` gets each labelled query's decision with the gates open."""
    cards = AnswerCards(engine.retriever)
    opened = AnswerCards(engine.retriever, thresholds=OPEN_GATES)
    per_lang: dict[str, Counter] = {}
    timings: list[float] = []
    for row in rows:
        result = engine.retriever.search(row["query"], lang=row["lang"], limit=10)
        started = time.perf_counter()
        decision = cards.answer(result)
        if "coverage" in decision.signals:  # the full path: the article's sections ranked and read
            timings.append((time.perf_counter() - started) * 1000)
        sections = labels.get((row["lang"], row["query"]))
        outcome = verdict(decision, row, sections)
        if sections is not None:
            free = opened.answer(result)
            shown = f"{free.card.article}#{free.card.anchor}" if free.card else None
            open_decisions.append({
                "lang": row["lang"], "register": query_register(row["query"], row["lang"]), "signals": free.signals,
                "card": shown, "right": verdict(free, row, sections) == "right",
            })
        question = reads_as_question(row["query"])
        c = per_lang.setdefault(row["lang"], Counter())
        kind = row.get("kind", "")
        c[f"kind:{kind}:queries"] += 1
        c[f"kind:{kind}:cards"] += decision.card is not None
        c[f"kind:{kind}:right"] += outcome in ("right", "right_article")
        if row["relevant"]:
            c["answerable"] += 1
            c["answerable_questions"] += question
            c["carded"] += decision.card is not None
            c["carded_questions"] += decision.card is not None and question
            c["right_article"] += outcome in ("right", "right_article", "wrong_section")
            if sections is not None:
                c["labelled"] += 1
                c["labelled_cards"] += decision.card is not None
                c["right_section"] += outcome == "right"
        else:
            c["out_of_scope"] += 1
            c["oos_cards"] += decision.card is not None
        c[f"reason:{decision.reason}"] += 1
        if row["relevant"] and question and decision.card is None:  # where the cards meant for questions are lost
            c[f"lost:{decision.reason}:{kind}"] += 1
        if dump:
            top = result.results[0].key if result.results else "-"
            signals = " ".join(f"{k}={v:.2f}" for k, v in decision.signals.items())
            card = f"{decision.card.article}#{decision.card.anchor} «{decision.card.section}»" if decision.card else "-"
            print(f"{row['lang']} {row.get('kind', ''):12} {outcome:14} {signals:30} top={top} card={card} "
                  f"| {row['query']}")
    report: dict = {}
    for lang, c in sorted(per_lang.items()):
        cards_shown = c["carded"]
        report[lang] = {
            "answerable": c["answerable"],
            "card_share_answerable": _share(c["carded"], c["answerable"]),
            "card_share_answerable_questions": _share(c["carded_questions"], c["answerable_questions"]),
            "answerable_questions": c["answerable_questions"],
            "cards": cards_shown,
            "article_precision": _share(c["right_article"], cards_shown),
            "labelled_queries": c["labelled"],
            "labelled_cards": c["labelled_cards"],
            "section_precision": _share(c["right_section"], c["labelled_cards"]),
            "out_of_scope": c["out_of_scope"],
            "out_of_scope_with_card": _share(c["oos_cards"], c["out_of_scope"]),
            "reasons": {k.split(":", 1)[1]: v for k, v in sorted(c.items()) if k.startswith("reason:")},
            "questions_without_card": {
                reason: {k.split(":")[2]: v for k, v in sorted(c.items()) if k.startswith(f"lost:{reason}:")}
                for reason in sorted({k.split(":")[1] for k in c if k.startswith("lost:")})
            },
            "by_kind": {
                k.split(":")[1]: f"{c[k]} queries, {c[k.replace(':queries', ':cards')]} cards, "
                f"{c[k.replace(':queries', ':right')]} right"
                for k in sorted(c) if k.startswith("kind:") and k.endswith(":queries")
            },
        }
    report["card_ms_median"] = round(statistics.median(timings), 2) if timings else None
    report["card_ms_decisions"] = len(timings)
    return report


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def score(decisions: list[dict], gates: Thresholds) -> tuple[int, int]:
    """(cards, right cards) these thresholds would give on the recorded open-gate decisions."""
    shown = [d for d in decisions if d["card"] is not None and gates.refusal(d["signals"], d["register"]) is None]
    return len(shown), sum(d["right"] for d in shown)


def grid() -> list[Thresholds]:
    return [
        Thresholds(
            split=dict.fromkeys(("plain", "dialect", "mixed"), split),
            coverage={"plain": coverage, "dialect": coverage, "mixed": mixed},
            section_split=section_split,
        )
        for split, coverage, mixed, section_split in itertools.product(*FIT_GRID.values())
    ]


def fit(decisions: list[dict]) -> Thresholds:
    """The thresholds giving the most right cards at >= FIT_PRECISION (and at least MIN_FIT_CARDS cards)
    on `decisions`, fewer wrong ones breaking ties; the most precise ones when none reaches it."""
    scored = [(gates, *score(decisions, gates)) for gates in grid()]
    good = [(g, n, r) for g, n, r in scored if n >= MIN_FIT_CARDS and r >= FIT_PRECISION * n]
    if good:
        return max(good, key=lambda item: (item[2], -(item[1] - item[2])))[0]
    return max(scored, key=lambda item: (item[2] / item[1] if item[1] else 0.0, item[2]))[0]


def cross_fit(by_set: dict[str, list[dict]]) -> dict:
    """Thresholds fitted on each demo language, scored on every labelled set; and the shipped ones."""
    out: dict = {}
    fits = {"shipped": Thresholds()} | {f"fitted on demo {lang}": fit(by_set[f"demo {lang}"])
                                       for lang in ("en", "ar") if by_set.get(f"demo {lang}")}
    for name, gates in fits.items():
        row: dict[str, dict] = {"thresholds": {"split": gates.split["plain"], "coverage": gates.coverage["plain"],
                              "mixed_coverage": gates.coverage["mixed"], "section_split": gates.section_split}}
        for label_set, decisions in by_set.items():
            cards, right = score(decisions, gates)
            row[label_set] = {"cards": cards, "right": right, "precision": _share(right, cards),
                              "labelled": len(decisions)}
        out[name] = row
    return out


def print_cross_fit(fits: dict) -> None:
    print("\ncross-fit (section precision on labelled questions; thresholds split/coverage/mixed/section tie):")
    for name, row in fits.items():
        t = row["thresholds"]
        scored = " | ".join(
            f"{k}: {v['right']} of {v['cards']} cards right ({v['precision']}), {v['labelled']} labelled"
            for k, v in row.items()
            if k != "thresholds"
        )
        print(f"  {name} [{t['split']}/{t['coverage']}/{t['mixed_coverage']}/{t['section_split']}]: {scored}")


def print_report(name: str, report: dict) -> None:
    print(f"\n{name}: card decision median {report['card_ms_median']} ms after search, over the "
          f"{report['card_ms_decisions']} queries that reached the section ranking")
    print("lang | answerable: card (all / questions) | cards | article precision | section precision (labelled) "
          "| out of scope with card")
    for lang, r in report.items():
        if not isinstance(r, dict):
            continue
        print(f"{lang} | {r['card_share_answerable']} of {r['answerable']} / {r['card_share_answerable_questions']} of "
              f"{r['answerable_questions']} | {r['cards']} | {r['article_precision']} | {r['section_precision']} "
              f"({r['labelled_cards']} cards of {r['labelled_queries']} labelled) | {r['out_of_scope_with_card']} of "
              f"{r['out_of_scope']}")
        print(f"     reasons: {r['reasons']}")
        lost = "; ".join(
            f"{reason} {sum(kinds.values())} ({', '.join(f'{k} {n}' for k, n in kinds.items())})"
            for reason, kinds in r["questions_without_card"].items()
        )
        print(f"     answerable questions without a card, by reason (kind): {lost}")
        print(f"     by kind (right = labelled section, or relevant article when unlabelled): {r['by_kind']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dump", action="store_true", help="one line per query")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--domains", default="demo,m365")
    parser.add_argument("--no-fit", action="store_true", help="skip the cross-fit of thresholds")
    parser.add_argument(
        "--chunks", default="", metavar="MAX/MIN", help="the indexes eval_retrieval.py --chunks built at these sizes"
    )
    args = parser.parse_args()
    try:
        root = chunk_root(args.chunks) if args.chunks else BENCH_ROOT
    except ValueError as error:
        parser.error(f"--chunks: {error}")
    all_labels = load_jsonl(LABELS) if LABELS.is_file() else []
    figures: dict = {}
    open_decisions: dict[str, list[dict]] = {}
    for name, content, shipped, queries in DOMAINS:
        data = root / shipped.name
        if name not in args.domains.split(",") or not queries.is_file() or not content.is_dir():
            continue
        if not (data / "index").is_dir():
            print(f"{name}: no index in {data} (build it with bench/eval_retrieval.py --suite); skipped")
            continue
        with Engine(Settings.from_env(content_dir=content, data_dir=data)) as engine:
            engine.index(show_progress=False)  # brings a copied index up to date; embeds only changes
            labels = {
                (r["lang"], r["query"]): set(r["sections"]) for r in all_labels if r.get("domain", "demo") == name
            }
            decisions: list[dict] = []
            figures[name] = measure(engine, load_jsonl(queries), labels, args.dump, decisions)
            for decision in decisions:
                open_decisions.setdefault(f"{name} {decision['lang']}", []).append(decision)
        print_report(name, figures[name])
    if not args.no_fit and open_decisions:
        figures["cross_fit"] = cross_fit(open_decisions)
        print_cross_fit(figures["cross_fit"])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
