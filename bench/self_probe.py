"""Abstention evidence of an index's own label-free probes beside its labelled dev questions (issue #18).

    PYTHONPATH=. python bench/self_probe.py --json var/selfabst/probe.json [--domains demo,m365,gnome] [--heldout N]
    PYTHONPATH=. python bench/self_probe.py --read var/selfabst/probe.json
    PYTHONPATH=. python bench/self_probe.py --customer  # m365's Arabic customer slice, LEVERS["self_floors"] off/on
    PYTHONPATH=. python bench/self_probe.py --flags tests/eval/near_scope_gnome.jsonl --flags-domain gnome

For every suite case (same-language and cross-lingual), each question's signals with the floors off (what the
suite fits on), and the same signals for what a new help center has without any label
(copilot.self_calibration.probes): its titles and headings asked as queries, the same with words left out, and
random sentences of the language's commonest words (wordfreq). `--read` prints the distributions per case, the
shipped floors carried to each index (copilot.self_calibration, LEVERS["self_floors"]) with their positions scaled
and other probe pools, the cross-lingual floors carried by random sentences, and the other label-free rules tried,
each scored on the labelled questions beside the shipped floors (bench/RESULTS.md "Session 20, selfabst20").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from bench.eval_retrieval import Case, chosen_domains, collect_signals, direction, suite_cases
from copilot.retrieval import query_register, register_floors
from copilot.self_calibration import POOLED, REFERENCE_QUANTILES, carried_floors, position, probes
from copilot.tuning import ABSTAIN_FLOORS, ABSTAIN_OFFSETS

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
SHOWN = ("e5_top", "use_top", "lexical_share", "field_top", "e5_share", "use_share", "cross_share", "cross_title_share")


def probe_signals(case: Case) -> dict[str, list[dict[str, float]]]:
    """The case's label-free probes' signals, floors off, by probe kind."""
    retriever = case.engine.retriever
    asking = sorted({str(r["lang"]) for r in case.rows})
    shown = sorted({str(p["lang"]) for p in case.engine.store.payloads(("lang",))})
    rows = case.engine.store.payloads(("key", "lang", "title", "heading_path"))
    floors, retriever.abstain_floors = retriever.abstain_floors, None
    out: dict[str, list[dict[str, float]]] = {}
    for lang in asking:
        own = [r for r in rows if r.get("lang") == lang]  # empty for a cross-lingual case: no self-query there
        for kind, texts in probes(own, lang).items():
            for text in texts:
                signals = retriever.search(text, lang=lang, limit=10).signals
                out.setdefault(f"{lang}:{kind}", []).append(dict(signals))
    retriever.abstain_floors = floors
    del shown
    return out


def dump(args: argparse.Namespace) -> None:
    cases = suite_cases(chosen_domains(args.domains.split(","), args.heldout), Path("var/bench"))
    report = []
    for case in cases:
        collect_signals(case)
        entry: dict[str, Any] = {
            "domain": case.domain,
            "case": case.name,
            "direction": direction(case),
            "rows": [{"lang": r["lang"], "query": r["query"], "oos": not r["relevant"]} for r in case.rows],
            "signals": {lang: s for lang, s in case.signals.items()},
            "near": [{"lang": r["lang"], "query": r["query"]} for r in case.near],
            "near_signals": case.near_signals,
            "probes": probe_signals(case) if not args.heldout else {},
        }
        report.append(entry)
        print(
            f"{case.domain} {case.name}: {len(case.rows)} questions, probes "
            f"{ {k: len(v) for k, v in entry['probes'].items()} }",
            flush=True,
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False))


def quantiles(values: list[float]) -> str:
    if not values:
        return "-"
    return " ".join(f"{v:.3f}" for v in np.quantile(values, QUANTILES))


def read(path: Path) -> None:
    for entry in json.loads(path.read_text()):
        print(f"== {entry['domain']} {entry['case']} ({entry['direction']})  quantiles {QUANTILES}")
        for lang, signals in entry["signals"].items():
            rows = [r for r in entry["rows"] if r["lang"] == lang]
            groups = {
                "answerable": [s for s, r in zip(signals, rows, strict=True) if not r["oos"]],
                "out-of-scope": [s for s, r in zip(signals, rows, strict=True) if r["oos"]],
                "near-topic": entry["near_signals"].get(lang, []),
                **{k: v for k, v in entry["probes"].items() if k.startswith(f"{lang}:")},
            }
            for name in SHOWN:
                if not any(name in s for s in signals):
                    continue
                for group, values in groups.items():
                    got = [s[name] for s in values if name in s]
                    print(f"  [{lang}] {name:18s} {group:22s} n={len(got):4d}  {quantiles(got)}")


def abstains(signals: dict[str, float], query: str, lang: str, floors: dict[str, float]) -> bool:
    """The same-language rule on stored signals: `floors` plus the query register's offsets, as
    Retriever._abstains (every signal under its floor)."""
    rule = register_floors(floors, ABSTAIN_OFFSETS.get(lang, {}), query_register(query, lang))
    return all(signals.get(name, 0.0) < floor for name, floor in rule.items())


def flagged(entry: dict, lang: str, floors: dict[str, float]) -> str:
    """The same-language rule (`abstains`) on one case's dev questions and near-topic questions: out-of-scope /
    answerable / near-topic flagged."""
    rows = [r for r in entry["rows"] if r["lang"] == lang]
    got = np.array([abstains(s, r["query"], lang, floors) for s, r in zip(entry["signals"][lang], rows, strict=True)])
    oos = np.array([r["oos"] for r in rows])
    near_rows = [r for r in entry["near"] if r["lang"] == lang]
    near = [abstains(s, r["query"], lang, floors)
            for s, r in zip(entry["near_signals"].get(lang, []), near_rows, strict=True)]
    near_part = f" near {np.mean(near):.0%}" if near else ""
    return (
        f"{got[oos].mean():.0%}/{got[~oos].mean():.1%} ({got[oos].sum()}/{oos.sum()}, {got[~oos].sum()}/{(~oos).sum()})"
        + near_part
    )


def reference_positions(entries: list[dict]) -> None:
    """Where the shipped floors sit among the demo's own pooled probes (REFERENCE_QUANTILES), and per same-language
    case the shipped floors beside the carried ones, with every reference position scaled (the grid) and with
    other probe pools (the position recomputed on the demo's same pool)."""
    demo = next(e for e in entries if e["domain"] == "demo" and e["case"] == "same-language")

    def pool(entry: dict, lang: str, kinds: tuple[str, ...]) -> list[dict[str, float]]:
        return [s for kind in kinds for s in entry["probes"].get(f"{lang}:{kind}", [])]

    def positions(lang: str, kinds: tuple[str, ...]) -> dict[str, float]:
        probes_ = pool(demo, lang, kinds)
        return {
            name: round(position(floor, [s.get(name, 0.0) for s in probes_]), 3)
            for name, floor in ABSTAIN_FLOORS[lang].items()  # type: ignore[index]
            if name != "field_top"
        }

    for lang in ("en", "ar"):
        print(
            f"reference quantiles [{lang}] (demo, pooled {'+'.join(POOLED)}): {positions(lang, POOLED)} "
            f"(shipped REFERENCE_QUANTILES {REFERENCE_QUANTILES[lang]})"
        )
    pools = [POOLED, ("title",), ("heading",), ("partial",), ("title", "heading"), ("heading", "partial")]
    for entry in entries:
        if entry["case"] != "same-language":
            continue
        for lang in entry["signals"]:
            shipped = dict(ABSTAIN_FLOORS[lang])  # type: ignore[index]
            print(f"== {entry['domain']} [{lang}] shipped floors: {flagged(entry, lang, shipped)}")
            for kinds in pools:
                reference = positions(lang, kinds)
                scales = (0.7, 0.85, 1.0, 1.15, 1.3) if kinds == POOLED else (1.0,)
                for scale in scales:
                    moved = {name: min(share * scale, 0.99) for name, share in reference.items()}
                    floors = carried_floors(shipped, pool(entry, lang, kinds), moved)
                    shown = " ".join(f"{n}={v:.3f}" for n, v in floors.items())
                    print(
                        f"   carried, pool {'+'.join(kinds):22s} positions x{scale:.2f}: "
                        f"{flagged(entry, lang, floors)}  [{shown}]"
                    )


MODEL_SIGNALS = ("e5_top", "use_top", "lexical_share")


def label_free_rules(entries: list[dict]) -> None:
    """The label-free rules tried before the carried floors, per same-language case (field_top 0.5 throughout):
    every model floor at quantile q of the index's headings asked; q chosen so that 4% of the index's pooled probes
    are flagged; the mean over the models of (score - random sentences' median) / (headings' median - that), under
    a floor."""
    for entry in entries:
        if entry["case"] != "same-language":
            continue
        for lang in entry["signals"]:
            headings = entry["probes"][f"{lang}:heading"]
            pooled = [s for kind in POOLED for s in entry["probes"].get(f"{lang}:{kind}", [])]

            def at(q: float, probes_: list[dict[str, float]]) -> dict[str, float]:
                quantile = {n: float(np.quantile([s.get(n, 0.0) for s in probes_], q)) for n in MODEL_SIGNALS}
                return {**quantile, "field_top": 0.5}

            for q in (0.2, 0.3, 0.35):
                got_ = flagged(entry, lang, at(q, headings))
                print(f"label-free [{entry['domain']} {lang}] heading quantile {q}: {got_}")
            chosen = max(
                (q for q in np.arange(0.0, 0.8, 0.01) if _share_flagged(pooled, at(q, pooled)) <= 0.04), default=0.0
            )
            print(
                f"label-free [{entry['domain']} {lang}] pooled quantile {chosen:.2f} (4% of the probes flagged): "
                f"{flagged(entry, lang, at(chosen, pooled))}"
            )
            random_ = entry["probes"][f"{lang}:random"]
            medians = {
                n: (np.median([s.get(n, 0.0) for s in random_]), np.median([s.get(n, 0.0) for s in headings]))
                for n in MODEL_SIGNALS
            }
            rows = [r for r in entry["rows"] if r["lang"] == lang]
            oos = np.array([r["oos"] for r in rows])
            for floor in (0.3, 0.5):
                got = np.array(
                    [
                        np.mean([(s.get(n, 0.0) - a) / max(b - a, 1e-6) for n, (a, b) in medians.items()]) < floor
                        and s.get("field_top", 0.0) < 0.5
                        for s in entry["signals"][lang]
                    ]
                )
                print(
                    f"label-free [{entry['domain']} {lang}] mean position between random and headings < {floor} "
                    f"(no offsets): {got[oos].mean():.0%}/{got[~oos].mean():.1%}"
                )


def _share_flagged(probes_: list[dict[str, float]], floors: dict[str, float]) -> float:
    return float(np.mean([all(s.get(n, 0.0) < f for n, f in floors.items()) for s in probes_]))


def cross_carried(entries: list[dict]) -> None:
    """The cross-lingual floors (CROSS_DIRECTION_FLOORS, fitted on the demo) carried the same way to each index of
    their direction; a help center missing the query's language has only the random sentences of that language as
    label-free probes (no title or heading in it), so the position is among those."""
    from copilot.retrieval import CROSS_DIRECTION_FLOORS

    cross = [e for e in entries if e["case"] != "same-language"]
    for entry in cross:
        asking, shown = entry["direction"].split(">")
        demo = next(e for e in cross if e["domain"] == "demo" and e["direction"] == entry["direction"])
        shipped = CROSS_DIRECTION_FLOORS[(asking, shown)]
        reference = demo["probes"][f"{asking}:random"]
        probes_ = entry["probes"][f"{asking}:random"]
        shares = {name: position(floor, [s.get(name, 0.0) for s in reference]) for name, floor in shipped.items()}
        carried = carried_floors(shipped, probes_, shares)
        rows, signals = entry["rows"], entry["signals"][asking]
        oos = np.array([r["oos"] for r in rows])
        for label, floors in (("shipped", shipped), ("carried", carried)):
            got = np.array(
                [all(s.get(n, 0.0) < f for n, f in floors.items()) and not s.get("title_names") for s in signals]
            )
            shown_ = " ".join(f"{n}={v:.3f}" for n, v in floors.items())
            print(
                f"cross-lingual [{entry['domain']} {entry['direction']}] {label} floors (share floors alone, title "
                f"names exempt): {got[oos].mean():.0%}/{got[~oos].mean():.1%}  [{shown_}]"
            )


def lever_flags(domain: str, path: Path, langs: set[str]) -> None:
    """One query file's questions on one domain's index (m365's customer slice: answerable; a near-topic file:
    out of scope), flagged with the lever off, on and off again, one engine."""
    from bench.eval_retrieval import DOMAINS, domain_content, load_queries, open_engine
    from copilot.retrieval import LEVERS

    chosen = next(d for d in DOMAINS if d.name == domain)
    engine = open_engine(domain_content(chosen), Path("var/bench") / domain, None)
    rows = load_queries(path, langs)
    for state in (False, True, False):
        LEVERS["self_floors"] = state
        for lang in sorted(langs):
            asked = [r for r in rows if r["lang"] == lang]
            got = [r["query"] for r in asked if engine.retriever.search(r["query"], lang=lang, limit=10).abstained]
            print(
                f"{path.name} [{domain} {lang}] self_floors {'on' if state else 'off'}: {len(got)} of {len(asked)} "
                f"flagged {got}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, default=Path("var/selfabst/probe.json"))
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--heldout", type=int, default=None)
    parser.add_argument("--read", type=Path, default=None)
    parser.add_argument("--customer", action="store_true", help="m365's customer slice, the lever off and on")
    parser.add_argument("--flags", type=Path, default=None, help="a query file flagged with the lever off and on")
    parser.add_argument("--flags-domain", default="gnome")
    parser.add_argument("--flags-langs", default="en")
    args = parser.parse_args()
    if args.customer:
        lever_flags("m365", Path("tests/eval/m365_customer_queries.jsonl"), {"ar"})
    elif args.flags:
        lever_flags(args.flags_domain, args.flags, set(args.flags_langs.split(",")))
    elif args.read:
        read(args.read)
        reference_positions(json.loads(args.read.read_text()))
        cross_carried(json.loads(args.read.read_text()))
        label_free_rules(json.loads(args.read.read_text()))
    else:
        dump(args)


if __name__ == "__main__":
    main()
