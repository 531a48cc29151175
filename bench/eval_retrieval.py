"""Retrieval quality of an index: Recall@1/5/10 and MRR@10 per language and per mode, plus latency.

    python bench/eval_retrieval.py --content content --queries tests/eval/dev_queries.jsonl
    python bench/eval_retrieval.py --content ../shared/eval/xquad-dev/content \
        --queries ../shared/eval/xquad-dev/queries.jsonl
    python bench/eval_retrieval.py --content content --content-langs en --query-langs ar  # cross-lingual
    python bench/eval_retrieval.py --suite --json bench/results/suite.json  # every domain, transfer
    python bench/eval_retrieval.py --suite --no-grids --heldout  # held-out round 1 instead of the dev queries
    python bench/eval_retrieval.py --suite --no-grids --heldout 2  # held-out round 2 (tests/eval/heldout/round2/)
    python bench/eval_retrieval.py --suite --no-grids --chunks 800/160  # other chunk sizes, var/bench-chunks-800-160

The suite indexes the demo help center, m365 (576 real Arabic Microsoft 365 articles, imported
from ../shared/corpora/m365-ar into var/bench/m365-content on first use; their embeddings stay in
var/bench/m365's cache, so only the first run embeds) and gnome (GNOME Help's 250 English topic pages,
Debian's gnome-user-docs, imported into var/bench/gnome-content on first use by bench/gnome_import.py),
runs each domain's dev queries in every mode, the cross-lingual cases (demo: Arabic queries over its English
articles only, and English queries over its Arabic articles only, m365's direction; m365: English queries over
its Arabic-only articles; gnome: Arabic queries over its English-only articles; cross-lingual floors are per
direction, so each is fitted on one domain and scored on the others of the same direction, and on the other
direction), then the transfer line: fusion weights and abstention floors fitted on one domain and scored on each
other domain asking that language, beside that domain's own fit. For the
cross-lingual cases too: the floors on raw USE cosines and on shares of the index's own scale
(copilot.calibration.cross_scales, printed per index, and per language pair where translated pairs
exist), the other languages' fusion weights (CROSS_GRID), and the mined term table held out (mined
from half the demo's translated pairs, scored on queries about the other half). Each case also asks its
domain's near-topic out-of-scope questions (tests/eval/near_scope_*.jsonl: in the help center's field, answered
by no article) and prints the share flagged; the near-topic floors (copilot.query_coverage) are fitted on each
domain and scored on each (bench/near_topic.py). `--no-grids` skips
the fusion grids (the slow part) when measuring a lever. `--heldout [N]` runs each domain's held-out
queries of round N (default 1: tests/eval/heldout/*.jsonl; round N > 1: tests/eval/heldout/roundN/, each
written once about its own seeded draw of articles) instead of its dev queries: they are for checking
that a lever generalises, never for tuning one.

A query file has one `{"lang", "query", "relevant": [article ids]}` per line; queries with no
relevant article are out-of-scope and are reported apart (how often something is still returned).
Modes: hybrid (the product), e5, use (dense alone), lexical (BM25 alone, Qdrant's IDF). Scores are
article-level: an article counts once, at the rank of its best chunk. Figures are printed and
written as JSON (`--json`); nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bench import gnome_import, m365_import
from bench.near_topic import RULES, near_data, near_topic_lines
from copilot import retrieval
from copilot.calibration import CrossScale, cross_scales
from copilot.engine import Engine
from copilot.fitted_fusion import FITTED_WEIGHTS
from copilot.heading_floor import HEADING_FLOOR
from copilot.learnt_floors import SIGNALS, fit_rule, flags
from copilot.retrieval import LEVERS, SearchResult, query_register
from copilot.term_table import PAYLOAD_FIELDS, TermMiner, TermTable
from copilot.typed_reading import better_reading
from indexer.cache import CACHE_FILE
from kb.settings import Settings

MODES = {"hybrid": None, "e5": "e5", "use": "use", "lexical": "lexical"}


def load_queries(path: Path, langs: set[str] | None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if langs is None or r["lang"] in langs]


def filtered_content(source: Path, langs: list[str], target: Path) -> Path:
    """Only these languages' articles, with the help center's own files (synonyms, categories).

    A help center missing translations still has its synonym groups; leaving them out would
    measure a help center that does not exist.
    """
    for lang in langs:
        shutil.copytree(source / lang, target / lang)
    for own in source.glob("_*.yml"):
        shutil.copy2(own, target / own.name)
    return target


def rank_of(result: SearchResult, relevant: set[str]) -> int | None:
    for position, hit in enumerate(result.results, 1):
        if hit.id in relevant:
            return position
    return None


def evaluate(
    engine: Engine,
    queries: list[dict],
    mode: str,
    lang_filter: bool,
    ranks: list | None = None,
    misses: list | None = None,
) -> dict:
    """`ranks`, when given, gets each answerable query's (row, rank) for the per-kind lines."""
    per_lang: dict[str, dict] = {}
    latencies: list[float] = []
    for row in queries:
        started = time.perf_counter()
        result = engine.retriever.search(
            row["query"], lang=row["lang"] if lang_filter else None, limit=10, only=MODES[mode]
        )
        latencies.append((time.perf_counter() - started) * 1000)
        stats = per_lang.setdefault(
            row["lang"], {"n": 0, "r1": 0, "r5": 0, "r10": 0, "mrr": 0.0, "oos": 0, "oos_flagged": 0, "false_flags": 0}
        )
        relevant = set(row["relevant"])
        if not relevant:
            stats["oos"] += 1
            stats["oos_flagged"] += result.abstained
            kind = stats.setdefault("oos_kinds", {}).setdefault(str(row.get("kind", "out-of-scope")), [0, 0])
            kind[0] += 1
            kind[1] += result.abstained
            continue
        stats["false_flags"] += result.abstained
        rank = rank_of(result, relevant)
        if ranks is not None:
            ranks.append((row, rank))
        if misses is not None and rank != 1:  # --misses: what came first instead, for reading the failures
            top = result.results[0] if result.results else None
            misses.append({**row, "mode": mode, "rank": rank, "winner": top and top.id, "title": top and top.title})
        stats["n"] += 1
        stats["r1"] += rank == 1
        stats["r5"] += rank is not None and rank <= 5
        stats["r10"] += rank is not None and rank <= 10
        stats["mrr"] += 1 / rank if rank else 0.0
    report = {}
    for lang, s in sorted(per_lang.items()):
        n = max(s["n"], 1)
        report[lang] = {
            "queries": s["n"],
            "recall@1": round(s["r1"] / n, 3),
            "recall@5": round(s["r5"] / n, 3),
            "recall@10": round(s["r10"] / n, 3),
            "mrr@10": round(s["mrr"] / n, 3),
            "out_of_scope": s["oos"],
            "abstained_out_of_scope": round(s["oos_flagged"] / max(s["oos"], 1), 3),
            "abstained_answerable": round(s["false_flags"] / n, 3),
            # round 3 splits out-of-scope into "out-of-scope-near" and "-off": flagged / asked per kind
            "abstained_by_kind": {kind: f"{hit}/{asked}" for kind, (asked, hit) in s.get("oos_kinds", {}).items()},
        }
    ordered = sorted(latencies)
    report["latency_ms"] = {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1], 1),
    }
    return report


def kind_lines(label: str, ranks: list[tuple[dict, int | None]]) -> list[str]:
    """MRR@10 per query kind and language (a slice such as "framing" read apart from the rest)."""
    groups: dict[tuple[str, str], list[float]] = {}
    for row, rank in ranks:
        groups.setdefault((str(row.get("kind", "-")), row["lang"]), []).append(1 / rank if rank else 0.0)
    return [
        f"{label} kind {kind:13} {lang:4} {len(v):>4}  R@1 {sum(x == 1.0 for x in v) / len(v):.3f}  "
        f"MRR@10 {statistics.mean(v):.3f}"
        for (kind, lang), v in sorted(groups.items())
    ]


# -- the side-by-side report: every domain, every case, and the transfer line ----------------------


@dataclass(frozen=True)
class Domain:
    """A help center and its dev queries; `importer` writes `content` (an imported help center) when it is missing.

    `heldout` holds round 1 of the queries nobody tunes on (tests/eval/heldout/README.md); round N > 1 sits
    beside it in roundN/ under the same file name. `--heldout [N]` scores them instead.
    """

    name: str
    content: Path
    queries: Path
    importer: Callable[[Path], object] | None = None  # bench/m365_import.import_into, bench/gnome_import.import_into
    heldout: Path | None = None
    near_scope: Path | None = None  # near-topic out-of-scope questions (bench/near_topic.py), dev data


DOMAINS = (
    Domain(
        "demo",
        Path("content"),
        Path("tests/eval/dev_queries.jsonl"),
        heldout=Path("tests/eval/heldout/demo.jsonl"),
        near_scope=Path("tests/eval/near_scope_demo.jsonl"),
    ),
    Domain(
        "m365",
        Path("var/bench/m365-content"),
        Path("tests/eval/m365_queries.jsonl"),
        m365_import.import_into,
        heldout=Path("tests/eval/heldout/m365.jsonl"),
        near_scope=Path("tests/eval/near_scope_m365.jsonl"),
    ),
    Domain(  # GNOME Help: a real English-only help center (held-out rounds 1 and 2)
        "gnome",
        Path("var/bench/gnome-content"),
        Path("tests/eval/gnome_queries.jsonl"),
        gnome_import.import_into,
        heldout=Path("tests/eval/heldout/gnome.jsonl"),
        near_scope=Path("tests/eval/near_scope_gnome.jsonl"),
    ),
)


def domain_content(domain: Domain) -> Path:
    """The domain's help center, imported on first use."""
    if domain.importer is not None and not domain.content.is_dir():
        domain.importer(domain.content)
    return domain.content


def heldout_round(path: Path, round_: int) -> Path:
    """Round `round_` of a domain's held-out file: round 1 is `path` itself, round N sits in roundN/ beside it."""
    return path if round_ == 1 else path.parent / f"round{round_}" / path.name


def chosen_domains(names: Sequence[str], heldout: int | None = None) -> list[Domain]:
    """The named domains, with held-out round `heldout`'s queries in place of the dev ones when given."""
    domains = [d for d in DOMAINS if d.name in names]
    if heldout:
        # a domain without that round (gnome has rounds 1, 2 and 6 only) is left out of the run, not failed
        rounds = [(d, heldout_round(d.heldout, heldout)) for d in domains if d.heldout is not None]
        domains = [replace(d, queries=path) for d, path in rounds if path.is_file()]
    return domains


# The other languages' fusion (missing translations): e5's and the bridge terms' weights beside
# USE's 1.0, and the titles' own USE ranking (retrieval.TITLE_WEIGHT).
CROSS_GRID = [(e5, lexical, title) for e5 in (0.5, 1.0) for lexical in (0.5, 1.0) for title in (0.5, 1.0, 2.0)]
SUITE_GRID = [(use, lexical, k) for use in (0.3, 0.6, 1.0) for lexical in (0.3, 0.6, 1.0) for k in (10, 60)]


@dataclass
class Case:
    """One domain's queries on one index, and what the transfer line needs of them."""

    domain: str
    name: str  # same-language, or cross-lingual (the query's language has no article)
    engine: Engine
    rows: list[dict]
    signals: dict[str, list[dict[str, float]]] = field(default_factory=dict)  # per query language
    near: list[dict] = field(default_factory=list)  # the near-topic questions in the case's query languages
    near_signals: dict[str, list[dict[str, float]]] = field(default_factory=dict)


BENCH_ROOT = Path("var/bench")


def seed_cache(data: Path, source: Path) -> None:
    """Start `data`'s embedding cache as a copy of `source`'s (a directory) when it has none: the same texts are
    not embedded again."""
    cache = source / CACHE_FILE
    if cache.is_file() and not (data / CACHE_FILE).is_file():
        data.mkdir(parents=True, exist_ok=True)
        shutil.copy2(cache, data / CACHE_FILE)


def chunk_root(sizes: str) -> Path:
    """`--chunks MAX/MIN`: every index of the run cut at these sizes (KB_CHUNK_MAX_CHARS, KB_CHUNK_MIN_CHARS, read
    by Settings.from_env) under var/bench-chunks-MAX-MIN, beside the shipped sizes' var/bench; the root returned."""
    most, _, least = sizes.partition("/")
    if not (most.isdigit() and least.isdigit()):
        raise ValueError(f"{sizes!r} is not MAX/MIN, e.g. 800/160")
    os.environ["KB_CHUNK_MAX_CHARS"], os.environ["KB_CHUNK_MIN_CHARS"] = most, least
    return Path(f"{BENCH_ROOT}-chunks-{most}-{least}")


def open_engine(content: Path, data: Path, embedders: list | None) -> Engine:
    """The domain's engine, indexed, with every view search derives from the index built: `index` starts them in
    the background, and a search made while one is still building ranks or abstains without it (hubs, title
    vectors, cross-lingual scales), so which queries came first would change the figures. A serving process
    waits the same way (`Engine.warm_up`)."""
    seed_cache(data, BENCH_ROOT / data.name)  # another chunk size's run: var/bench's vectors of the same texts
    engine = Engine(Settings.from_env(content_dir=content, data_dir=data), embedders)
    started = time.perf_counter()
    print(f"index {data}: {engine.index(show_progress=None).summary()} ({time.perf_counter() - started:.1f} s)")
    engine.retriever.refresh_views()
    engine.retriever.wait_for_views()
    return engine


def suite_cases(domains: Sequence[Domain], root: Path) -> list[Case]:
    """Each domain indexed once (plus the demo's English-only copy for Arabic queries over it)."""
    cases: list[Case] = []
    embedders = None
    for domain in domains:
        content = domain_content(domain)
        engine = open_engine(content, root / domain.name, embedders)
        embedders = engine.embedders  # loaded once for every domain
        rows = load_queries(domain.queries, None)
        near = load_queries(domain.near_scope, None) if domain.near_scope is not None else []
        langs = {str(p["lang"]) for p in engine.store.payloads(("lang",))}
        own = [r for r in near if r["lang"] in langs]
        cases.append(Case(domain.name, "same-language", engine, [r for r in rows if r["lang"] in langs], near=own))
        missing = [r for r in rows if r["lang"] not in langs]
        if missing:  # the help center has no article in these queries' language (m365: English, gnome: Arabic)
            asked = [r for r in near if r["lang"] in {q["lang"] for q in missing}]
            cases.append(Case(domain.name, "cross-lingual", engine, missing, near=asked))
        elif "en" in langs and "ar" in langs:  # each language's customers over the other's articles only
            for asking, shown, name in (("ar", "en", "cross-lingual"), ("en", "ar", "cross-lingual en>ar")):
                temp = Path(tempfile.mkdtemp())
                only = filtered_content(content, [shown], temp / "content")
                data = root / f"{domain.name}-{shown}"
                seed_cache(data, root / domain.name)  # the same chunks: nothing to embed again
                engine_only = open_engine(only, data, embedders)
                mine = [r for r in rows if r["lang"] == asking]
                cases.append(Case(domain.name, name, engine_only, mine, near=[r for r in near if r["lang"] == asking]))
    return cases


def direction(case: Case) -> str:
    """A cross-lingual case's "query language>article language" (the floors are per direction)."""
    asking = {str(r["lang"]) for r in case.rows}
    shown = {str(p["lang"]) for p in case.engine.store.payloads(("lang",))}
    return f"{'/'.join(sorted(asking))}>{'/'.join(sorted(shown))}"


def collect_signals(case: Case) -> None:
    """Each query's evidence with the floors off: what the floors are fitted on and scored with."""
    retriever = case.engine.retriever
    floors, retriever.abstain_floors = retriever.abstain_floors, None
    for row in case.rows:
        signals = retriever.search(row["query"], lang=row["lang"], limit=10).signals
        case.signals.setdefault(row["lang"], []).append(dict(signals))
    for row in case.near:
        signals = retriever.search(row["query"], lang=row["lang"], limit=10).signals
        case.near_signals.setdefault(row["lang"], []).append(dict(signals))
    retriever.abstain_floors = floors


def grid_mrr(engine: Engine, rows: list[dict], lang: str) -> dict[tuple[float, float, int], float]:
    """MRR@10 of the answerable `lang` queries for each fusion setting of the coarse grid."""
    retriever = engine.retriever
    saved = (retriever.fusion, retriever.rrf_k)
    answerable = [r for r in rows if r["lang"] == lang and r["relevant"]]
    out = {}
    for use, lexical, k in SUITE_GRID:
        retriever.fusion = {**saved[0], lang: {"e5": 1.0, "use": use, "lexical": lexical}}
        retriever.rrf_k = k
        total = 0.0
        for row in answerable:
            rank = rank_of(retriever.search(row["query"], lang=lang, limit=10), set(row["relevant"]))
            total += 1 / rank if rank else 0.0
        out[(use, lexical, k)] = total / max(len(answerable), 1)
    retriever.fusion, retriever.rrf_k = saved
    return out


# The floors of the product (lexical evidence as a share of the index's own scale), the constant ones
# they replaced (raw BM25 scores, whose scale is the corpus's), and every model on the index's own scale
# (e5 and USE too, copilot.calibration.own_scales). m365's fit raises its floors to catch its one near-topic
# out-of-scope question; its raw e5 floor then sits above the demo's answerable median, and the demo's
# answerable questions rest on a raw USE floor of 0.33, a far higher bar where USE's right-article scale is
# 0.43 (demo Arabic) than where it is 0.53 (m365). bench/RESULTS.md "Session 14, floors4".
FLOOR_SIGNALS = {
    "per-index floors": SIGNALS,
    "constant floors": tuple(s.replace("_share", "_top") for s in SIGNALS),
    "own-scale floors": ("e5_share", "use_share", "lexical_share", "field_top"),
}


# The floors search shipped with before they were calibrated per index (raw BM25 lexical_top), for
# the before/after line: what a new help center got without refitting.
FORMER_FLOORS = {
    "en": {"e5_top": 0.881, "use_top": 0.287, "lexical_top": 8.165, "field_top": 0.5},
    "ar": {"e5_top": 0.876, "use_top": 0.249, "lexical_top": 7.792, "field_top": 0.5},
}
FORMER_OFFSETS = {
    "ar": {
        "dialect": {"e5_top": -0.017, "use_top": -0.075, "lexical_top": -0.223},
        "mixed": {"e5_top": -0.007, "use_top": -0.041, "lexical_top": -2.866},
    }
}


def floor_matrix(case: Case, lang: str, names: Sequence[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Each `lang` query's signals in SIGNALS' order (copilot.learnt_floors), its register and whether it is out
    of scope."""
    rows = [r for r in case.rows if r["lang"] == lang]
    scores = np.array([[s.get(name, 0.0) for name in names] for s in case.signals[lang]])
    registers: list[str] = [query_register(r["query"], lang) for r in rows]
    return scores, registers, np.array([not r["relevant"] for r in rows])


Rule = tuple[list[float], dict[str, dict[str, float]]]  # fit_rule's floors and register offsets


def swapped_floors_line(
    label: str,
    lang: str,
    fit_on: str,
    score_on: str,
    names: Sequence[str],
    scored: tuple[np.ndarray, list[str], np.ndarray],
    fitted: Rule,
    own: Rule,
) -> str:
    """Which of the transferred floors makes the difference: the fitted rule scored with one floor
    (or the register offsets) replaced by the scored domain's own fit, answerable flagged for each.
    A floor whose swap brings the answerable share down to the own fit's is where the domains differ."""
    scores, registers, oos = scored
    parts = []
    for i, name in enumerate([*names, "offsets"]):
        floors, offsets = list(fitted[0]), fitted[1]
        if i < len(names):
            floors[i] = own[0][i]
        else:
            offsets = own[1]
        flagged = flags(scores, registers, floors, offsets)
        parts.append(f"{name} {flagged[oos].mean():.0%}/{flagged[~oos].mean():.1%}")
    return (
        f"transfer {label} [{lang}] fitted on {fit_on}, scored on {score_on}, one floor from {score_on}'s own fit "
        f"(out-of-scope/answerable flagged): {', '.join(parts)}"
    )


def transfer(cases: list[Case], max_false: float, fusion_grids: bool = True, fitting: bool = True) -> list[str]:
    """Fusion weights and abstention floors fitted on one domain, scored on the other, beside the
    other's own fit: how much of the tuning is about search and how much about one store's words.
    `fitting` False (held-out questions): the fused floor's lines without a fit."""
    every = {c.domain: c for c in cases if c.name == "same-language"}
    lines = []
    for lang in sorted({str(r["lang"]) for c in every.values() for r in c.rows}):
        same = {d: c for d, c in every.items() if any(r["lang"] == lang for r in c.rows)}  # the domains asking it
        if len(same) < 2:
            continue
        grids = {d: grid_mrr(c.engine, c.rows, lang) for d, c in same.items()} if fusion_grids else {}
        for fit_on, score_on in itertools.permutations(grids, 2):
            chosen = max(grids[fit_on], key=lambda w: grids[fit_on][w])
            own = max(grids[score_on].values())
            got = grids[score_on][chosen]
            lines.append(
                f"transfer fusion [{lang}] fitted on {fit_on} {chosen}, scored on {score_on}: MRR@10 {got:.3f} "
                f"(fitted on {score_on}: {own:.3f}, gap {own - got:+.3f})"
            )
        if len(grids) > 1:  # one setting for every domain: the best worst-case loss against each own fit
            own_best = {d: max(g.values()) for d, g in grids.items()}
            joint = min(SUITE_GRID, key=lambda w: max(own_best[d] - grids[d][w] for d in grids))
            figures = ", ".join(f"{d} {grids[d][joint]:.3f} (own {own_best[d]:.3f})" for d in grids)
            lines.append(f"fusion [{lang}] fitted on both {joint}: {figures}")
        for label, names in FLOOR_SIGNALS.items():
            for fit_on, score_on in itertools.permutations(same, 2):
                a = floor_matrix(same[fit_on], lang, names)
                b = floor_matrix(same[score_on], lang, names)
                floors, offsets = fit_rule(*a, max_false, True)
                flagged = flags(b[0], b[1], floors, offsets)
                own_floors, own_offsets = fit_rule(*b, max_false, True)
                own_flags = flags(b[0], b[1], own_floors, own_offsets)
                oos = b[2]
                lines.append(
                    f"transfer {label} [{lang}] fitted on {fit_on}, scored on {score_on}: flags "
                    f"{flagged[oos].mean():.0%} of out-of-scope at {flagged[~oos].mean():.1%} of answerable "
                    f"(fitted on {score_on}: {own_flags[oos].mean():.0%} at {own_flags[~oos].mean():.1%})"
                )
                lines.append(swapped_floors_line(label, lang, fit_on, score_on, names, b, (floors, offsets),
                                                 (own_floors, own_offsets)))  # fmt: skip
    for domain, case in every.items():
        for lang, former in FORMER_FLOORS.items():
            if lang not in case.signals:
                continue
            former_names = list(former)
            scores, registers, is_oos = floor_matrix(case, lang, former_names)
            shifts = FORMER_OFFSETS.get(lang, {})
            former_flags = np.array(
                [all(v < former[n] + shifts.get(g, {}).get(n, 0.0) for v, n in zip(row, former_names, strict=True))
                 for row, g in zip(scores, registers, strict=True)]
            )  # fmt: skip
            lines.append(
                f"former constant floors [{lang}] on {domain}: flags {former_flags[is_oos].mean():.0%} of "
                f"out-of-scope at {former_flags[~is_oos].mean():.1%} of answerable (signals alone)"
            )
    crossing = [c for c in cases if c.name.startswith("cross-lingual")]
    cross = {f"{c.domain} {direction(c)}": c for c in crossing}
    if len(cross) > 1:  # every pair of cases: same direction (the floors' transfer) and across directions
        for label, names in CROSS_SIGNALS.items():
            data = {d: cross_matrix(c, names) for d, c in cross.items()}
            for fit_on, score_on in itertools.permutations(cross, 2):
                fitted = cross_floors(*data[fit_on], max_false)
                scores, oos = data[score_on]
                hit = np.asarray((scores < fitted).all(axis=1))
                own_fit = cross_floors(scores, oos, max_false)
                own_hit = np.asarray((scores < own_fit).all(axis=1))
                lines.append(
                    f"transfer cross-lingual floors, {label}, fitted on {fit_on} {_floors(fitted)}, scored on "
                    f"{score_on}: flags {hit[oos].mean():.0%} of out-of-scope at {hit[~oos].mean():.1%} of "
                    f"answerable (fitted on {score_on}, {_floors(own_fit)}: {own_hit[oos].mean():.0%} at "
                    f"{own_hit[~oos].mean():.1%})"
                )
    for name, case in cross.items():  # the title-name exemption (retrieval.LEVERS["title_names"])
        named = np.array([s.get("title_names", 0.0) > 0 for lang in case.signals for s in case.signals[lang]])
        scores, oos = cross_matrix(case, CROSS_SIGNALS["per-index shares"])
        budget = max_false * (~oos).sum() / max((~oos[~named]).sum(), 1)  # the same count of answerable flagged
        fit = cross_floors(scores[~named], oos[~named], budget)
        hit = np.asarray((scores < fit).all(axis=1)) & ~named
        lines.append(
            f"title names [{name}]: {named[~oos].sum()} answerable and {named[oos].sum()} out-of-scope questions "
            f"name a title (exempt); per-index shares fitted with them exempt {_floors(fit)}: flags "
            f"{hit[oos].mean():.0%} of out-of-scope at {hit[~oos].mean():.1%} of answerable"
        )
    for name, case in cross.items():  # the heading floor (copilot.heading_floor, retrieval.LEVERS["heading_floor"])
        scores, oos = cross_matrix(case, ("cross_heading_top",))
        heading = scores[:, 0]
        under = heading < HEADING_FLOOR
        lines.append(
            f"heading floor [{name}] {HEADING_FLOOR}: {under[oos].sum()} of {oos.sum()} out-of-scope and "
            f"{under[~oos].sum()} of {(~oos).sum()} answerable questions under it; lowest answerable "
            f"{heading[~oos].min():.3f}, lowest out-of-scope {np.sort(heading[oos])[:3].round(3).tolist()}"
        )
    for name, case in cross.items():  # e5's agreement (copilot.title_agreement, retrieval.LEVERS["e5_agreement"])
        lines.append(agreement_line(name, case, max_false))
    for name, case in cross.items():  # the typed reading (copilot.typed_reading, retrieval.LEVERS["typed_reading"])
        lines.append(typed_reading_line(name, case, max_false))
    lines += fused_floor_lines(cross, max_false, fitting)  # the fused floor (retrieval.LEVERS["fused_floor"])
    for case in crossing:
        retriever = case.engine.retriever
        titles = retriever._titles
        if titles is None:
            continue
        langs = case.engine.settings.languages
        for (source, target), scale in cross_scales(case.engine.store, titles.get(), langs).items():
            if source in case.signals:
                lines.append(f"cross-lingual scale [{case.domain} {source}->{target}]: {_scale(scale)}")
    for case in (c for c in cases if c.name == "same-language"):
        titles = case.engine.retriever._titles
        if titles is not None:
            langs = case.engine.settings.languages
            for (source, target), scale in cross_scales(case.engine.store, titles.get(), langs, pairs=True).items():
                if scale.measured_by == "pairs":
                    lines.append(f"cross-lingual scale [{case.domain} {source}->{target}] by pairs: {_scale(scale)}")
    return lines


def near_lines(cases: list[Case], max_false: float, fit: bool = True) -> list[str]:
    """Each near-topic rule's floors (bench/near_topic.RULES) on every same-language case's languages (`fit`:
    fitted too)."""
    lines = []
    for rule in RULES.values():
        datas = []
        for case in (c for c in cases if c.name == "same-language"):
            retriever = case.engine.retriever
            for lang in sorted(case.signals):
                rows = [r for r in case.rows if r["lang"] == lang] + [r for r in case.near if r["lang"] == lang]
                signals = case.signals[lang] + case.near_signals.get(lang, [])
                floors, offsets = retriever.abstain_floors or {}, retriever.abstain_offsets
                datas.append(near_data(f"{case.domain} {lang}", rows, signals, floors, offsets, tuple(rule)))
        lines += near_topic_lines(datas, max_false, fit, rule) if datas else []
    return lines


class _FixedTable:
    """A term table mined elsewhere, in the retriever's place (it normally mines its own index)."""

    def __init__(self, table: TermTable) -> None:
        self.table = table

    def get(self) -> TermTable:
        return self.table


def term_table_held_out(cases: list[Case]) -> list[str]:
    """The mined term table measured without leaking the answers' own translations.

    A cross-lingual case's index has no article in the query's language, so it has no translated
    pair to mine: its own table is empty (m365 has none anywhere). For a domain that has pairs
    (the demo), the table is mined from half of them (articles by sorted id, alternating) and used
    for the queries whose answers are all in the other half, over the index without the query's
    language; each query once. Beside: the same queries with no table, and with the full table
    (leaky: mined from the answers' own translations too).
    """
    lines = []
    same = {c.domain: c for c in cases if c.name == "same-language"}
    for case in (c for c in cases if c.name.startswith("cross-lingual") and c.domain in same):  # both directions
        payloads = same[case.domain].engine.store.payloads(PAYLOAD_FIELDS)
        miner = TermMiner(case.engine.lexical)
        full = miner.mine(payloads)
        if not full.pairs:
            lines.append(f"term table [{case.domain}]: no translated pairs, the table is empty")
            continue
        ids = sorted({str(p["article_id"]) for p in payloads})
        folds = [set(ids[0::2]), set(ids[1::2])]
        retriever = case.engine.retriever
        saved = retriever.term_table
        ranks: dict[str, list[float]] = {"none": [], "held out": [], "full (leaky)": []}
        for train, test in ((0, 1), (1, 0)):
            rows = [r for r in case.rows if r["relevant"] and set(r["relevant"]) <= folds[test]]
            mined = miner.mine([p for p in payloads if p["article_id"] in folds[train]])
            for name, table in (("none", TermTable()), ("held out", mined), ("full (leaky)", full)):
                retriever.term_table = _FixedTable(table)  # type: ignore[assignment]
                for row in rows:
                    rank = rank_of(retriever.search(row["query"], lang=row["lang"], limit=10), set(row["relevant"]))
                    ranks[name].append(1 / rank if rank else 0.0)
        retriever.term_table = saved
        figures = ", ".join(f"{name} {statistics.mean(values):.3f}" for name, values in ranks.items())
        lines.append(
            f"term table [{case.domain} {case.name}] mined from half of {full.pairs} pairs, queries on the other "
            f"half (n={len(ranks['none'])}): MRR@10 {figures}"
        )
    return lines


def cross_grid_mrr(case: Case) -> dict[tuple[float, float, float], float]:
    """MRR@10 of a cross-lingual case's answerable queries for each setting of CROSS_GRID."""
    saved = (dict(retrieval.CROSS_LINGUAL_WEIGHTS), retrieval.TITLE_WEIGHT)
    answerable = [r for r in case.rows if r["relevant"]]
    out = {}
    for e5, lexical, title in CROSS_GRID:
        retrieval.CROSS_LINGUAL_WEIGHTS.update({"e5": e5, "lexical": lexical})
        retrieval.TITLE_WEIGHT = title
        total = 0.0
        for row in answerable:
            rank = rank_of(case.engine.retriever.search(row["query"], lang=row["lang"], limit=10), set(row["relevant"]))
            total += 1 / rank if rank else 0.0
        out[(e5, lexical, title)] = total / max(len(answerable), 1)
    retrieval.CROSS_LINGUAL_WEIGHTS.update(saved[0])
    retrieval.TITLE_WEIGHT = saved[1]
    return out


def cross_fusion_transfer(cases: list[Case]) -> list[str]:
    """The other languages' fusion weights fitted on one domain's cross-lingual case, scored on the other's."""
    cross = {c.domain: c for c in cases if c.name == "cross-lingual"}
    if len(cross) < 2:
        return []
    grids = {d: cross_grid_mrr(c) for d, c in cross.items()}
    now = (retrieval.CROSS_LINGUAL_WEIGHTS["e5"], retrieval.CROSS_LINGUAL_WEIGHTS["lexical"], retrieval.TITLE_WEIGHT)
    lines = [
        "cross-lingual fusion (e5, lexical, title) "
        + ", ".join(f"{d}: shipped {now} {g.get(now, float('nan')):.3f}" for d, g in grids.items())
    ]
    for fit_on, score_on in itertools.permutations(grids, 2):
        chosen = max(grids[fit_on], key=lambda w: grids[fit_on][w])
        own = max(grids[score_on].values())
        got = grids[score_on][chosen]
        lines.append(
            f"transfer cross-lingual fusion fitted on {fit_on} {chosen}, scored on {score_on}: MRR@10 {got:.3f} "
            f"(fitted on {score_on}: {own:.3f}, gap {own - got:+.3f})"
        )
    own_best = {d: max(g.values()) for d, g in grids.items()}
    joint = min(CROSS_GRID, key=lambda w: max(own_best[d] - grids[d][w] for d in grids))
    figures = ", ".join(f"{d} {grids[d][joint]:.3f} (own {own_best[d]:.3f})" for d in grids)
    lines.append(f"cross-lingual fusion fitted on both {joint}: {figures}")
    return lines


# The evidence for abstaining when only another language can answer: the raw USE cosines (the
# best chunk, the best title) and the same as shares of the index's own scale (copilot.calibration).
CROSS_SIGNALS = {
    "raw cosines": ("cross_top", "cross_title_top"),
    "per-index shares": ("cross_share", "cross_title_share"),
    "title density share": ("cross_density_share",),  # copilot.calibration.title_density, alone
}


def cross_matrix(case: Case, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A cross-lingual case's signals (one row per query) and which queries are out of scope."""
    rows = [(r, s) for lang in case.signals for r, s in zip(
        [r for r in case.rows if r["lang"] == lang], case.signals[lang], strict=True
    )]  # fmt: skip
    scores = np.array([[s.get(name, 0.0) for name in names] for _, s in rows])
    return scores, np.array([not r["relevant"] for r, _ in rows])


def cross_floors(scores: np.ndarray, oos: np.ndarray, max_false: float) -> np.ndarray:
    """Floors (all must be missed to abstain) flagging the most out-of-scope queries while
    flagging at most `max_false` of the answerable ones; a grid over the observed values."""
    best, chosen = -1.0, np.full(scores.shape[1], -np.inf)
    candidates = [np.unique(column.round(3)) for column in scores.T]
    for floors in itertools.product(*candidates):
        flagged = np.asarray((scores < np.array(floors)).all(axis=1))
        if flagged[~oos].mean() <= max_false and flagged[oos].mean() > best:
            best, chosen = flagged[oos].mean(), np.array(floors)
    return chosen


def agreement_line(name: str, case: Case, max_false: float) -> str:
    """The chunk-share floor gated by e5's disagreement (retrieval.CROSS_DISAGREEMENT_FLOORS) fitted beside the
    product's cross-lingual floors: what it flags more, within `max_false` of answerable questions in all."""
    source, _, target = name.split()[-1].partition(">")
    floors = retrieval.CROSS_DIRECTION_FLOORS.get((source, target), retrieval.CROSS_ONLY_FLOORS)
    scores, oos = cross_matrix(case, ("cross_share", "cross_title_share", "cross_e5_agrees", "title_names"))
    named = scores[:, 3] > 0
    product = (scores[:, 0] < floors["cross_share"]) & (scores[:, 1] < floors["cross_title_share"]) & ~named
    disagree = (scores[:, 2] == 0) & ~named
    best, chosen = product[oos].mean(), -np.inf
    for floor in np.unique(scores[:, 0].round(3)):
        flagged = product | (disagree & (scores[:, 0] < floor))
        if flagged[~oos].mean() <= max(max_false, product[~oos].mean()) and flagged[oos].mean() > best:
            best, chosen = flagged[oos].mean(), floor
    flagged = product | (disagree & (scores[:, 0] < chosen))
    steps = []  # what each further out-of-scope question costs: the floor just above its share
    for share in np.sort(scores[oos & disagree & ~product, 0])[:3]:
        more = product | (disagree & (scores[:, 0] < share + 1e-3))
        steps.append(f"{share + 1e-3:.3f}: {more[oos].mean():.0%} at {more[~oos].mean():.1%}")
    return (
        f"e5 agreement [{name}]: e5's best title not the first article for {disagree[~oos].mean():.0%} of "
        f"answerable and {disagree[oos].mean():.0%} of out-of-scope; gated chunk-share floor fitted {chosen:.3f}: "
        f"share floors alone {product[oos].mean():.0%} at {product[~oos].mean():.1%}, with it "
        f"{flagged[oos].mean():.0%} at {flagged[~oos].mean():.1%}; next floors {'; '.join(steps) or 'none'}"
    )


MAX_FALSE = 0.04  # the answerable share a fitted floor may flag (--max-false)


# The columns product_rule reads, in order.
PRODUCT_RULE_SIGNALS = (
    "cross_share", "cross_title_share", "cross_heading_top", "title_names", "cross_density_share", "cross_fused_top"
)  # fmt: skip


def product_rule(
    scores: np.ndarray, direction_: tuple[str, str], floors: tuple[float, float], fused: float | None = None
) -> np.ndarray:
    """Which questions the product's cross-lingual rule flags (retrieval.Retriever._abstains, only another language
    answering): title names exempt, then the heading floor, the fused floor (retrieval.CROSS_FUSED_FLOOR with
    retrieval.LEVERS["fused_floor"] on; a given `fused` floor in its place, on), the direction's density floor, and
    the chunk and title share `floors` together. `scores`: PRODUCT_RULE_SIGNALS' columns."""
    if fused is None:
        fused = retrieval.CROSS_FUSED_FLOOR if LEVERS["fused_floor"] else -np.inf
    heading = ((scores[:, 2] < HEADING_FLOOR) & LEVERS["heading_floor"]) | (scores[:, 5] < fused)
    density = scores[:, 4] < retrieval.CROSS_DENSITY_FLOORS.get(direction_, -np.inf)
    shares = (scores[:, 0] < floors[0]) & (scores[:, 1] < floors[1])
    if LEVERS["density_agreement"]:  # the density floor only with one share floor agreeing
        density &= (scores[:, 0] < floors[0]) | (scores[:, 1] < floors[1])
    return (scores[:, 3] <= 0) & (heading | density | shares)


def product_rule_fit(
    scores: np.ndarray, oos: np.ndarray, direction_: tuple[str, str], max_false: float
) -> tuple[tuple[float, float], np.ndarray]:
    """product_rule with its two share floors fitted on the observed values: the most out-of-scope questions
    flagged within `max_false` of the answerable ones (none better: the floors -inf). Also what they flag."""
    chosen = (-np.inf, -np.inf)
    flagged = product_rule(scores, direction_, chosen)
    for chunk in np.unique(scores[:, 0].round(3)):
        for title in np.unique(scores[:, 1].round(3)):
            under = product_rule(scores, direction_, (float(chunk), float(title)))
            if under[~oos].mean() <= max_false and under[oos].mean() > flagged[oos].mean():
                chosen, flagged = (float(chunk), float(title)), under
    return chosen, flagged


def typed_reading_line(name: str, case: Case, max_false: float) -> str:
    """The product's cross-lingual floors, as set and refitted, with the title share read as the better of the
    question's MSA reading and its typed text (copilot.typed_reading) and with the MSA reading alone, both on the
    index's scale from the signals as collected (floors off): what retrieval.LEVERS["typed_reading"] changes."""
    source, _, target = name.split()[-1].partition(">")
    floors = retrieval.CROSS_DIRECTION_FLOORS.get((source, target), retrieval.CROSS_ONLY_FLOORS)
    scores, oos = cross_matrix(case, PRODUCT_RULE_SIGNALS)
    tops, _ = cross_matrix(case, ("cross_title_top", "cross_title_typed"))
    typed = np.array([
        "cross_title_typed" in signals for lang in case.signals for signals in case.signals[lang]
    ])  # fmt: skip
    retriever = case.engine.retriever
    scales = retriever._cross_scales.peek() if retriever._cross_scales is not None else None
    scale = scales.get((source, target)) if scales is not None else None
    if scale is None:
        return f"typed reading [{name}]: no cross-lingual scale"
    read, better = scores.copy(), scores.copy()  # the title share as the product read it, then each way
    read[typed, 1] = [scale.title_share(top) for top in tops[typed, 0]]
    better[typed, 1] = [scale.title_share(better_reading(top, typed_top)) for top, typed_top in tops[typed]]
    parts = [f"{typed[~oos].sum()} answerable and {typed[oos].sum()} out-of-scope questions read otherwise than typed"]
    for label, data in (("better reading", better), ("MSA reading alone", read)):
        product = product_rule(data, (source, target), (floors["cross_share"], floors["cross_title_share"]))
        fitted, flagged = product_rule_fit(data, oos, (source, target), max_false)
        parts.append(
            f"{label}: product floors {product[oos].mean():.0%} at {product[~oos].mean():.1%}, refitted "
            f"({fitted[0]:.3f}, {fitted[1]:.3f}) {flagged[oos].mean():.0%} at {flagged[~oos].mean():.1%}"
        )
    return f"typed reading [{name}]: " + "; ".join(parts)


def direction_shares(direction_: tuple[str, str]) -> tuple[float, float]:
    """The product's chunk and title share floors for a direction (query language, article language)."""
    floors = retrieval.CROSS_DIRECTION_FLOORS.get(direction_, retrieval.CROSS_ONLY_FLOORS)
    return floors["cross_share"], floors["cross_title_share"]


def fused_floor_fit(
    scores: np.ndarray, oos: np.ndarray, direction_: tuple[str, str], shares: tuple[float, float], max_false: float
) -> float:
    """The fused floor (retrieval.CROSS_FUSED_FLOOR) beside the product's rule with the share `floors`, fitted: the
    most out-of-scope questions flagged within `max_false` of the answerable ones (or the rule's own share, if
    higher), then the fewest answerable; midway between the last question it flags and the next. -inf when none
    gains."""
    base = product_rule(scores, direction_, shares, fused=-np.inf)
    budget = max(max_false, base[~oos].mean())
    values = np.unique(scores[:, 5])
    chosen, best = -np.inf, (base[oos].sum(), -base[~oos].sum())
    for below, above in zip(values, [*values[1:], values[-1] + 1.0], strict=True):
        floor = float((below + above) / 2)
        flagged = product_rule(scores, direction_, shares, fused=floor)
        if flagged[~oos].mean() <= budget and (flagged[oos].sum(), -flagged[~oos].sum()) > best:
            chosen, best = floor, (flagged[oos].sum(), -flagged[~oos].sum())
    return chosen


def fused_floor_lines(cross: dict[str, Case], max_false: float, fit: bool = True) -> list[str]:
    """The fused floor (copilot.retrieval.CROSS_FUSED_FLOOR, LEVERS["fused_floor"]) beside the product's rule, off and
    as set: each case's figures and where its questions sit; with `fit` (never on held-out questions) also each case's
    own fit, and the floor fitted on each case scored on every other (one floor for every index and direction)."""
    data = {name: cross_matrix(case, PRODUCT_RULE_SIGNALS) for name, case in cross.items()}
    directions = {name: tuple(name.split()[-1].partition(">")[::2]) for name in cross}
    fitted = {}
    lines = []
    for name, (scores, oos) in data.items():
        direction_ = directions[name]
        shares = direction_shares(direction_)  # type: ignore[arg-type]
        settings = [("off", -np.inf), ("as set", retrieval.CROSS_FUSED_FLOOR)]
        if fit:
            fitted[name] = fused_floor_fit(scores, oos, direction_, shares, max_false)  # type: ignore[arg-type]
            settings.append(("own fit", fitted[name]))
        parts = []
        for label, floor in settings:
            flagged = product_rule(scores, direction_, shares, fused=floor)  # type: ignore[arg-type]
            parts.append(f"{label} {floor:.3f} {flagged[oos].mean():.0%} at {flagged[~oos].mean():.1%}")
        answerable, out = np.sort(scores[~oos, 5])[:4].round(3), np.sort(scores[oos, 5])[:4].round(3)
        lines.append(
            f"fused floor [{name}]: " + "; ".join(parts) + f"; answerable lowest {answerable.tolist()}, "
            f"out-of-scope lowest {out.tolist()}"
        )
    for fit_on, score_on in itertools.permutations(fitted, 2):
        scores, oos = data[score_on]
        direction_ = directions[score_on]
        flagged = product_rule(scores, direction_, direction_shares(direction_), fused=fitted[fit_on])  # type: ignore[arg-type]
        lines.append(
            f"transfer fused floor fitted on {fit_on} ({fitted[fit_on]:.3f}), scored on {score_on}: flags "
            f"{flagged[oos].mean():.0%} of out-of-scope at {flagged[~oos].mean():.1%} of answerable"
        )
    return lines


def _floors(floors: np.ndarray) -> str:
    return "(" + ", ".join(f"{value:.3f}" for value in floors) + ")"


def _scale(scale: CrossScale) -> str:
    return (
        f"chunks true {scale.true_chunk:.3f} / nearest wrong {scale.wrong_chunk:.3f}, titles true "
        f"{scale.true_title:.3f} / nearest wrong {scale.wrong_title:.3f} ({scale.measured_by})"
    )


def suite(
    root: Path,
    max_false: float,
    report: dict,
    names: Sequence[str],
    fusion_grids: bool = True,
    heldout: int | None = None,
    misses: list | None = None,
) -> None:
    """`misses`, when given, gets every hybrid query not ranked first, tagged with its domain and case."""
    cases = suite_cases(chosen_domains(names, heldout), root)
    print(
        f"{'domain':7} {'case':19} {'mode':8} {'lang':4} {'n':>4} {'R@1':>6} {'R@10':>6} {'MRR@10':>7}  "
        "abstain oos/answerable"
    )
    for case in cases:
        modes = MODES if case.name == "same-language" else {"hybrid": None}
        for mode in modes:
            ranks: list[tuple[dict, int | None]] = []
            missed: list | None = [] if misses is not None and mode == "hybrid" else None
            result = evaluate(case.engine, case.rows, mode, lang_filter=True, ranks=ranks, misses=missed)
            if misses is not None and missed:
                misses.extend({"domain": case.domain, "case": case.name, **m} for m in missed)
            report.setdefault(case.domain, {}).setdefault(case.name, {})[mode] = result
            if mode == "hybrid":
                report.setdefault("kinds", []).extend(kind_lines(f"{case.domain:7} {case.name:14}", ranks))
            for lang, r in result.items():
                if lang == "latency_ms":
                    continue
                print(
                    f"{case.domain:7} {case.name:19} {mode:8} {lang:4} {r['queries']:>4} {r['recall@1']:>6.3f} "
                    f"{r['recall@10']:>6.3f} {r['mrr@10']:>7.3f}  {r['abstained_out_of_scope']:>6.2f}/"
                    f"{r['abstained_answerable']:.3f}"
                    + "".join(f"  {k} {v}" for k, v in r["abstained_by_kind"].items() if mode == "hybrid")
                )
        if case.near:  # the near-topic questions: how many the product flags (hybrid, floors on)
            result = evaluate(case.engine, case.near, "hybrid", lang_filter=True)
            for lang, r in result.items():
                if lang != "latency_ms":
                    print(f"{case.domain:7} {case.name:19} near-topic {lang:4} {r['out_of_scope']:>4} "
                          f"flagged {r['abstained_out_of_scope']:.2f}")  # fmt: skip
        collect_signals(case)
    for line in report.get("kinds", []):
        print(line)
    lines = transfer(cases, max_false, fusion_grids, heldout is None) + near_lines(cases, max_false, heldout is None)
    lines += term_table_held_out(cases)
    if fusion_grids:
        lines += cross_fusion_transfer(cases)
    for line in lines:
        print(line)
    report["transfer"] = lines
    for case in cases:
        case.engine.close()


def fitted_weights(spec: str) -> dict[str, dict[str, float]]:
    """`--fusion`'s weights per language ("LANG:NAME=W,...;..."), e5's 1.0 unless given: candidates for
    copilot.fitted_fusion.FITTED_WEIGHTS (a language it lacks, Arabic, too), scored by the suite as the product reads
    them (LEVERS["fitted_fusion"])."""
    out: dict[str, dict[str, float]] = {}
    for part in filter(None, spec.split(";")):
        lang, _, pairs = part.partition(":")
        weights = {"e5": 1.0}
        for pair in filter(None, pairs.split(",")):
            name, _, value = pair.partition("=")
            if name not in ("e5", "use", "lexical"):
                raise ValueError(f"{pair!r}: the name is one of e5, use, lexical")
            try:
                weights[name] = float(value)
            except ValueError:
                raise ValueError(f"{pair!r}: the weight is a number") from None
        if not lang or len(weights) < 3:
            raise ValueError(f"{part!r} is not LANG:use=W,lexical=W")
        out[lang] = weights
    return out


def add_heldout_argument(parser: argparse.ArgumentParser) -> None:
    """`--heldout [N]`: held-out round N (tests/eval/heldout/; a bare flag is round 1) in place of the dev queries."""
    parser.add_argument(
        "--heldout",
        nargs="?",
        type=int,
        const=1,
        default=None,
        metavar="N",
        help="held-out round N's queries (default round 1) instead of the dev ones",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--queries", type=Path, default=Path("tests/eval/dev_queries.jsonl"))
    parser.add_argument("--data", type=Path, default=None, help="index directory (default: var/bench/<content name>)")
    parser.add_argument("--content-langs", default=None, help="index only these content languages, e.g. en")
    parser.add_argument("--query-langs", default=None, help="run only queries in these languages, e.g. ar")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--no-lang-filter", action="store_true", help="detect the language instead of passing it")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    parser.add_argument(
        "--suite", action="store_true", help="every domain and case side by side, and the transfer line"
    )
    parser.add_argument("--no-grids", action="store_true", help="skip the fusion grids (levers, floors only)")
    parser.add_argument(
        "--max-false", type=float, default=MAX_FALSE, help="answerable share the fitted floors may flag"
    )
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS), help="the suite's domains")
    parser.add_argument(
        "--chunks", default="", metavar="MAX/MIN", help="index at these chunk sizes (default the settings', 1100/160)"
    )
    add_heldout_argument(parser)
    parser.add_argument("--misses", type=Path, default=None, help="write every query not ranked first here (JSONL)")
    parser.add_argument("--levers", default="", help=f"e.g. shared_words=on,transliteration=off ({', '.join(LEVERS)})")
    parser.add_argument(
        "--fusion",
        default="",
        help="fitted weights to score in place of copilot.fitted_fusion's, "
        "e.g. 'en:use=0.8,lexical=0.2;ar:use=0.6,lexical=1.3'",
    )
    args = parser.parse_args()
    try:
        FITTED_WEIGHTS.update(fitted_weights(args.fusion))
    except ValueError as error:
        parser.error(f"--fusion: {error}")
    for setting in filter(None, args.levers.split(",")):
        lever, _, state = setting.partition("=")
        if lever not in LEVERS or state not in ("on", "off"):
            parser.error(f"--levers: {setting!r} is not NAME=on|off with NAME one of {', '.join(LEVERS)}")
        LEVERS[lever] = state == "on"
    try:
        root = chunk_root(args.chunks) if args.chunks else BENCH_ROOT
    except ValueError as error:
        parser.error(f"--chunks: {error}")
    if args.suite:
        figures: dict = {}
        missed: list | None = [] if args.misses else None
        domains = args.domains.split(",")
        suite(root, args.max_false, figures, domains, not args.no_grids, args.heldout, missed)
        if args.misses and missed is not None:
            args.misses.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in missed), "utf-8")
            print(f"misses: {args.misses} ({len(missed)})")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), "utf-8")
        return

    content = args.content
    temp = None
    if args.content_langs:
        temp = Path(tempfile.mkdtemp())
        content = filtered_content(args.content, args.content_langs.split(","), temp / "content")
    name = args.content.resolve().name if args.content.name != "content" else args.content.resolve().parent.name
    data = args.data or root / (name + (f"-{args.content_langs}" if args.content_langs else ""))
    seed_cache(data, BENCH_ROOT / data.name)
    engine = Engine(Settings.from_env(content_dir=content, data_dir=data))
    started = time.perf_counter()
    indexed = engine.index(show_progress=None)
    print(f"index: {indexed.summary()} ({time.perf_counter() - started:.1f} s)")
    queries = load_queries(args.queries, set(args.query_langs.split(",")) if args.query_langs else None)
    engine.retriever.search("warm up", lang="en")
    report: dict = {"content": str(args.content), "queries": str(args.queries), "content_langs": args.content_langs}
    print(
        f"{'mode':8} {'lang':4} {'n':>4} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7}  "
        "abstain oos/answerable   latency p50/p95 ms"
    )
    misses: list | None = [] if args.misses else None
    kinds: list[str] = []
    for mode in args.modes.split(","):
        ranks: list[tuple[dict, int | None]] = []
        result = evaluate(engine, queries, mode, lang_filter=not args.no_lang_filter, ranks=ranks, misses=misses)
        report[mode] = result
        kinds += kind_lines(f"{mode:8}", ranks)  # each source's figure per kind, beside the hybrid's
        for lang, r in result.items():
            if lang == "latency_ms":
                continue
            lat = result["latency_ms"]
            print(
                f"{mode:8} {lang:4} {r['queries']:>4} {r['recall@1']:>6.3f} {r['recall@5']:>6.3f} "
                f"{r['recall@10']:>6.3f} {r['mrr@10']:>7.3f}  {r['abstained_out_of_scope']:>6.2f}/"
                f"{r['abstained_answerable']:<14.3f} {lat['p50']}/{lat['p95']}"
            )
    for line in kinds:
        print(line)
    report["kinds"] = kinds
    engine.close()
    if args.misses and misses is not None:
        args.misses.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in misses), "utf-8")
        print(f"misses: {args.misses} ({len(misses)})")
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
        print(f"report: {args.json}")


if __name__ == "__main__":
    main()
