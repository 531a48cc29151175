"""How cost grows with the index: 1k, 10k, 100k chunks on qdrant-edge and the server adapter.

    python bench/scale_bench.py                          # edge 1k/10k/100k, server adapter 1k
    python bench/scale_bench.py --sizes 1000,10000 --server-max 1000

Text is real: the shared m365-ar corpus, chunked by the indexer's own chunker, repeated with
variation (sentences reordered, a few words swapped between chunks) to reach each size. Vectors
are real where it matters and synthesized where it would take hours: a base set of chunks is
embedded by the two models (cached in the data directory, so only the first run pays; that run
also gives the CPU embedding rate), and every other chunk gets a base vector plus noise,
renormalized. Lexical (BM25) vectors are computed from each chunk's own text.

Per size and store, in a fresh process (so memory is its own): cold index time (all points
written and published), incremental time (one article of 5 chunks replaced, published), search
p50/p95 at 1 and 8 concurrent clients (the fused query search sends: e5 + USE + BM25 with RRF,
language and visibility filtered; query vectors precomputed, so this is the store's share: add
the models' ~20-40 ms from search_bench), resident memory added by the open index, and disk.

The server adapter runs on qdrant-client's local mode (no server binary can be installed here):
pure Python, far slower than a Qdrant server, so it is capped (--server-max) and its figures say
nothing about a real cluster beyond the adapter's own overhead.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
M365 = Path(os.environ.get("KB_SHARED_DIR", ROOT.parent / "shared")) / "corpora" / "m365-ar"
BASE_CHUNKS = 256
CHUNKS_PER_ARTICLE = 5
BATCH = 1000


def real_chunks() -> list[tuple[str, str]]:
    """(category, embed text) of every chunk of the imported m365-ar corpus."""
    from m365_import import convert

    from kb.articles import load_content
    from kb.chunking import chunk_article

    if not (M365 / "microsoft-365").is_dir():
        raise SystemExit(f"corpus not found: {M365} (set KB_SHARED_DIR to the folder holding corpora/)")
    content = Path(tempfile.mkdtemp()) / "content"
    convert(M365, content)
    chunks = [(a.category, c.embed_text) for a in load_content(content).articles for c in chunk_article(a)]
    shutil.rmtree(content.parent, ignore_errors=True)
    return chunks


def base_vectors(texts: list[str], data: Path) -> tuple[dict[str, np.ndarray], float | None]:
    """Real vectors for the base texts (through the embedding cache); chunks/s when it had to embed."""
    from indexer.cache import CACHE_FILE, EmbeddingCache
    from indexer.embedders import E5SmallEmbedder, MultilingualUSEEmbedder
    from kb.chunking import text_hash

    cache = EmbeddingCache(data / CACHE_FILE)
    hashes = [text_hash(t) for t in texts]
    out: dict[str, np.ndarray] = {}
    rate = None
    for model in (E5SmallEmbedder(threads=2), MultilingualUSEEmbedder(threads=2)):
        found = cache.get_many(model.model_id, hashes)
        missing = [t for t, h in zip(texts, hashes, strict=True) if h not in found]
        if missing:
            started = time.perf_counter()
            vectors = model.embed_passages(missing)
            seconds = time.perf_counter() - started
            rate = (rate or 0.0) + seconds / len(missing)  # seconds per chunk, summed over the two models
            cache.put_many(model.model_id, zip((text_hash(t) for t in missing), vectors, strict=True))
            found = cache.get_many(model.model_id, hashes)
        out[model.name] = np.stack([found[h] for h in hashes])
    cache.close()
    return out, (1 / rate if rate else None)


def varied(text: str, rng: random.Random, donor: str) -> str:
    """The same chunk reworded a little: sentences reordered, a few words from another chunk."""
    sentences = [s for s in re.split(r"(?<=[.!?؟])\s+", text) if s]
    rng.shuffle(sentences)
    words = " ".join(sentences).split()
    extra = donor.split()
    for _ in range(min(3, len(extra))):
        words.insert(rng.randrange(len(words) + 1), rng.choice(extra))
    return " ".join(words)


def noisy(vector: np.ndarray, rng: np.random.Generator, scale: float = 0.35) -> list[float]:
    noise = rng.normal(0.0, scale / np.sqrt(vector.shape[0]), vector.shape[0])
    out = vector + noise
    return (out / np.linalg.norm(out)).astype(np.float32).tolist()


def points(size: int, chunks: list[tuple[str, str]], base: dict[str, np.ndarray], seed: int = 7) -> Iterator[Any]:
    from indexer.lexical import LexicalEncoder
    from indexer.stores.base import IndexPoint

    lexical, rng, nrng = LexicalEncoder(), random.Random(seed), np.random.default_rng(seed)
    n_base = len(next(iter(base.values())))
    for i in range(size):
        category, text = chunks[i % len(chunks)]
        if i >= len(chunks):
            text = varied(text, rng, chunks[rng.randrange(len(chunks))][1])
        article = i // CHUNKS_PER_ARTICLE
        key = f"ar/doc-{article}"
        yield IndexPoint(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}#{i}")),
            dense={name: np.asarray(noisy(m[i % n_base], nrng)) for name, m in base.items()},
            sparse=lexical.encode_document(text, "ar"),
            payload={
                "key": key, "article_id": f"doc-{article}", "lang": "ar", "category": category,
                "visibility": "internal" if article % 20 == 0 else "public", "tags": [], "title": text[:60],
                "path": f"ar/{category}/doc-{article}.md", "file_hash": f"h{article}", "section": "",
                "text": text, "ordinal": i % CHUNKS_PER_ARTICLE,
            },
        )  # fmt: skip


def batches(items: Iterator[Any], n: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def open_store(kind: str, where: Path) -> Any:
    from indexer.stores.edge import EdgeStore
    from indexer.stores.server import ServerStore

    return EdgeStore(where / "index") if kind == "edge" else ServerStore.connect(str(where / "qdrant"), "scale")


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


def measure(kind: str, size: int, chunks: list[tuple[str, str]], base: dict[str, np.ndarray], where: Path) -> dict:
    """One store at one size, in this (fresh) process."""
    from indexer.lexical import SPARSE_VECTOR, LexicalEncoder
    from indexer.stores.base import IndexPoint, PayloadFilter, Source, StoreQuery

    dims = {name: m.shape[1] for name, m in base.items()}
    store = open_store(kind, where)
    started = time.perf_counter()
    writer = store.writer(dims, rebuild=True)
    for batch in batches(points(size, chunks, base), BATCH):
        writer.upsert(batch)
    writer.publish()
    cold = time.perf_counter() - started

    # Incremental: one article's 5 chunks replaced by edited ones, as `kb index` after one edit.
    edited = list(points(CHUNKS_PER_ARTICLE * 2, chunks, base, seed=11))[CHUNKS_PER_ARTICLE:]
    started = time.perf_counter()
    writer = store.writer(dims)
    writer.upsert([IndexPoint(p.id, p.dense, p.sparse, {**p.payload, "file_hash": "edited"}) for p in edited])
    writer.publish()
    incremental = time.perf_counter() - started
    store.close()

    before = rss_kb()
    store = open_store(kind, where)
    lexical, nrng = LexicalEncoder(), np.random.default_rng(3)
    rng = random.Random(5)
    public_ar = PayloadFilter(langs=("ar",), visibilities=("public",))
    queries = []
    for _ in range(240):
        i = rng.randrange(len(base["e5"]))
        words = chunks[rng.randrange(len(chunks))][1].split()[:6]
        sources = (
            Source("e5", noisy(base["e5"][i], nrng), weight=1.0),
            Source("use", noisy(base["use"][i], nrng), weight=0.6),
            Source(SPARSE_VECTOR, lexical.encode_query(" ".join(words), "ar"), weight=0.8),
        )
        queries.append(StoreQuery(sources, public_ar, limit=40))

    def timed(query: StoreQuery) -> float:
        began = time.perf_counter()
        store.query([query])
        return (time.perf_counter() - began) * 1000

    timed(queries[0])  # opens the version and warms its files
    one = [timed(q) for q in queries[:120]]
    with ThreadPoolExecutor(8) as pool:
        eight = list(pool.map(timed, queries[120:]))
    added_rss = rss_kb() - before
    assert store.count() == size, (store.count(), size)
    store.close()
    disk = disk_bytes(where / ("index" if kind == "edge" else "qdrant"))

    def pct(values: list[float], q: float) -> float:
        return round(sorted(values)[min(len(values) - 1, int(len(values) * q))], 2)

    return {
        "store": kind, "chunks": size, "cold_index_s": round(cold, 2), "incremental_s": round(incremental, 3),
        "p50_1_ms": pct(one, 0.5), "p95_1_ms": pct(one, 0.95), "p50_8_ms": pct(eight, 0.5),
        "p95_8_ms": pct(eight, 0.95), "rss_mb": round(added_rss / 1024, 1), "disk_mb": round(disk / 2**20, 1),
        "rss_kb_per_chunk": round(added_rss / size, 2), "disk_kb_per_chunk": round(disk / 1024 / size, 2),
        "mean_1_ms": round(statistics.mean(one), 2),
    }  # fmt: skip


def _child(kind: str, size: int, chunks: list, base: dict, where: str, out: Any) -> None:
    warnings.filterwarnings("ignore", "Payload indexes have no effect in the local Qdrant")
    try:
        out.put(measure(kind, size, chunks, base, Path(where)))
    except Exception as error:  # reported by the parent, which goes on with the next size
        out.put({"store": kind, "chunks": size, "error": repr(error)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--stores", default="edge,server")
    parser.add_argument("--server-max", type=int, default=1000, help="largest size for the local-mode adapter")
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "bench" / "scale")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)

    chunks = real_chunks()
    texts = [t for _, t in chunks[:BASE_CHUNKS]]
    base, rate = base_vectors(texts, args.data)
    print(f"corpus: {len(chunks)} real chunks (m365-ar); base vectors: {len(texts)} real, e5 + USE")
    if rate:
        print(f"embedding on CPU (2 threads, both models): {rate:.1f} chunks/s, {1e6 / rate / 3600:.1f} h per 1M")
    spawn = multiprocessing.get_context("spawn")
    rows = []
    for kind in [s.strip() for s in args.stores.split(",") if s.strip()]:
        for size in [int(s) for s in args.sizes.split(",")]:
            if kind == "server" and size > args.server_max:
                print(f"{kind:6} {size:>7}: skipped (local mode is pure Python; capped at {args.server_max})")
                continue
            where = Path(tempfile.mkdtemp(dir=args.data, prefix=f"{kind}-{size}-"))
            out = spawn.Queue()
            child = spawn.Process(target=_child, args=(kind, size, chunks, base, str(where), out))
            child.start()
            row = out.get(timeout=3600)
            child.join()
            shutil.rmtree(where, ignore_errors=True)
            rows.append(row)
            if "error" in row:
                print(f"{kind:6} {size:>7}: failed: {row['error']}")
                continue
            print(
                f"{kind:6} {size:>7}: cold {row['cold_index_s']} s, incremental {row['incremental_s']} s; "
                f"search p50/p95 1 client {row['p50_1_ms']}/{row['p95_1_ms']} ms, 8 clients {row['p50_8_ms']}/"
                f"{row['p95_8_ms']} ms; +RSS {row['rss_mb']} MB ({row['rss_kb_per_chunk']} KB/chunk), "
                f"disk {row['disk_mb']} MB ({row['disk_kb_per_chunk']} KB/chunk)"
            )
    if args.json:
        args.json.write_text(json.dumps({"embed_chunks_per_s": rate, "rows": rows}, indent=2), "utf-8")


if __name__ == "__main__":
    main()
