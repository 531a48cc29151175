"""The seeded draw the held-out queries were written about: `python tests/eval/heldout/draw.py [--round N]`.

One seed per round (`SEEDS`), each fixed before any article of its round was read: round 1 (seed 1802)
is tests/eval/heldout/*.jsonl, round 2 (seed 2612) is tests/eval/heldout/round2/*.jsonl. Each line: set,
kind, article id, title, summary, headings. The demo's public articles are few (40 English, 39 Arabic),
so the draw is every public article once in a seeded order (Arabic: one drawn twice); m365 draws 80
distinct articles from var/bench/m365-content (bench/m365_import.py), the first 50 for Arabic questions
and the other 30 for English ones. Kinds are dealt in turn down the drawn order, so no article got the
kind its writer preferred. Run from the repository root; the question for each line was written by hand
after reading the article.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Iterator
from pathlib import Path

EN_KINDS = ["question", "keyword", "typo", "paraphrase", "framing"]
AR_KINDS = ["dialect-gulf", "dialect-egyptian", "dialect-levantine", "question", "mixed", "typo", "paraphrase"]
AR_KINDS += ["framing", "keyword"]
M365_AR_KINDS = ["dialect-gulf", "dialect-egyptian", "dialect-levantine", "question", "mixed", "mixed-arabic-script"]
M365_AR_KINDS += ["typo", "paraphrase", "framing", "keyword"]
SEEDS = {1: 1802, 2: 2612}  # round -> seed; a new round gets a new seed, never a re-draw of an old one


def meta(path: Path) -> dict:
    text = path.read_text("utf-8")
    front = text.split("---")[1]

    def field(key: str) -> str:
        found = re.search(rf"^{key}:\s*(.*)$", front, re.M)
        return found[1] if found else ""

    heads = re.findall(r"^#+ (.*)$", text, re.M)
    keys = {"id": "id", "title": "title", "vis": "visibility", "summary": "summary"}
    return {**{name: field(key) for name, key in keys.items()}, "heads": heads}


def public(root: Path) -> list[dict]:
    return sorted((m for m in map(meta, sorted(root.rglob("*.md"))) if m["vis"] != "internal"), key=lambda m: m["id"])


def plan(rng: random.Random, articles: list[dict], n: int, kinds: list[str], label: str) -> Iterator[tuple]:
    order = rng.sample(articles, len(articles))
    if n > len(order):
        order += rng.sample(articles, n - len(order))
    for i, article in enumerate(order[:n]):
        yield label, kinds[i % len(kinds)], article


def m365_sample(seed: int, root: Path = Path("var/bench/m365-content/ar")) -> list[dict]:
    """The round's 80 m365 articles: the first call on the round's rng (a dev slice may exclude exactly these)."""
    return random.Random(seed).sample(public(root), 80)


def draw(seed: int, content: Path = Path("content"), m365_ar: Path = Path("var/bench/m365-content/ar")) -> list[tuple]:
    """Every (set, kind, article) of one round, in the order its questions were written."""
    rng = random.Random(seed)
    en, ar = public(content / "en"), public(content / "ar")
    m365 = public(m365_ar)
    sample = rng.sample(m365, 80)  # drawn before the demo's plans, as in the run the queries were written from
    rows = [*plan(rng, en, 40, EN_KINDS, "demo-en"), *plan(rng, ar, 40, AR_KINDS, "demo-ar")]
    rows += [("m365-ar", M365_AR_KINDS[i % len(M365_AR_KINDS)], m) for i, m in enumerate(sample[:50])]
    rows += [("m365-en", EN_KINDS[i % len(EN_KINDS)], m) for i, m in enumerate(sample[50:])]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, default=1, choices=sorted(SEEDS), help="which round's draw (default 1)")
    for label, kind, m in draw(SEEDS[parser.parse_args().round]):
        print(f"{label}\t{kind}\t{m['id']}\t{m['title']}\t{m['summary']}\t{' | '.join(m['heads'][:8])}")


if __name__ == "__main__":
    main()
