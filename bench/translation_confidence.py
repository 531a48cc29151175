"""The local model's confidence in each cached query translation (LEVERS["query_translation_confident"]).

    PYTHONPATH=. .venv/bin/python bench/translation_confidence.py --root /work/llm-bench \
        --translations /work/llm-bench/query_translations.jsonl \
        --out /work/llm-bench/query_translations_confidence.jsonl
    PYTHONPATH=. .venv/bin/python bench/translation_confidence.py --root /work/llm-bench --round-trip \
        --translations /work/llm-bench/query_translations_confidence.jsonl \
        --out /work/llm-bench/query_translations_round_trip.jsonl    # and each translation translated back

Each row of bench/query_translations.py's JSONL that has a translation is scored teacher-forced by the model
that made it: the chat of copilot.query_translation.translation_messages rendered by the GGUF's own chat template
(as the product's LlamaCppDrafter renders it), the translation's tokens appended, one forward pass
(llama-cpp-python `Llama(logits_all=True)`, `eval`, `scores`; no sampling), and the log-probability of each of the
translation's tokens given what precedes it. The row is written again to `--out` (the input file is not changed)
with `confidence` (the mean token log-probability, the one copilot.query_translation reads), `min_logprob`,
`tokens` and `score_seconds`; a row without a translation is copied as it is. The prompt's tokens shared with the
row before (the system turn) are not evaluated again. Rows already in `--out` are skipped; the median seconds per
scored row is printed at the end.

`--round-trip` also translates each translation back into the query's language (the same chat, temperature 0, at
most 64 tokens, the reply read by `cleaned`) and adds `back` and `round_trip`: the share of the query's folded
words (copilot.word_folding.fold, each once) that the back-translation's folded words hold (0 without one),
with `back_seconds`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.llm_bench import ensure_llama_cpp, ensure_model
from copilot.query_translation import MAX_TRANSLATION_TOKENS, cleaned, translation_messages
from copilot.word_folding import fold


def chat_prompt(model: Any) -> Any:
    """The GGUF's chat template as the product's LlamaCppDrafter renders it (the generation prompt on)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def token_text(token: int) -> str:
        return model._model.token_get_text(token) if token != -1 else ""

    formatter = Jinja2ChatFormatter(
        model.metadata["tokenizer.chat_template"],
        eos_token=token_text(model.token_eos()),
        bos_token=token_text(model.token_bos()),
    )
    return lambda messages: str(formatter(messages=messages).prompt)


def score(model: Any, prompt: list[int], output: list[int]) -> list[float]:
    """Each of `output`'s token log-probabilities after `prompt` and the output before it, in one forward pass
    (the tokens already evaluated that `prompt` starts with are kept)."""
    tokens = prompt + output
    kept = 0
    while kept < min(model.n_tokens, len(prompt) - 1) and model.input_ids[kept] == tokens[kept]:
        kept += 1
    model.n_tokens = kept
    model.eval(tokens[kept:])
    logits = np.asarray(model.scores[len(prompt) - 1 : len(tokens) - 1], dtype=np.float64)
    top = logits.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    return [float(logits[i, token] - log_norm[i]) for i, token in enumerate(output)]


def round_trip(query: str, back: str | None) -> float:
    """The share of the query's folded words that the back-translation's hold (0 without one)."""
    words = set(fold(query))
    if not words or not back:
        return 0.0
    return len(words & set(fold(back))) / len(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("var/llm-bench"))
    parser.add_argument("--translations", type=Path, default=Path("bench/results/query_translations.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/query_translations_confidence.jsonl"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--round-trip", action="store_true", help="also translate each translation back")
    args = parser.parse_args()
    if args.out.resolve() == args.translations.resolve():
        parser.error("--out must be another file than --translations")
    ensure_llama_cpp(args.root)
    from llama_cpp import Llama

    model = Llama(str(ensure_model(args.root)), n_ctx=512, n_threads=args.threads, logits_all=True, verbose=False)
    render = chat_prompt(model)
    done: set[tuple[str, str, str]] = set()
    if args.out.is_file():
        for line in args.out.read_text("utf-8").splitlines():
            row = json.loads(line)
            done.add((row["query"], row["source"], row["target"]))
    seconds: list[float] = []
    with args.out.open("a", encoding="utf-8") as out:
        for number, line in enumerate(args.translations.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            key = (row["query"], row["source"], row["target"])
            if key in done:
                continue
            if row.get("translation"):
                started = time.perf_counter()
                prompt = model.tokenize(render(translation_messages(row["query"], row["target"])).encode(),
                                        add_bos=False, special=True)
                output = model.tokenize(row["translation"].encode(), add_bos=False, special=False)
                if len(prompt) + len(output) > 512:
                    raise SystemExit(f"{args.translations}:{number}: longer than the 512-token context")
                if "confidence" not in row:
                    logprobs = score(model, prompt, output)
                    took = time.perf_counter() - started
                    seconds.append(took)
                    row.update(confidence=round(statistics.fmean(logprobs), 4), min_logprob=round(min(logprobs), 4),
                               tokens=len(output), score_seconds=round(took, 3))
                if args.round_trip:
                    started = time.perf_counter()
                    model.reset()
                    reply = model.create_completion(
                        render(translation_messages(row["translation"], row["source"])),
                        max_tokens=MAX_TRANSLATION_TOKENS, temperature=0.0,
                    )["choices"][0]["text"]
                    back = cleaned(reply, row["translation"])
                    took = time.perf_counter() - started
                    seconds.append(took)
                    row.update(back=back, round_trip=round(round_trip(row["query"], back), 3),
                               back_seconds=round(took, 3))
                print(f"{took:5.2f}s {row['confidence']:7.3f} {row.get('round_trip', '-')} {row['query']} -> "
                      f"{row['translation']} -> {row.get('back', '-')}", flush=True)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            done.add(key)
    if seconds:
        print(f"{len(seconds)} done, median {statistics.median(seconds):.3f} s per row", file=sys.stderr)


if __name__ == "__main__":
    main()
