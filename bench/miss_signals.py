"""Which signal put the wrong page first: each dev miss's fused score decomposed, winner against the right page.

    PYTHONPATH=. python bench/miss_signals.py                     # m365 AR and demo AR/EN, same-language
    PYTHONPATH=. python bench/miss_signals.py --domains m365 --rows  # one line per miss, every component
    PYTHONPATH=. python bench/miss_signals.py --domains gnome --rows  # GNOME Help's English (an unseen help center)
    PYTHONPATH=. python bench/miss_signals.py --domains m365 --queries tests/eval/m365_customer_queries.jsonl \
        --langs ar,en --rows                                          # the customer slice, English over Arabic too

For every answerable same-language dev question whose first relevant article is not ranked first, the
search runs once with its ranking steps traced (issue #18): the fused first stage split into each RRF
source's share of the article's best chunk (e5, USE, BM25 and the intent's rankings, `w / (k + rank)` from
the source's own ranking of that chunk: approximate, the store's own fused scores run 0.01-0.03 above these
sums), the article credit of its next chunks, and then each later step's change to the article's score
(field credit, own titles, own chunk means, hub demotion); the series step
swap (which exchanges places and scores) is named when it moved either page. The winner's advantage
over the right page is the sum of the components; the signal "at fault" is the component that gives
the winner the most. A right page missing from the fused candidates (it never entered the ranking) is
"absent", and "recall" when no source holds it in its first 50 chunks either. A question whose language the
index lacks (English over m365's Arabic-only articles) is read in the missing-translation fallback's fused
ranking: its sources' shares, the article credit, the field credit, and the fallback's later credits (`x_`:
slug words, USE titles, e5 titles and headings, summaries, chunk means, the chunk-mean and title leads).
Nothing is asserted; the table goes to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import copilot.retrieval as retrieval_module
from bench.eval_retrieval import load_queries, rank_of
from copilot.engine import Engine
from indexer.lexical import SPARSE_VECTOR
from indexer.stores.base import Hit, StoreQuery
from kb.settings import Settings

# (domain, content, data, queries, query languages, content languages or None for all)
DOMAINS = {
    "m365": (Path("var/bench/m365-content"), Path("var/bench/m365"), Path("tests/eval/m365_queries.jsonl"), ("ar",)),
    "demo": (Path("content"), Path("var/bench/demo"), Path("tests/eval/dev_queries.jsonl"), ("ar", "en")),
    "gnome": (
        Path("var/bench/gnome-content"),
        Path("var/bench/gnome"),
        Path("tests/eval/gnome_queries.jsonl"),
        ("en",),
    ),
}
STEPS = ("field", "own_titles", "chunk_means", "hubs")
DEPTH = 50  # each source's prefetch depth before fusion (StoreQuery.candidates)


class Trace:
    """The scores of one search's ranking steps, per article key."""

    def __init__(self) -> None:
        self.ranking: StoreQuery | None = None
        self.best: dict[str, Hit] = {}  # each article's best fused chunk (the store's RRF score)
        self.credited: dict[str, float] = {}  # after the article credit
        self.deltas: dict[str, dict[str, float]] = defaultdict(dict)
        self.series: tuple[str, ...] = ()  # the keys the series step swapped
        self.lang = ""  # the query's language: the other languages' candidates (the fallback) are not traced

    def step(self, name: str, before: Sequence[Hit], after: Sequence[Hit]) -> None:
        old = {str(h.payload.get("key")): h.score for h in before if h.payload.get("lang") == self.lang}
        for hit in after:
            key = str(hit.payload.get("key"))
            if key in old:
                self.deltas[key][name] = self.deltas[key].get(name, 0.0) + hit.score - old[key]


def install(engine: Engine, holder: list[Trace]) -> None:
    """Wrap the retriever's ranking steps so each search records into holder[0]."""
    retriever = engine.retriever
    store_query = engine.store.query

    def query(queries: Sequence[StoreQuery]) -> Any:
        if holder and holder[0].ranking is None and queries and len(queries[0].sources) > 1:
            # the query's own language's fused ranking; for a language the index lacks, the fallback's
            own = [q for q in queries if len(q.sources) > 1 and holder[0].lang in (q.sources[0].filter.langs or ())]
            holder[0].ranking = own[0] if own else queries[0]
        return store_query(queries)

    engine.store.query = query  # type: ignore[method-assign]
    best_chunks = retrieval_module._best_chunk_per_article

    def best(hits: Sequence[Hit], credit: float = 0.0) -> list[Hit]:
        out = best_chunks(hits, credit)
        if holder and not holder[0].best:
            holder[0].best = {str(h.payload.get("key")): h for h in best_chunks(hits, 0.0)}
            holder[0].credited = {str(h.payload.get("key")): h.score for h in out}
        return out

    retrieval_module._best_chunk_per_article = best  # type: ignore[assignment]

    def traced_method(name: str, label: str | Callable[..., str | None]) -> None:
        original = getattr(retriever, name)

        def wrapped(ranked: list[Hit], *args: Any, **kwargs: Any) -> Any:
            out = original(ranked, *args, **kwargs)
            step = label(*args, **kwargs) if callable(label) else label
            hits = out[0] if isinstance(out, tuple) else out
            if holder and step:
                holder[0].step(step, ranked, hits)
            return out

        setattr(retriever, name, wrapped)

    traced_method("_credit_fields", "field")
    # own titles pass their RRF constant (OWN_TITLE_K); the other languages' title rankings do not
    traced_method("_credit_title_rank", lambda *a, **k: "own_titles" if len(a) >= 5 or "k" in k else None)
    traced_method(
        "_credit_chunk_means", lambda *a, **k: "chunk_means" if "own_chunk_means" in (*a, *k.values()) else "x_means"
    )
    # the missing-translation fallback's own credits (traced when the question's language has no articles)
    for method, label in (
        ("_credit_slugs", "x_slugs"),
        ("_credit_titles", "x_titles"),
        ("_credit_more_titles", "x_more_titles"),
        ("_credit_summaries", "x_summaries"),
        ("_credit_mean_lead", "x_mean_lead"),
        ("_credit_title_lead", "x_title_lead"),
    ):
        traced_method(method, label)
    demote = retrieval_module.demote_hubs

    def hubs(ranked: Sequence[Hit], shares: dict[str, float], penalty: float) -> list[Hit]:
        out = demote(ranked, shares, penalty)
        if holder:
            holder[0].step("hubs", ranked, out)
        return out

    retrieval_module.demote_hubs = hubs  # type: ignore[assignment]
    defer = retrieval_module.defer_steps

    def series(ranked: Sequence[Hit], links: Any) -> list[Hit]:
        out = defer(ranked, links)
        if holder:
            holder[0].series = tuple(
                str(a.payload.get("key")) for a, b in zip(ranked, out, strict=True) if a.id != b.id
            )
        return out

    retrieval_module.defer_steps = series  # type: ignore[assignment]


def source_names(ranking: StoreQuery) -> list[str]:
    """Each fused source's name: the model, "lexical", or "intent_<model>" for the intent's second ranking."""
    names: list[str] = []
    for source in ranking.sources:
        name = "lexical" if source.vector_name == SPARSE_VECTOR else source.vector_name
        names.append(name if name not in names else f"intent_{name}")
    return names


def article_ranks(engine: Engine, ranking: StoreQuery, key: str) -> dict[str, int | None]:
    """Per fused source, the article rank of `key` in that source's own first DEPTH chunks (None: not there)."""
    asked = [StoreQuery((s,), ranking.filter, limit=DEPTH, payload_fields=("key",)) for s in ranking.sources]
    out: dict[str, int | None] = {}
    for name, hits in zip(source_names(ranking), engine.store.query(asked), strict=True):
        order = list(dict.fromkeys(str(h.payload.get("key")) for h in hits))
        out[name] = order.index(key) + 1 if key in order else None
    return out


def source_shares(engine: Engine, ranking: StoreQuery, chunk_ids: dict[str, str]) -> dict[str, dict[str, float]]:
    """Per article, each source's RRF share of its best chunk (`chunk_ids`), from the source's own ranking."""
    names = source_names(ranking)
    asked = [StoreQuery((s,), ranking.filter, limit=DEPTH, payload_fields=("key",)) for s in ranking.sources]
    out: dict[str, dict[str, float]] = {key: {} for key in chunk_ids}
    for name, source, hits in zip(names, ranking.sources, engine.store.query(asked), strict=True):
        rank = {str(h.id): position for position, h in enumerate(hits, 1)}
        for key, chunk in chunk_ids.items():
            out[key][name] = source.weight / (ranking.rrf_k + rank[chunk]) if chunk in rank else 0.0
    return out


def decompose(engine: Engine, holder: list[Trace], row: dict, target: str | None = None) -> dict | None:
    """`target`: the articles' language when the index holds none in the question's (the fallback is traced)."""
    holder[:] = [Trace()]
    holder[0].lang = target or row["lang"]
    result = engine.retriever.search(row["query"], lang=row["lang"], limit=10)
    trace = holder[0]
    rank = rank_of(result, set(row["relevant"]))
    if rank == 1 or not result.results:
        return None
    winner = result.results[0].key  # "lang/id", as the payloads' `key`
    wanted = [f"{trace.lang}/{article}" for article in row["relevant"]]
    right = next((h.key for h in result.results if h.key in wanted), None)
    right = right or next((k for k in wanted if k in trace.best), wanted[0])
    keys = [k for k in (winner, right) if k in trace.best]
    shares = source_shares(engine, trace.ranking, {k: str(trace.best[k].id) for k in keys}) if trace.ranking else {}
    parts: dict[str, dict[str, float]] = {}
    for key in (winner, right):
        if key not in trace.best:
            parts[key] = {}
            continue
        parts[key] = {**shares.get(key, {}), "article": trace.credited[key] - trace.best[key].score}
        parts[key].update(trace.deltas.get(key, {}))
        final = next((h.score for h in result.results if h.key == key), None)
        if target and final is not None:  # what no traced step explains (0 unless a step is missing)
            rest = final - trace.credited[key] - sum(trace.deltas.get(key, {}).values())
            if abs(rest) > 1e-9:
                parts[key]["fallback"] = rest
    names = sorted({n for p in parts.values() for n in p})
    margin = {n: parts[winner].get(n, 0.0) - parts[right].get(n, 0.0) for n in names}
    if right not in trace.best:
        fault = "absent"
    elif winner in trace.series or right in trace.series:
        fault = "series"
    else:
        # the chunk means re-rank only the first OWN_CHUNK_MEAN_TOP: a right page below them gets none, and
        # what kept it there is the fault
        counted = {n: v for n, v in margin.items() if n != "chunk_means" or "chunk_means" in parts[right]}
        fault = max(counted, key=lambda n: counted[n]) if counted else "?"
    ranks = article_ranks(engine, trace.ranking, right) if trace.ranking else {}
    if fault == "absent" and not any(ranks.values()):
        fault = "recall"  # in no source's first DEPTH chunks: no fusion or later step can reach it
    return {**row, "rank": rank, "winner": winner, "right": right, "margin": margin, "fault": fault, "ranks": ranks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", default="m365,demo")
    parser.add_argument("--rows", action="store_true", help="print each miss with its components")
    parser.add_argument("--queries", type=Path, help="another question file for the (one) domain, e.g. the slice")
    parser.add_argument("--langs", help="the question languages to read (default: the domain's own)")
    args = parser.parse_args()
    table: dict[tuple[str, str], Counter[str]] = {}
    for name in args.domains.split(","):
        content, data, path, langs = DOMAINS[name]
        path = args.queries or path
        langs = tuple(args.langs.split(",")) if args.langs else langs
        engine = Engine(Settings.from_env(content_dir=content, data_dir=data))
        engine.index(show_progress=None)
        engine.retriever.search("warm up", lang="ar")
        engine.retriever.wait_for_views()
        holder: list[Trace] = []
        install(engine, holder)
        stored = {str(p["lang"]) for p in engine.store.payloads(("lang",))}
        for lang in langs:
            # a language the index lacks is read over the one other language it holds (m365: English over Arabic)
            target = None if lang in stored or len(stored) != 1 else next(iter(stored))
            rows = [r for r in load_queries(path, {lang}) if r["relevant"] and (lang in stored or target)]
            counts = table.setdefault((name, lang), Counter())
            for row in rows:
                miss = decompose(engine, holder, row, target)
                if miss is None:
                    continue
                counts[miss["fault"]] += 1
                if args.rows:
                    top = sorted(miss["margin"].items(), key=lambda kv: -abs(kv[1]))[:5]
                    shown = " ".join(f"{n}{v * 100:+.2f}" for n, v in top if abs(v) > 1e-6)
                    if miss["ranks"]:  # where each source put the right page among its first DEPTH chunks
                        shown += " | ranks " + " ".join(f"{n}:{r or '-'}" for n, r in miss["ranks"].items())
                    print(
                        f"{name:5} {lang} {miss['rank'] or '-':>2} {miss['fault']:12} {miss['winner']:38} "
                        f"> {miss['right']:38} [{shown}]  {row.get('kind', '')}: {miss['query']}",
                        flush=True,
                    )
        engine.close()
    faults = sorted({f for c in table.values() for f in c})
    print(f"{'domain':6} {'lang':4} {'misses':>6}  " + " ".join(f"{f:>12}" for f in faults))
    for (name, lang), counts in table.items():
        print(f"{name:6} {lang:4} {sum(counts.values()):>6}  " + " ".join(f"{counts[f]:>12}" for f in faults))


if __name__ == "__main__":
    main()
