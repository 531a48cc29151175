"""Candidate cross-lingual abstention signals, question by question (issue #18, bench/RESULTS.md "Session 18, xabst8").

    PYTHONPATH=. python bench/xabst_probe.py --domains demo --json var/xcal/probe_demo.json   # collect (floors off)
    PYTHONPATH=. python bench/xabst_probe.py --read var/xcal/probe_demo.json var/xcal/probe_m365.json
    PYTHONPATH=. python bench/xabst_probe.py --domains demo --quick --json var/xcal/words_demo.json  # (e) only

Collected per cross-lingual question (only another language answers; dev and near-topic): the result's articles and
fused scores, the first articles of the query variants the product builds (its MSA/loanword reading, its intent
without product names) and of the question with each word left out, and every chunk's USE and e5 cosine in the
article language. `--read` prints per case each candidate's AUC (answerable above out-of-scope) and what it adds to
the product's rule as an OR-ed floor (the most out-of-scope questions within 4.9% of answerable, title names exempt),
with the near-topic share it then flags. Candidates, as the brief named them: (a) agreement of the first article over
the variants (`var_top1`, `loo_top1`, `loo_top3`); (b) the first article's rank among each dense model's chunks
(`rank_use`, `rank_e5`); (c) the fused score of the first article (`fused_top`) and its drop to the k-th (`gap_k`);
(d) section concentration of the first article's chunk cosines (`sec_soft_*`, `sec_conc_*`) and its best chunk
against the question's own background over every chunk (`z_first_*`, `z_top_*`, `lift_*`); (e) the typed words that
alone reach the first article's title or headings (`word_reach`) and how ordinary they are in the language
(kb.word_commonness; `carrier_*`, `reach_*`, `ordinary_share`, Session 19, commonwords9). `--quick` collects the
result and (e) only. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

from bench.eval_retrieval import (
    DOMAINS,
    PRODUCT_RULE_SIGNALS,
    add_heldout_argument,
    chosen_domains,
    direction,
    direction_shares,
    product_rule,
    suite_cases,
)
from copilot.heading_floor import best_heading
from copilot.query_vectors import unit
from copilot.retrieval import fused_places
from indexer.stores.base import PayloadFilter, Source, StoreQuery
from kb.arabic import has_arabic
from kb.word_commonness import is_ordinary, zipf

BUDGET = 0.049  # the answerable share an OR-ed floor may flag in all: under the 5%


def chunk_scores(store, vector: np.ndarray, model: str, target: str, limit: int) -> list[tuple[str, float]]:
    query = StoreQuery(
        (Source(model, vector, PayloadFilter(langs=(target,))),), PayloadFilter(), limit=limit,
        payload_fields=("key",),
    )
    return [(str(h.payload.get("key", "")), float(h.score)) for h in store.query([query])[0]]


def word_reach(retriever, query: str, lang: str, key: str, target: str) -> list[tuple[str, float]]:
    """Each typed word of `query` (three letters or more, not a stopword of the lexical analyzer, not a number)
    alone against article `key`'s title and headings in `target`: USE's best cosine (copilot.heading_floor), in
    the order typed; [] until the title vectors are built."""
    views = [retriever._titles, retriever._more_titles.get("headings")]
    matrices = [matrix for view in views if view is not None and (matrix := view.peek()) is not None]
    out: list[tuple[str, float]] = []
    for word in dict.fromkeys(re.findall(r"\w{3,}", query)) if matrices else ():
        if word.isdigit() or not retriever.lexical.encode_query(word, lang).indices:
            continue
        vector = retriever.query_vectors(word, "use").get("use")
        score = best_heading(matrices, key, target, unit(vector)) if vector is not None else None
        if score is not None:
            out.append((word, score))
    return out


def probe(case, row: dict, target: str, limit: int, quick: bool = False) -> dict:
    retriever = case.engine.retriever
    query, lang = row["query"], row["lang"]
    result = retriever.search(query, lang=lang, limit=10)
    keys = [h.key for h in result.results]
    out: dict = {
        "keys": keys,
        "scores": [h.score for h in result.results],
        "rrf_k": retriever.rrf_k,
        "signals": dict(result.signals),
        "variants": {},
        "loo": [],
    }
    # (e) each typed word alone against the first article's title and headings, and how ordinary it is
    reach = word_reach(retriever, query, lang, keys[0], target) if keys else []
    spoken = [(word, "ar" if has_arabic(word) else "en") for word, _ in reach]  # "return" typed in Arabic is English
    out["reach"] = [(w, s, zipf(w, lg), is_ordinary(w, lg)) for (w, lg), (_, s) in zip(spoken, reach, strict=True)]
    if quick:
        return {**out, "quick": True}
    plan = retriever.plan(query, lang)
    dense = retriever._dense_text(plan)
    intent = retriever._intent_text(plan)
    variants = {}
    for name, text in (("dense", dense), ("intent", intent)):
        if text and text.strip() and text.strip() != query.strip():
            hits = retriever.search(text, lang=lang, limit=10).results
            variants[name] = [h.key for h in hits[:3]]
    words = query.split()
    loo = []
    if len(words) >= 2:
        for i in range(len(words)):
            hits = retriever.search(" ".join(words[:i] + words[i + 1 :]), lang=lang, limit=10).results
            loo.append([h.key for h in hits[:3]])
    out["variants"], out["loo"] = variants, loo
    vectors = retriever.query_vectors(dense)
    for model in ("use", "e5"):
        if model in vectors:
            out[f"chunks_{model}"] = chunk_scores(case.engine.store, vectors[model], model, target, limit)
    return out


def _first_article_rank(chunks: list[tuple[str, float]], key: str) -> int:
    order = list(dict.fromkeys(k for k, _ in chunks))
    return order.index(key) + 1 if key in order else len(order) + 1


def features(row: dict) -> dict[str, float]:
    """Every candidate's value for one collected question (higher: more like an answerable question)."""
    keys, scores = row["keys"], np.array(row["scores"])
    if not keys:
        return {}
    first = keys[0]
    out = {"fused_top": fused_places(float(scores[0]), row.get("rrf_k", 10))}  # the tuning's k when collected
    for k in (2, 3, 5, 10):
        if len(scores) >= k:
            out[f"gap_{k}"] = float((scores[0] - scores[k - 1]) / scores[0])
    variants = [*row["variants"].values(), *row["loo"]]
    if not row.get("quick"):  # collected without the variants: no agreement to read
        out["var_top1"] = float(np.mean([bool(v) and v[0] == first for v in variants])) if variants else 1.0
    out.update(reach_features(row.get("reach") or [], row["signals"].get("cross_heading_top")))
    if row["loo"]:
        out["loo_top1"] = float(np.mean([bool(v) and v[0] == first for v in row["loo"]]))
        out["loo_top3"] = float(np.mean([first in v for v in row["loo"]]))
    for model in ("use", "e5"):
        chunks = row.get(f"chunks_{model}")
        if not chunks:
            continue
        values = np.array([s for _, s in chunks])
        mine = np.array([s for k, s in chunks if k == first])
        median, spread = float(np.median(values)), float(values.std()) or 1e-3
        out[f"rank_{model}"] = -float(_first_article_rank(chunks, first))
        out[f"z_top_{model}"] = (values.max() - median) / spread
        out[f"lift_{model}"] = float((values.max() - np.quantile(values, 0.99)) / max(values.max() - median, 1e-3))
        if len(mine):
            out[f"z_first_{model}"] = (mine.max() - median) / spread
            out[f"sec_conc_{model}"] = float((mine.max() - mine.mean()) / max(mine.max() - median, 1e-3))
            soft = np.exp((mine - mine.max()) * 20)
            out[f"sec_soft_{model}"] = float(soft.max() / soft.sum())
    return out


def reach_features(reach: list, heading_top: float | None) -> dict[str, float]:
    """(e) the words that alone reach the first article (word, cosine, Zipf, ordinary), read as candidates: the
    carrier's rarity (`carrier_rare`: minus its Zipf; `carrier_named`: 0 when it is ordinary, else 1), the rarest
    word within 0.05 of the carrier (`reach_rare`), and the carrier's share of the whole question's title-or-heading
    cosine when it is ordinary (`ordinary_share`: minus that share, 0 for a rare carrier)."""
    if not reach:
        return {}
    best = max(score for _, score, _, _ in reach)
    _, score, frequency, ordinary = max(reach, key=lambda r: r[1])
    near = [r for r in reach if r[1] >= best - 0.05]
    out = {
        "carrier_rare": -frequency,
        "carrier_named": 0.0 if ordinary else 1.0,
        "reach_rare": -min(r[2] for r in near),
        "reach_named": 0.0 if all(r[3] for r in near) else 1.0,
    }
    if heading_top:
        out["ordinary_share"] = -score / heading_top if ordinary else 0.0
    return out


def _auc(answerable: np.ndarray, oos: np.ndarray) -> float:
    if not len(answerable) or not len(oos):
        return float("nan")
    above = (answerable[:, None] > oos[None, :]).mean() + 0.5 * (answerable[:, None] == oos[None, :]).mean()
    return float(above)


def read(paths: list[Path]) -> None:
    dump: dict = {}
    for path in paths:
        dump.update(json.loads(path.read_text("utf-8")))
    for label, rows in dump.items():
        direction_ = tuple(label.split()[-1].partition(">")[::2])
        shares = direction_shares(direction_)  # type: ignore[arg-type]
        groups = {}
        for near in (False, True):
            part = [r for r in rows if bool(r.get("near")) == near]
            signals = np.array([[r["signals"].get(n, 0.0) for n in PRODUCT_RULE_SIGNALS] for r in part])
            rule = product_rule(signals, direction_, shares, fused=-np.inf) if part else np.zeros(0, bool)  # type: ignore[arg-type]
            named = signals[:, 3] > 0 if part else np.zeros(0, bool)
            groups[near] = (part, rule, named, [features(r) for r in part])
        dev, rule, named, found = groups[False]
        oos = np.array([not r["relevant"] for r in dev])
        near_rule, near_found = groups[True][1], groups[True][3]
        print(f"{label}: product rule {rule[oos].sum()}/{oos.sum()} out-of-scope at {rule[~oos].sum()}/{(~oos).sum()} "
              f"answerable, near-topic {near_rule.mean():.0%}")  # fmt: skip
        for name in sorted({n for f in found for n in f}):
            values = np.array([f.get(name, np.nan) for f in found])
            known = np.isfinite(values)
            best = (rule[oos].sum(), -rule[~oos].sum(), -np.inf)
            for floor in np.unique(values[known]) + 1e-9:
                flagged = rule | ((values < floor) & known & ~named)
                if flagged[~oos].mean() <= BUDGET and (flagged[oos].sum(), -flagged[~oos].sum()) > best[:2]:
                    best = (flagged[oos].sum(), -flagged[~oos].sum(), float(floor))
            near_values = np.array([f.get(name, np.nan) for f in near_found])
            near = (near_rule | (near_values < best[2])).mean() if len(near_values) else float("nan")
            print(f"  {name:12} AUC {_auc(values[known & ~oos], values[known & oos]):.3f}; OR-ed floor {best[2]:.3f}: "
                  f"{best[0]}/{oos.sum()} at {-best[1]}/{(~oos).sum()}, near-topic {near:.0%}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    parser.add_argument("--json", type=Path, help="collect: write every question's candidates here")
    parser.add_argument("--read", type=Path, nargs="+", help="read collected dumps: each candidate's figures")
    parser.add_argument("--limit", type=int, default=3000, help="chunks per dense model and question")
    parser.add_argument("--quick", action="store_true", help="collect the result and the words' reach (e) only")
    add_heldout_argument(parser)
    args = parser.parse_args()
    if args.read:
        read(args.read)
        return
    if args.json is None:
        parser.error("give --json (collect) or --read")
    cases = [
        c
        for c in suite_cases(chosen_domains(args.domains.split(","), args.heldout), Path("var/bench"))
        if c.name.startswith("cross-lingual")
    ]
    dump: dict = {}
    for case in cases:
        retriever = case.engine.retriever
        retriever.wait_for_views()
        floors, retriever.abstain_floors = retriever.abstain_floors, None
        target = direction(case).partition(">")[2]
        label = f"{case.domain} {direction(case)}"
        rows = [*case.rows, *({**r, "near": True} for r in case.near)]
        dump[label] = [{**r, **probe(case, r, target, args.limit, args.quick)} for r in rows]
        retriever.abstain_floors = floors
        print(label, len(rows), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dump, ensure_ascii=False), "utf-8")
    for case in cases:
        case.engine.close()


if __name__ == "__main__":
    main()
