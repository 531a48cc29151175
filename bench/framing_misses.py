"""The customer-framing class among retrieval misses (issue #18): the first result shares the query's named thing
(a product, feature, device) but not what it asks about it (refund, cancel, restore, can't sign in).

    PYTHONPATH=. python bench/eval_retrieval.py --suite --no-grids --misses /tmp/miss_dev.jsonl
    PYTHONPATH=. python bench/eval_retrieval.py --suite --no-grids --heldout 2 --misses /tmp/miss_r2.jsonl
    PYTHONPATH=. python bench/framing_misses.py /tmp/miss_dev.jsonl /tmp/miss_r2.jsonl [--rows] [--examples 10]

Reads `--misses` files (each hybrid question not ranked first, with its winner); runs no model. Each miss's query
terms are the lexical encoder's (stemmed, stopwords out), or, when the articles are in another language, the
retriever's bridge terms into that language (Expansion.cross_lingual_terms: what the fallback's field credit
reads). Against the winner's and the right page's title and tags (what the field credit reads), with W the
query terms the winner's fields hold and R the right page's:

- framing: W - R and R - W both non-empty: the winner holds a query word the right page's fields lack (the named
  thing) and the right page holds one the winner's lack (the intent). A title-side lever can reach these.
- framing, intent not in the title: W - R non-empty, R - W empty: the winner shares the thing, the right page's
  fields say nothing of the question the winner's do not; only the body or the models can tell them apart.
- right title holds more: W empty or inside R, R - W non-empty: not framing, the right title already says more.
- no title word: neither title holds a query term (paraphrase, dialect, a bridge that carries nothing).
- same words: W == R non-empty.

Each miss counts once, with the first relevant page as the right one. The MRR a class could give at most is what
ranking each of its misses first would add: sum(1 - 1/rank) over them (rank past 10 counts 0), printed per case for
the two framing classes; divide by the case's answerable questions (`n` of the suite's own lines) for MRR@10.
`--moved OFF ON [OFF ON ...]` instead lists the questions whose rank differs between two runs' `--misses` files
(a lever off, then on): a lever's rank moves, from the suite's own runs.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from bench.eval_retrieval import DOMAINS
from copilot.engine import Engine
from indexer.lexical import LexicalEncoder
from kb.settings import Settings

DATA = {"demo": Path("var/bench/demo"), "m365": Path("var/bench/m365"), "gnome": Path("var/bench/gnome")}
_FIELD = re.compile(r"^(title|tags): (.*)$", re.M)
CLASSES = (
    "framing",
    "framing, intent not in the title",
    "right title holds more",
    "no title word",
    "same words",
)


def fields(content: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(lang, article id) -> (title, title and tags as one text), from the content files' front matter."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for path in content.glob("*/**/*.md"):
        head = path.read_text("utf-8").split("\n---", 1)[0]
        found: dict[str, str] = {m.group(1): m.group(2) for m in _FIELD.finditer(head)}
        lang = path.relative_to(content).parts[0]
        title = found.get("title", "").strip().strip("\"'")
        out[(lang, path.stem)] = (title, f"{title} {found.get('tags', '').strip('[]').replace(',', ' ')}")
    return out


def langs_of(content: Path) -> list[str]:
    return sorted(p.name for p in content.iterdir() if p.is_dir() and not p.name.startswith("_"))


def classify(query: set[int], winner: set[int], right: set[int]) -> str:
    w, r = query & winner, query & right
    if w - r and r - w:
        return CLASSES[0]
    if w - r:
        return CLASSES[1]
    if r - w:
        return CLASSES[2]
    return CLASSES[4] if w else CLASSES[3]


def moved(files: list[Path]) -> None:
    """Each answerable question whose rank differs between the two `--misses` files of a pair (off, on): a question
    missing from a file was ranked first; "-" is past 10. Per case the sum of 1/rank's change, MRR@10 x n."""
    if len(files) % 2:
        raise SystemExit("--moved: give the files in pairs, lever off then on")
    for off_path, on_path in zip(files[::2], files[1::2], strict=True):
        runs = []
        for path in (off_path, on_path):
            rows = (json.loads(line) for line in path.read_text("utf-8").splitlines())
            runs.append({(r["domain"], r["case"], r["lang"], r["query"]): r for r in rows})
        off, on = runs
        delta: dict[tuple[str, str, str], float] = defaultdict(float)
        for key in sorted(off.keys() | on.keys()):
            before, after = (run[key]["rank"] if key in run else 1 for run in (off, on))
            if before == after:
                continue
            delta[key[:3]] += (1 / after if after else 0.0) - (1 / before if before else 0.0)
            row = off.get(key) or on[key]
            winner = on[key]["winner"] if key in on else row["relevant"][0]
            case = " ".join(key[:3])
            print(f"{on_path.stem:9} {case:28} {before or '-'} -> {after or '-'} (first: {winner}): {key[3]}")
        for case, value in sorted(delta.items()):
            print(f"{on_path.stem:9} {' '.join(case):28} sum of 1/rank change {value:+.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rows", action="store_true", help="print every miss with its class")
    parser.add_argument("--examples", type=int, default=10, help="framing misses printed with both titles")
    parser.add_argument("--moved", action="store_true", help="files are pairs (lever off, on): the ranks that moved")
    args = parser.parse_args()
    if args.moved:
        moved(args.files)
        return
    lexical = LexicalEncoder()
    contents = {d.name: d.content for d in DOMAINS}
    titles = {name: fields(path) for name, path in contents.items() if path.is_dir()}
    engines: dict[str, Engine] = {}
    counts: dict[tuple[str, str, str, str], Counter[str]] = defaultdict(Counter)
    gain: dict[tuple[str, ...], float] = defaultdict(float)
    examples: list[str] = []
    for path in args.files:
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            domain, lang = row["domain"], row["lang"]
            right_id = row["relevant"][0]
            if row["winner"] is None:  # nothing ranked at all
                counts[(path.stem, domain, row["case"], lang)][CLASSES[3]] += 1
                continue
            own = (lang, right_id) in titles[domain] and (lang, row["winner"]) in titles[domain]
            target = lang if own else next(g for g in langs_of(contents[domain]) if g != lang)
            if target == lang:
                terms = set(lexical.encode_query(row["query"], lang).indices)
            else:  # the bridge into the articles' language, as the fallback's field credit reads it
                if domain not in engines:
                    engines[domain] = Engine(Settings.from_env(content_dir=contents[domain], data_dir=DATA[domain]))
                bridge = engines[domain].retriever.cross_lingual_terms(row["query"], lang, target)
                terms = set(lexical.encode_query(bridge, target).indices)
            win_title, win_fields = titles[domain].get((target, row["winner"]), (row["title"] or "", ""))
            right_title, right_fields = titles[domain].get((target, right_id), ("", ""))
            cls = classify(
                terms,
                set(lexical.encode_query(win_fields, target).indices),
                set(lexical.encode_query(right_fields, target).indices),
            )
            key = (path.stem, domain, row["case"], lang)
            counts[key][cls] += 1
            rank = row["rank"]
            if cls in CLASSES[:2]:
                gain[(*key, cls)] += 1.0 - (1.0 / rank if isinstance(rank, int) and rank <= 10 else 0.0)
            if cls == CLASSES[0]:
                examples.append(
                    f"{path.stem:9} {domain:5} {lang} rank {rank}: {row['query']!r}\n"
                    f"    first: {row['winner']} ({win_title}) > right: {right_id} ({right_title})"
                )
            if args.rows:
                print(f"{path.stem:9} {domain:5} {lang} {cls:34} {row['winner']} > {right_id}: {row['query']}")
    print(f"{'file':9} {'domain':6} {'case':20} {'lang':4} {'misses':>6} " + " ".join(f"{c[:12]:>12}" for c in CLASSES))
    print(f"{'':48} then per framing class sum(1 - 1/rank): the most MRR@10 x n it could give")
    for key in sorted(counts):
        row_counts = counts[key]
        shown = " ".join(f"{row_counts[c]:>12}" for c in CLASSES)
        gains = " / ".join(f"{gain[(*key, c)]:.2f}" for c in CLASSES[:2])
        print(f"{key[0]:9} {key[1]:6} {key[2]:20} {key[3]:4} {sum(row_counts.values()):>6} {shown}  {gains}")
    total = Counter[str]()
    for row_counts in counts.values():
        total.update(row_counts)
    print(f"{'all':42} {sum(total.values()):>6} " + " ".join(f"{total[c]:>12}" for c in CLASSES))
    for line in examples[: args.examples] if args.examples else []:
        print(line)


if __name__ == "__main__":
    main()
