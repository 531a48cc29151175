"""Where each dense model alone ranks the answer of an Arabic question over English-only articles (ar>en).

    PYTHONPATH=. python bench/xl_sources.py --domain gnome [--show]   # GNOME Help (English-only)
    PYTHONPATH=. python bench/xl_sources.py --domain demo [--show]    # the demo's English-only copy

For every answerable Arabic dev question: the hybrid rank (the product), and e5's and USE's own article ranks
over the English articles for three texts: the question as typed, the text the models embed
(Retriever._dense_text: dialect words read as MSA, loanwords read), and its content words (the words the
lexical index keeps, copilot.content_words). MRR@10 per kind is printed; `--show` lists each question the
hybrid does not rank first. Dev questions only (issue #18, bench/RESULTS.md "Session 20, gnomexl20").
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench.eval_retrieval import filtered_content, load_queries, open_engine, rank_of
from copilot.content_words import content_text
from copilot.engine import Engine
from indexer.stores.base import PayloadFilter, Source, StoreQuery

DEPTH = 60  # chunks per model query, read as articles


def model_ranks(engine: Engine, text: str, relevant: set[str]) -> dict[str, int | None]:
    """Each model's rank of the first relevant article over the English chunks, `text` embedded as a query."""
    english = PayloadFilter(langs=("en",))
    out: dict[str, int | None] = {}
    for name, vector in engine.retriever.query_vectors(text).items():
        query = StoreQuery((Source(name, vector, english),), english, limit=DEPTH, payload_fields=("article_id",))
        articles: list[str] = []
        for hit in engine.store.query([query])[0]:
            article = str(hit.payload.get("article_id"))
            if article not in articles:
                articles.append(article)
        out[name] = next((i for i, a in enumerate(articles, 1) if a in relevant), None)
    return out


def mrr(ranks: list[int | None]) -> float:
    return statistics.mean(1 / r if r and r <= 10 else 0.0 for r in ranks) if ranks else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", choices=("gnome", "demo"), default="gnome")
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    if args.domain == "gnome":
        engine = open_engine(Path("var/bench/gnome-content"), Path("var/bench/gnome"), None)
        queries = Path("tests/eval/gnome_queries.jsonl")
    else:
        only = filtered_content(Path("content"), ["en"], Path(tempfile.mkdtemp()) / "content")
        engine = open_engine(only, Path("var/bench/demo-en"), None)
        queries = Path("tests/eval/dev_queries.jsonl")
    retriever = engine.retriever
    retriever.wait_for_views()
    rows = []
    for row in load_queries(queries, {"ar"}):
        relevant = set(row["relevant"])
        if not relevant:
            continue
        plan = retriever.plan(row["query"], lang="ar")
        dense = retriever._dense_text(plan)
        content = content_text(dense, lambda word: bool(retriever.lexical.encode_query(word, "ar"))) or dense
        texts = {"typed": row["query"], "dense": dense, "content": content}
        ranks = {label: model_ranks(engine, text, relevant) for label, text in texts.items()}
        hybrid = rank_of(retriever.search(row["query"], lang="ar", limit=10), relevant)
        rows.append((row, hybrid, ranks, content))
    kinds = sorted({str(r.get("kind", "-")) for r, *_ in rows})
    print(f"{'kind':10} {'n':>4} {'hybrid':>7}  " + "  ".join(f"{m}:{t:7}" for m in ("e5", "use") for t in texts))
    for kind in [*kinds, "all"]:
        chosen = [x for x in rows if kind == "all" or x[0].get("kind") == kind]
        cells = "  ".join(f"{mrr([x[2][t].get(m) for x in chosen]):11.3f}" for m in ("e5", "use") for t in texts)
        print(f"{kind:10} {len(chosen):>4} {mrr([x[1] for x in chosen]):7.3f}  {cells}")
    if args.show:
        for row, hybrid, ranks, content in rows:
            if hybrid != 1:
                print(row.get("kind"), hybrid, ranks, row["query"], "|", content)


if __name__ == "__main__":
    main()
