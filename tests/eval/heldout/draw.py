"""The seeded draw the held-out queries were written about: `python tests/eval/heldout/draw.py [--round N]`.

One seed per round (`SEEDS`), each fixed before any article of its round was read: round 1 (seed 1802)
is tests/eval/heldout/*.jsonl, round N > 1 is tests/eval/heldout/roundN/*.jsonl. Each line: set,
kind, article id, title, summary, headings. The demo's public articles are few (40 English, 39 Arabic),
so the draw is every public article once in a seeded order (Arabic: one drawn twice); m365 draws 80
distinct articles from var/bench/m365-content (bench/m365_import.py), the first 50 for Arabic questions
and the other 30 for English ones. Rounds 1 and 2 drew from every public m365 article; from round 3 on the
pool leaves out the articles already read for an earlier round or a dev slice (`LEAVES_OUT`, `m365_pool`).
Round 6 re-admits rounds 1 and 2's articles but their country pages (`COUNTRY_LEFT_OUT`): the earlier
exclusions left 79. Round 7 leaves out rounds 1, 2 and 6 and re-admits rounds 3-5's articles but their country
pages. Kinds are dealt in turn down the drawn order, so no article got the kind its writer preferred. Run from the
repository root; the question for each line was written by hand after reading the article.

GNOME Help (`--gnome`, tests/eval/heldout/gnome.jsonl, round2/, round6/ and round7/gnome.jsonl): Debian's
gnome-user-docs pages (Mallard XML, read from `--pages`, default /usr/share/help/C/gnome-help); an article is a page
whose root <page> is type topic or task. Rounds 6 and 7 leave out the dev pages only: the dev questions and rounds 1-2
had labelled them all, and the dev pages and round 6's leave 47, fewer than a round's 60.
`GNOME_SEEDS` holds one seed per round; gnome_pool.json records the package's article ids and the ids each
round's pool left out (the GNOME dev questions' labels when the round was drawn; from round 2 on the earlier rounds'
labels too), so the draw and its test need neither the package nor the labelling files as they are later. The first
40 drawn pages (or as many as the pool leaves beside 20: round 2's 44-page pool gives 24) get English questions, the
last 20 Arabic ones.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

EN_KINDS = ["question", "keyword", "typo", "paraphrase", "framing"]
AR_KINDS = ["dialect-gulf", "dialect-egyptian", "dialect-levantine", "question", "mixed", "typo", "paraphrase"]
AR_KINDS += ["framing", "keyword"]
M365_AR_KINDS = ["dialect-gulf", "dialect-egyptian", "dialect-levantine", "question", "mixed", "mixed-arabic-script"]
M365_AR_KINDS += ["typo", "paraphrase", "framing", "keyword"]
# round -> seed; a new round gets a new seed, never a re-draw of an old one
SEEDS = {1: 1802, 2: 2612, 3: 4417, 4: 5903, 5: 6347, 6: 8263, 7: 4524}
# round -> (earlier rounds, customer dev slice?) whose m365 articles its pool leaves out; rounds 1 and 2 left out none
LEAVES_OUT: dict[int, tuple[tuple[int, ...], bool]] = {3: ((1, 2), True), 4: ((1, 2, 3), True), 5: ((1, 2, 3, 4), True)}
# Round 6: the pool of rounds 1-5 and the customer slice left 79 articles (fewer than 80, 32 of them country pages),
# so round 6 re-admits the spent rounds 1 and 2 but not their country pages (`COUNTRY_LEFT_OUT`): 162 articles, 32
# country pages among them, where every earlier pool was about 43% country pages (246 of the 575).
LEAVES_OUT[6] = ((3, 4, 5), True)
# round -> earlier rounds whose "support information for <country>" pages (`COUNTRY_TITLE`) its pool leaves out too
COUNTRY_LEFT_OUT: dict[int, tuple[int, ...]] = {6: (1, 2)}
# Round 7: rounds 1 and 2 (their other articles re-read by round 6) and round 6 stay out whole, with the customer
# slice; rounds 3-5's articles come back but their country pages, so no article is read for more than two sets:
# 172 articles, 14 country pages among them (the 14 no set has read).
LEAVES_OUT[7] = ((1, 2, 6), True)
COUNTRY_LEFT_OUT[7] = (3, 4, 5)
COUNTRY_TITLE = "معلومات الدعم"
M365_AR = Path("var/bench/m365-content/ar")
# GNOME Help: round -> seed, fixed before any page was read
GNOME_SEEDS = {1: 7411, 2: 9157, 6: 3391, 7: 1538}
GNOME_PAGES = Path("/usr/share/help/C/gnome-help")
GNOME_RECORD = Path(__file__).with_name("gnome_pool.json")
GNOME_EN, GNOME_AR = 40, 20
MALLARD = "{http://projectmallard.org/1.0/}"


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


def m365_pool(
    root: Path = M365_AR, rounds: Iterable[int] = (), customer: bool = False, country_rounds: Iterable[int] = ()
) -> list[dict]:
    """The public m365 articles minus the samples of held-out `rounds` (and the customer slice's, if asked), and
    minus the country support pages of `country_rounds`.

    The one place the exclusion is written: the customer slice's pool is this minus rounds 1 and 2, a
    round's pool is this minus what `LEAVES_OUT` and `COUNTRY_LEFT_OUT` name, so no drawn article is read for two
    sets, but round 6's, which re-reads rounds 1 and 2's other articles because nothing else was left, and round 7's,
    which re-reads rounds 3-5's (no article is read for three).
    """
    taken = {m["id"] for round_ in rounds for m in m365_sample(round_, root)}
    if customer:
        taken |= {m["id"] for m in customer_sample(root)}
    taken |= {m["id"] for r in country_rounds for m in m365_sample(r, root) if m["title"].startswith(COUNTRY_TITLE)}
    return [m for m in public(root) if m["id"] not in taken]


def round_pool(round_: int, root: Path = M365_AR) -> list[dict]:
    """The m365 pool round `round_` draws from (`LEAVES_OUT`, `COUNTRY_LEFT_OUT`)."""
    rounds, customer = LEAVES_OUT.get(round_, ((), False))
    return m365_pool(root, rounds, customer, COUNTRY_LEFT_OUT.get(round_, ()))


def m365_sample(round_: int, root: Path = M365_AR) -> list[dict]:
    """The round's 80 m365 articles: the first call on the round's rng (a dev slice may exclude exactly these)."""
    return random.Random(SEEDS[round_]).sample(round_pool(round_, root), 80)


def draw(round_: int, content: Path = Path("content"), m365_ar: Path = M365_AR) -> list[tuple]:
    """Every (set, kind, article) of one round, in the order its questions were written."""
    rng = random.Random(SEEDS[round_])
    en, ar = public(content / "en"), public(content / "ar")
    # the m365 sample is the rng's first call (as `m365_sample`), before the demo's plans
    sample = rng.sample(round_pool(round_, m365_ar), 80)
    rows = [*plan(rng, en, 40, EN_KINDS, "demo-en"), *plan(rng, ar, 40, AR_KINDS, "demo-ar")]
    rows += [("m365-ar", M365_AR_KINDS[i % len(M365_AR_KINDS)], m) for i, m in enumerate(sample[:50])]
    rows += [("m365-en", EN_KINDS[i % len(EN_KINDS)], m) for i, m in enumerate(sample[50:])]
    return rows


def gnome_articles(pages: Path = GNOME_PAGES) -> list[dict]:
    """GNOME Help's articles by id: pages whose root <page> is type topic or task (guide pages are navigation)."""

    def text(element: ET.Element | None) -> str:
        return " ".join("".join(element.itertext()).split()) if element is not None else ""

    if not pages.is_dir():
        raise SystemExit(f"{pages}: no such folder (Debian's gnome-user-docs puts the pages there; else pass --pages)")
    articles = []
    for path in sorted(pages.glob("*.page")):
        root = ET.parse(path).getroot()
        if root.get("type") in ("topic", "task"):
            articles.append(
                {
                    "id": root.get("id"),
                    "title": text(root.find(f"{MALLARD}title")),
                    "summary": text(root.find(f"{MALLARD}info/{MALLARD}desc")),
                    "heads": [text(section.find(f"{MALLARD}title")) for section in root.iter(f"{MALLARD}section")],
                }
            )
    return sorted(articles, key=lambda m: m["id"])


def gnome_record(path: Path = GNOME_RECORD) -> dict:
    return json.loads(path.read_text("utf-8"))


def gnome_pool(round_: int, record: dict) -> list[str]:
    """The round's pool: every recorded article id but those the round left out, sorted."""
    left_out = set(record["left_out"][str(round_)]["ids"])
    return sorted(set(record["articles"]) - left_out)


def gnome_draw(round_: int, record: dict) -> list[tuple[str, str, str]]:
    """(set, kind, page id) of a GNOME round, in the order its questions were written: the sample is the rng's
    only call; its first pages get English questions (EN_KINDS dealt in turn: 40, or as many as the pool leaves
    beside the Arabic ones), the last 20 Arabic ones."""
    pool = gnome_pool(round_, record)
    english = min(GNOME_EN, len(pool) - GNOME_AR)  # round 2's pool (44 pages) leaves room for 24
    sample = random.Random(GNOME_SEEDS[round_]).sample(pool, english + GNOME_AR)
    rows = [("gnome-en", EN_KINDS[i % len(EN_KINDS)], page) for i, page in enumerate(sample[:english])]
    return rows + [("gnome-ar", AR_KINDS[i % len(AR_KINDS)], page) for i, page in enumerate(sample[english:])]


def record_gnome_round(
    round_: int, pages: Path, labelled: Sequence[Path], source: str, path: Path = GNOME_RECORD
) -> dict:
    """Write, once, the article ids and the ids `round_`'s pool leaves out: every article a question of the
    `labelled` files (the dev questions; from round 2 on the earlier rounds too) labels. Only labels are read."""
    record = gnome_record(path) if path.exists() else {"articles": [m["id"] for m in gnome_articles(pages)]}
    if str(round_) in record.get("left_out", {}):
        raise SystemExit(f"{path}: GNOME round {round_} is recorded already; a drawn round is never re-drawn")
    if record["articles"] != [m["id"] for m in gnome_articles(pages)]:
        raise SystemExit(f"{pages}: its topic and task pages are not the ones {path} recorded")
    labels = {
        page
        for file in labelled
        for line in file.read_text("utf-8").splitlines()
        if line.strip()
        for page in json.loads(line)["relevant"]
    }
    left_out = sorted(labels & set(record["articles"]))
    record.setdefault("left_out", {})[str(round_)] = {"source": source, "ids": left_out}
    path.write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, default=1, help="which round's draw (default 1)")
    parser.add_argument("--gnome", action="store_true", help="GNOME Help's draw (GNOME_SEEDS) instead of demo and m365")
    parser.add_argument("--pages", type=Path, default=GNOME_PAGES, help="GNOME Help's C pages (with --gnome)")
    parser.add_argument(
        "--record-left-out",
        type=Path,
        nargs="+",
        metavar="JSONL",
        help="(with --gnome, once per round) record the pool: the pages' articles minus every page a JSONL labels "
        "(the dev questions, and from round 2 on the earlier rounds)",
    )
    parser.add_argument("--source", default="", help="(with --record-left-out) where the JSONL files came from")
    args = parser.parse_args()
    if not args.gnome:
        if args.round not in SEEDS:
            parser.error(f"--round: no round {args.round} (rounds: {sorted(SEEDS)})")
        for label, kind, m in draw(args.round):
            print(f"{label}\t{kind}\t{m['id']}\t{m['title']}\t{m['summary']}\t{' | '.join(m['heads'][:8])}")
        return
    if args.round not in GNOME_SEEDS:
        parser.error(f"--round: no GNOME round {args.round} (rounds: {sorted(GNOME_SEEDS)})")
    if args.record_left_out:
        record = record_gnome_round(
            args.round, args.pages, args.record_left_out, args.source or " ".join(map(str, args.record_left_out))
        )
    else:
        record = gnome_record()
    articles = {m["id"]: m for m in gnome_articles(args.pages)}
    if sorted(articles) != record["articles"]:
        raise SystemExit(f"{args.pages}: its topic and task pages are not the ones {GNOME_RECORD} recorded")
    print(f"pool: {len(gnome_pool(args.round, record))} pages", file=sys.stderr)
    for label, kind, page in gnome_draw(args.round, record):
        m = articles[page]
        print(f"{label}\t{kind}\t{page}\t{m['title']}\t{m['summary']}\t{' | '.join(m['heads'][:8])}")


if __name__ == "__main__":
    main()
