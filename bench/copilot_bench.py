"""Agent copilot on the demo tickets: suggestion accuracy per language, abstentions, latency.

    python bench/copilot_bench.py
    python bench/copilot_bench.py --json            # the report as JSON on stdout
    python bench/copilot_bench.py --json out.json   # the table, and the report written there

Each ticket goes through what the agent's screen does: `Suggester.suggest` (cleaning, language
detection, search with audience "agent") and then the default drafter with the ticket's query and
messages. Suggestion accuracy is article-level: top-k counts a ticket when one of its labelled
articles (tests/eval/ticket_labels.jsonl) is among the first k passages. "draft cites section"
counts answerable tickets whose draft links one of the labelled sections ("article#anchor", the
anchor empty for an article's opening). Tickets labelled with no article are off-topic: only a
draft that abstains is right; tickets flagged internal_only should get the internal-only notice.
Answerable tickets whose draft abstains are counted as wrongly abstained. Latency is
one pass after a warm-up: a second pass would hit the query-vector cache and flatter suggest().
The index lives in --data and is reused (only changed articles are embedded again).

Tuning the drafter (copilot.section_choice, copilot.drafts) does not need search again: `--save-suggestions
PATH` writes each ticket's `Suggester.suggest()` result (JSON lines, copilot.advice's exact round trip) and
`--replay PATH` drafts from them without loading a model or an index, in seconds; its figures are the
live run's whenever only the drafter changed (its latency figures are the replay's, not search's).
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

from copilot.advice import TicketAdvice
from copilot.drafts import ArticleLink, Draft, GroundedDrafter, ReplyContext
from copilot.engine import Engine
from copilot.learning import LearnedBoosts
from copilot.suggestions import MAX_QUERY_CHARS, Suggester, Suggestions, ticket_query
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


def leave_one_out(tickets: list[dict], labels: dict[str, dict], max_chars: int) -> Callable[[dict], LearnedBoosts]:
    """Boosts as if agents had inserted the labelled article on every *other* demo ticket."""
    choices = {}
    for ticket in tickets:
        relevant = labels[ticket["external_id"]]["relevant"]
        if relevant and not labels[ticket["external_id"]].get("internal_only"):
            messages = [m["body"] for m in ticket["messages"] if m.get("author") == "customer"]
            query = ticket_query(ticket["subject"], messages, max_chars)
            choices[ticket["external_id"]] = AgentChoice(query.text, query.lang, f"{ticket['lang']}/{relevant[0]}")

    def boosts_for(ticket: dict) -> LearnedBoosts:
        others = [c for key, c in choices.items() if key != ticket["external_id"]]
        return LearnedBoosts(lambda: others)

    return boosts_for


def draft_for(drafter: GroundedDrafter, ticket: dict, suggestions: Suggestions, link: Callable) -> Draft:
    """The draft the agent's screen shows for the ticket."""
    messages = [m["body"] for m in ticket["messages"] if m.get("author") == "customer"]
    context = ReplyContext(question=suggestions.query, customer_messages=messages)
    return drafter.draft(
        suggestions.lang, ticket["customer"]["name"], suggestions.draftable(), suggestions.abstained, link=link,
        context=context,
    )


def cited_sections(citations: list[str]) -> set[str]:
    """ "article#anchor" of every cited link (public_link writes .../<lang>/articles/<id>#<anchor>)."""
    sections = set()
    for url in citations:
        path, _, anchor = url.partition("#")
        sections.add(f"{path.rsplit('/', 1)[-1]}#{anchor}")
    return sections


COUNTERS = (
    "tickets", "answerable", "top1", "top3", "abstained", "out_of_scope", "oos_abstained", "internal_only",
    "internal_notice", "draft_cites", "draft_cites_section", "wrongly_abstained", "lang_mismatch", "internal_cited",
)


SuggestFor = Callable[[dict], Suggestions]


def live_suggestions(
    engine: Engine, limit: int, max_chars: int, boosts_for: Callable[[dict], LearnedBoosts] | None = None
) -> SuggestFor:
    """What the agent's screen gets for a ticket: `Suggester.suggest` on its customer messages."""

    def suggest_for(ticket: dict) -> Suggestions:
        messages = [m["body"] for m in ticket["messages"] if m.get("author") == "customer"]
        suggester = Suggester(engine.retriever, max_chars, boosts=boosts_for(ticket) if boosts_for else None)
        return suggester.suggest(ticket["subject"], messages, limit=limit)

    return suggest_for


def save_suggestions(path: Path, saved: dict[str, Suggestions]) -> None:
    """One JSON line per ticket: its id and its suggestions (copilot.advice's plain form)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (
        json.dumps({"ticket": ticket, "suggestions": TicketAdvice(found, None, None).as_plain()}, ensure_ascii=False)
        for ticket, found in saved.items()
    )
    path.write_text("\n".join(lines) + "\n", "utf-8")


def replayed_suggestions(path: Path) -> SuggestFor:
    """The suggestions `save_suggestions` wrote, by ticket id: a ticket missing from the file is an error
    naming it (the file was saved from other tickets)."""
    saved = {}
    for row in load_jsonl(path):
        found = TicketAdvice.from_plain(row["suggestions"]).suggestions
        if found is not None:
            saved[row["ticket"]] = found

    def suggest_for(ticket: dict) -> Suggestions:
        if ticket["external_id"] not in saved:
            raise SystemExit(f"{path}: no suggestions saved for ticket {ticket['external_id']}")
        return saved[ticket["external_id"]]

    return suggest_for


def evaluate(
    link: ArticleLink,
    tickets: list[dict],
    labels: dict[str, dict],
    suggest_for: SuggestFor,
    saved: dict[str, Suggestions] | None = None,
) -> dict:
    """The report's figures for `tickets`; each ticket's suggestions go into `saved` when given."""
    drafter = GroundedDrafter()
    internal_ids: set[str] = set()
    stats: dict[str, dict[str, int]] = {}
    misses: list[dict] = []
    suggest_ms: list[float] = []
    draft_ms: list[float] = []
    for ticket in tickets:
        label = labels[ticket["external_id"]]
        relevant = set(label["relevant"])
        anchors = set(label.get("anchors", []))
        started = time.perf_counter()
        suggestions = suggest_for(ticket)
        suggest_ms.append((time.perf_counter() - started) * 1000)
        if saved is not None:
            saved[ticket["external_id"]] = suggestions
        started = time.perf_counter()
        draft = draft_for(drafter, ticket, suggestions, link)
        draft_ms.append((time.perf_counter() - started) * 1000)

        internal_ids |= {hit.id for hit in suggestions.passages if hit.internal}
        ids = [hit.id for hit in suggestions.passages]
        cited = {key.split("/", 1)[1] for key in draft.cited}
        s = stats.setdefault(ticket["lang"], dict.fromkeys(COUNTERS, 0))
        s["tickets"] += 1
        s["lang_mismatch"] += suggestions.lang != ticket["lang"]
        s["abstained"] += suggestions.abstained
        s["internal_cited"] += bool(cited & internal_ids)
        if not relevant:
            s["out_of_scope"] += 1
            s["oos_abstained"] += draft.abstained
            continue
        if label.get("internal_only"):
            s["internal_only"] += 1
            s["internal_notice"] += draft.abstained and draft.reason == "internal_only"
            continue
        s["answerable"] += 1
        s["top1"] += bool(ids[:1]) and ids[0] in relevant
        s["top3"] += bool(relevant & set(ids[:3]))
        s["draft_cites"] += bool(cited & relevant)
        hit_section = bool(cited_sections(draft.citations) & anchors)
        s["draft_cites_section"] += hit_section
        s["wrongly_abstained"] += draft.abstained
        if not hit_section:
            misses.append(miss_row(ticket, anchors, relevant, suggestions, draft))

    report: dict = {}
    for lang, s in sorted(stats.items()):
        n = max(s["answerable"], 1)
        report[lang] = {
            **s,
            "top1_accuracy": round(s["top1"] / n, 3),
            "top3_accuracy": round(s["top3"] / n, 3),
            "draft_cites_rate": round(s["draft_cites"] / n, 3),
            "draft_cites_section_rate": round(s["draft_cites_section"] / n, 3),
            "oos_abstained_rate": round(s["oos_abstained"] / max(s["out_of_scope"], 1), 3),
            "wrongly_abstained_rate": round(s["wrongly_abstained"] / n, 3),
        }
    report["latency_ms"] = {"suggest": percentiles(suggest_ms), "draft": percentiles(draft_ms)}
    report["misses"] = misses
    return report


def miss_row(ticket: dict, anchors: set[str], relevant: set[str], suggestions: Suggestions, draft: Draft) -> dict:
    """An answerable ticket whose draft cites no answering section: what was labelled, what was cited,
    and where search put the answering article (1-based among the distinct suggested articles; 0: absent)."""
    articles = list(dict.fromkeys(hit.id for hit in suggestions.passages))
    rank = next((i + 1 for i, article in enumerate(articles) if article in relevant), 0)
    scores = {hit.id: round(hit.score, 3) for hit in reversed(suggestions.passages)}
    return {
        "ticket": ticket["external_id"],
        "lang": ticket["lang"],
        "anchors": sorted(anchors),
        "cited": sorted(cited_sections(draft.citations)),
        "article_rank": rank,
        "article_scores": scores,
    }


def print_misses(misses: list[dict]) -> None:
    for row in misses:
        print(
            f"miss {row['ticket']} {row['lang']} article rank {row['article_rank']} "
            f"cited {', '.join(row['cited']) or '(abstained)'} | labelled {', '.join(row['anchors'])}"
        )


def print_table(report: dict) -> None:
    print(
        f"{'lang':4} {'tickets':>7} {'top-1 (article)':>16} {'top-3 (article)':>16} {'draft cites section':>20} "
        f"{'off-topic abst.':>16} {'answerable abst.':>17} {'internal notice':>16}"
    )
    for lang, r in report.items():
        if lang in ("latency_ms", "misses"):
            continue
        n = r["answerable"]

        def cell(count: int, total: int, width: int) -> str:
            return f"{count:>3}/{total:<3} {count / max(total, 1):.3f}".rjust(width)

        print(
            f"{lang:4} {r['tickets']:>7} {cell(r['top1'], n, 16)} {cell(r['top3'], n, 16)} "
            f"{cell(r['draft_cites_section'], n, 20)} {cell(r['oos_abstained'], r['out_of_scope'], 16)} "
            f"{cell(r['wrongly_abstained'], n, 17)} {cell(r['internal_notice'], r['internal_only'], 16)}"
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
    parser.add_argument("--misses", action="store_true", help="list the answerable tickets whose draft missed")
    parser.add_argument(
        "--json", nargs="?", const="-", default=None, metavar="PATH", help="JSON report: to PATH, or stdout alone"
    )
    parser.add_argument(
        "--save-suggestions", type=Path, metavar="PATH", help="write each ticket's suggestions (JSON lines) there"
    )
    parser.add_argument(
        "--replay", type=Path, metavar="PATH", help="draft from suggestions saved with --save-suggestions: no search"
    )
    args = parser.parse_args()
    if args.replay and (args.learning or args.save_suggestions):
        parser.error("--replay drafts from saved suggestions: --learning and --save-suggestions need search")

    quiet = args.json == "-"
    log = (lambda *a: print(*a, file=sys.stderr)) if quiet else print
    settings = Settings.from_env(content_dir=args.content, data_dir=args.data)
    tickets = load_jsonl(args.tickets)
    labels = {row["external_id"]: row for row in load_jsonl(args.labels)}
    report = {"tickets": str(args.tickets), "labels": str(args.labels), "limit": args.limit}
    report["max_chars"] = args.max_chars
    if args.replay:
        log(f"replaying the suggestions saved in {args.replay} (suggest() latency is the file's read)")
        report |= evaluate(public_link(settings), tickets, labels, replayed_suggestions(args.replay))
    else:
        engine = Engine(settings)
        started = time.perf_counter()
        log(f"index: {engine.index(show_progress=False).summary()} ({time.perf_counter() - started:.1f} s)")
        engine.warm_up()
        saved: dict[str, Suggestions] = {}
        live = live_suggestions(engine, args.limit, args.max_chars)
        report |= evaluate(public_link(settings), tickets, labels, live, saved)
        if args.save_suggestions:
            save_suggestions(args.save_suggestions, saved)
            log(f"suggestions: {args.save_suggestions}")
        if args.learning:
            boosts_for = leave_one_out(tickets, labels, args.max_chars)
            learned = live_suggestions(engine, args.limit, args.max_chars, boosts_for)
            report["with_learning"] = evaluate(public_link(settings), tickets, labels, learned)
        engine.close()
    if quiet:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    settings_keys = ("tickets", "labels", "limit", "max_chars", "with_learning")
    print_table({k: v for k, v in report.items() if k not in settings_keys})
    if args.misses:
        print_misses(report["misses"])
    if args.learning:
        print("with agents' choices on the other tickets as boosts (leave-one-out):")
        print_table(report["with_learning"])
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
        print(f"report: {args.json}")


if __name__ == "__main__":
    main()
