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

Each miss counts once, with the first relevant page as the right one. The MRR this class could give at most is
what ranking every framing miss first would add: sum(1 - 1/rank) over them (rank past 10 counts 0), per case
divided by the case's answerable questions, read from the suite's own output (`n` of its lines).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rows", action="store_true", help="print every miss with its class")
    parser.add_argument("--examples", type=int, default=10, help="framing misses printed with both titles")
    args = parser.parse_args()
    lexical = LexicalEncoder()
    contents = {d.name: d.content for d in DOMAINS}
    titles = {name: fields(path) for name, path in contents.items() if path.is_dir()}
    engines: dict[str, Engine] = {}
    counts: dict[tuple[str, str, str, str], Counter[str]] = defaultdict(Counter)
    gain: dict[tuple[str, str, str, str], float] = defaultdict(float)
    examples: list[str] = []
    for path in args.files:
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            domain, lang = row["domain"], row["lang"]
            right_id = row["relevant"][0]
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
            if cls == CLASSES[0]:
                gain[key] += 1.0 - (1.0 / rank if isinstance(rank, int) and rank <= 10 else 0.0)
                examples.append(
                    f"{path.stem:9} {domain:5} {lang} rank {rank}: {row['query']!r}\n"
                    f"    first: {row['winner']} ({win_title}) > right: {right_id} ({right_title})"
                )
            if args.rows:
                print(f"{path.stem:9} {domain:5} {lang} {cls:34} {row['winner']} > {right_id}: {row['query']}")
    print(f"{'file':9} {'domain':6} {'case':20} {'lang':4} {'misses':>6} " + " ".join(f"{c[:12]:>12}" for c in CLASSES))
    print(f"{'':48} framing: sum(1 - 1/rank), the most MRR x n it could give")
    for key in sorted(counts):
        row_counts = counts[key]
        shown = " ".join(f"{row_counts[c]:>12}" for c in CLASSES)
        print(f"{key[0]:9} {key[1]:6} {key[2]:20} {key[3]:4} {sum(row_counts.values()):>6} {shown}  {gain[key]:.2f}")
    total = Counter[str]()
    for row_counts in counts.values():
        total.update(row_counts)
    print(f"{'all':42} {sum(total.values()):>6} " + " ".join(f"{total[c]:>12}" for c in CLASSES))
    for line in examples[: args.examples] if args.examples else []:
        print(line)


if __name__ == "__main__":
    main()
