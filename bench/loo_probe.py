"""Leave-one-out probes of an index: near-topic out-of-scope questions a help center can ask itself (issue #18).

    PYTHONPATH=. python bench/loo_probe.py --json var/loo21/loo.json [--domains demo,m365,gnome]
    PYTHONPATH=. python bench/loo_probe.py --read var/loo21/loo.json
    PYTHONPATH=. python bench/loo_probe.py --json var/loo21/loo_sib.json --siblings 0.5  # near-duplicates left out too
    PYTHONPATH=. python bench/loo_probe.py --cross --json var/loo21/cross.json  # demo ar>en, en>ar; --cross --read

The public articles' titles, headings and partial titles as copilot.self_calibration.probes picks them (up to 100
of each), asked against the index twice: as it is ("present": the answerable stand-in selfabst20's floors were
carried by) and without every article whose title or a heading holds the probe's words in order ("left out": the
best score among the other articles, a question on the index's topic that nothing answers). The background views
are waited for first. The same-language abstention signals (e5_top, use_top,
lexical_share: each source's own best chunk, as Retriever.search's evidence queries read them) come from one store
query per source, deep enough to pass the left-out article's chunks. Beside them, each same-language case's dev and
near-topic questions with the floors off (bench/eval_retrieval.collect_signals) and m365's customer slice. `--read`
prints the distributions and scores label-free rules placing the floors from the two distributions, no label read
by any rule (bench/RESULTS.md "Session 21, loo21").
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.eval_retrieval import (
    DOMAINS,
    Case,
    chosen_domains,
    collect_signals,
    domain_content,
    load_queries,
    open_engine,
    suite_cases,
)
from bench.self_probe import QUANTILES, abstains, quantiles
from copilot.query_vectors import unit
from copilot.retrieval import LEXICAL, Retriever, query_register
from copilot.self_calibration import POOLED, position, value_at
from copilot.self_calibration import probes as own_probes
from copilot.tuning import ABSTAIN_FLOORS
from indexer.stores.base import PayloadFilter, Source, StoreQuery
from kb.arabic import normalize_arabic

DEPTH = 60  # chunks per source read past the left-out articles
MODEL_SIGNALS = ("e5_top", "use_top", "lexical_share")
CUSTOMER = Path("tests/eval/m365_customer_queries.jsonl")


def keyed_probes(rows: Sequence[dict], lang: str, size: int = 100) -> list[tuple[str, str, frozenset[str]]]:
    """(kind, text, the articles that hold it) for copilot.self_calibration.probes' titles, headings and partial
    titles of these rows: an article holds a probe when its title or a heading has the probe's words in order (a
    partial title is held by every article whose title or heading it could have been cut from)."""
    fields: dict[tuple[str, ...], set[str]] = {}
    for row in rows:
        path = row.get("heading_path")
        for text in (row.get("title", ""), path[-1] if isinstance(path, list) and path else ""):
            if str(text).strip():
                fields.setdefault(tuple(str(text).split()), set()).add(str(row.get("key", "")))
    out = []
    for kind, texts in own_probes(rows, lang, size).items():
        if kind in POOLED:
            for text in texts:
                words = text.split()
                held = {key for field, keys in fields.items() if _in_order(words, field) for key in keys}
                out.append((kind, text, frozenset(held)))
    return out


def siblings(rows: Sequence[dict], overlap: float) -> dict[str, frozenset[str]]:
    """Per article, those whose title shares at least `overlap` of its words with its title (Jaccard, Arabic folded):
    the near-duplicate pages of an index of one page per country or plan, to leave out with it."""
    titles: dict[str, frozenset[str]] = {}
    for row in rows:
        words = normalize_arabic(str(row.get("title", ""))).lower().split()
        titles.setdefault(str(row.get("key", "")), frozenset(words))
    return {
        key: frozenset(other for other, b in titles.items() if len(a & b) >= overlap * len(a | b) > 0)
        for key, a in titles.items()
    }


def _in_order(words: Sequence[str], field: Sequence[str]) -> bool:
    """Whether `words` occur in `field` in this order (not necessarily next to each other)."""
    rest = iter(field)
    return all(word in rest for word in words)


def present_and_left_out(
    retriever: Retriever, text: str, lang: str, left_out: frozenset[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """The same-language evidence signals of `text`, with every article and without the `left_out` ones."""
    plan = retriever.plan(text, lang, 10)
    vectors, _ = retriever._embed(plan, {})
    plan = retriever._with_feedback(plan, vectors)
    sparse, _typed = retriever._lexical_vectors(plan)
    evidence = retriever._lexical_vectors(plan, ranking=False)[0] if sparse else None
    sources = retriever._sources(plan, vectors, sparse)
    names, queries = [], []
    for source in sources:
        vector = (source.is_sparse and evidence) or source.vector
        names.append(LEXICAL if source.is_sparse else source.vector_name)
        queries.append(
            StoreQuery(
                (Source(source.vector_name, vector, plan.same_lang),),
                plan.base_filter,
                limit=DEPTH,
                payload_fields=("key",),
            )
        )
    answers = retriever.store.query(queries)
    present: dict[str, float] = {}
    loo: dict[str, float] = {}
    for name, hits in zip(names, answers, strict=True):
        present[f"{name}_top"] = hits[0].score if hits else 0.0
        others = [h for h in hits if str(h.payload.get("key", "")) not in left_out]
        loo[f"{name}_top"] = others[0].score if others else 0.0
    scale = retriever.lexical_scale(lang)
    for signals in (present, loo):
        if "lexical_top" in signals:
            signals["lexical_share"] = signals["lexical_top"] / scale
    return present, loo


def dump(args: argparse.Namespace) -> None:
    report = []
    embedders = None
    for domain in [d for d in DOMAINS if d.name in args.domains.split(",")]:
        engine = open_engine(domain_content(domain), Path("var/bench") / domain.name, embedders)
        embedders = engine.embedders
        retriever = engine.retriever
        retriever.wait_for_views()
        langs = {str(p["lang"]) for p in engine.store.payloads(("lang",))}
        rows = [r for r in load_queries(domain.queries, None) if r["lang"] in langs]
        near = [r for r in load_queries(domain.near_scope, None) if r["lang"] in langs] if domain.near_scope else []
        case = Case(domain.name, "same-language", engine, rows, near=near)
        collect_signals(case)
        customer: dict[str, list[dict[str, float]]] = {}
        customer_rows: list[dict] = []
        if domain.name == "m365":
            customer_rows = [r for r in load_queries(CUSTOMER, None) if r["lang"] in langs]
            floors, retriever.abstain_floors = retriever.abstain_floors, None
            for row in customer_rows:
                found = retriever.search(row["query"], lang=row["lang"]).signals
                customer.setdefault(row["lang"], []).append(dict(found))
            retriever.abstain_floors = floors
        payloads = [p for p in engine.store.payloads(("key", "lang", "title", "heading_path", "visibility"))]
        probes: dict[str, list[dict[str, Any]]] = {}
        for lang in sorted(langs):
            own = [p for p in payloads if p.get("lang") == lang and p.get("visibility", "public") == "public"]
            family = siblings(own, args.siblings) if args.siblings is not None else {}
            for kind, text, holders in keyed_probes(own, lang):
                if family:
                    holders = frozenset(k for key in holders for k in family.get(key, {key}))
                present, loo = present_and_left_out(retriever, text, lang, holders)
                probes.setdefault(lang, []).append(
                    {"kind": kind, "text": text, "holders": len(holders), "present": present, "loo": loo}
                )
        report.append(
            {
                "domain": domain.name,
                "rows": [{"lang": r["lang"], "query": r["query"], "oos": not r["relevant"]} for r in rows],
                "signals": case.signals,
                "near": [{"lang": r["lang"], "query": r["query"]} for r in near],
                "near_signals": case.near_signals,
                "customer": [{"lang": r["lang"], "query": r["query"]} for r in customer_rows],
                "customer_signals": customer,
                "probes": probes,
            }
        )
        print(f"{domain.name}: {len(rows)} questions, probes { {k: len(v) for k, v in probes.items()} }", flush=True)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False))


def cross_present_and_left_out(
    retriever: Retriever, text: str, lang: str, left_out: frozenset[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """A question in `lang` over an index with no article in it (the cross-lingual case): the two shares the
    cross-lingual floors read, as `Retriever.search` reports them ("present") and without the `left_out` articles:
    USE's best other-language chunk (`cross_share`) and the best USE title cosine among all the other articles' titles
    (`cross_title_share`; search takes it among its fused candidates, and the typed reading is not redone)."""
    present = {k: v for k, v in retriever.search(text, lang=lang, limit=10).signals.items() if k.startswith("cross")}
    plan = retriever.plan(text, lang, 10)
    vectors, _ = retriever._embed(plan, {})
    query = vectors["use"]
    other = PayloadFilter(langs=plan.others)
    hits = retriever.store.query([StoreQuery((Source("use", query, other),), plan.base_filter, limit=DEPTH)])[0]
    others = [h for h in hits if str(h.payload.get("key", "")) not in left_out]
    titles = retriever._titles.peek() if retriever._titles is not None else None
    scales = retriever._cross_scales.peek() if retriever._cross_scales is not None else None
    if not others or titles is None or not scales:
        return present, {}
    scale = scales[(lang, str(others[0].payload.get("lang", "")))]
    best_title = max(v for k, v in titles.scores(unit(query), plan.others).items() if k not in left_out)
    loo = {"cross_share": scale.chunk_share(others[0].score), "cross_title_share": scale.title_share(best_title)}
    return present, loo


CROSS_SIGNALS = ("cross_share", "cross_title_share")


def cross_dump(args: argparse.Namespace) -> None:
    """The demo's two cross-lingual cases (its Arabic questions over its English articles only, and the reverse):
    the asking language's titles, headings and partial titles of articles whose translation the index holds, asked
    with that translation present and left out, beside the case's dev and near-topic questions."""
    cases = suite_cases(chosen_domains(["demo"]), Path("var/bench"))
    full = cases[0].engine.store.payloads(("key", "lang", "title", "heading_path", "visibility"))
    report = []
    for case in cases[1:]:
        retriever = case.engine.retriever
        retriever.wait_for_views()
        collect_signals(case)
        asking = str(case.rows[0]["lang"])
        shown = {str(p["key"]) for p in case.engine.store.payloads(("key",))}
        own = [p for p in full if p.get("lang") == asking and p.get("visibility", "public") == "public"]
        probes = []
        for kind, text, holders in keyed_probes(own, asking):
            translated = frozenset(k for h in holders if (k := f"{plan_target(shown)}/{h.split('/', 1)[1]}") in shown)
            if not translated:
                continue
            present, loo = cross_present_and_left_out(retriever, text, asking, translated)
            probes.append({"kind": kind, "text": text, "present": present, "loo": loo})
        report.append(
            {
                "domain": case.domain,
                "case": case.name,
                "lang": asking,
                "rows": [{"query": r["query"], "oos": not r["relevant"]} for r in case.rows],
                "signals": case.signals[asking],
                "near_signals": case.near_signals.get(asking, []),
                "probes": probes,
            }
        )
        print(f"{case.domain} {case.name}: {len(case.rows)} questions, {len(probes)} probes", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False))


def plan_target(keys: set[str]) -> str:
    """The one article language of a single-language index's keys ("en/..." -> "en")."""
    langs = {key.split("/", 1)[0] for key in keys}
    if len(langs) != 1:
        raise ValueError(f"expected one article language, found {sorted(langs)}")
    return langs.pop()


def cross_read(path: Path) -> None:
    """Per cross-lingual case: the present and left-out distributions of the two shares, where the case's questions
    sit among the left-out probes, and the direction's shipped floors beside floors at left-out quantiles (title
    names exempt, as Retriever._abstains)."""
    from copilot.retrieval import CROSS_DIRECTION_FLOORS

    for entry in json.loads(path.read_text()):
        probes = [p for p in entry["probes"] if p["loo"]]
        oos = np.array([r["oos"] for r in entry["rows"]])
        print(f"== {entry['domain']} {entry['case']} [{entry['lang']}] {len(probes)} probes")
        for n in CROSS_SIGNALS:
            loo = [p["loo"][n] for p in probes]
            present = [p["present"].get(n, 0.0) for p in probes]
            answerable = [s.get(n, 0.0) for s, o in zip(entry["signals"], oos, strict=True) if not o]
            out = [s.get(n, 0.0) for s, o in zip(entry["signals"], oos, strict=True) if o]
            near = [s.get(n, 0.0) for s in entry["near_signals"]]
            print(f"  {n:18s} present {quantiles(present)}")
            print(f"  {n:18s} left out {quantiles(loo)}")
            for group, got in (("answerable", answerable), ("out-of-scope", out), ("near-topic", near)):
                median = np.median([position(v, loo) for v in got]) if got else float("nan")
                print(f"  {n:18s} {group:12s} {quantiles(got)}  (median position among left-out {median:.2f})")
        asking, target = entry["lang"], "en" if entry["lang"] == "ar" else "ar"
        shipped = CROSS_DIRECTION_FLOORS[(asking, target)]
        candidates = {"shipped": dict(shipped)}
        for q in (0.1, 0.25, 0.4, 0.5, 0.6):
            candidates[f"left-out quantile {q}"] = {
                n: float(np.quantile([p["loo"][n] for p in probes], q)) for n in shipped
            }
        for name, floors in candidates.items():

            def low(s: dict[str, float], floors: dict[str, float] = floors) -> bool:
                return all(s.get(n, 0.0) < f for n, f in floors.items()) and not s.get("title_names")

            got = np.array([low(s) for s in entry["signals"]])
            near = sum(low(s) for s in entry["near_signals"])
            shown = " ".join(f"{n}={v:.3f}" for n, v in floors.items())
            print(
                f"  {name:22s} {got[oos].mean():.0%}/{got[~oos].mean():.1%} near {near}/{len(entry['near_signals'])}"
                f"  [{shown}]"
            )


Floors = dict[str, float]


def flag_share(entry: dict, lang: str, floors: Floors, group: str = "dev") -> str:
    """The same-language rule (`bench.self_probe.abstains`) on one index's questions:
    dev out-of-scope / answerable, near-topic (out of scope) or the customer slice (answerable)."""
    if group == "dev":
        rows = [r for r in entry["rows"] if r["lang"] == lang]
        signals = entry["signals"][lang]
        got = np.array([abstains(s, r["query"], lang, floors) for s, r in zip(signals, rows, strict=True)])
        oos = np.array([r["oos"] for r in rows])
        counts = f"({got[oos].sum()}/{oos.sum()}, {got[~oos].sum()}/{(~oos).sum()})"
        return f"{got[oos].mean():.0%}/{got[~oos].mean():.1%} {counts}"
    rows = [r for r in entry[group] if r["lang"] == lang]
    signals = entry[f"{group}_signals"].get(lang, [])
    got = np.array([abstains(s, r["query"], lang, floors) for s, r in zip(signals, rows, strict=True)])
    return f"{got.sum()}/{len(got)}" if len(got) else "-"


def values(probes: list[dict], side: str, name: str, kinds: Sequence[str] = POOLED) -> list[float]:
    return [p[side].get(name, 0.0) for p in probes if p["kind"] in kinds]


def rules(entries: list[dict]) -> dict[str, Callable[[dict, str], Floors]]:
    """The label-free rules: each maps (an index's entry, a language) to same-language floors (field_top 0.5)."""
    demo = next(e for e in entries if e["domain"] == "demo")

    def shipped(entry: dict, lang: str) -> Floors:
        return dict(ABSTAIN_FLOORS[lang])  # type: ignore[index]

    def loo_quantile(q: float) -> Callable[[dict, str], Floors]:
        def rule(entry: dict, lang: str) -> Floors:
            probes = entry["probes"][lang]
            return {**{n: float(np.quantile(values(probes, "loo", n), q)) for n in MODEL_SIGNALS}, "field_top": 0.5}

        return rule

    def between(w: float, kinds: Sequence[str] = POOLED) -> Callable[[dict, str], Floors]:
        """Per signal, the point w of the way from the left-out median to the present median (with the titles
        alone, w is a floor on the own scales' shares, copilot.calibration.own_scales: 0 = the nearest wrong
        article's median for the index's titles, 1 = the right one's)."""

        def rule(entry: dict, lang: str) -> Floors:
            probes = entry["probes"][lang]
            out = {}
            for n in MODEL_SIGNALS:
                a, b = np.median(values(probes, "loo", n, kinds)), np.median(values(probes, "present", n, kinds))
                out[n] = float(a + w * (b - a))
            return {**out, "field_top": 0.5}

        return rule

    def affine(kinds: Sequence[str]) -> Callable[[dict, str], Floors]:
        """The shipped floors carried by two anchors: each floor's place between the demo's left-out and present
        medians (w, per signal), at the same w between the index's own."""

        def rule(entry: dict, lang: str) -> Floors:
            floors = dict(ABSTAIN_FLOORS[lang])  # type: ignore[index]
            for n in MODEL_SIGNALS:
                a, b = (float(np.median(values(demo["probes"][lang], side, n, kinds))) for side in ("loo", "present"))
                w = (floors[n] - a) / (b - a)
                a, b = (float(np.median(values(entry["probes"][lang], side, n, kinds))) for side in ("loo", "present"))
                floors[n] = a + w * (b - a)
            return floors

        return rule

    def raised(q: float) -> Callable[[dict, str], Floors]:
        """Each shipped floor, or the left-out quantile q where that is higher."""

        def rule(entry: dict, lang: str) -> Floors:
            quantile = loo_quantile(q)(entry, lang)
            return {n: max(f, quantile[n]) for n, f in ABSTAIN_FLOORS[lang].items()}  # type: ignore[index]

        return rule

    def equal_error(entry: dict, lang: str) -> Floors:
        """Per signal, the value where the share of left-out probes above it equals the share of present below."""
        probes = entry["probes"][lang]
        out = {}
        for n in MODEL_SIGNALS:
            loo, present = np.array(values(probes, "loo", n)), np.array(values(probes, "present", n))
            grid = np.linspace(min(loo.min(), present.min()), max(loo.max(), present.max()), 400)
            gap = [abs((loo >= g).mean() - (present < g).mean()) for g in grid]
            out[n] = float(grid[int(np.argmin(gap))])
        return {**out, "field_top": 0.5}

    def carried_loo(side: str, scale: float = 1.0) -> Callable[[dict, str], Floors]:
        """The shipped floors at their position among the demo's `side` probes, moved to that position of the
        index's own (selfabst20's carried floors with side "present"; the left-out probes with "loo")."""

        def rule(entry: dict, lang: str) -> Floors:
            floors = dict(ABSTAIN_FLOORS[lang])  # type: ignore[index]
            reference = demo["probes"][lang]
            for n in MODEL_SIGNALS:
                share = min(position(floors[n], values(reference, side, n)) * scale, 0.99)
                floors[n] = value_at(share, values(entry["probes"][lang], side, n))
            return floors

        return rule

    def fixed_present(p: float) -> Callable[[dict, str], Floors]:
        """Every signal at quantile q of the left-out probes, q the largest whose joint rule flags at most p of the
        present probes (titles, headings, partial)."""

        def rule(entry: dict, lang: str) -> Floors:
            probes = entry["probes"][lang]
            best = loo_quantile(0.0)(entry, lang)
            for q in np.arange(0.0, 1.0, 0.01):
                floors = loo_quantile(float(q))(entry, lang)
                flagged = np.mean([all(pr["present"].get(n, 0.0) < floors[n] for n in MODEL_SIGNALS) for pr in probes])
                if flagged > p:
                    break
                best = floors
            return best

        return rule

    def joint_share(target: float) -> Callable[[dict, str], Floors]:
        """Every signal at quantile q of the left-out probes, q the smallest whose joint rule (all three under their
        floors) flags `target` of the left-out probes."""

        def rule(entry: dict, lang: str) -> Floors:
            probes = entry["probes"][lang]
            floors = loo_quantile(0.0)(entry, lang)
            for q in np.arange(0.0, 1.0, 0.01):
                floors = loo_quantile(float(q))(entry, lang)
                if _joint(probes, "loo", floors) >= target:
                    break
            return floors

        return rule

    def youden(entry: dict, lang: str) -> Floors:
        """Every signal at quantile q of the left-out probes, q where the joint rule flags the most left-out probes
        beyond the present ones it flags."""
        probes = entry["probes"][lang]
        grid = [loo_quantile(float(q))(entry, lang) for q in np.arange(0.0, 1.0, 0.01)]
        return max(grid, key=lambda f: _joint(probes, "loo", f) - _joint(probes, "present", f))

    out: dict[str, Callable[[dict, str], Floors]] = {"shipped floors": shipped}
    out["carried, present probes (selfabst20)"] = carried_loo("present")
    for scale in (0.85, 1.0, 1.15):
        out[f"carried, left-out probes x{scale:.2f}"] = carried_loo("loo", scale)
    for q in (0.25, 0.5, 0.6, 0.7, 0.8):
        out[f"left-out quantile {q}"] = loo_quantile(q)
    for w in (0.0, 0.25, 0.5):
        out[f"between medians w={w}"] = between(w)
    for w in (0.0, 0.25, 0.5):
        out[f"between the titles' medians (own-scale share) w={w}"] = between(w, ("title",))
    for kinds in (POOLED, ("title",), ("heading",)):
        out[f"carried between the medians, {'+'.join(kinds)}"] = affine(kinds)
    for q in (0.45, 0.5, 0.55, 0.6):
        out[f"shipped floors raised to left-out quantile {q}"] = raised(q)
    out["equal error per signal"] = equal_error
    for p in (0.02, 0.05):
        out[f"left-out quantile at <= {p:.0%} of present flagged"] = fixed_present(p)
    for target in (0.3, 0.4, 0.5):
        out[f"left-out quantile whose joint rule flags {target:.0%} of the left-out probes"] = joint_share(target)
    out["joint rule's best left-out minus present flagged"] = youden
    return out


def _joint(probes: list[dict], side: str, floors: Floors) -> float:
    return float(np.mean([all(p[side].get(n, 0.0) < floors[n] for n in MODEL_SIGNALS) for p in probes]))


def question_groups(entry: dict, lang: str) -> dict[str, list[dict[str, float]]]:
    """One index's labelled questions in `lang` by group: dev answerable and out-of-scope, near-topic, m365's slice."""
    rows = [r for r in entry["rows"] if r["lang"] == lang]
    signals = entry["signals"][lang]
    return {
        "answerable": [s for s, r in zip(signals, rows, strict=True) if not r["oos"]],
        "out-of-scope": [s for s, r in zip(signals, rows, strict=True) if r["oos"]],
        "near-topic": entry["near_signals"].get(lang, []),
        "customer slice": entry["customer_signals"].get(lang, []),
    }


def registers(entry: dict, lang: str) -> dict[tuple[str, str], list[dict[str, float]]]:
    """The answerable questions (dev and m365's slice) by query register (copilot.retrieval.query_register)."""
    out: dict[tuple[str, str], list[dict[str, float]]] = {}
    rows = [r for r in entry["rows"] if r["lang"] == lang]
    for group, asked, signals in (
        ("answerable", [r for r in rows if not r["oos"]], question_groups(entry, lang)["answerable"]),
        ("slice", [r for r in entry["customer"] if r["lang"] == lang], entry["customer_signals"].get(lang, [])),
    ):
        for row, found in zip(asked, signals, strict=True):
            out.setdefault((group, query_register(row["query"], lang)), []).append(found)
    return out


def kinds(entries: list[dict]) -> None:
    """Where the labelled questions of each `kind` (the query files' label, joined on the query text) sit among the
    index's left-out probes: median position, e5 / USE / BM25."""
    print("\n== by the query files' kind: median position among the left-out probes (e5/USE/BM25)")
    for entry in entries:
        domain = next(d for d in DOMAINS if d.name == entry["domain"])
        files = [(domain.queries, "rows", "signals"), (CUSTOMER, "customer", "customer_signals")]
        for lang, probes in entry["probes"].items():
            loo = {n: values(probes, "loo", n) for n in MODEL_SIGNALS}
            groups: dict[str, list[dict[str, float]]] = {}
            for path, rows_at, signals_at in files:
                if not entry[rows_at]:
                    continue
                kind = {(r["lang"], r["query"]): r.get("kind", "?") for r in load_queries(path, {lang})}
                asked = [r for r in entry[rows_at] if r["lang"] == lang]
                for row, found in zip(asked, entry[signals_at].get(lang, []), strict=True):
                    group = "slice " if rows_at == "customer" else ""
                    groups.setdefault(f"{group}{kind[(lang, row['query'])]}", []).append(found)
            shown = " | ".join(
                f"{g} ({len(got)}) "
                + "/".join(f"{np.median([position(s.get(n, 0.0), loo[n]) for s in got]):.2f}" for n in MODEL_SIGNALS)
                for g, got in sorted(groups.items())
            )
            print(f"  {entry['domain']} [{lang}] {shown}")


def separation(entries: list[dict]) -> None:
    """Per index and signal: how often a present probe outscores its left-out self's best other article (AUC of
    present over left-out, pooled kinds), and where each question group's median sits among the left-out probes."""
    print("\n== separation: AUC present > left-out; median position among the left-out probes of each group")
    for entry in entries:
        for lang, probes in entry["probes"].items():
            groups = question_groups(entry, lang)
            for n in MODEL_SIGNALS:
                loo, present = np.array(values(probes, "loo", n)), np.array(values(probes, "present", n))
                auc = float(np.mean(present[:, None] > loo[None, :]))
                shown = " ".join(
                    f"{g} {np.median([position(s.get(n, 0.0), loo.tolist()) for s in got]):.2f}"
                    for g, got in groups.items()
                    if got
                )
                print(f"  {entry['domain']} [{lang}] {n:14s} AUC {auc:.2f}  {shown}")
                by_register = " ".join(
                    f"{g} {register} ({len(got)}) {np.median([position(s.get(n, 0.0), loo.tolist()) for s in got]):.2f}"
                    for (g, register), got in sorted(registers(entry, lang).items())
                )
                print(f"      by register: {by_register}")


def quantile_grid(entries: list[dict]) -> None:
    """Every signal at quantile q of one kind of left-out probes (or all three pooled), q over a grid: what any
    left-out quantile can do on each index, one line per (kind, q)."""
    print("\n== left-out quantile grid by probe kind (dev out-of-scope/answerable; m365's slice)")
    for kinds in (POOLED, ("title",), ("heading",), ("partial",)):
        for q in np.arange(0.3, 0.81, 0.05):
            parts = []
            for entry in entries:
                for lang, probes in entry["probes"].items():
                    floors = {n: float(np.quantile(values(probes, "loo", n, kinds), q)) for n in MODEL_SIGNALS}
                    floors["field_top"] = 0.5
                    got = flag_share(entry, lang, floors).split(" ")[0]
                    slice_ = f" slice {flag_share(entry, lang, floors, 'customer')}" if entry["customer"] else ""
                    parts.append(f"{entry['domain']} {lang} {got}{slice_}")
            print(f"  {'+'.join(kinds):22s} q {q:.2f}: " + " | ".join(parts))


def mean_positions(entries: list[dict]) -> None:
    """Not floors: a question abstains when the mean of its three positions among the left-out probes is under t
    (and field_top under 0.5), no register offsets."""
    print("\n== mean position among the left-out probes under t (dev out-of-scope/answerable; m365's slice)")
    for t in (0.3, 0.35, 0.4, 0.45, 0.5):
        parts = []
        for entry in entries:
            for lang, probes in entry["probes"].items():
                loo = {n: values(probes, "loo", n) for n in MODEL_SIGNALS}

                def low(s: dict[str, float], loo: dict[str, list[float]] = loo, t: float = t) -> bool:
                    mean = np.mean([position(s.get(n, 0.0), loo[n]) for n in MODEL_SIGNALS])
                    return bool(mean < t) and s.get("field_top", 0.0) < 0.5

                rows = [r for r in entry["rows"] if r["lang"] == lang]
                got = np.array([low(s) for s in entry["signals"][lang]])
                oos = np.array([r["oos"] for r in rows])
                customer = entry["customer_signals"].get(lang, [])
                slice_ = f" slice {sum(low(s) for s in customer)}/{len(customer)}" if customer else ""
                parts.append(f"{entry['domain']} {lang} {got[oos].mean():.0%}/{got[~oos].mean():.1%}{slice_}")
        print(f"  mean position < {t}: " + " | ".join(parts))


def read(path: Path) -> None:
    entries = json.loads(path.read_text())
    separation(entries)
    kinds(entries)
    quantile_grid(entries)
    mean_positions(entries)
    for entry in entries:
        for lang, probes in entry["probes"].items():
            print(f"== {entry['domain']} [{lang}] quantiles {QUANTILES}")
            groups = question_groups(entry, lang)
            for n in MODEL_SIGNALS:
                for group, got in groups.items():
                    if got:
                        print(f"  {n:14s} {group:22s} n={len(got):4d} {quantiles([s.get(n, 0.0) for s in got])}")
                for kind in ("title", "heading", "partial"):
                    for side in ("present", "loo"):
                        v = values(probes, side, n, (kind,))
                        print(f"  {n:14s} {kind + ' ' + side:22s} n={len(v):4d} {quantiles(v)}")
    if not any(e["domain"] == "demo" for e in entries):
        return  # the carried rules read the demo's probes
    print("\n== rules (dev out-of-scope / answerable flagged; near-topic flagged; m365 customer slice flagged)")
    for name, rule in rules(entries).items():
        parts = []
        for entry in entries:
            for lang in entry["probes"]:
                floors = rule(entry, lang)
                near = flag_share(entry, lang, floors, "near")
                customer = flag_share(entry, lang, floors, "customer") if entry["customer"] else ""
                shown = "/".join(f"{floors[n]:.3f}" for n in MODEL_SIGNALS)
                parts.append(
                    f"{entry['domain']} {lang} {flag_share(entry, lang, floors)} near {near}"
                    + (f" slice {customer}" if customer else "")
                    + f" [{shown}]"
                )
        print(f"{name}:\n    " + "\n    ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, default=Path("var/loo21/loo.json"))
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--read", type=Path, default=None)
    parser.add_argument("--cross", action="store_true", help="the demo's cross-lingual cases (translated pairs)")
    parser.add_argument(
        "--siblings", type=float, default=None, help="also leave out the articles whose title shares this much"
    )
    args = parser.parse_args()
    if args.cross and args.read:
        cross_read(args.read)
    elif args.cross:
        cross_dump(args)
    elif args.read:
        read(args.read)
    else:
        dump(args)


if __name__ == "__main__":
    main()
