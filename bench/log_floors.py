"""Abstention floors fitted on a help center's own search log, early traffic, scored on later traffic (issue #18).

    PYTHONPATH=. python bench/log_floors.py                     # demo, m365, gnome; 7 and 30 days; noise 0.15, 0.3
    PYTHONPATH=. python bench/log_floors.py --domains gnome --seeds 1 --json var/logfloors/gnome.json

Every label-free rule tried so far (self_floors, customer-worded probes, leave-one-out probes) places gnome's
out-of-scope English questions and m365's answerable Arabic customer questions at the same place among their index's
own probes. A help center that has run a while has what the probes lack: its customers' searches, in their wording,
and what followed them. Here, per dev domain and language, the traffic of bench/click_replay_bench.py is simulated
over the dev questions, the near-topic out-of-scope ones (tests/eval/near_scope_*.jsonl) and, on m365, the customer
slice (tests/eval/m365_customer_queries.jsonl): Zipf popularity, surface variants, the same position-biased noisy
clicks (`click_replay_bench.first_click`), a ticket after a wrong click (50%), a right one (5%) or no click at all
(`--ticket-no-click`, 50%). Out-of-scope questions have no right result to click.

Behaviour labels from the first `--learn-days` only (`desk.search_labels.behaviour_labels`, the product's report reads
the same rule; two rules: "majority", more clicked-and-no-ticket searches than no-click-and-ticket ones is answerable,
the other way round not answered; "share", clicked-and-no-ticket half the query's searches or more is answerable, fewer
with a no-click ticket not answered).
The floors are fitted on those labelled queries' signals (floors off, as the suite's `collect_signals`) with the
suite's own fit (`bench.tune_fusion.fit_rule`, register offsets on, `MAX_FALSE`), and scored on the next
`--score-days`: the distinct queries not searched in the learning days (unseen: what the fit never saw), every
distinct later query (once each, as the suite counts questions), and every later search (head queries weigh by their
traffic). Beside them: the shipped floors (the product's own abstention,
`result.abstained`), the union of the shipped abstention and the share labels' floors (the log only adds
abstentions; "tight": the log's floors fitted at `--union-max-false` of its answerable labels), and the floors fitted
on the dev labels (the suite's in-domain fit; training-set figures, as the
suite prints them).

What the learning days showed the customer (`--shown`): "off" (floors off while learning: every search shows its
results, so an out-of-scope search can be clicked through by mistake) or "shipped" (an abstained search shows nothing,
gets no click, and a ticket at the no-click rate: an answerable question the shipped floors hide is labelled not
answered). The simulated customers know the labels (they click a right result 90% of the time they examine it, and
never find one for an out-of-scope question): an upper bound on what real behaviour gives.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.click_replay_bench import Session, first_click, simulate
from bench.eval_retrieval import (
    MAX_FALSE,
    Case,
    chosen_domains,
    collect_signals,
    floor_matrix,
    load_queries,
    suite_cases,
)
from bench.tune_fusion import SIGNALS, fit_rule, flags
from copilot.click_feedback import query_key
from copilot.retrieval import query_register
from desk.search_labels import LABEL_RULES, Key, Visit, behaviour_labels

SLICE = Path("tests/eval/m365_customer_queries.jsonl")
TICKET_AFTER_NO_CLICK = 0.5


@dataclass(frozen=True)
class Seen:
    """One distinct typed search as the customer and the floors saw it."""

    signals: dict[str, float]  # floors off
    ids: tuple[str, ...]  # article ids shown with the floors off
    abstained: bool  # the shipped floors abstain


def outcome(ids: Iterable[str], relevant: set[str], noise: float, ticket_no_click: float, rng: random.Random) -> Visit:
    """A session's behaviour (its key left empty): a click or none, and whether a ticket followed."""
    clicked = first_click(list(ids), relevant, noise, rng)
    if clicked is None:
        return Visit(("", ""), False, rng.random() < ticket_no_click)
    return Visit(("", ""), True, clicked[1])


@dataclass
class Share:
    """Flagged counts by the truth: the dev out-of-scope questions, the answerable ones, the near-topic out-of-scope
    ones and the answerable customer slice (m365), apart."""

    oos: int = 0
    oos_flagged: int = 0
    answerable: int = 0
    answerable_flagged: int = 0
    near: int = 0
    near_flagged: int = 0
    slice_: int = 0
    slice_flagged: int = 0

    def add(self, out_of_scope: bool, flagged: bool, source: str) -> None:
        if source == "near":
            self.near += 1
            self.near_flagged += flagged
        elif out_of_scope:
            self.oos += 1
            self.oos_flagged += flagged
        elif source == "slice":
            self.slice_ += 1
            self.slice_flagged += flagged
        else:
            self.answerable += 1
            self.answerable_flagged += flagged

    def text(self) -> str:
        oos = self.oos_flagged / max(self.oos, 1)
        ans = self.answerable_flagged / max(self.answerable, 1)
        out = f"{oos:4.0%} / {ans:5.1%} ({self.oos_flagged}/{self.oos}, {self.answerable_flagged}/{self.answerable})"
        if self.near:
            out += f" near {self.near_flagged / self.near:.0%}"
        if self.slice_:
            out += f" slice {self.slice_flagged / self.slice_:.1%} ({self.slice_flagged}/{self.slice_})"
        return out


class Searches:
    """Each distinct (typed query, language) searched twice, once: floors off (signals, results) and as shipped."""

    def __init__(self, case: Case) -> None:
        self.retriever = case.engine.retriever
        self.cache: dict[tuple[str, str], Seen] = {}

    def __call__(self, typed: str, lang: str) -> Seen:
        if (typed, lang) not in self.cache:
            shipped = self.retriever.search(typed, lang=lang, limit=10)
            floors, self.retriever.abstain_floors = self.retriever.abstain_floors, None
            try:
                off = self.retriever.search(typed, lang=lang, limit=10)
            finally:
                self.retriever.abstain_floors = floors
            ids = tuple(h.id for h in off.results[:10])
            self.cache[(typed, lang)] = Seen(dict(off.signals), ids, shipped.abstained)
        return self.cache[(typed, lang)]


def matrix(seen: list[Seen], typed: list[str], lang: str) -> tuple[np.ndarray, list[str]]:
    scores = np.array([[s.signals.get(name, 0.0) for name in SIGNALS] for s in seen]).reshape(-1, len(SIGNALS))
    return scores, [query_register(t, lang) for t in typed]


def fitted_flags(rule: tuple[list[float], dict] | None, seen: list[Seen], typed: list[str], lang: str) -> list[bool]:
    if rule is None or not seen:
        return [False] * len(seen)
    scores, registers = matrix(seen, typed, lang)
    return [bool(f) for f in flags(scores, registers, *rule)]


def replay(
    sessions: list[Session], search: Searches, lang: str, args: argparse.Namespace, learn_days: float, noise: float,
    shown: str, dev_rule: tuple[list[float], dict], rng: random.Random, tallies: dict[str, dict[str, Share]],
    label_quality: Counter[str],
) -> None:
    """One log: behaviour labels from the first `learn_days`, floors fitted on them, scored on the next days."""
    early = [s for s in sessions if s.day < learn_days]
    later = [s for s in sessions if learn_days <= s.day < learn_days + args.score_days]
    visits, forms, truth = [], defaultdict(Counter), {}
    for session in early:
        seen = search(session.typed, lang)
        key = (lang, query_key(session.typed))
        forms[key][session.typed] += 1
        truth[key] = session.row
        ids = () if shown == "shipped" and seen.abstained else seen.ids
        visit = outcome(ids, set(session.row["relevant"]), noise, args.ticket_no_click, rng)
        visits.append(Visit(key, visit.clicked, visit.ticket))
    fitted: dict[str, tuple[list[float], dict] | None] = {"share, tight": None}
    for label_rule in LABEL_RULES:
        labels = behaviour_labels(visits, label_rule)
        for key, not_answered in labels.items():
            label_quality[f"{label_rule}: {'not answered' if not_answered else 'answerable'}, truly "
                          f"{'out-of-scope' if not truth[key]['relevant'] else 'answerable'}"] += 1
        keys = sorted(labels)
        typed = [forms[k].most_common(1)[0][0] for k in keys]
        oos = np.array([labels[k] for k in keys], dtype=bool)
        fitted[label_rule] = None
        if oos.sum() >= 2 and (~oos).sum() >= 5:  # too few of either to fit: no floors (nothing flagged)
            scores, registers = matrix([search(t, lang) for t in typed], typed, lang)
            fitted[label_rule] = fit_rule(scores, registers, oos, MAX_FALSE, True)
            if label_rule == "share":  # the union's log part with a smaller answerable budget
                fitted["share, tight"] = fit_rule(scores, registers, oos, args.union_max_false, True)
    learned = set(forms)
    first_later: dict[Key, Session] = {}
    for session in later:
        first_later.setdefault((lang, query_key(session.typed)), session)
    parts = {
        "unseen queries": [s for k, s in first_later.items() if k not in learned],
        "later queries": list(first_later.values()),
        "later searches": later,
    }
    for part, chosen in parts.items():
        seen = [search(s.typed, lang) for s in chosen]
        texts = [s.typed for s in chosen]
        rules = {
            **{f"log {r}": fitted_flags(rule, seen, texts, lang) for r, rule in fitted.items()},
            "shipped": [s.abstained for s in seen],
        }
        tight = rules.pop("log share, tight")
        rules["shipped or log share"] = [a or b for a, b in zip(rules["shipped"], rules["log share"], strict=True)]
        rules["shipped or log share, tight"] = [a or b for a, b in zip(rules["shipped"], tight, strict=True)]
        rules["dev-label fit"] = fitted_flags(dev_rule, seen, texts, lang)
        for name, flagged in rules.items():
            for session, flag in zip(chosen, flagged, strict=True):
                row = session.row
                tallies[part][name].add(not row["relevant"], flag, row["source"])


def run_case(case: Case, lang: str, args: argparse.Namespace) -> dict:
    rows = [{**r, "source": "dev"} for r in case.rows if r["lang"] == lang]
    rows += [{**r, "source": "near"} for r in case.near if r["lang"] == lang]
    if case.domain == "m365" and lang == "ar":
        rows += [{**r, "source": "slice"} for r in load_queries(SLICE, {"ar"})]
    scores, registers, oos = floor_matrix(case, lang, SIGNALS)
    dev_rule = fit_rule(scores, registers, oos, MAX_FALSE, True)
    search = Searches(case)
    started = time.perf_counter()
    out: dict = {}
    days = max(args.learn_days) + args.score_days
    for learn_days in args.learn_days:
        for noise in args.noise:
            for shown in args.shown:
                tallies: dict[str, dict[str, Share]] = defaultdict(lambda: defaultdict(Share))
                quality: Counter[str] = Counter()
                for seed in range(args.seed, args.seed + args.seeds):
                    traffic = simulate(rows, round(args.per_day * days), days, random.Random(seed))
                    clicks = random.Random(seed * 1000 + 7)
                    replay(traffic, search, lang, args, learn_days, noise, shown, dev_rule, clicks, tallies, quality)
                setting = f"{learn_days:g} days, noise {noise:g}, shown {shown}"
                out[setting] = {
                    "labels": dict(quality),
                    **{part: {n: s.text() for n, s in by.items()} for part, by in tallies.items()},
                }
                print(f"{case.domain} {lang} | {setting} | labels {dict(sorted(quality.items()))}")
                for part, by in tallies.items():
                    print(f"    {part:19} " + " | ".join(f"{n} {s.text()}" for n, s in by.items()))
    out["distinct_searches"] = len(search.cache)
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["dev_rule"] = {"floors": dict(zip(SIGNALS, dev_rule[0], strict=True)), "offsets": dev_rule[1]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--per-day", type=float, default=100.0, help="searches a day per domain")
    parser.add_argument("--learn-days", type=float, nargs="+", default=[7.0, 30.0])
    parser.add_argument("--score-days", type=float, default=30.0)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.15, 0.3], help="P(click | examined, wrong)")
    parser.add_argument("--ticket-no-click", type=float, default=TICKET_AFTER_NO_CLICK)
    parser.add_argument("--shown", nargs="+", default=["off", "shipped"], choices=["off", "shipped"])
    parser.add_argument("--union-max-false", type=float, default=0.02,
                        help="answerable share the log's floors may flag when added to the shipped ones (tight)")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures: dict = {"settings": {k: v for k, v in vars(args).items() if k != "json"}}
    cases = suite_cases(chosen_domains(args.domains.split(",")), Path("var/bench"))
    for case in cases:
        if case.name != "same-language":
            continue
        collect_signals(case)
        for lang in sorted(case.signals):
            figures[f"{case.domain} {lang}"] = run_case(case, lang, args)
    for case in cases:
        case.engine.close()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str), "utf-8")
        print(f"report: {args.json}")


if __name__ == "__main__":
    main()
