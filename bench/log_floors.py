"""Abstention floors fitted on a help center's own search log, early traffic, scored on later traffic (issue #18).

    PYTHONPATH=. python bench/log_floors.py                     # demo, m365, gnome; 7 and 30 days; noise 0.15, 0.3
    PYTHONPATH=. python bench/log_floors.py --domains gnome --seeds 1 --json var/logfloors/gnome.json
    PYTHONPATH=. python bench/log_floors.py --shown shipped --labels shown --cited 0.4 0.7   # what a product can log
    PYTHONPATH=. python bench/log_floors.py --rounds 3 --learn-days 30 --shown shipped --labels shown --cited

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
suite's own fit (`copilot.learnt_floors.fit_rule`, register offsets on, `MAX_FALSE`), and scored on the next
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
answered). `--labels shown` cuts that loop the way a product can: a search the floors abstained on gives no label
(it showed nothing). `--cited P`: the desk's one label that needs no click, a ticket after a no-click search
answered by the agent with an article of the help center (`logged_visit`): for an answerable question with
probability P (default 0.7), never for an out-of-scope one; a query with a cited ticket is labelled answerable.

`--rounds N` closes the loop: from the end of the learning days the customers see the shipped floors or the learnt
ones (the `--loop-rule` labels' floors at `--loop-max-false`; an abstained search shows nothing and is logged as
such; `--loop-show replace`: the learnt floors instead of the shipped ones once fitted), the floors are refitted on
the whole log every `--score-days`, and each round is scored on its own days' distinct queries (all, and those not
searched before the round): whether floors that learn from their own shown traffic drift. `--min-labels N` is a
product's guard: fewer than N labels of either kind, no learnt floors (the shipped ones alone); the JSON keeps each
log's label counts and figures per round.

The simulated customers know the labels (they click a right result 90% of the time they examine it, and
never find one for an out-of-scope question): an upper bound on what real behaviour gives.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
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
from copilot.learnt_floors import (
    GUARD_FOLDS,
    GUARD_MARGIN,
    GUARD_TOLERANCE,
    SIGNALS,
    Evidence,
    Fit,
    Labelled,
    fit_rule,
    flags,
    judge,
    learn,
    signal_row,
)
from copilot.retrieval import query_register
from desk.search_labels import LABEL_RULES, Key, Visit, behaviour_labels, question_key

SLICE = Path("tests/eval/m365_customer_queries.jsonl")
TICKET_AFTER_NO_CLICK = 0.5


@dataclass(frozen=True)
class Seen:
    """One distinct typed search as the customer and the floors saw it."""

    signals: dict[str, float]  # floors off
    ids: tuple[str, ...]  # article ids shown with the floors off
    abstained: bool  # the shipped floors abstain


LABELS = ("all", "shown")
GUARDS = ("count", "compare")
CITED = 0.7  # `--cited` without a value: the share of answerable no-click tickets answered with a right article
FRESH = re.compile(r" ⟦\d+⟧$")  # a fresh variant's mark: its own query key, its base form's signals


def base_form(typed: str) -> str:
    """The typed form a fresh variant stands for (itself for any other search)."""
    return FRESH.sub("", typed)


def fresh_variants(sessions: list[Session], share: float, rng: random.Random) -> list[Session]:
    """A long tail: each out-of-scope search (dev or near-topic) is, with probability `share`, a variant never typed
    before (a query key of its own, so a log's not-answered labels keep growing with its traffic). It keeps its base
    form's results and signals (searching thousands of new texts is what the bench cannot afford), so the floors
    flag it as they flag its base form; only the labels' count grows."""
    out: list[Session] = []
    for session in sessions:
        if not session.row["relevant"] and rng.random() < share:
            session = replace(session, typed=f"{session.typed} ⟦{len(out)}⟧")
        out.append(session)
    return out


def outcome(ids: Iterable[str], relevant: set[str], noise: float, ticket_no_click: float, rng: random.Random) -> Visit:
    """A session's behaviour (its key left empty): a click or none, and whether a ticket followed."""
    clicked = first_click(list(ids), relevant, noise, rng)
    if clicked is None:
        return Visit(("", ""), False, rng.random() < ticket_no_click)
    return Visit(("", ""), True, clicked[1])


def logged_visit(
    key: Key,
    row: dict,
    seen: Seen,
    hidden: bool,
    args: argparse.Namespace,
    setting: Setting,
    rng: random.Random,
    cite_draw: float,
    dropped: list[Visit] | None = None,
) -> Visit | None:
    """What the log keeps of one search, or None. A hidden search (the floors shown abstained) shows nothing: no
    click, a ticket at the no-click rate. A no-click search followed by a ticket is, for an answerable question,
    answered by the agent with a right article when `cite_draw` < the setting's `cited` (the desk knows the search
    was answerable); an out-of-scope question's ticket never is (the agent writes from scratch). `labels` "all" keeps
    every visit (a hidden answerable search looks not answered: the floors teach themselves their own mistakes);
    "shown" drops a hidden search unless its ticket was cited (it showed nothing, so its missing click says
    nothing). The click draws do not depend on `labels` or `cited`, so settings differing only in those replay the
    same customers. A visit dropped from the labels goes to `dropped` (the guard's evidence: a hidden search's
    uncited ticket)."""
    visit = outcome(() if hidden else seen.ids, set(row["relevant"]), setting.noise, args.ticket_no_click, rng)
    was_cited = not visit.clicked and visit.ticket and bool(row["relevant"]) and cite_draw < setting.cited
    logged = Visit(key, visit.clicked, visit.ticket, was_cited)
    if setting.labels == "shown" and hidden and not was_cited:
        if dropped is not None:
            dropped.append(logged)
        return None
    return logged


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
        typed = base_form(typed)
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
    return scores, [query_register(base_form(t), lang) for t in typed]


def fitted_flags(rule: tuple[list[float], dict] | None, seen: list[Seen], typed: list[str], lang: str) -> list[bool]:
    if rule is None or not seen:
        return [False] * len(seen)
    scores, registers = matrix(seen, typed, lang)
    return [bool(f) for f in flags(scores, registers, *rule)]



@dataclass(frozen=True)
class Setting:
    """One simulated deployment: how long it learns, how noisy its customers' clicks are, what the learning days
    showed, which visits label and how often an agent cites an article, and (closed loop) the learnt floors' budget."""

    learn_days: float
    noise: float
    shown: str
    labels: str = "all"
    cited: float = 0.0
    max_false: float = 0.02
    guard: str = "count"
    fresh: float = 0.0

    def name(self, rounds: int) -> str:
        out = f"{self.learn_days:g} days, noise {self.noise:g}, shown {self.shown}"
        if self.labels != "all":
            out += f", labels {self.labels}"
        if self.cited:
            out += f", cited {self.cited:g}"
        out += f", max-false {self.max_false:g}" if rounds else ""
        if self.guard != "count":
            out += f", guard {self.guard}"
        return out + (f", fresh oos {self.fresh:g}" if self.fresh else "")


class Log:
    """The visits a deployment has logged so far, with each query's typed forms and true row (for scoring only)."""

    def __init__(self, lang: str, search: Searches) -> None:
        self.lang, self.search = lang, search
        self.visits: list[Visit] = []
        self.dropped: list[Visit] = []  # hidden searches that give no label (`--labels shown`, uncited)
        self.forms: dict[Key, Counter[str]] = defaultdict(Counter)
        self.truth: dict[Key, dict] = {}

    def add(
        self,
        sessions: Iterable[Session],
        hidden: dict[str, bool] | None,
        setting: Setting,
        args: argparse.Namespace,
        rng: random.Random,
        cites: random.Random,
    ) -> None:
        """Log `sessions` as shown: `hidden` maps a typed query to whether the floors shown abstained on it (None:
        the shipped floors' own abstention)."""
        for session in sessions:
            seen = self.search(session.typed, self.lang)
            key = (self.lang, question_key(session.typed))
            self.forms[key][session.typed] += 1
            self.truth[key] = session.row
            hide = seen.abstained if hidden is None else hidden[session.typed]
            visit = logged_visit(key, session.row, seen, hide, args, setting, rng, cites.random(), self.dropped)
            if visit is not None:
                self.visits.append(visit)

    def labelled(self, rule: str, quality: Counter[str], prefix: str = "") -> tuple[list[str], np.ndarray]:
        """The labelled queries (most common typed form) and which are labelled not answered; counts the labels
        against the truth in `quality`."""
        labels = behaviour_labels(self.visits, rule)
        for key, not_answered in labels.items():
            quality[
                f"{prefix}{rule}: {'not answered' if not_answered else 'answerable'}, truly "
                f"{'out-of-scope' if not self.truth[key]['relevant'] else 'answerable'}"
            ] += 1
        keys = sorted(labels)
        return [self.typed_form(k) for k in keys], np.array([labels[k] for k in keys], dtype=bool)

    def typed_form(self, key: Key) -> str:
        """The query's most common typed form: the one its signals are read for."""
        return self.forms[key].most_common(1)[0][0]

    def fit(self, typed: list[str], oos: np.ndarray, max_false: float, min_labels: int) -> Fit | None:
        """Floors fitted on the labelled queries' signals (`copilot.learnt_floors.learn`), or None (nothing
        flagged) with too few labels of either kind, or fewer than `min_labels` (a product's guard)."""
        scores, registers = matrix([self.search(t, self.lang) for t in typed], typed, self.lang)
        return learn(scores, registers, oos, max_false, min_labels)

    def evidence(self, rule: str, max_false: float, folds: int) -> Evidence:
        """The guard's comparison (`copilot.learnt_floors.judge`) on what this log holds, never the truth: labels
        from the visits plus the hidden searches' uncited tickets; the learnt floors fitted on the visits' labels
        of the other folds (queries dealt to `folds` folds in key order) and judged on the held-out fold."""
        judged = behaviour_labels(self.visits + [v for v in self.dropped if v.ticket], rule)
        taught = behaviour_labels(self.visits, rule)
        rows = []
        for key in sorted(set(judged) | set(taught)):
            typed = self.typed_form(key)
            seen = self.search(typed, self.lang)
            register = query_register(base_form(typed), self.lang)
            rows.append(Labelled(signal_row(seen.signals), register, seen.abstained, judged.get(key), taught.get(key)))
        return judge(rows, max_false, folds)


def later_parts(sessions: list[Session], lang: str, searched: Iterable[Key]) -> dict[str, list[Session]]:
    """Each distinct later query once (its first typed form), and those of them never searched before."""
    first: dict[Key, Session] = {}
    for session in sessions:
        first.setdefault((lang, question_key(session.typed)), session)
    before = set(searched)
    return {"unseen queries": [s for k, s in first.items() if k not in before], "later queries": list(first.values())}


def replay(
    sessions: list[Session],
    search: Searches,
    lang: str,
    args: argparse.Namespace,
    setting: Setting,
    dev_rule: Fit,
    rng: random.Random,
    cites: random.Random,
    tallies: dict[str, dict[str, Share]],
    label_quality: Counter[str],
) -> None:
    """One log: behaviour labels from the first `learn_days`, floors fitted on them, scored on the next days."""
    early = [s for s in sessions if s.day < setting.learn_days]
    later = [s for s in sessions if setting.learn_days <= s.day < setting.learn_days + args.score_days]
    log = Log(lang, search)
    log.add(early, None if setting.shown == "shipped" else defaultdict(bool), setting, args, rng, cites)
    fitted: dict[str, Fit | None] = {"share, tight": None}
    for label_rule in LABEL_RULES:
        typed, oos = log.labelled(label_rule, label_quality)
        fitted[label_rule] = log.fit(typed, oos, MAX_FALSE, args.min_labels)
        if label_rule == "share":  # the union's log part with a smaller answerable budget
            fitted["share, tight"] = log.fit(typed, oos, args.union_max_false, args.min_labels)
    parts: dict[str, list[Session]] = {**later_parts(later, lang, log.forms), "later searches": later}
    for part, chosen in parts.items():
        seen = [search(s.typed, lang) for s in chosen]
        texts = [s.typed for s in chosen]
        rules = {
            **{f"log {r}": fitted_flags(rule, seen, texts, lang) for r, rule in fitted.items()},
            "shipped": [s.abstained for s in seen],
        }
        tight = rules.pop("log share, tight")
        rules["shipped or log share"] = either(rules["shipped"], rules["log share"])
        rules["shipped or log share, tight"] = either(rules["shipped"], tight)
        rules["dev-label fit"] = fitted_flags(dev_rule, seen, texts, lang)
        for name, flagged in rules.items():
            for session, flag in zip(chosen, flagged, strict=True):
                row = session.row
                tallies[part][name].add(not row["relevant"], flag, row["source"])


def either(a: list[bool], b: list[bool]) -> list[bool]:
    """Flagged by either rule: the shipped floors' abstention with a log's floors added."""
    return [x or y for x, y in zip(a, b, strict=True)]


def shown_flags(show: str, learnt: Fit | None, shipped: list[bool], flagged: list[bool]) -> list[bool]:
    """What the customers of a closed-loop round see abstained: "union", the shipped floors or the learnt ones (the
    log only adds abstentions); "replace", the learnt floors instead of the shipped ones once there are any (the
    log can also take back an abstention of the shipped floors), the shipped ones until then."""
    if show == "union":
        return either(shipped, flagged)
    if show == "replace":
        return list(flagged) if learnt is not None else list(shipped)
    raise ValueError(f"unknown loop show {show!r} (union, replace)")


def closed_loop(
    sessions: list[Session],
    search: Searches,
    lang: str,
    args: argparse.Namespace,
    setting: Setting,
    dev_rule: Fit,
    rng: random.Random,
    cites: random.Random,
    tallies: dict[str, dict[str, dict[str, Share]]],
    label_quality: Counter[str],
    seed: int,
) -> list[dict]:
    """One log over `--rounds` rounds: floors fitted on the learning days' labels (`--loop-rule`, at the setting's
    max-false); from then on the customers see the shipped floors or the learnt ones (an abstained search shows
    nothing), each round's searches are logged as shown, and the floors are refitted on the whole log at the end of
    every `--score-days`. Each round scored on its own days' distinct queries (all, and unseen before the round).
    Returns per round this log's label counts and figures (for a guard on too few labels)."""
    log = Log(lang, search)
    edges = [setting.learn_days + k * args.score_days for k in range(args.rounds + 1)]
    log.add(
        [s for s in sessions if s.day < edges[0]],
        None if setting.shown == "shipped" else defaultdict(bool),
        setting,
        args,
        rng,
        cites,
    )
    records = []
    for number in range(1, args.rounds + 1):
        typed, oos = log.labelled(args.loop_rule, label_quality, f"round {number} ")
        learnt = log.fit(typed, oos, setting.max_false, args.min_labels if setting.guard == "count" else 0)
        window = [s for s in sessions if edges[number - 1] <= s.day < edges[number]]
        record: dict = {
            "seed": seed,
            "round": number,
            "not_answered": int(oos.sum()),
            "answerable": int((~oos).sum()),
        }
        if setting.guard == "compare" and learnt is not None:
            evidence = log.evidence(args.loop_rule, setting.max_false, args.guard_folds)
            record["evidence"] = asdict(evidence)
            if not evidence.replace(args.guard_margin, args.guard_tolerance):
                learnt = None
        record["fitted"] = learnt is not None
        scored = [replace(s, typed=base_form(s.typed)) for s in window]  # a fresh variant scored as its base form
        for part, chosen in later_parts(scored, lang, log.forms).items():
            seen = [search(s.typed, lang) for s in chosen]
            texts = [s.typed for s in chosen]
            rules = {"shipped": [s.abstained for s in seen], "learnt": fitted_flags(learnt, seen, texts, lang)}
            rules["shipped or learnt"] = either(rules["shipped"], rules["learnt"])
            rules["shown"] = shown_flags(args.loop_show, learnt, rules["shipped"], rules["learnt"])
            rules["dev-label fit"] = fitted_flags(dev_rule, seen, texts, lang)
            for name, flagged in rules.items():
                mine = Share()
                for session, flag in zip(chosen, flagged, strict=True):
                    tallies[f"round {number}"][part][name].add(not session.row["relevant"], flag, session.row["source"])
                    mine.add(not session.row["relevant"], flag, session.row["source"])
                record[f"{part}, {name}"] = asdict(mine)
        records.append(record)
        typed_forms = sorted({s.typed for s in window})
        shown = [search(t, lang) for t in typed_forms]
        learnt_flags = fitted_flags(learnt, shown, typed_forms, lang)
        hiding = shown_flags(args.loop_show, learnt, [seen.abstained for seen in shown], learnt_flags)
        hidden = dict(zip(typed_forms, hiding, strict=True))
        log.add(window, hidden, setting, args, rng, cites)
    return records


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
    rounds = args.rounds
    days = max(args.learn_days) + args.score_days * max(rounds, 1)
    settings = [
        Setting(learn_days, noise, shown, labels, cited, max_false, guard, fresh)
        for learn_days in args.learn_days
        for noise in args.noise
        for shown in args.shown
        for labels in args.labels
        for cited in args.cited
        for max_false in (args.loop_max_false if rounds else [args.union_max_false])
        for guard in args.guard
        for fresh in args.fresh_oos
    ]
    for setting in settings:
        tallies: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(Share)))
        quality: Counter[str] = Counter()
        records: list[dict] = []
        for seed in range(args.seed, args.seed + args.seeds):
            traffic = simulate(rows, round(args.per_day * days), days, random.Random(seed))
            traffic = fresh_variants(traffic, setting.fresh, random.Random(seed * 1000 + 13))
            clicks, cites = random.Random(seed * 1000 + 7), random.Random(seed * 1000 + 11)
            if rounds:
                records += closed_loop(
                    traffic, search, lang, args, setting, dev_rule, clicks, cites, tallies, quality, seed
                )
            else:
                replay(traffic, search, lang, args, setting, dev_rule, clicks, cites, tallies[""], quality)
        name = setting.name(rounds)
        print(f"{case.domain} {lang} | {name} | labels {dict(sorted(quality.items()))}")
        figures = {}
        for round_name, parts in tallies.items():
            figures[round_name] = {part: {n: s.text() for n, s in by.items()} for part, by in parts.items()}
            for part, by in parts.items():
                print(
                    f"    {round_name + ' ' if round_name else ''}{part:19} "
                    + " | ".join(f"{n} {s.text()}" for n, s in by.items())
                )
        out[name] = {"labels": dict(quality), **(figures if rounds else figures[""])}
        if records:
            out[name]["per_seed"] = records
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
    parser.add_argument(
        "--labels",
        nargs="+",
        default=["all"],
        choices=LABELS,
        help="which searches label: all, or only those that showed results (and cited tickets)",
    )
    parser.add_argument(
        "--cited",
        type=float,
        nargs="*",
        default=None,
        help=f"P(an answerable no-click ticket is answered with a right article); no value: {CITED}",
    )
    parser.add_argument(
        "--union-max-false",
        type=float,
        default=0.02,
        help="answerable share the log's floors may flag when added to the shipped ones (tight)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="closed loop: customers see shipped or learnt floors, refitted every --score-days",
    )
    parser.add_argument("--loop-rule", default="share", choices=LABEL_RULES, help="the closed loop's label rule")
    parser.add_argument(
        "--loop-show",
        default="union",
        choices=["union", "replace"],
        help="the closed loop shows the shipped or learnt floors' abstentions, or the learnt ones alone once fitted",
    )
    parser.add_argument(
        "--loop-max-false",
        type=float,
        nargs="+",
        default=[0.02],
        help="the closed loop's learnt floors' answerable budget",
    )
    parser.add_argument("--min-labels", type=int, default=0, help="fewer labels of either kind: no learnt floors")
    parser.add_argument(
        "--guard",
        nargs="+",
        default=["count"],
        choices=GUARDS,
        help="the closed loop's guard on the learnt floors: the label count (--min-labels), or compare them with the "
        "shipped ones on the log's evidence, cross-validated",
    )
    parser.add_argument(
        "--guard-folds", type=int, default=GUARD_FOLDS, help="compare: folds of the log's labelled queries"
    )
    parser.add_argument(
        "--guard-margin", type=float, default=GUARD_MARGIN, help="compare: more of the not-answered labels caught"
    )
    parser.add_argument(
        "--guard-tolerance",
        type=float,
        default=GUARD_TOLERANCE,
        help="compare: more of the answerable labels flagged, at most",
    )
    parser.add_argument(
        "--fresh-oos",
        type=float,
        nargs="+",
        default=[0.0],
        help="long tail: the share of out-of-scope searches typed as never-repeated variants",
    )
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    args.cited = [0.0] if args.cited is None else args.cited or [CITED]
    for name in ("cited", "loop_max_false", "fresh_oos"):
        if not all(0 <= value <= 1 for value in getattr(args, name)):
            parser.error(f"--{name.replace('_', '-')} takes shares between 0 and 1")
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
