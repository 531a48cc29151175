"""BM25's document side under other parameters: a fresh index from the embedding cache, then fusion_probe.

    PYTHONPATH=. python bench/bm25_params.py --k1 0.5 --fresh var/b8/m365-k05 --from var/bench/m365 \\
        -- --sets dev-ar,slice-ar,slice-en --configs base

The lexical encoder (indexer.lexical) is patched in this process only: `--k1`, `--b` and `--avg` are qdrant-edge's
Bm25Config k, b and avg_len (the product's 1.2, 0.75, 60); `--context` is what of a chunk's breadcrumb (title >
heading path, kb.chunking.Chunk.embed_text) the sparse vector reads: `full` (the product), `dedupe` (its words the
body also holds counted once, from the body), `body` (none). `--fresh` is a new data directory holding only a copy
of `--from`'s embedding cache, so the index is built whole with the patched encoder and every embedding comes from
the cache (the demo in seconds, m365 in about two minutes on a loaded machine). The arguments after `--` go to
bench/fusion_probe.py (its `--data` is `--fresh`). Issue #18 (bench/RESULTS.md "Session 18, bm25fault8").
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from qdrant_edge import Bm25, Bm25Config

import indexer.lexical as lexical
from bench import fusion_probe


def patch(k1: float, b: float, avg: float, context: str) -> None:
    def model(self: lexical.LexicalEncoder, lang: str) -> Bm25:
        with self._lock:
            found = self._models.get(lang)
            if found is None:
                config = Bm25Config(language=lexical._SNOWBALL.get(lang, "english"), avg_len=avg, k=k1, b=b)
                found = self._models[lang] = Bm25(config)
            return found

    original = lexical.LexicalEncoder.encode_document

    def encode_document(self: lexical.LexicalEncoder, text: str, lang: str) -> lexical.SparseVector:
        if context != "full" and "\n\n" in text:
            crumb, body = text.split("\n\n", 1)
            if context == "body":
                text = body
            else:  # dedupe: the breadcrumb's words the body holds come from the body alone
                held = set(self.prepare(body, lang).split())
                text = " ".join(w for w in crumb.split() if self.prepare(w, lang) not in held) + "\n\n" + body
        return original(self, text, lang)

    lexical.LexicalEncoder._model = model  # type: ignore[method-assign]
    lexical.LexicalEncoder.encode_document = encode_document  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k1", type=float, default=1.2)
    parser.add_argument("--b", type=float, default=0.75)
    parser.add_argument("--avg", type=float, default=60.0)
    parser.add_argument("--context", choices=("full", "dedupe", "body"), default="full")
    parser.add_argument("--fresh", type=Path, required=True, help="a new data directory (must not exist)")
    parser.add_argument("--from", dest="source", type=Path, required=True, help="the cache's data directory")
    args, probe = parser.parse_known_args()
    if args.fresh.exists():
        parser.error(f"--fresh {args.fresh} exists: give a new directory")
    args.fresh.mkdir(parents=True)
    shutil.copy(args.source / "embeddings.sqlite", args.fresh / "embeddings.sqlite")
    patch(args.k1, args.b, args.avg, args.context)
    sys.argv = [sys.argv[0], *[a for a in probe if a != "--"], "--data", str(args.fresh)]
    fusion_probe.main()


if __name__ == "__main__":
    main()
