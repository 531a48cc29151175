"""Agent copilot on the demo tickets: suggestion accuracy per language, abstentions, latency.

    python bench/copilot_bench.py
    python bench/copilot_bench.py --json            # the report as JSON on stdout
    python bench/copilot_bench.py --json out.json   # the table, and the report written there

Each ticket goes through what the agent's screen does: `Suggester.suggest` (cleaning, language
detection, search with audience "agent") and then the default drafter. Accuracy is article-level:
top-k counts a ticket when one of its labelled articles (tests/eval/ticket_labels.jsonl) is among
the first k passages. Tickets labelled with no article are out of scope: for them only abstaining
is right. "draft cites" counts answerable tickets whose draft links a labelled article. Latency is
one pass after a warm-up: a second pass would hit the query-vector cache and flatter suggest().
The index lives in --data and is reused (only changed articles are embedded again).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from copilot.drafts import GroundedDrafter
from copilot.engine import Engine
from copilot.learning import LearnedBoosts
from copilot.suggestions import MAX_QUERY_CHARS, Suggester, ticket_query
from desk.events import AgentChoice
from kb.settings import Settings
from webapp.urls import public_link


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def percentiles(samples: list[float]) -> dict[str, float]:
    """Median and nearest-rank p95, in ms."""
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]
    return {"median": round(statistics.median(ordered), 3), "p95": round(p95, 3)}


def leave_one_out(tickets: list[dict], labels: dict[str, list[str]], max_chars: int) -> Callable[[dict], LearnedBoosts]:
    """Boosts as if agents had inserted the labelled article on every *other* demo ticket."""
    choices = {}
    for ticket in tickets:
        relevant = labels[ticket["external_id"]]
        if relevant:
            messages = [m["body"] for m in ticket["messages"] if m.get("author") == "customer"]
            query = ticket_query(ticket["subject"], messages, max_chars)
            choices[ticket["external_id"]] = AgentChoice(query.text, query.lang, f"{ticket['lang']}/{relevant[0]}")

    def boosts_for(ticket: dict) -> LearnedBoosts:
        others = [c for key, c in choices.items() if key != ticket["external_id"]]
        return LearnedBoosts(lambda: others)

    return boosts_for


def evaluate(
    engine: Engine,
    tickets: list[dict],
    labels: dict[str, list[str]],
    limit: int,
    max_chars: int,
    boosts_for: Callable[[dict], LearnedBoosts] | None = None,
) -> dict:
    drafter = GroundedDrafter()
    link = public_link(engine.settings)
    internal_ids: set[str] = set()
    stats: dict[str, dict[str, int]] = {}
    suggest_ms: list[float] = []
    draft_ms: list[float] = []
    for ticket in tickets:
        relevant = set(labels[ticket["external_id"]])
        messages = [m["body"] for m in ticket["messages"] if m.get("author") == "customer"]
        suggester = Suggester(engine.retriever, max_chars, boosts=boosts_for(ticket) if boosts_for else None)
        started = time.perf_counter()
        suggestions = suggester.suggest(ticket["subject"], messages, limit=limit)
        suggest_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        draft = drafter.draft(
            suggestions.lang, ticket["customer"]["name"], suggestions.passages, suggestions.abstained, link=link
        )
        draft_ms.append((time.perf_counter() - started) * 1000)

        internal_ids |= {hit.id for hit in suggestions.passages if hit.internal}
        ids = [hit.id for hit in suggestions.passages]
        cited = {key.split("/", 1)[1] for key in draft.cited}
        s = stats.setdefault(
            ticket["lang"],
            dict.fromkeys(
                ("tickets", "answerable", "top1", "top3", "abstained", "oos_abstained", "draft_cites",
                 "draft_abstained", "lang_mismatch", "internal_cited"),
                0,
            ),
        )
        s["tickets"] += 1
        s["lang_mismatch"] += suggestions.lang != ticket["lang"]
        s["abstained"] += suggestions.abstained
        s["draft_abstained"] += draft.abstained
        s["internal_cited"] += bool(cited & internal_ids)
        if not relevant:
            s["oos_abstained"] += suggestions.abstained
            continue
        s["answerable"] += 1
        s["top1"] += bool(ids[:1]) and ids[0] in relevant
        s["top3"] += bool(relevant & set(ids[:3]))
        s["draft_cites"] += bool(cited & relevant)

    report: dict = {}
    for lang, s in sorted(stats.items()):
        n = max(s["answerable"], 1)
        report[lang] = {
            **s,
            "out_of_scope": s["tickets"] - s["answerable"],
            "top1_accuracy": round(s["top1"] / n, 3),
            "top3_accuracy": round(s["top3"] / n, 3),
            "draft_cites_rate": round(s["draft_cites"] / n, 3),
        }
    report["latency_ms"] = {"suggest": percentiles(suggest_ms), "draft": percentiles(draft_ms)}
    return report


def print_table(report: dict) -> None:
    header = ("lang", "tickets", "top-1", "top-3", "abstained", "oos abst.", "draft cites")
    print(f"{header[0]:4} {header[1]:>7} {header[2]:>12} {header[3]:>12} {header[4]:>9} {header[5]:>9} {header[6]:>12}")
    for lang, r in report.items():
        if lang == "latency_ms":
            continue
        n = r["answerable"]
        print(
            f"{lang:4} {r['tickets']:>7} {r['top1']:>3}/{n:<2} {r['top1_accuracy']:.3f} {r['top3']:>3}/{n:<2} "
            f"{r['top3_accuracy']:.3f} {r['abstained']:>9} {r['oos_abstained']:>4}/{r['out_of_scope']:<4} "
            f"{r['draft_cites']:>3}/{n:<2} {r['draft_cites_rate']:.3f}"
        )
    lat = report["latency_ms"]
    print(f"suggest() ms: median {lat['suggest']['median']:.1f}, p95 {lat['suggest']['p95']:.1f}")
    print(f"draft() ms:   median {lat['draft']['median']:.3f}, p95 {lat['draft']['p95']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--tickets", type=Path, default=Path("content/_demo/tickets.jsonl"))
    parser.add_argument("--labels", type=Path, default=Path("tests/eval/ticket_labels.jsonl"))
    parser.add_argument("--data", type=Path, default=Path("var/bench/copilot"), help="index directory, reused")
    parser.add_argument("--limit", type=int, default=5, help="passages suggested per ticket")
    parser.add_argument("--max-chars", type=int, default=MAX_QUERY_CHARS, help="query budget per ticket")
    parser.add_argument(
        "--learning", action="store_true",
        help="also run with agents' choices on the other tickets as boosts (leave-one-out)",
    )
    parser.add_argument(
        "--json", nargs="?", const="-", default=None, metavar="PATH", help="JSON report: to PATH, or stdout alone"
    )
    args = parser.parse_args()

    quiet = args.json == "-"
    log = (lambda *a: print(*a, file=sys.stderr)) if quiet else print
    engine = Engine(Settings.from_env(content_dir=args.content, data_dir=args.data))
    started = time.perf_counter()
    log(f"index: {engine.index(show_progress=False).summary()} ({time.perf_counter() - started:.1f} s)")
    engine.warm_up()
    tickets = load_jsonl(args.tickets)
    labels = {row["external_id"]: row["relevant"] for row in load_jsonl(args.labels)}
    report = {"tickets": str(args.tickets), "labels": str(args.labels), "limit": args.limit}
    report["max_chars"] = args.max_chars
    report |= evaluate(engine, tickets, labels, args.limit, args.max_chars)
    if args.learning:
        boosts_for = leave_one_out(tickets, labels, args.max_chars)
        report["with_learning"] = evaluate(engine, tickets, labels, args.limit, args.max_chars, boosts_for)
    engine.close()
    if quiet:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    settings_keys = ("tickets", "labels", "limit", "max_chars", "with_learning")
    print_table({k: v for k, v in report.items() if k not in settings_keys})
    if args.learning:
        print("with agents' choices on the other tickets as boosts (leave-one-out):")
        print_table(report["with_learning"])
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
        print(f"report: {args.json}")


if __name__ == "__main__":
    main()
