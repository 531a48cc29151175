"""The local model's relevance judgment of each dev question's first K articles (LEVERS["judge_abstain"], ...).

    nice -n 10 env PYTHONPATH=. .venv/bin/python bench/relevance_judgments.py --root /work/llm-bench \
        --out /work/llm-bench/relevance_judgments.jsonl --k 3
    ... --limit 20            # the cost first: 20 judgments, their median seconds, nothing more

Every dev-suite question (bench/eval_retrieval.py's `suite_cases`: the demo, its English-only and Arabic-only
copies, m365, GNOME; answerable and out-of-scope, same-language and cross-lingual) is searched as the product is
configured (hybrid); each of its first K articles is judged by the local model (Qwen2.5-Coder-1.5B-Instruct Q4, the
GGUF bench/llm_bench.py installs) with `judgment_messages` rendered by the GGUF's own chat template: one forward
pass (llama-cpp-python `Llama(logits_all=True)`, `eval`, `scores`; no sampling), and the next token's
log P(yes) - log P(no) (each the log-sum of the word's lower- and capitalised token) is the row's `judgment`. The
prompt's tokens shared with the judgment before (the system turn and the question) are not evaluated again.

Rows go to `--out` as JSON lines keyed by (domain, case, query, article id), with the article's rank, whether the
question's labels hold it (`relevant`; out-of-scope questions hold none) and `seconds`; rows already there are
skipped, so a stopped run resumes. Cross-lingual cases and out-of-scope questions are judged first (where the
targets fail), then the rest; first articles before second ones. The median seconds per judgment is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.eval_retrieval import DOMAINS, chosen_domains, domain_content, suite_cases
from bench.llm_bench import ensure_llama_cpp, ensure_model
from bench.translation_confidence import chat_prompt
from kb.articles import load_content

LEAD_CHARS = 300
QUESTION = "Does this article answer the question? Answer yes or no."


def judgment_messages(query: str, title: str, lead: str) -> list[dict[str, str]]:
    """The chat asked of the model: the question, the article's title and lead, and the yes/no question."""
    return [{"role": "user", "content": f"Question: {query}\nArticle: {title}\n{lead}\n{QUESTION}"}]


def lead_text(summary: str, source: str) -> str:
    """The article's summary, or the first LEAD_CHARS characters of its body (front matter, headings and
    markup left out), in the article's language."""
    if summary.strip():
        return summary.strip()[:LEAD_CHARS]
    body = re.sub(r"\A---\n.*?\n---\n", "", source, flags=re.S)
    lines = [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith(("#", "```", "<"))]
    text = re.sub(r"[*_`>\[\]]|\(\S+?\)|!\S*", "", " ".join(lines))
    return re.sub(r"\s+", " ", text).strip()[:LEAD_CHARS]


def word_tokens(model: Any, words: tuple[str, ...]) -> list[int]:
    """The first token of each spelling of an answer word."""
    return sorted({model.tokenize(word.encode(), add_bos=False, special=False)[0] for word in words})


def next_logits(model: Any, prompt: list[int]) -> np.ndarray:
    """The logits of the token after `prompt` (the tokens already evaluated that `prompt` starts with are kept)."""
    kept = 0
    while kept < min(model.n_tokens, len(prompt) - 1) and model.input_ids[kept] == prompt[kept]:
        kept += 1
    model.n_tokens = kept
    model.eval(prompt[kept:])
    return np.asarray(model.scores[len(prompt) - 1], dtype=np.float64)


def margin(logits: np.ndarray, yes: list[int], no: list[int]) -> float:
    """log P(yes) - log P(no) of the next token (the normaliser cancels)."""
    def logsum(tokens: list[int]) -> float:
        values = logits[tokens]
        top = values.max()
        return float(top + np.log(np.exp(values - top).sum()))

    return logsum(yes) - logsum(no)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("var/llm-bench"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/relevance_judgments.jsonl"))
    parser.add_argument("--k", type=int, default=3, help="judge each question's first K articles")
    parser.add_argument("--domains", default=",".join(d.name for d in DOMAINS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="stop after this many judgments (the cost first)")
    args = parser.parse_args()
    domains = chosen_domains(args.domains.split(","))
    cases = suite_cases(domains, Path("var/bench"))
    articles: dict[tuple[str, str, str], tuple[str, str]] = {}  # (domain, lang, id) -> title, lead
    for domain in domains:
        for article in load_content(domain_content(domain)).articles:
            lead = lead_text(article.summary, article.source)
            articles[(domain.name, article.lang, article.id)] = (article.title, lead)
    done: set[tuple[str, str, str, str]] = set()
    if args.out.is_file():
        for line in args.out.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                done.add((row["domain"], row["case"], row["query"], row["article"]))
    work: list[tuple[int, dict]] = []
    for case in cases:
        for row in case.rows:
            result = case.engine.retriever.search(row["query"], lang=row["lang"], limit=10)
            for rank, hit in enumerate(result.results[: args.k], 1):
                key = (case.domain, case.name, row["query"], hit.id)
                if key in done:
                    continue
                title, lead = articles.get((case.domain, hit.lang, hit.id), (hit.title, hit.snippet[:LEAD_CHARS]))
                first = case.name.startswith("cross-lingual") or not row["relevant"]
                work.append((2 * (rank - 1) + (0 if first else 1), {
                    "domain": case.domain, "case": case.name, "query": row["query"], "lang": row["lang"],
                    "kind": row.get("kind"), "article": hit.id, "article_lang": hit.lang, "rank": rank,
                    "relevant": hit.id in set(row["relevant"]), "answerable": bool(row["relevant"]),
                    "abstained": result.abstained, "title": title, "lead": lead,
                }))
    # The first articles of the cross-lingual cases' and the out-of-scope questions first, then the other first
    # articles, then the second ones in the same order...; shuffled (seeded) within each group, so a run cut short
    # has judged a like share of every domain.
    random.Random(0).shuffle(work)
    work.sort(key=lambda item: item[0])
    print(f"{len(work)} judgments to make ({len(done)} already in {args.out})", flush=True)
    for case in cases:
        case.engine.close()
    ensure_llama_cpp(args.root)
    from llama_cpp import Llama

    model = Llama(str(ensure_model(args.root)), n_ctx=1024, n_threads=args.threads, logits_all=True, verbose=False)
    render = chat_prompt(model)
    yes, no = word_tokens(model, ("yes", "Yes")), word_tokens(model, ("no", "No"))
    seconds: list[float] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as out:
        for _, row in work[: args.limit]:
            started = time.perf_counter()
            text = render(judgment_messages(row["query"], row.pop("title"), row.pop("lead")))
            prompt = model.tokenize(text.encode(), add_bos=False, special=True)
            row["judgment"] = round(margin(next_logits(model, prompt), yes, no), 3)
            took = time.perf_counter() - started
            seconds.append(took)
            row["seconds"] = round(took, 3)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            print(f"{took:5.2f}s {row['judgment']:7.2f} {'R' if row['relevant'] else '-'} {row['domain']} "
                  f"{row['case']} {row['query']} -> {row['article']}", flush=True)
    if seconds:
        print(f"{len(seconds)} judged, median {statistics.median(seconds):.3f} s per judgment", file=sys.stderr)


if __name__ == "__main__":
    main()
