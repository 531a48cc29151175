"""Per-index fusion weights from the index's own text (issue #18, session 39 selffit39): the offline check.

    PYTHONPATH=. nice -n 15 .venv/bin/python bench/self_fusion.py --json /tmp/selffit.json [--domains demo,m365,gnome]
    PYTHONPATH=. .venv/bin/python bench/self_fusion.py --read /tmp/selffit.json

For each dev domain's index (the suite's, var/bench/<domain>, warm) and each language it has articles in, label-free
pseudo-queries built from the index's own chunks (`pseudo_queries`: section headings other than the
title, and each section's first sentence with the title's words left out) are searched by each model alone (the
suite's single-model modes) and by the hybrid; a probe's answer is the article it was taken from. `--read` prints
each model's MRR@10 per index and language, its ratio to e5's, and the weights `fitted_weights`
derives from them against the demo's (the index the shipped weights were first fitted on).

Not wired into the ranking (no lever): the probes' model ratios do not differ by domain the way the labelled dev
questions' do (m365's say more BM25 than the demo's, its questions less), so the weights they give would move
m365 the wrong way (bench/RESULTS.md "Session 39, selffit39").
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.eval_retrieval import chosen_domains, domain_content, open_engine, rank_of
from copilot.fitted_fusion import fusion_weights
from copilot.self_calibration import CUSTOMER_LANGS, customer_wording
from copilot.tuning import FUSION_WEIGHTS

MODELS = ("e5", "use", "lexical")
MIN_WORDS = 3  # a probe of fewer words says too little to be a question
MAX_WORDS = 20  # a first sentence is cut to this many words
CLAMP = 2.0  # a fitted weight stays within [shipped / CLAMP, shipped * CLAMP]
SEED = 39

_SENTENCE_END = re.compile(r"[.!?؟\n]+")
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def first_sentence(text: str, title: str) -> str | None:
    """The first sentence of `text` with at least MIN_WORDS words once `title`'s words are left out (cut to
    MAX_WORDS words); None when no sentence has that many."""
    drop = set(_words(title))
    for sentence in _SENTENCE_END.split(text):
        kept = [w for w in sentence.split() if not set(_words(w)) <= drop]
        if len(kept) >= MIN_WORDS:
            return " ".join(kept[:MAX_WORDS])
    return None


def pseudo_queries(rows: Sequence[Mapping[str, object]], size: int) -> dict[str, list[tuple[str, str]]]:
    """Per kind ("heading", "sentence"), up to `size` (probe, article id) pairs drawn (seeded) from one language's
    chunk payloads ("article_id", "title", "heading_path", "text")."""
    headings: dict[str, str] = {}
    sentences: dict[str, str] = {}
    for row in rows:
        article, title = str(row.get("article_id", "")), str(row.get("title", ""))
        path = row.get("heading_path")
        heading = str(path[-1]) if isinstance(path, list) and path else ""
        if heading and heading.strip().lower() != title.strip().lower() and len(_words(heading)) >= 2:
            headings.setdefault(heading.strip(), article)
        if (sentence := first_sentence(str(row.get("text", "")), title)) is not None:
            sentences.setdefault(sentence, article)
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, pairs in (("heading", headings), ("sentence", sentences)):
        ordered = sorted(pairs.items())
        random.Random(f"{SEED}/{kind}").shuffle(ordered)
        if ordered:
            out[kind] = ordered[:size]
    return out


def mrr(ranks: Sequence[int]) -> float:
    """MRR of 1-based ranks, 0 for not found."""
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def fitted_weights(
    own: Mapping[str, float], reference: Mapping[str, float], shipped: Mapping[str, float]
) -> dict[str, float]:
    """The shipped weights with USE's and BM25's scaled by (model / e5 self-retrieval MRR on this index) over the
    same ratio on the reference index, clamped to CLAMP either way; e5's and any other key kept."""
    out = dict(shipped)
    for model in ("use", "lexical"):
        if model not in shipped or not own.get("e5") or not reference.get("e5") or not reference.get(model):
            continue
        factor = (own[model] / own["e5"]) / (reference[model] / reference["e5"])
        out[model] = round(shipped[model] * min(CLAMP, max(1 / CLAMP, factor)), 3)
    return out


def measure(args: argparse.Namespace) -> None:
    figures: list[dict] = []
    embedders = None
    for domain in chosen_domains(args.domains.split(",")):
        engine = open_engine(domain_content(domain), Path("var/bench") / domain.name, embedders)
        embedders = engine.embedders
        rows = engine.store.payloads(("lang", "article_id", "title", "heading_path", "text"))
        for lang in sorted({str(r["lang"]) for r in rows}):
            started = time.perf_counter()
            probes = pseudo_queries([r for r in rows if r.get("lang") == lang], args.size)
            if lang in CUSTOMER_LANGS:  # the same probes as a customer types them (the dialect list read backwards)
                rng = random.Random(f"{SEED}/{lang}/customer")
                for kind in list(probes):
                    probes[f"{kind}, customer"] = [(customer_wording(t, rng), a) for t, a in probes[kind]]
            for kind, pairs in probes.items():
                ranks: dict[str, list[int]] = {}
                for mode in (*MODELS, "hybrid"):
                    only = None if mode == "hybrid" else mode
                    ranks[mode] = [
                        rank_of(engine.retriever.search(text, lang=lang, limit=10, only=only), {answer}) or 0
                        for text, answer in pairs
                    ]
                figures.append({"domain": domain.name, "lang": lang, "kind": kind, "n": len(pairs), "ranks": ranks})
                print(
                    f"{domain.name} {lang} {kind} n={len(pairs)} "
                    + " ".join(f"{m} {mrr(r):.3f}" for m, r in ranks.items())
                    + f" ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    Path(args.json).write_text(json.dumps(figures, ensure_ascii=False))


def read(path: Path) -> None:
    figures = json.loads(path.read_text("utf-8"))
    by_index: dict[tuple[str, str, str], dict[str, float]] = {}
    for f in figures:
        by_index[(f["domain"], f["lang"], f["kind"])] = {m: mrr(r) for m, r in f["ranks"].items()}
    print("| domain | lang | probes | n | e5 | USE | BM25 | hybrid | USE/e5 | BM25/e5 | weights (USE, BM25) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for f in figures:
        key = (f["domain"], f["lang"], f["kind"])
        m = by_index[key]
        ref = by_index.get(("demo", f["lang"], f["kind"]))
        shipped = fusion_weights(FUSION_WEIGHTS, f["lang"], fitted=True)
        w = fitted_weights(m, ref, shipped) if ref else shipped
        print(
            f"| {f['domain']} | {f['lang']} | {f['kind']} | {f['n']} | {m['e5']:.3f} | {m['use']:.3f} | "
            f"{m['lexical']:.3f} | {m['hybrid']:.3f} | {m['use'] / m['e5']:.3f} | {m['lexical'] / m['e5']:.3f} | "
            f"{w['use']:.2f}, {w['lexical']:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json")
    parser.add_argument("--read", type=Path)
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--size", type=int, default=150)
    args = parser.parse_args()
    if args.read:
        read(args.read)
    else:
        measure(args)


if __name__ == "__main__":
    main()
