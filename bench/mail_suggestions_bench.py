"""The acknowledgement mail's suggested articles on the demo tickets: how often they answer, how often they are wrong.

    python bench/mail_suggestions_bench.py [--limit 3] [--data var/bench/mail_suggestions]

Each demo ticket (content/_demo/tickets.jsonl, its subject and first message, in its language) goes through
`desk.mail_suggestions.PublicFinder`, what the worker runs when it composes a new ticket's acknowledgement. Against
tests/eval/ticket_labels.jsonl, per language: answerable tickets (a public article answers them) that got suggestions,
and of them those with a labelled article among the suggestions (right) or none (wrong); off-topic tickets (labelled
with no article) that got any (wrong: better none); tickets only an internal article answers that got any, and
suggestions of an internal article (must be 0). Latency: one finder call per ticket after a warm-up, median and p95.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import time
from pathlib import Path

from copilot.engine import Engine
from copilot.suggestions import Suggester
from desk.mail_suggestions import PublicFinder
from kb.settings import Settings


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def internal_keys(content: Path) -> set[str]:
    """The "lang/id" of every article whose front matter says `visibility: internal`."""
    keys = set()
    for path in content.glob("*/*/*.md"):
        head = path.read_text("utf-8").split("\n---", 1)[0]
        fields = dict(line.split(":", 1) for line in head.splitlines() if ":" in line)
        if fields.get("visibility", "").strip() == "internal":
            keys.add(f"{fields.get('lang', '').strip()}/{fields.get('id', '').strip()}")
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--tickets", type=Path, default=Path("content/_demo/tickets.jsonl"))
    parser.add_argument("--labels", type=Path, default=Path("tests/eval/ticket_labels.jsonl"))
    parser.add_argument("--data", type=Path, default=Path("var/bench/mail_suggestions"), help="index directory")
    parser.add_argument("--limit", type=int, default=3, help="KB_MAIL_SUGGESTED_ARTICLES")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    kept = Path("var/test-cache/embeddings.sqlite")  # the tests' embeddings: fewer texts to embed again
    if kept.exists() and not (args.data / "embeddings.sqlite").exists():
        shutil.copy2(kept, args.data / "embeddings.sqlite")
    settings = Settings.from_env(content_dir=args.content, data_dir=args.data)
    labels = {row["external_id"]: row for row in load_jsonl(args.labels)}
    engine = Engine(settings)
    started = time.perf_counter()
    print(f"index: {engine.index(show_progress=False).summary()} ({time.perf_counter() - started:.1f} s)")
    engine.warm_up()
    find = PublicFinder(lambda: Suggester(engine.retriever))
    internal = internal_keys(args.content)
    rows: dict[str, dict[str, int]] = {}
    took: list[float] = []
    for ticket in load_jsonl(args.tickets):
        label = labels.get(ticket["external_id"])
        if label is None:
            continue
        lang = ticket["lang"]
        first = next((m["body"] for m in ticket["messages"] if m["author"] == "customer"), "")
        begun = time.perf_counter()
        found = find(ticket["subject"], [first], lang, args.limit)
        took.append((time.perf_counter() - begun) * 1000)
        ids = [a.key.split("/", 1)[1] for a in found]
        row = rows.setdefault(lang, {k: 0 for k in ("tickets", "answerable", "suggested", "right", "wrong",
                                                    "off_topic", "off_topic_suggested", "internal_only",
                                                    "internal_only_suggested", "internal_suggestions")})
        row["tickets"] += 1
        row["internal_suggestions"] += sum(a.key in internal for a in found)
        if not label["relevant"]:
            row["off_topic"] += 1
            row["off_topic_suggested"] += bool(found)
        elif label.get("internal_only"):
            row["internal_only"] += 1
            row["internal_only_suggested"] += bool(found)
        else:
            row["answerable"] += 1
            row["suggested"] += bool(found)
            row["right"] += bool(set(ids) & set(label["relevant"]))
            row["wrong"] += bool(found) and not set(ids) & set(label["relevant"])
    engine.close()
    for lang, row in sorted(rows.items()):
        print(lang, json.dumps(row))
    ordered = sorted(took)
    p95 = ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]
    print(f"finder latency ms: median {statistics.median(ordered):.0f}, p95 {p95:.0f} ({len(took)} tickets)")


if __name__ == "__main__":
    main()
