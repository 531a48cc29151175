"""Held-out misses by cause, from `bench/miss_signals.py --rows` output: no model is run, the rows are read.

    PYTHONPATH=. python bench/miss_signals.py --domains m365 --queries tests/eval/heldout/round4/m365.jsonl \
        --langs ar,en --rows > /tmp/sig_r4.txt
    PYTHONPATH=. python bench/miss_classes.py /tmp/sig_r2.txt /tmp/sig_r3.txt /tmp/sig_r4.txt [--rows]

Each miss (a question whose first answer is not ranked first) gets the first class that fits, in this order
(issue #18, bench/RESULTS.md "Session 25, mmiss25"):

- country: the right page names a territory (copilot.places.PlacePages) the question does not name itself:
  asked by a city or region ("city, CLDR knows it" when copilot.places reads the city, else "city/region, not
  read" or "typo" for a typo-kind question);
- country-named: the right page is a country page the question names, another page wins;
- recall: no source puts the right page in its first 10 articles (`ranks` of the row; "-" = not in its first 50);
- dialect/typo: a dialect or typo question whose right page BM25 does not hold in its first 10;
- sibling: the winner is in the right page's category (the content folder: a neighbouring admin page);
- other-category: the winner is a page of another category (hubs and overviews among them).

Per class: the count, and the signal miss_signals names at fault (the ranking step that gives the winner the
most over the right page: a source, a credit, the hub penalty), for the stage question: right page present in
some source's first 20, lost in fusion or in a later credit. Label problems are not detectable here; they are
read by hand. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter, defaultdict
from pathlib import Path

from copilot.places import PlacePages, named_places

_ROW = re.compile(
    r"^(?P<domain>\S+)\s+(?P<lang>\S+)\s+(?P<rank>\S+)\s+(?P<fault>\S+)\s+(?P<winner>\S+)\s+> (?P<right>\S+)\s+"
    r"\[(?P<parts>[^\]]*)\]\s+(?P<kind>[^:]*): (?P<query>.*)$"
)


def categories(content: Path) -> dict[str, str]:
    """Article id -> its category (the folder under the language), for `lang/id` keys."""
    return {f"{p.parent.parent.name}/{p.stem}": p.parent.name for p in content.glob("*/*/*.md")}


def source_ranks(parts: str) -> dict[str, int | None]:
    _, _, ranks = parts.partition("| ranks ")
    out: dict[str, int | None] = {}
    for item in ranks.split():
        name, _, rank = item.rpartition(":")
        out[name] = None if rank == "-" else int(rank)
    return out


def classify(row: dict, category: dict[str, str], places: PlacePages, titles: dict[str, str]) -> str:
    ranks = source_ranks(row["parts"])
    right, winner = row["right"], row["winner"]
    page_codes = places.codes_of(right.split("/", 1)[1], titles.get(right, ""))
    if page_codes:
        by_city, by_name = named_places(row["query"], row["lang"])
        if page_codes & set(by_name):
            return "country-named"
        if page_codes & set(by_city):
            return "country: city, CLDR knows it"
        return "country: typo" if row["kind"].startswith("typo") else "country: city/region, not read"
    if not any(r is not None and r <= 10 for r in ranks.values()):
        return "recall"
    lexical = ranks.get("lexical")
    if row["kind"].startswith(("dialect", "typo")) and (lexical is None or lexical > 10):
        return "dialect/typo"
    if category.get(winner) == category.get(right):
        return "sibling"
    return "other-category"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--content", type=Path, default=Path("var/bench/m365-content"))
    parser.add_argument("--rows", action="store_true")
    args = parser.parse_args()
    category = categories(args.content)
    titles: dict[str, str] = {}
    for path in args.content.glob("*/*/*.md"):
        found = re.search(r"^title: (.*)$", path.read_text("utf-8"), re.M)
        titles[f"{path.parent.parent.name}/{path.stem}"] = found.group(1) if found else ""
    payloads = [{"key": k, "article_id": k.split("/", 1)[1], "title": t} for k, t in titles.items()]
    places = PlacePages(payloads, sorted({k.split("/", 1)[0] for k in titles}))
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    faults: dict[str, Counter[str]] = defaultdict(Counter)
    for path in args.files:
        for line in path.read_text("utf-8").splitlines():
            match = _ROW.match(line)
            if not match:
                continue
            row = match.groupdict()
            cls = classify(row, category, places, titles)
            counts[(row["lang"], cls)]["n"] += 1
            ranks = source_ranks(row["parts"])
            present = any(r is not None and r <= 20 for r in ranks.values())
            faults[cls][row["fault"] if present else "not in any top 20"] += 1
            if args.rows:
                print(f"{path.stem:8} {row['lang']} {cls:32} {row['winner']:40} > {row['right']:40} {row['query']}")
    classes = sorted({c for _, c in counts}, key=lambda c: -sum(counts[(lg, c)]["n"] for lg in ("ar", "en")))
    print(f"{'class':32} {'ar':>4} {'en':>4}  at fault (right page in some source's top 20), else not")
    for cls in classes:
        shown = ", ".join(f"{f} {n}" for f, n in faults[cls].most_common())
        print(f"{cls:32} {counts[('ar', cls)]['n']:>4} {counts[('en', cls)]['n']:>4}  {shown}")


if __name__ == "__main__":
    main()
