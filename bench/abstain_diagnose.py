"""Why out-of-scope questions pass the same-language abstention floors, per domain (issue #18, session 39).

    PYTHONPATH=. python bench/abstain_diagnose.py --json var/abst39/diag.json [--domains demo,m365,gnome]
    PYTHONPATH=. python bench/abstain_diagnose.py --read var/abst39/diag.json [--domain gnome]

`--json` searches every same-language dev question (answerable and out of scope), the near-topic file's questions
and the index's own label-free probes (copilot.self_calibration.probes: titles, headings, partial titles) with the
floors off, and keeps each one's signals and first three titles. `--read` prints, for each out-of-scope question
that passes and each answerable one that is flagged, the first title and every floor's signal beside its floor
(the register's), and which signals hold the question above the floors.
"""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path
from typing import Any

from bench.eval_retrieval import chosen_domains, domain_content, load_queries, open_engine
from copilot import retrieval
from copilot.query_register import query_register
from copilot.retrieval import Retriever, _signals, register_floors
from copilot.self_calibration import probes
from copilot.tuning import ABSTAIN_FLOORS, ABSTAIN_OFFSETS
from indexer.stores.base import Hit, StoreQuery

ROOT = Path("var/bench")
_SOURCES: list[dict[str, list[str]]] = []  # each search's per-source first article keys (`_recording`)


DEPTH = 40  # chunks per source's evidence query in `--json` (the product asks 2: top and margin are the same)
_SCORES: list[dict[str, list[float]]] = []  # each search's per-source best score per article, best first


def _recording(evidence: dict[str, list[Hit]]) -> dict[str, float]:
    """retrieval._signals, also noting each source's first three articles and its best score per article."""
    keys: dict[str, list[str]] = {}
    scores: dict[str, list[float]] = {}
    for name, top in evidence.items():
        seen: set[str] = set()
        for hit in top:
            key = str(hit.payload.get("key", ""))
            if key not in seen:
                seen.add(key)
                scores.setdefault(name, []).append(float(hit.score))
                if len(keys.setdefault(name, [])) < 3:
                    keys[name].append(key)
    _SOURCES.append(keys)
    _SCORES.append(scores)
    return _signals(evidence)


def _deeper(*args: Any, **kwargs: Any) -> StoreQuery:
    """StoreQuery, with an evidence query (2 chunks, keys only) asked DEPTH deep."""
    if kwargs.get("limit") == 2 and kwargs.get("payload_fields") == ("key",):
        kwargs["limit"] = DEPTH
    return StoreQuery(*args, **kwargs)


def _asked(retriever: Retriever, text: str, lang: str) -> dict[str, Any]:
    """One search with the floors off: its signals, each source's first articles and scores, the first titles."""
    _SOURCES.clear()
    _SCORES.clear()
    result = retriever.search(text, lang=lang, limit=10)
    return {
        "query": text,
        "lang": lang,
        "signals": dict(result.signals),
        "sources": _SOURCES[-1] if _SOURCES else {},
        "scores": _SCORES[-1] if _SCORES else {},
        "titles": [h.title for h in result.results[:3]],
        "ids": [h.id for h in result.results[:3]],
    }


def dump(args: argparse.Namespace) -> None:
    report: list[dict[str, Any]] = []
    retrieval._signals = _recording  # type: ignore[attr-defined]
    retrieval.StoreQuery = _deeper  # type: ignore[attr-defined,misc]
    embedders = None
    for domain in chosen_domains(args.domains.split(",")):
        engine = open_engine(domain_content(domain), ROOT / domain.name, embedders)
        embedders = engine.embedders
        retriever = engine.retriever
        langs = {str(p["lang"]) for p in engine.store.payloads(("lang",))}
        rows = [r for r in load_queries(domain.queries, None) if r["lang"] in langs]
        near = load_queries(domain.near_scope, None) if domain.near_scope is not None else []
        floors, retriever.abstain_floors = retriever.abstain_floors, None
        asked = partial(_asked, retriever)
        questions = [
            {**asked(r["query"], r["lang"]), "relevant": r["relevant"], "kind": r.get("kind", "")} for r in rows
        ]
        near_rows = [
            {**asked(r["query"], r["lang"]), "relevant": [], "kind": "near"} for r in near if r["lang"] in langs
        ]
        payloads = engine.store.payloads(("key", "lang", "title", "heading_path"))
        probe_rows: list[dict[str, Any]] = []
        for lang in sorted(langs):
            own = [p for p in payloads if p.get("lang") == lang]
            for kind, texts in probes(own, lang).items():
                probe_rows += [{**asked(t, lang), "kind": kind} for t in texts]
        retriever.abstain_floors = floors
        report.append({"domain": domain.name, "questions": questions, "near": near_rows, "probes": probe_rows})
        print(f"{domain.name}: {len(questions)} questions, {len(near_rows)} near, {len(probe_rows)} probes", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False))


def floors_for(lang: str, query: str) -> dict[str, float]:
    """The shipped floors for this question's register."""
    shipped = (ABSTAIN_FLOORS or {}).get(lang, {})
    return register_floors(shipped, ABSTAIN_OFFSETS.get(lang, {}), query_register(query, lang))


def holders(row: dict[str, Any]) -> list[str]:
    """The signals at or above their floors: the ones that keep the question from being flagged."""
    floors = floors_for(row["lang"], row["query"])
    return [name for name, floor in floors.items() if row["signals"].get(name, 0.0) >= floor]


def line(row: dict[str, Any]) -> str:
    floors = floors_for(row["lang"], row["query"])
    values = {n: row["signals"].get(n, 0.0) for n in floors}
    parts = [f"{n} {values[n]:.3f}/{f:.3f}{'*' if values[n] >= f else ''}" for n, f in floors.items()]
    return f"  {row['query'][:70]!r} -> {row['titles'][0] if row['titles'] else '-'!r}\n      " + "  ".join(parts)


def read(args: argparse.Namespace) -> None:
    for entry in json.loads(args.read.read_text()):
        if args.domain and entry["domain"] != args.domain:
            continue
        for lang in sorted({q["lang"] for q in entry["questions"]}):
            rows = [q for q in entry["questions"] if q["lang"] == lang]
            oos = [q for q in rows if not q["relevant"]]
            answerable = [q for q in rows if q["relevant"]]
            passing = [q for q in oos if holders(q)]
            flagged = [q for q in answerable if not holders(q)]
            print(
                f"== {entry['domain']} {lang}: out of scope passing {len(passing)} of {len(oos)}, answerable "
                f"flagged {len(flagged)} of {len(answerable)} (* = at or above the floor)"
            )
            counts: dict[str, int] = {}
            for q in passing:
                for name in holders(q):
                    counts[name] = counts.get(name, 0) + 1
            print(f"  signals holding the passing ones up: {counts}")
            print(" out of scope, passing:")
            for q in passing:
                print(line(q))
            print(" answerable, flagged:")
            for q in flagged:
                print(line(q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--read", type=Path)
    parser.add_argument("--domains", default="demo,m365,gnome")
    parser.add_argument("--domain", default="")
    args = parser.parse_args()
    if args.read:
        read(args)
    elif args.json:
        dump(args)
    else:
        parser.error("--json or --read")


if __name__ == "__main__":
    main()
