"""Queries typed with the wrong keyboard layout: MRR@10 and found@10 without and with copilot.keyboard_layout.

Every dev row and every held-out row (rounds 1 to 6, tests/eval/heldout) of the three domains is typed as a customer
with the other layout on would type it, deterministically: an Arabic query as the US keys of its letters on Arabic
(101) (`to_us`: "الباسورد" -> "hgfhs,v]"), an English one as Arabic (101) types its keys (`to_arabic`: "export" ->
"ثءحخقف"). Each swapped query is searched in the row's language (the page's, as the suite does) with the reading off
(`verbatim`, what search did before) and on, on the domain's full index: on with the index's words alone (the
other layout's words must be the index's) and with LEVERS["keyboard_layout_language_words"] as shipped (or that
language's words by wordfreq). Answerable rows only score; the figures are per domain, set (dev, held-out) and language.

It also reads every row as typed (no swap) and names each one read as wrong-layout: a false reading, which would
change what search returns for a query typed right.

    PYTHONPATH=. .venv/bin/python bench/wrong_layout.py [--domains demo,m365,gnome]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

from bench.eval_retrieval import DOMAINS, domain_content, heldout_round, load_queries, open_engine, rank_of
from copilot.keyboard_layout import to_arabic, to_us
from copilot.retrieval import LEVERS, SearchResult
from kb.arabic import has_arabic

ROUNDS = range(1, 7)
# The reading by the index's words alone, and with the language's words by wordfreq too (as shipped since the lead
# turned LEVERS["keyboard_layout_language_words"] on).
VARIANTS = (("index", False), ("words", True))


def swapped(query: str) -> str:
    """The query as typed with the other layout on."""
    return to_us(query) if has_arabic(query) else to_arabic(query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    parser.add_argument("--root", type=Path, default=Path("var/bench"))
    parser.add_argument(
        "--readings-only", action="store_true", help="no search: the false readings and what a reading costs"
    )
    args = parser.parse_args()
    names = args.domains.split(",")
    embedders = None
    lines: list[str] = []
    false_readings: list[str] = []
    costs: dict[str, list[float]] = defaultdict(list)  # ms per read_layout call: as typed, swapped, swapped typing
    started = time.perf_counter()
    for domain in (d for d in DOMAINS if d.name in names):
        engine = open_engine(domain_content(domain), args.root / domain.name, embedders)
        embedders = engine.embedders
        retriever = engine.retriever
        sets = [("dev", load_queries(domain.queries, None))]
        if domain.heldout is not None:
            paths = [heldout_round(domain.heldout, n) for n in ROUNDS]
            held = [row for path in paths if path.is_file() for row in load_queries(path, None)]
            sets.append(("held-out", held))
        for set_name, rows in sets:
            stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
            for row in rows:
                for variant, wide in VARIANTS:
                    LEVERS["keyboard_layout_language_words"] = wide
                    misread = retriever.read_layout(row["query"])
                    if misread is not None:
                        false_readings.append(
                            f"{variant}: {domain.name} {set_name} {row['lang']}: {row['query']!r} -> {misread!r}"
                        )
                LEVERS["keyboard_layout_language_words"] = VARIANTS[0][1]
                for cost, text, typing in (("as typed", row["query"], False), ("swapped", swapped(row["query"]), False),
                                           ("swapped, typing", swapped(row["query"]), True)):
                    at = time.perf_counter()
                    retriever.read_layout(text, typing=typing)
                    costs[f"{domain.name} {cost}"].append((time.perf_counter() - at) * 1000)
                relevant = set(row["relevant"])
                if not relevant or args.readings_only:
                    continue
                typed = swapped(row["query"])
                results: dict[str, SearchResult] = {}
                by_reading: dict[str | None, SearchResult] = {}  # a variant reading the query alike searches alike
                for variant, wide in VARIANTS:
                    LEVERS["keyboard_layout_language_words"] = wide
                    reading = retriever.read_layout(typed)
                    if reading not in by_reading:
                        by_reading[reading] = retriever.search(typed, lang=row["lang"], limit=10)
                    results[variant] = by_reading[reading]
                if any(r.typed_query is not None for r in results.values()):
                    results["off"] = retriever.search(typed, lang=row["lang"], limit=10, verbatim=True)
                else:
                    results["off"] = results[VARIANTS[0][0]]
                s = stats[row["lang"]]
                s["n"] += 1
                for name, result in results.items():
                    s[f"read_{name}"] += result.typed_query is not None
                    rank = rank_of(result, relevant)
                    s[f"mrr_{name}"] += 1 / rank if rank else 0.0
                    s[f"found_{name}"] += rank is not None
            for lang, s in sorted(stats.items()):
                n = s["n"]
                lines.append(
                    f"{domain.name:6} {set_name:8} {lang}  {int(n):4}  read {s['read_index'] / n:5.1%} / "
                    f"{s['read_words'] / n:5.1%}  MRR@10 {s['mrr_off'] / n:.3f} -> {s['mrr_index'] / n:.3f} / "
                    f"{s['mrr_words'] / n:.3f}  found@10 {s['found_off'] / n:5.1%} -> {s['found_index'] / n:5.1%} / "
                    f"{s['found_words'] / n:5.1%}"
                )
        LEVERS["keyboard_layout_language_words"] = VARIANTS[0][1]
        engine.close()
    print(
        "\nswapped queries (answerable rows): domain, set, lang, n, read as wrong-layout (index words / + language"
        " words), MRR@10 and found@10 off -> on (index words / + language words)"
    )
    print("\n".join(lines))
    print("\nread_layout, ms per query (median, p95; index words as shipped):")
    for name, times in costs.items():
        ordered = sorted(times)
        print(f"  {name:28} {statistics.median(ordered):6.2f} {ordered[int(len(ordered) * 0.95) - 1]:6.2f}")
    print(f"\nrows as typed read as wrong-layout (false readings): {len(false_readings)}")
    print("\n".join(false_readings))
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
