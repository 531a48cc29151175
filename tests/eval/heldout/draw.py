"""The seeded draw the held-out queries were written about: `python tests/eval/heldout/draw.py [--round N]`.

One seed per round (`SEEDS`), each fixed before any article of its round was read: round 1 (seed 1802)
is tests/eval/heldout/*.jsonl, round N > 1 is tests/eval/heldout/roundN/*.jsonl. Each line: set,
kind, article id, title, summary, headings. The demo's public articles are few (40 English, 39 Arabic),
so the draw is every public article once in a seeded order (Arabic: one drawn twice); m365 draws 80
distinct articles from var/bench/m365-content (bench/m365_import.py), the first 50 for Arabic questions
and the other 30 for English ones. Rounds 1 and 2 drew from every public m365 article; from round 3 on the
pool leaves out the articles already read for an earlier round or a dev slice (`LEAVES_OUT`, `m365_pool`).
Kinds are dealt in turn down the drawn order, so no article got the kind its writer preferred. Run from
the repository root; the question for each line was written by hand after reading the article.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

EN_KINDS = ["question", "keyword", "typo", "paraphrase", "framing"]
AR_KINDS = ["dialect-gulf", "dialect-egyptian", "dialect-levantine", "question", "mixed", "typo", "paraphrase"]
AR_KINDS += ["framing", "keyword"]
M365_AR_KINDS = ["dialect-gulf", "dialect-egyptian", "dialect-levantine", "question", "mixed", "mixed-arabic-script"]
M365_AR_KINDS += ["typo", "paraphrase", "framing", "keyword"]
# round -> seed; a new round gets a new seed, never a re-draw of an old one
SEEDS = {1: 1802, 2: 2612, 3: 4417, 4: 5903, 5: 6347}
# round -> (earlier rounds, customer dev slice?) whose m365 articles its pool leaves out; rounds 1 and 2 left out none
LEAVES_OUT: dict[int, tuple[tuple[int, ...], bool]] = {3: ((1, 2), True), 4: ((1, 2, 3), True), 5: ((1, 2, 3, 4), True)}
M365_AR = Path("var/bench/m365-content/ar")


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


def customer_sample(root: Path = M365_AR) -> list[dict]:
    """The customer dev slice's 110 articles (tests/eval/customer/draw.py, a script beside this one's folder)."""
    spec = importlib.util.spec_from_file_location("customer_draw", Path(__file__).parents[1] / "customer/draw.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.customer_sample(root)


def m365_pool(root: Path = M365_AR, rounds: Iterable[int] = (), customer: bool = False) -> list[dict]:
    """The public m365 articles minus the samples of held-out `rounds` (and the customer slice's, if asked).

    The one place the exclusion is written: the customer slice's pool is this minus rounds 1 and 2, a
    round's pool is this minus what `LEAVES_OUT` names, so no drawn article is read for two sets.
    """
    taken = {m["id"] for round_ in rounds for m in m365_sample(round_, root)}
    if customer:
        taken |= {m["id"] for m in customer_sample(root)}
    return [m for m in public(root) if m["id"] not in taken]


def m365_sample(round_: int, root: Path = M365_AR) -> list[dict]:
    """The round's 80 m365 articles: the first call on the round's rng (a dev slice may exclude exactly these)."""
    return random.Random(SEEDS[round_]).sample(m365_pool(root, *LEAVES_OUT.get(round_, ((), False))), 80)


def draw(round_: int, content: Path = Path("content"), m365_ar: Path = M365_AR) -> list[tuple]:
    """Every (set, kind, article) of one round, in the order its questions were written."""
    rng = random.Random(SEEDS[round_])
    en, ar = public(content / "en"), public(content / "ar")
    # the m365 sample is the rng's first call (as `m365_sample`), before the demo's plans
    sample = rng.sample(m365_pool(m365_ar, *LEAVES_OUT.get(round_, ((), False))), 80)
    rows = [*plan(rng, en, 40, EN_KINDS, "demo-en"), *plan(rng, ar, 40, AR_KINDS, "demo-ar")]
    rows += [("m365-ar", M365_AR_KINDS[i % len(M365_AR_KINDS)], m) for i, m in enumerate(sample[:50])]
    rows += [("m365-en", EN_KINDS[i % len(EN_KINDS)], m) for i, m in enumerate(sample[50:])]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, default=1, choices=sorted(SEEDS), help="which round's draw (default 1)")
    for label, kind, m in draw(parser.parse_args().round):
        print(f"{label}\t{kind}\t{m['id']}\t{m['title']}\t{m['summary']}\t{' | '.join(m['heads'][:8])}")


if __name__ == "__main__":
    main()
