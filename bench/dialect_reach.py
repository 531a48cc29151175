"""Which Arabic question words neither the index nor the dialect lexicon's MSA side knows (issue #18).

    PYTHONPATH=. python bench/dialect_reach.py            # every Arabic dev question of both domains
    PYTHONPATH=. python bench/dialect_reach.py --no-rank  # the words only (no models loaded)

For each Arabic question of the demo dev set, the m365 dev set and the m365 customer slice: its hybrid rank,
the words of three letters or more (the vocabulary's least) that the index's Arabic articles do not print
(folded as the lexical side folds them), split into
words the lexicon reads as dialect (kb.arabic.is_dialect_word: rewritten to MSA before search) and the rest
(neither the index nor the lexicon knows them: the dense models see them as typed). Then each unknown word
with how many questions type it and their ranks. It tells the reach of a lexicon change before it is written:
a word no question types cannot move a figure, and a word of a question ranked first can only cost.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from bench.eval_retrieval import load_queries, rank_of
from copilot.engine import Engine
from copilot.expansion import fold
from kb.arabic import DIALECT_TO_MSA, dialect_to_msa, is_dialect_word
from kb.settings import Settings

SETS = (  # name, queries, content, index
    ("demo", Path("tests/eval/dev_queries.jsonl"), Path("content"), Path("var/bench/demo")),
    ("m365", Path("tests/eval/m365_queries.jsonl"), Path("var/bench/m365-content"), Path("var/bench/m365")),
    ("slice", Path("tests/eval/m365_customer_queries.jsonl"), Path("var/bench/m365-content"), Path("var/bench/m365")),
)
MSA_SIDE = frozenset(w for msa in DIALECT_TO_MSA.values() for w in fold(msa))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-rank", action="store_true", help="skip the searches (no models loaded)")
    parser.add_argument("--all", action="store_true", help="print every question, not only those with unknown words")
    args = parser.parse_args()
    engines: dict[Path, Engine] = {}
    embedders = None
    unknown: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
    for name, queries, content, data in SETS:
        if data not in engines:
            engines[data] = Engine(Settings.from_env(content_dir=content, data_dir=data), embedders)
            if not args.no_rank:
                engines[data].index(show_progress=None)
                embedders = engines[data].embedders
        engine = engines[data]
        vocabulary = engine.retriever.vocabulary
        assert vocabulary is not None
        known = vocabulary.known("ar")
        rows = [r for r in load_queries(queries, {"ar"}) if r["relevant"]]
        with_unknown = 0
        for row in rows:
            rank = None
            if not args.no_rank:
                rank = rank_of(engine.retriever.search(row["query"], lang="ar", limit=10), set(row["relevant"]))
            words = [
                w for w in fold(row["query"]) if w not in known and len(w) >= 3 and not w.isascii() and not w.isdigit()
            ]
            dialect = [w for w in words if is_dialect_word(w)]
            rest = [w for w in words if not is_dialect_word(w) and w not in MSA_SIDE]
            for word in rest:
                unknown[word].append((name, rank))
            with_unknown += bool(rest)
            if rest or args.all:
                msa = dialect_to_msa(row["query"])
                print(
                    f"{name:5} {row.get('kind', ''):10} rank {rank!s:4} unknown {' '.join(rest) or '-'}"
                    f" | dialect {' '.join(dialect) or '-'} | {row['query']}"
                    + (f" -> {msa}" if msa != row["query"] else "")
                )
        print(
            f"== {name}: {len(rows)} Arabic questions, {with_unknown} with a word neither index nor lexicon knows"
        )
    print("== unknown words by questions typing them (set:rank)")
    for word, seen in sorted(unknown.items(), key=lambda item: (-len(item[1]), item[0])):
        print(f"{len(seen):3} {word}  " + " ".join(f"{n}:{r}" for n, r in seen))


if __name__ == "__main__":
    main()
