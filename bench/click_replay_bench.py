"""Click feedback measured by replaying a simulated search log split in time (issue #18).

    python bench/click_replay_bench.py                         # both dev domains, the defaults
    python bench/click_replay_bench.py --domains demo --sessions 3000 --json bench/results/clicks.json

No real click log exists for the dev domains, so one is simulated from their labelled dev queries
(tests/eval/dev_queries.jsonl, tests/eval/m365_queries.jsonl), against the indexes the retrieval
suite builds (bench/eval_retrieval.py --suite: var/bench/demo, var/bench/m365):

- traffic: sessions over `--days` days; each picks a dev query by a Zipf popularity (a few head
  queries carry most of the traffic; out-of-scope ones too), typed as labelled or, one time in
  three, as a surface variant (case, word order, punctuation, Arabic hamza/taa marbuta spelling)
  that `copilot.click_feedback.query_key` folds to the same query. Paraphrases are the dev set's
  own: its several wordings of one need are different queries, and stay "unseen" until typed;
- clicks: the customer scans the results page top down, examining rank r with probability 1/r
  (position bias) and clicking an examined result with probability 0.9 if it is labelled relevant,
  `--noise` (0.15) if not; a search that abstained shows nothing and gets no click;
- tickets: after a click on a wrong result the visit opens a ticket half the time, after a right
  one 5% of the time (then the click is no vote);
- spam: a few visits click one wrong result of a head query 30 times each.

Feedback is learned (`copilot.click_feedback.learn`, the product's code and defaults) from the
sessions before the split (`--learn-share` of the days) and frozen; every later session is scored
with and without it: MRR@10 of the labelled article per search, split into queries seen in the
learning part (same folded query clicked there) and unseen ones. A sweep of min visits and cap
shows the trade-off. The click model knows the labels, so the gain is what feedback recovers
from noisy clicks of customers who recognise their answer, not a promise about real traffic.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.eval_retrieval import DOMAINS, Domain, domain_content, load_queries, open_engine
from copilot.click_feedback import ClickTable, FeedbackPolicy, learn, query_key, reorder
from copilot.engine import Engine
from copilot.retrieval import SearchResult

START = datetime(2026, 1, 1, tzinfo=UTC)
EXAMINE = 1.0  # P(examine rank r) = 1 / r ** EXAMINE
RELEVANT_CLICK = 0.9
TICKET_AFTER_WRONG = 0.5
TICKET_AFTER_RIGHT = 0.05
SPAM_VISITS = 5
SPAM_CLICKS = 30
ZIPF = 1.0
_ARABIC_VARIANTS = (("ا", "أ"), ("ه", "ة"), ("ي", "ى"))


@dataclass(frozen=True)
class Click:
    """A simulated stored click, shaped as the desk hands them over (desk.events.SearchClick)."""

    query: str
    lang: str
    article_key: str
    at: datetime
    visit_id: str | None
    ticket_followed: bool
    position: int


@dataclass(frozen=True)
class Session:
    day: float
    row: dict
    typed: str


@dataclass
class Tally:
    searches: int = 0
    mrr_off: float = 0.0
    mrr_on: float = 0.0
    better: int = 0
    worse: int = 0
    queries: set[str] = field(default_factory=set)

    def add(self, key: str, off: float, on: float) -> None:
        self.searches += 1
        self.mrr_off += off
        self.mrr_on += on
        self.better += on > off
        self.worse += on < off
        self.queries.add(key)

    def merge(self, other: Tally, seed: int) -> None:
        self.searches += other.searches
        self.mrr_off += other.mrr_off
        self.mrr_on += other.mrr_on
        self.better += other.better
        self.worse += other.worse
        self.queries |= {f"{seed}:{key}" for key in other.queries}

    def row(self) -> dict:
        n = max(self.searches, 1)
        return {
            "searches": self.searches,
            "distinct_queries": len(self.queries),
            "mrr@10_off": round(self.mrr_off / n, 3),
            "mrr@10_on": round(self.mrr_on / n, 3),
            "better": self.better,
            "worse": self.worse,
        }


def variant(query: str, lang: str, rng: random.Random) -> str:
    """The same query typed differently: what folding must treat as one query."""
    words = query.split()
    kind = rng.randrange(3)
    if kind == 0 and len(words) > 1:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words)
    if kind == 1 and lang == "ar":
        plain, other = rng.choice(_ARABIC_VARIANTS)
        return query.replace(plain, other, 1) if plain in query else query + "؟"
    if kind == 1:
        return query.upper() if rng.random() < 0.3 else query.capitalize()
    return re.sub(r"[?؟.!]*$", "", query) + rng.choice(["?", " ?", "!", "؟" if lang == "ar" else "..."])


def reciprocal_rank(result: SearchResult, relevant: set[str]) -> float:
    for position, hit in enumerate(result.results[:10], 1):
        if hit.id in relevant:
            return 1 / position
    return 0.0


def simulate(rows: list[dict], sessions: int, days: float, rng: random.Random) -> list[Session]:
    """Who searched what, when: Zipf popularity over the dev queries, some typed as variants."""
    order = rows[:]
    rng.shuffle(order)
    weights = [1 / (rank + 1) ** ZIPF for rank in range(len(order))]
    picked = rng.choices(order, weights, k=sessions)
    out = []
    for row in picked:
        typed = variant(row["query"], row["lang"], rng) if rng.random() < 1 / 3 else row["query"]
        out.append(Session(rng.uniform(0, days), row, typed))
    return sorted(out, key=lambda s: s.day)


class Searches:
    """Each distinct (typed query, language) searched once, feedback off: what the customer saw."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.cache: dict[tuple[str, str], SearchResult] = {}

    def __call__(self, typed: str, lang: str) -> SearchResult:
        key = (typed, lang)
        if key not in self.cache:
            self.cache[key] = self.engine.retriever.search(typed, lang=lang, limit=10)
        return self.cache[key]


def log_clicks(
    sessions: list[Session], search: Searches, noise: float, rng: random.Random
) -> list[Click]:
    """The click (at most one per search, as the desk stores it) and the ticket each session led to."""
    clicks: list[Click] = []
    for number, session in enumerate(sessions):
        result = search(session.typed, session.row["lang"])
        if result.abstained:
            continue
        clicked = first_click([h.id for h in result.results[:10]], set(session.row["relevant"]), noise, rng)
        if clicked is not None:
            position, ticket = clicked
            hit = result.results[position - 1]
            at = START + timedelta(days=session.day)
            clicks.append(Click(session.typed, session.row["lang"], hit.key, at, f"visit-{number}", ticket, position))
    return clicks


def first_click(ids: list[str], relevant: set[str], noise: float, rng: random.Random) -> tuple[int, bool] | None:
    """The customer's scan of a results page (article ids, top first): the position clicked and whether a ticket
    followed the click, or None when nothing was clicked (rank r examined with probability 1 / r ** EXAMINE)."""
    for position, article in enumerate(ids, 1):
        if rng.random() >= 1 / position**EXAMINE:
            continue
        right = article in relevant
        if rng.random() < (RELEVANT_CLICK if right else noise):
            return position, rng.random() < (TICKET_AFTER_RIGHT if right else TICKET_AFTER_WRONG)
    return None


def spam(sessions: list[Session], search: Searches, rng: random.Random) -> list[Click]:
    """A few visits clicking one wrong result of a head query over and over."""
    counts: dict[str, int] = defaultdict(int)
    for session in sessions:
        counts[session.row["query"]] += 1
    heads = sorted({s.row["query"]: s for s in sessions}.values(), key=lambda s: -counts[s.row["query"]])
    out = []
    for visit, session in enumerate(heads[:SPAM_VISITS]):
        result = search(session.row["query"], session.row["lang"])
        wrong = [h for h in result.results if h.id not in session.row["relevant"]]
        if not wrong:
            continue
        target = rng.choice(wrong)
        position = result.results.index(target) + 1
        at = START + timedelta(days=session.day)
        row = session.row
        out += [Click(row["query"], row["lang"], target.key, at, f"spam-{visit}", False, position)] * SPAM_CLICKS
    return out


def score(
    sessions: list[Session], search: Searches, table: ClickTable, learned_keys: set[tuple[str, str]]
) -> dict[str, dict[str, Tally]]:
    """Per language, seen / unseen / all: MRR@10 of the later sessions without and with feedback."""
    out: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for session in sessions:
        row = session.row
        if not row["relevant"]:
            continue
        lang = row["lang"]
        result = search(session.typed, lang)
        relevant = set(row["relevant"])
        off = reciprocal_rank(result, relevant)
        on = reciprocal_rank(reorder(result, table(session.typed, lang), "public"), relevant)
        key = query_key(session.typed)
        seen = "seen" if (lang, key) in learned_keys else "unseen"
        out[lang][seen].add(key, off, on)
        if seen == "seen" and off < 1:
            out[lang]["seen, not first"].add(key, off, on)
        out[lang]["all"].add(key, off, on)
    return out


def gaps(sessions: list[Session], search: Searches, learned_keys: set[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """For the seen queries whose labelled article is not first: how far its score is below the first
    result's (first / its score), per language and query: what a capped multiplier can close."""
    ratios: dict[str, dict[str, float]] = defaultdict(dict)
    for session in sessions:
        row = session.row
        if not row["relevant"] or (row["lang"], query_key(session.typed)) not in learned_keys:
            continue
        result = search(session.typed, row["lang"])
        found = [h for h in result.results[:10] if h.id in row["relevant"]]
        if found and found[0] is not result.results[0] and found[0].score > 0:
            ratios[row["lang"]][query_key(session.typed)] = result.results[0].score / found[0].score
    return ratios


def gap_summary(ratios: dict[str, dict[tuple[int, str], float]]) -> dict[str, dict]:
    out = {}
    for lang, by_query in sorted(ratios.items()):
        values = sorted(by_query.values())
        out[lang] = {
            "queries": len(values),
            "median_ratio": round(values[len(values) // 2], 3),
            "within_1.2": sum(v <= 1.2 for v in values),
            "within_1.4": sum(v <= 1.4 for v in values),
        }
    return out


def replay(domain: Domain, engine: Engine, args: argparse.Namespace) -> dict:
    """Every seed's log learned and scored; the tallies pooled over the seeds (which queries become
    head queries is the seed's draw, and moves one seed's figures a lot)."""
    rows = load_queries(domain.queries, None)
    search = Searches(engine)
    started = time.perf_counter()
    default = FeedbackPolicy(half_life_days=args.half_life, min_visits=args.min_visits)
    policies = {
        f"min_visits={v} cap={cap} bias={bias}": FeedbackPolicy(args.half_life, v, cap, bias)
        for v in (1, 3, 5) for cap in (0.1, 0.2, 0.3, 0.4) for bias in (0.0, 1.0)
    }
    pooled: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    swept: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    per_seed: list[dict] = []
    counts = {"sessions": 0, "clicks": 0, "learning_clicks": 0, "boosts": 0}
    ratios: dict[str, dict[tuple[int, str], float]] = defaultdict(dict)
    for seed in range(args.seed, args.seed + args.seeds):
        rng = random.Random(seed)
        sessions = simulate(rows, args.sessions, args.days, rng)
        clicks = log_clicks(sessions, search, args.noise, rng)
        split = args.days * args.learn_share
        now = START + timedelta(days=split)
        learning = [c for c in clicks if c.at < now] + spam([s for s in sessions if s.day < split], search, rng)
        later = [s for s in sessions if s.day >= split]
        learned_keys = {(c.lang, query_key(c.query)) for c in learning}
        table = learn(learning, now, default)
        counts["sessions"] += len(sessions)
        counts["clicks"] += len(clicks)
        counts["learning_clicks"] += len(learning)
        counts["boosts"] += len(table)
        tallies = score(later, search, table, learned_keys)
        per_seed.append({lang: parts["all"].row() for lang, parts in tallies.items()})
        for lang, parts in tallies.items():
            for part, tally in parts.items():
                pooled[lang][part].merge(tally, seed)
        for name, policy in policies.items():
            for lang, parts in score(later, search, learn(learning, now, policy), learned_keys).items():
                swept[name][lang].merge(parts["all"], seed)
        for lang, by_query in gaps(later, search, learned_keys).items():
            ratios[lang].update({(seed, key): ratio for key, ratio in by_query.items()})
    return {
        **counts,
        "seeds": args.seeds,
        "distinct_searches": len(search.cache),
        "default": {lang: {part: t.row() for part, t in parts.items()} for lang, parts in pooled.items()},
        "per_seed": per_seed,
        "sweep": {name: {lang: t.row() for lang, t in langs.items()} for name, langs in swept.items()},
        "gaps": gap_summary(ratios),
        "seconds": round(time.perf_counter() - started, 1),
    }


def print_report(name: str, report: dict) -> None:
    print(
        f"\n{name}, {report['seeds']} logs pooled: {report['sessions']} sessions, {report['clicks']} clicks "
        f"({report['learning_clicks']} learned from, spam included), {report['boosts']} boosts, "
        f"{report['distinct_searches']} distinct searches"
    )
    print(f"{'lang':4} {'queries':15} {'searches':>8} {'distinct':>8} {'MRR off':>8} {'MRR on':>8} {'delta':>7} "
          f"{'better':>6} {'worse':>6}")
    for lang, parts in sorted(report["default"].items()):
        for part in ("seen", "seen, not first", "unseen", "all"):
            if part not in parts:
                continue
            r = parts[part]
            print(
                f"{lang:4} {part:15} {r['searches']:>8} {r['distinct_queries']:>8} {r['mrr@10_off']:>8.3f} "
                f"{r['mrr@10_on']:>8.3f} {r['mrr@10_on'] - r['mrr@10_off']:>+7.3f} {r['better']:>6} {r['worse']:>6}"
            )
    for lang in sorted(report["default"]):
        deltas = [seed[lang]["mrr@10_on"] - seed[lang]["mrr@10_off"] for seed in report["per_seed"] if lang in seed]
        print(f"{lang}: MRR@10 change per log (all later searches): {', '.join(f'{d:+.3f}' for d in deltas)}")
    for lang, g in report["gaps"].items():
        print(
            f"{lang}: seen queries with the labelled article below first: {g['queries']}; first's score / its score: "
            f"median {g['median_ratio']:.2f}, within 1.2x: {g['within_1.2']}, within 1.4x: {g['within_1.4']}"
        )
    print("sweep (all later searches, MRR@10 off -> on):")
    for setting, langs in report["sweep"].items():
        figures = ", ".join(
            f"{lang} {r['mrr@10_off']:.3f} -> {r['mrr@10_on']:.3f} (+{r['better']}/-{r['worse']})"
            for lang, r in sorted(langs.items())
        )
        print(f"  {setting:32} {figures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    parser.add_argument("--sessions", type=int, default=10_000, help="simulated searches per domain")
    parser.add_argument("--days", type=float, default=90.0, help="the log's time span")
    parser.add_argument("--learn-share", type=float, default=2 / 3, help="the share of days learned from")
    parser.add_argument("--noise", type=float, default=0.15, help="P(click | examined, not relevant)")
    parser.add_argument("--half-life", type=float, default=FeedbackPolicy().half_life_days)
    parser.add_argument("--min-visits", type=int, default=FeedbackPolicy().min_visits)
    parser.add_argument("--seed", type=int, default=18, help="the first seed")
    parser.add_argument("--seeds", type=int, default=5, help="logs simulated (seeds seed, seed+1, ...), pooled")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures: dict = {"settings": {k: v for k, v in vars(args).items() if k != "json"}}
    embedders = None
    for domain in DOMAINS:
        if domain.name not in args.domains.split(","):
            continue
        engine = open_engine(domain_content(domain), Path("var/bench") / domain.name, embedders)
        embedders = engine.embedders
        try:
            figures[domain.name] = replay(domain, engine, args)
        finally:
            engine.close()
        print_report(domain.name, figures[domain.name])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), "utf-8")
        print(f"report: {args.json}")


if __name__ == "__main__":
    main()
