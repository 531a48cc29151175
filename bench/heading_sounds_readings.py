"""Every Arabic dev question whose words Vocabulary.english_terms reads as an English title or heading word
(LEVERS["heading_sounds"]), beside what the Arabic articles' names (transliterations) read already.

    PYTHONPATH=. .venv/bin/python bench/heading_sounds_readings.py [--domains demo,m365,gnome]

The vocabulary is built from each domain's content as the index holds it: one payload per section (title, the
section's heading, its text), so the words read here are the ones the lever reads in a search.
"""

from __future__ import annotations

import argparse
import json

from bench.eval_retrieval import DOMAINS
from copilot.expansion import Vocabulary
from kb.articles import load_content


def payloads(content) -> list[dict]:  # type: ignore[no-untyped-def]
    out: list[dict] = []
    for article in load_content(content).articles:
        section = ""
        for block in article.blocks:
            if block.kind == "heading":
                section = block.text
            out.append({"lang": article.lang, "title": article.title, "section": section, "text": block.text})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    args = parser.parse_args()
    for domain in DOMAINS:
        if domain.name not in args.domains.split(","):
            continue
        texts = payloads(domain.content)
        path = domain.queries
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        # As configured, and over the English articles alone (the suite's cross-lingual case: demo-en)
        for case, kept in (("all", texts), ("en only", [t for t in texts if t["lang"] != "ar"])):
            if case == "en only" and len(kept) == len(texts):
                continue
            vocabulary = Vocabulary(lambda kept=kept: kept, lambda: "v1")
            changed = 0
            for row in rows:
                if row.get("lang") != "ar":
                    continue
                names = vocabulary.transliterations(row["query"], "ar", True)
                terms = [t for t in vocabulary.english_terms(row["query"], "ar", True) if t not in names]
                if terms:
                    changed += 1
                    relevant = ",".join(row.get("relevant", []))
                    print(f"{domain.name} ({case})\t{row['query']}\t{', '.join(terms)}\t{relevant}")
            print(f"{domain.name} ({case}): {changed} Arabic questions read a heading word ({path})")


if __name__ == "__main__":
    main()
