"""A learned re-ranking of the final candidates, studied offline: dump every suite query's features, then fit and score.

    PYTHONPATH=. python bench/rerank_fit.py dump --out var/rerank_features.jsonl   # one suite run, ~3 min
    PYTHONPATH=. python bench/rerank_fit.py fit --features var/rerank_features.jsonl [--model prior|plain|trees]
    PYTHONPATH=. python bench/rerank_fit.py probe --features var/rerank_features.jsonl

`dump` runs every query of bench/eval_retrieval.py's suite cases (both domains, every direction)
through the product's hybrid search with bench.rerank_features.instrument on its retriever, and
writes per query its case, labels, the product's own rank of the answer (its MRR@10 is the suite's)
and each final candidate's features (bench.rerank_features.NAMES). Nothing in the search changes.

`fit` scores a model per query kind ("same": a candidate in the query's language, "cross": only
other-language ones) two ways, MRR@10 per case as the change from the product's: fitted on one
domain and scored on the other (the transfer: what a new help center can expect), and by 5-fold
cross-validation within each domain. Models:
- prior: pairwise logistic regression over feature differences (the answer against each candidate
  within four places of it) with the product's order as a fixed offset (`--w0` per place) and L2
  (`--lam`) pulling the other weights to 0, i.e. toward the product's order; `--top` re-sorts only
  the first N candidates.
- plain: the same without the offset, the product's rank as one more (regularised) feature (`--c`).
- trees: a pointwise gradient-boosted classifier (nonlinear; only a check that the features hold
  signal a linear model misses).
`probe` moves one feature at a time by a small weight in either direction, the product's order as
the offset: which single piece of evidence the product's order underweights on both domains.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from bench.rerank_features import NAMES, instrument

Model = Callable[[Sequence[dict]], Callable[[dict], int | None]]  # fit on rows -> the answer's new rank per row
PAIR_WINDOW = 4  # places between the answer and a candidate it is paired with


def dump(out: Path, domains: Sequence[str]) -> None:
    from bench.eval_retrieval import DOMAINS, rank_of, suite_cases

    cases = suite_cases([d for d in DOMAINS if d.name in domains], Path("var/bench"))
    last: dict = {}

    def record(query: str, lang: str, kind: str, keys: list[str], features: np.ndarray) -> None:
        last.update(kind=kind, keys=keys, features=features.round(5).tolist())

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as sink:
        for case in cases:
            instrument(case.engine.retriever, record)
            case.engine.retriever.wait_for_views()  # title vectors and name lists built: the same features every run
            for row in case.rows:
                last.clear()
                result = case.engine.retriever.search(row["query"], lang=row["lang"], limit=10)
                line = {
                    "domain": case.domain,
                    "case": case.name,
                    "lang": row["lang"],
                    "query": row["query"],
                    "relevant": row["relevant"],
                    "rank": rank_of(result, set(row["relevant"])),
                    "abstained": result.abstained,
                    **{"kind": None, "keys": [], "features": [], **last},
                }
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
            print(f"{case.domain} {case.name}: {len(case.rows)} queries")
    for case in cases:
        case.engine.close()


def load(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["relevant"]]  # out-of-scope queries have no order to learn


def labels(row: dict) -> np.ndarray:
    relevant = set(row["relevant"])
    return np.array([key.split("/", 1)[1] in relevant for key in row["keys"]], dtype=bool)


def reranked(row: dict, score: np.ndarray, top: int) -> int | None:
    """The answer's rank once the first `top` candidates are re-sorted by `score` (ties keep the order)."""
    y = labels(row)
    n = len(y)
    k = min(top, n)
    order = sorted(range(k), key=lambda i: (-score[i], i)) + list(range(k, n))
    hits = [position for position, i in enumerate(order, 1) if y[i]]
    if hits:
        return hits[0]
    return row["rank"] if row["rank"] and row["rank"] > n else None


def pairs(rows: Sequence[dict], top: int) -> tuple[np.ndarray, np.ndarray]:
    """Feature differences (answer minus candidate) within PAIR_WINDOW places, and the places the
    product puts the answer ahead (negative when behind)."""
    diffs: list[np.ndarray] = []
    ahead: list[float] = []
    for row in rows:
        if not row["features"]:
            continue
        x, y = np.asarray(row["features"])[:top], labels(row)[:top]
        for i, j in itertools.product(np.flatnonzero(y), np.flatnonzero(~y)):
            if abs(i - j) <= PAIR_WINDOW:
                diffs.append(x[i] - x[j])
                ahead.append(float(j - i))
    return np.array(diffs).reshape(-1, len(NAMES)), np.array(ahead)


def prior_model(w0: float, lam: float, top: int) -> Model:
    def fit(rows: Sequence[dict]) -> Callable[[dict], int | None]:
        d, ahead = pairs(rows, top)
        if not len(d):
            return lambda row: row["rank"]

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            margin = w0 * ahead + d @ w
            grad = -(d * (1 / (1 + np.exp(margin)))[:, None]).sum(0) + lam * w
            return float(np.logaddexp(0, -margin).sum() + lam / 2 * w @ w), grad

        w = minimize(loss, np.zeros(len(NAMES)), jac=True, method="L-BFGS-B").x

        def rank(row: dict) -> int | None:
            if not row["features"]:
                return row["rank"]
            x = np.asarray(row["features"])
            return reranked(row, x @ w - w0 * np.arange(len(x)), top)

        return rank

    return fit


def plain_model(c: float) -> Model:
    from sklearn.linear_model import LogisticRegression

    def fit(rows: Sequence[dict]) -> Callable[[dict], int | None]:
        d, _ = pairs(rows, 10)
        if len(d) < 20:
            return lambda row: row["rank"]
        model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
        model.fit(np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))])
        w = model.coef_[0]
        return lambda row: reranked(row, np.asarray(row["features"]) @ w, 10) if row["features"] else row["rank"]

    return fit


def trees_model(depth: int, top: int) -> Model:
    from sklearn.ensemble import HistGradientBoostingClassifier

    def fit(rows: Sequence[dict]) -> Callable[[dict], int | None]:
        rows = [r for r in rows if r["features"]]
        x = np.vstack([np.asarray(r["features"])[:top] for r in rows])
        y = np.concatenate([labels(r)[:top] for r in rows])
        model = HistGradientBoostingClassifier(max_depth=depth, max_iter=50, learning_rate=0.05, l2_regularization=1.0)
        model.fit(x, y)

        def rank(row: dict) -> int | None:
            if not row["features"]:
                return row["rank"]
            return reranked(row, model.predict_proba(np.asarray(row["features"])[:top])[:, 1], top)

        return rank

    return fit


def mrr(ranks: Sequence[int | None]) -> float:
    return sum(1 / r for r in ranks if r and r <= 10) / max(len(ranks), 1)


def cases(rows: Sequence[dict]) -> list[tuple[str, str, str]]:
    return sorted({(r["domain"], r["case"], r["lang"]) for r in rows})


def gains(rows: Sequence[dict], ranks: dict[int, int | None]) -> list[tuple[float, float]]:
    """Per case, the product's MRR@10 and the re-ranked one."""
    out = []
    for case in cases(rows):
        chosen = [i for i, r in enumerate(rows) if (r["domain"], r["case"], r["lang"]) == case]
        out.append((mrr([rows[i]["rank"] for i in chosen]), mrr([ranks[i] for i in chosen])))
    return out


def by_kind(model: Model, train: Sequence[dict]) -> dict[str, Callable[[dict], int | None]]:
    return {kind: model([r for r in train if r["kind"] == kind]) for kind in ("same", "cross")}


def transfer(rows: Sequence[dict], model: Model) -> list[tuple[float, float]]:
    ranks: dict[int, int | None] = {}
    for domain in sorted({r["domain"] for r in rows}):
        fitted = by_kind(model, [r for r in rows if r["domain"] != domain])
        for i, r in enumerate(rows):
            if r["domain"] == domain:
                ranks[i] = fitted[r["kind"]](r) if r["kind"] else r["rank"]
    return gains(rows, ranks)


def cross_validated(rows: Sequence[dict], model: Model, folds: int = 5) -> list[tuple[float, float]]:
    ranks: dict[int, int | None] = {}
    for domain in sorted({r["domain"] for r in rows}):
        mine = [i for i, r in enumerate(rows) if r["domain"] == domain]
        for fold in range(folds):
            held = set(mine[fold::folds])
            fitted = by_kind(model, [rows[i] for i in mine if i not in held])
            for i in held:
                ranks[i] = fitted[rows[i]["kind"]](rows[i]) if rows[i]["kind"] else rows[i]["rank"]
    return gains(rows, ranks)


def in_sample(rows: Sequence[dict], model: Model) -> list[tuple[float, float]]:
    """Fitted on both domains and scored on the same queries: what the features can do at best."""
    fitted = by_kind(model, rows)
    return gains(rows, {i: fitted[r["kind"]](r) if r["kind"] else r["rank"] for i, r in enumerate(rows)})


def oracle(rows: Sequence[dict]) -> list[tuple[float, float]]:
    """Every answer among the candidates put first: the room a re-ranking of them has."""
    return gains(rows, {i: 1 if r["rank"] and r["rank"] <= len(r["keys"]) else r["rank"] for i, r in enumerate(rows)})


def header(rows: Sequence[dict]) -> str:
    short = {"cross-lingual": "cross", "same-language": "same", "cross-lingual en>ar": "cross"}
    names = [f"{domain} {short.get(case, case)} {lang}" for domain, case, lang in cases(rows)]
    return " | ".join(f"{n:>18}" for n in names)


def line(label: str, figures: list[tuple[float, float]]) -> str:
    return f"{label:34} " + " | ".join(f"{after:.3f} ({after - before:+.3f})" for before, after in figures)


def probe(rows: Sequence[dict], w0: float = 0.1) -> None:
    """One feature at a time at +-weight, the product's order an offset of w0 per place (a weight
    above w0 lets a feature's full difference move a candidate one place)."""
    product = gains(rows, {i: r["rank"] for i, r in enumerate(rows)})
    print(f"{'product':34} " + " | ".join(f"{before:.3f}         " for before, _ in product))
    for f, name in enumerate(NAMES):
        for weight in (-1.5 * w0, 1.5 * w0):
            w = np.zeros(len(NAMES))
            w[f] = weight
            ranks = {
                i: reranked(r, np.asarray(r["features"]) @ w - w0 * np.arange(len(r["features"])), 10)
                if r["features"]
                else r["rank"]
                for i, r in enumerate(rows)
            }
            print(line(f"{name} {weight:+.2f}", gains(rows, ranks)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--out", type=Path, default=Path("var/rerank_features.jsonl"))
    d.add_argument("--domains", default="demo,m365")
    for name in ("fit", "probe"):
        p = sub.add_parser(name)
        p.add_argument("--features", type=Path, default=Path("var/rerank_features.jsonl"))
        p.add_argument("--model", choices=("prior", "plain", "trees"), default="prior")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.domains.split(","))
        return
    rows = load(args.features)
    print(f"{len(rows)} answerable queries; MRR@10 after (change from the product's)")
    print(f"{'':34} {header(rows)}")
    print(line("oracle (answer first if a candidate)", oracle(rows)))
    if args.command == "probe":
        probe(rows)
        return
    grid: list[tuple[str, Model]]
    if args.model == "prior":
        grid = [
            (f"prior top={top} w0={w0} lam={lam}", prior_model(w0, lam, top))
            for top in (3, 10)
            for w0 in (0.5, 1.0)
            for lam in (3.0, 10.0, 30.0)
        ]
    elif args.model == "plain":
        grid = [(f"plain C={c}", plain_model(c)) for c in (0.01, 0.1, 1.0)]
    else:
        grid = [(f"trees depth={depth} top={top}", trees_model(depth, top)) for depth in (2, 3) for top in (3, 10)]
    for label, model in grid:
        print(line(f"{label} transfer", transfer(rows, model)))
        print(line(f"{label} 5-fold", cross_validated(rows, model)))
        print(line(f"{label} in-sample", in_sample(rows, model)), flush=True)


if __name__ == "__main__":
    main()
