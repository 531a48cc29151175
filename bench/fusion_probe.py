"""Hybrid MRR@10 of several query sets under several settings, one index opened once.

`PYTHONPATH=. python bench/fusion_probe.py --sets slice-ar,dev-ar --configs 'base;lex=0.6;use=0.3,k=30;-own_titles'`:
each config is comma-separated `use=W`, `e5=W`, `lex=W` (the query language's RRF weights), `k=N` (rrf_k),
`x.use=W` ... (the fallback's CROSS_LINGUAL_WEIGHTS),
`slug=W` (copilot.slug_words.SLUG_CREDIT), `common=S`, `sharpen=G`, `rare=S` (copilot.common_terms, with
`+common_terms`), `brand=S` (names printed by at least share S of the articles leave no intent), `-lever` /
`+lever` (a LEVERS flip), `only=e5` (one source alone, as the suite's single-model modes); `base` is the product
as configured. For reading a new dev slice's failures
against the old dev set in one process (issue #18), never for held-out queries.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

import copilot.retrieval as retrieval_module
from bench.eval_retrieval import filtered_content, load_queries, rank_of
from copilot import common_terms, slug_words
from copilot.engine import Engine
from copilot.retrieval import LEVERS
from kb.settings import Settings

SETS = {
    "slice-ar": ("tests/eval/m365_customer_queries.jsonl", "ar"),
    "slice-en": ("tests/eval/m365_customer_queries.jsonl", "en"),
    "dev-ar": ("tests/eval/m365_queries.jsonl", "ar"),
    "dev-en": ("tests/eval/m365_queries.jsonl", "en"),
    "demo-ar": ("tests/eval/dev_queries.jsonl", "ar"),
    "demo-en": ("tests/eval/dev_queries.jsonl", "en"),
    "gnome-en": ("tests/eval/gnome_queries.jsonl", "en"),
    "gnome-ar": ("tests/eval/gnome_queries.jsonl", "ar"),
}


def query_set(name: str) -> tuple[str, str]:
    """A named set's question file and language, or `FILE:LANG` for any other file (xquad-dev's queries)."""
    if name in SETS:
        return SETS[name]
    path, _, lang = name.rpartition(":")
    if not path or not lang:
        raise ValueError(f"unknown set {name!r}: one of {', '.join(SETS)}, or FILE:LANG")
    return path, lang


ORIGINAL_INTENT = retrieval_module.intent_part


def name_shares(engine: Engine) -> dict[str, float]:
    """Each index name's share of the articles whose text prints it (in Latin letters)."""
    names = engine.retriever._names.get()
    texts: dict[object, list[str]] = {}
    for p in engine.store.payloads(("key", "title", "text")):
        texts.setdefault(p.get("key"), []).append(f"{p.get('title', '')} {p.get('text', '')}")
    df: Counter[str] = Counter()
    for chunks in texts.values():
        df.update({w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9+]*", " ".join(chunks))} & names)
    return {w: c / len(texts) for w, c in df.items()}


def apply(engine: Engine, config: str, lang: str) -> dict:
    """Set `config` on the retriever; returns what to restore."""
    retriever = engine.retriever
    saved = {
        "slug": slug_words.SLUG_CREDIT,
        "fusion": retriever.fusion,
        "k": retriever.rrf_k,
        "levers": dict(LEVERS),
        "cross": dict(retrieval_module.CROSS_LINGUAL_WEIGHTS),
        "common": (common_terms.COMMON_SHARE, common_terms.SHARPEN, common_terms.RARE_SHARE),
    }
    weights = dict(retriever.fusion.get(lang, retriever.fusion.get("*", {})))
    for part in filter(None, config.split(",")):
        if part == "base" or part.startswith("only="):  # `only=e5`: that source alone (read in main)
            continue
        if part[0] in "+-":
            LEVERS[part[1:]] = part[0] == "+"
            continue
        name, _, value = part.partition("=")
        if name == "brand":  # names at least this share of the articles print are not a frame
            brand = frozenset(w for w, s in name_shares(engine).items() if s >= float(value))
            retrieval_module.intent_part = lambda q, names, known=frozenset(), b=brand: ORIGINAL_INTENT(  # type: ignore[misc]
                q, names - b, known
            )
            continue
        if name in ("common", "sharpen", "rare"):  # copilot.common_terms' COMMON_SHARE, SHARPEN, RARE_SHARE
            constant = {"common": "COMMON_SHARE", "sharpen": "SHARPEN", "rare": "RARE_SHARE"}[name]
            setattr(common_terms, constant, float(value))
            retriever._chunk_frequencies.get()
            continue
        if name == "slug":  # copilot.slug_words.SLUG_CREDIT
            slug_words.SLUG_CREDIT = float(value)
            continue
        if name.startswith("x."):  # the missing-translation fallback's weights (CROSS_LINGUAL_WEIGHTS)
            retrieval_module.CROSS_LINGUAL_WEIGHTS[{"lex": "lexical"}.get(name[2:], name[2:])] = float(value)
            continue
        if name == "k":
            retriever.rrf_k = int(value)
        else:
            weights[{"lex": "lexical"}.get(name, name)] = float(value)
    retriever.fusion = {**retriever.fusion, lang: weights}
    return saved


def restore(engine: Engine, saved: dict) -> None:
    engine.retriever.fusion, engine.retriever.rrf_k = saved["fusion"], saved["k"]
    LEVERS.update(saved["levers"])
    slug_words.SLUG_CREDIT = saved["slug"]
    common_terms.COMMON_SHARE, common_terms.SHARPEN, common_terms.RARE_SHARE = saved["common"]
    retrieval_module.CROSS_LINGUAL_WEIGHTS.clear()
    retrieval_module.CROSS_LINGUAL_WEIGHTS.update(saved["cross"])
    retrieval_module.intent_part = ORIGINAL_INTENT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=Path("var/bench/m365-content"))
    parser.add_argument("--data", type=Path, default=Path("var/bench/m365"))
    parser.add_argument("--content-langs", default=None, help="index only these content languages (demo: ar)")
    parser.add_argument("--sets", default="slice-ar,dev-ar")
    parser.add_argument("--configs", default="base")
    parser.add_argument("--show", action="store_true", help="print each query whose rank moves from the first config")
    args = parser.parse_args()
    content = args.content
    if args.content_langs:  # the suite's one-language copy (bench/eval_retrieval.py suite_cases)
        content = filtered_content(args.content, args.content_langs.split(","), Path(tempfile.mkdtemp()) / "content")
    engine = Engine(Settings.from_env(content_dir=content, data_dir=args.data))
    engine.index(show_progress=None)
    engine.retriever.search("warm up", lang="ar")
    sets = {name: load_queries(Path(query_set(name)[0]), {query_set(name)[1]}) for name in args.sets.split(",")}
    sets = {name: [r for r in rows if r["relevant"]] for name, rows in sets.items()}
    first: dict[str, list] = {}
    for config in args.configs.split(";"):
        started = time.perf_counter()
        figures = []
        for name, rows in sets.items():
            lang = query_set(name)[1]
            saved = apply(engine, config, lang)
            search = engine.retriever.search
            only = next((p[5:] for p in config.split(",") if p.startswith("only=")), None)
            ranks = [rank_of(search(r["query"], lang=lang, limit=10, only=only), set(r["relevant"])) for r in rows]
            restore(engine, saved)
            mrr = sum(1 / r for r in ranks if r) / len(ranks)
            figures.append(f"{name} {mrr:.3f}")
            if name in first and args.show:
                for row, a, b in zip(rows, first[name], ranks, strict=True):
                    if a != b:
                        print(f"    {name}: {a} -> {b}  {row['query']}")
            first.setdefault(name, ranks)
        print(f"{config:40} {'  '.join(figures)}  ({time.perf_counter() - started:.0f} s)", flush=True)
    engine.close()


if __name__ == "__main__":
    main()
