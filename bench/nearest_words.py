"""A question word the index never holds: are the dense models' nearest index words in the right article?

    PYTHONPATH=. python bench/nearest_words.py                 # both dev domains
    PYTHONPATH=. python bench/nearest_words.py --domains m365 --sample 40

Per dev domain, the Arabic questions over its Arabic articles and the English ones over its Arabic articles
(en>ar: the demo's English questions asked of its Arabic articles, m365's English questions): each question word
whose lexical terms no Arabic article holds (copilot.nearest_words.IndexWords.absent: the lexical index's
analyzer, stopwords, numbers, short and dialect-list words left out) gets its K nearest index words by e5 and by
USE (cosine over the embedded vocabulary: the words at least MIN_ARTICLES articles hold). Printed: the vocabulary
and what embedding it cost, a sample of words and neighbours, and per model and neighbour rank how often the
neighbour is in a relevant article of the question, beside the rate for a random article (the neighbour's
article share, df / N: what chance alone gives), overall, per cosine band of the first neighbour, and for the
Arabic questions hybrid search does not rank first ("bridges": the neighbour is in a relevant article and not in
the first result's). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.eval_retrieval import DOMAINS, chosen_domains, load_queries, open_engine
from copilot.nearest_words import PAYLOAD_FIELDS, IndexWords, WordVectors, unit
from copilot.term_table import TermMiner

K = 5
AGREE = 3
BANDS = {
    "e5": (0.80, 0.85, 0.88, 0.90, 0.92, 1.01),
    "use": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01),
    "both": (0.80, 0.85, 0.88, 0.90, 0.92, 1.01),  # e5's cosine
}


def article_terms(miner: TermMiner, payloads: list[dict], lang: str) -> dict[str, set[int]]:
    """Each article of `lang` (by id) and the term ids of its title, headings and body."""
    out: dict[str, set[int]] = defaultdict(set)
    for row in payloads:
        if row.get("lang") != lang:
            continue
        path = row.get("heading_path")
        headings = [str(h) for h in path] if isinstance(path, list) else []
        text = " ".join([str(row.get("title", "")), *headings, str(row.get("text", ""))])
        out[str(row.get("key", "")).split("/", 1)[-1]] |= miner.terms(text, lang)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--min-articles", type=int, default=2)
    args = parser.parse_args()
    embedders = None
    rng = random.Random(18)
    for domain in chosen_domains(args.domains.split(",")):
        engine = open_engine(domain.content, Path("var/bench") / domain.name, embedders)
        embedders = engine.embedders
        models = {e.name: e for e in embedders}
        miner = TermMiner(engine.retriever.lexical)
        payloads = engine.store.payloads(PAYLOAD_FIELDS)
        started = time.perf_counter()
        index_words = IndexWords.of(miner, payloads, args.min_articles)
        print(f"\n== {domain.name}: vocabulary {time.perf_counter() - started:.1f} s; " + ", ".join(
            f"{lang} {len(index_words.held[lang])} terms, {len(ws)} in >= {args.min_articles} articles "
            f"of {index_words.articles[lang]}" for lang, ws in index_words.words.items()
        ))
        lang = "ar"
        vocab = {lang: index_words.words[lang]}
        matrices = {}
        for name, embedder in models.items():
            tracemalloc.start()
            started = time.perf_counter()
            matrices[name] = WordVectors(embedder).build(vocab)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"{name}: {len(vocab[lang])} words embedded in {time.perf_counter() - started:.1f} s, "
                  f"matrix {matrices[name].nbytes / 1e6:.1f} MB, traced peak {peak / 1e6:.1f} MB")
        terms = article_terms(miner, payloads, lang)
        rows = [r for r in load_queries(domain.queries, None) if r["relevant"]]
        sets = {"ar": [r for r in rows if r["lang"] == "ar"], "en>ar": [r for r in rows if r["lang"] == "en"]}
        for set_name, asked in sets.items():
            if not asked:
                continue
            firsts: dict[str, str | None] = {}
            if set_name == "ar":  # hybrid's first result, for the misses' bridges
                for row in asked:
                    hits = engine.retriever.search(row["query"], lang="ar", limit=10).results
                    firsts[row["query"]] = hits[0].id if hits else None
            words = [(row, w) for row in asked for w in index_words.absent(row["query"], lang, miner)]
            print(f"\n-- {domain.name} {set_name}: {len(asked)} answerable questions, "
                  f"{len({id(r) for r, _ in words})} with an absent word, {len(words)} absent words")
            if not words:
                continue
            unique = sorted({w for _, w in words})
            found = {}
            for name, embedder in models.items():
                vectors = unit(embedder.embed_queries(unique))
                found[name] = dict(zip(unique, matrices[name].nearest(vectors, lang, K), strict=True))
            if {"e5", "use"} <= found.keys():  # a neighbour both models put within their first AGREE
                use_top = {word: {u for u, _ in found["use"][word][:AGREE]} for word in unique}
                found["both"] = {w: [(n, c) for n, c in found["e5"][w][:AGREE] if n in use_top[w]] for w in unique}
            for row, word in rng.sample(words, min(args.sample, len(words))):
                line = "  ".join(
                    f"{name} " + ", ".join(f"{w} {s:.2f}" for w, s in found[name][word][:3]) for name in found
                )
                print(f"  {word:14} | {line}   [{row['query']}]")
            n_art = index_words.articles[lang]
            df = index_words.df[lang]
            for name in found:
                hit = defaultdict(list)  # rank -> [in a relevant article]
                chance = defaultdict(list)
                bands: dict[float, list[tuple[bool, float]]] = defaultdict(list)
                bridges = [0, 0, 0]  # miss words, neighbour in relevant, ... and not in the first result
                for row, word in words:
                    relevant = [terms.get(a, set()) for a in row["relevant"]]
                    for rank, (neighbour, score) in enumerate(found[name][word], 1):
                        ids = set(miner.term_ids(neighbour, lang))
                        inside = any(ids & t for t in relevant)
                        p = df.get(neighbour, 0) / n_art
                        hit[rank].append(inside)
                        chance[rank].append(1 - (1 - p) ** len(relevant))
                        if rank == 1:
                            top = next(b for b in BANDS[name] if score < b)
                            bands[top].append((inside, 1 - (1 - p) ** len(relevant)))
                            first = firsts.get(row["query"])
                            if set_name == "ar" and first not in row["relevant"]:
                                bridges[0] += 1
                                bridges[1] += inside
                                bridged = inside and not (ids & terms.get(first or "", set()))
                                bridges[2] += bridged
                                if bridged:
                                    print(f"    {name} bridge: {word} -> {neighbour} {score:.2f}  [{row['query']}]")
                print(f"  {name}: {sum(bool(found[name][w]) for _, w in words)} words with a neighbour; " + "; ".join(
                    f"rank {r} in a relevant article {np.mean(hit[r]):.0%} (chance {np.mean(chance[r]):.0%})"
                    for r in sorted(hit)
                ))
                print(f"  {name} first neighbour by cosine: " + "; ".join(
                    f"< {b:.2f}: {len(v)} words, {np.mean([x for x, _ in v]):.0%} "
                    f"(chance {np.mean([c for _, c in v]):.0%})"
                    for b, v in sorted(bands.items())
                ))
                if set_name == "ar":
                    print(f"  {name} misses' absent words {bridges[0]}: first neighbour in a relevant article "
                          f"{bridges[1]}, of those not in the first result {bridges[2]}")


if __name__ == "__main__":
    main()
