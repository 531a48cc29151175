"""`kb floors` on a desk database filled from a simulated search log (issue #18).

    PYTHONPATH=. python bench/floors_db.py --domain gnome --days 30 --data var/floors23/gnome
    PYTHONPATH=. python bench/floors_db.py --domain gnome --cross --days 30 --data var/xfloors24/gnome  # ar>en

bench/log_floors.py simulates a help center's traffic and judges learnt floors in memory. This writes the same kind
of traffic into a real desk database (SQLite under --data) through the desk's own APIs, as the product logs it:
the shipped floors shown (an abstained search shows nothing), each settled search with its signals and first
result, a click (bench/click_replay_bench.first_click), a ticket after a no-click search (50%) or after a click
(click_replay_bench's rates), and for an answerable question's no-click ticket an agent who inserts a right article
and sends the reply (`--cited`, 0.7), never for an out-of-scope one. The draws follow bench/log_floors.py's
(`--seed`): its closed loop's first round, learning as many days, replays the same customers (the desk keys a
question by desk.search_labels.question_key, as log_floors and click feedback do: word order, punctuation and
Arabic prefixes folded; until labelkey23 it kept them apart, and the same searches made about three times as many,
thinner-labelled questions here, bench/RESULTS.md floors23).
Then it runs `kb floors --write` on it with a copy of the content (the domain's own stays as it is) and prints how
the floors it wrote flag the domain's dev and near-topic questions by their truth, beside the shipped floors'
abstention: what the command's decision was worth.

`--cross`: the domain's cross-lingual case instead (bench/eval_retrieval.suite_cases' "cross-lingual": GNOME's Arabic
questions over its English articles, the demo's Arabic questions over its English articles only, m365's English
questions over its Arabic articles), whose searches only the other language's articles answer: `kb floors` decides
the direction's cross-lingual floors (`cross_floors`), and both floors are scored by searching the truth questions
again, the shipped constants and then with what it wrote (copilot.retrieval reads `cross_floors`).
"""

from __future__ import annotations

import argparse
import ast
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from bench.click_replay_bench import first_click, simulate
from bench.eval_retrieval import Case, chosen_domains, direction, domain_content, suite_cases
from bench.log_floors import TICKET_AFTER_NO_CLICK
from copilot.learnt_floors import SIGNALS, flags, signal_row
from copilot.retrieval import SearchResult, query_register
from copilot.tuning import TUNING_FILE, SearchTuning
from desk.desk import Desk
from desk.floor_decision import DEFAULT_MAX_FALSE, floor_decisions
from desk.floor_evidence import floor_evidence
from desk.reports import answered_log
from desk.tickets import NewTicket
from kb.catalog import Catalog
from kb.settings import Settings
from webapp.cli import main as kb


def fill(desk: Desk, rows: list[dict], lang: str, search, args: argparse.Namespace, shown_lang: str,
         floors: str, visits: str = "") -> int:
    """One simulated log of `lang` written through the desk (the agent cites the `shown_lang` article), each search
    logged with `floors` (the searching engine's fingerprint, as the web app logs it) and its visit named after
    `visits` (a second log into the same database must not share the first's visits); returns the searches
    written."""
    sessions = simulate(rows, round(args.per_day * args.days), args.days, random.Random(args.seed))
    rng, cites = random.Random(args.seed * 1000 + 7), random.Random(args.seed * 1000 + 11)
    events = desk.events
    for number, session in enumerate(sessions):
        result: SearchResult = search(session.typed, lang)
        visit = f"{visits}{lang}-{number}"
        shown = [] if result.abstained else list(result.results[:10])
        token = events.search(session.typed, lang, len(shown), result.abstained, visit_id=visit,
                              signals=result.signals, first_article=result.results[0].key if result.results else None,
                              floors=floors)
        relevant = set(session.row["relevant"])
        clicked = first_click([h.id for h in shown], relevant, args.noise, rng)
        if clicked is not None:
            events.click(token, shown[clicked[0] - 1].key, clicked[0], visit)
        ticket = clicked[1] if clicked is not None else rng.random() < TICKET_AFTER_NO_CLICK
        cite_draw = cites.random()  # one draw a search, as bench/log_floors.py draws them: the same customers
        if not ticket:
            continue
        made = desk.tickets.create(NewTicket(email=f"{visit}@example.com", subject=session.typed[:120],
                                             body=session.typed, lang=lang, visit_id=visit))
        if clicked is None and relevant and cite_draw < args.cited:
            events.suggestion(made.id, "inserted", article_key=f"{shown_lang}/{sorted(relevant)[0]}",
                              details={"what": "passage"})
            events.suggestion(made.id, "sent", edit_distance=3, details={"what": "passage"})
    return len(sessions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", default="gnome")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--per-day", type=float, default=100.0)
    parser.add_argument("--noise", type=float, default=0.15)
    parser.add_argument("--cited", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--after-days", type=float, default=0.0,
                        help="then restart search on the floors written and log this many more days (seed + 1000) "
                             "into the same database, and run `kb floors` again: the floors changed inside the "
                             "window (same-language case only)")
    parser.add_argument("--data", type=Path, default=Path("var/floors23"))
    parser.add_argument("--min-labels", type=int, default=30)
    parser.add_argument("--cross", action="store_true",
                        help="the cross-lingual case: questions only the other language's articles answer")
    args = parser.parse_args()
    cases = suite_cases(chosen_domains([args.domain]), Path("var/bench"))
    case = next(c for c in cases if c.name == ("cross-lingual" if args.cross else "same-language"))
    for other in {id(c.engine): c.engine for c in cases if c.engine is not case.engine}.values():
        other.close()
    retriever = case.engine.retriever
    cache: dict[tuple[str, str], SearchResult] = {}

    def search(typed: str, lang: str) -> SearchResult:
        if (typed, lang) not in cache:
            cache[(typed, lang)] = retriever.search(typed, lang=lang, limit=10)
        return cache[(typed, lang)]

    if args.data.exists():
        shutil.rmtree(args.data)
    temporary = tempfile.TemporaryDirectory()
    content = Path(temporary.name) / "content"
    # the cross case's engine may index a copy with one language's articles only (the demo's)
    source = case.engine.settings.content_dir if args.cross else domain_content(chosen_domains([args.domain])[0])
    shutil.copytree(source, content)
    settings = Settings(content_dir=content, data_dir=args.data, database_url=None)
    langs = sorted({r["lang"] for r in case.rows})
    shown = direction(case).split(">")[1] if args.cross else None
    with Desk(settings) as desk:
        for lang in langs:
            rows = [{**r, "source": "dev"} for r in case.rows if r["lang"] == lang]
            rows += [{**r, "source": "near"} for r in case.near if r["lang"] == lang]
            count = fill(desk, rows, lang, search, args, shown or lang, retriever.floors_fingerprint)
            print(f"{args.domain} {lang}: {count} searches written")
    run = CliRunner(env={"DATABASE_URL": ""}).invoke(
        kb, ["floors", "--write", "--min-labels", str(args.min_labels), "--content", str(content),
             "--data", str(args.data)])
    print(run.output, end="")
    written = SearchTuning.load(content / TUNING_FILE)
    if args.cross:
        cross_truth(case, search, cache, written, run.output, args.domain)
        case.engine.close()
        temporary.cleanup()
        return
    floors_off, retriever.abstain_floors = retriever.abstain_floors, None
    for lang in langs:
        truth = [*case.rows, *case.near]
        truth = [r for r in truth if r["lang"] == lang]
        shipped = [search(r["query"], lang).abstained for r in truth]
        scores = np.array([signal_row(retriever.search(r["query"], lang=lang, limit=10).signals) for r in truth])
        learnt = (written.abstain_floors or {}).get(lang) if f"[{lang}] replace" in run.output.splitlines() else None
        fit = [learnt[name] for name in SIGNALS] if learnt else None
        registers = [query_register(r["query"], lang) for r in truth]
        ours = flags(scores, registers, fit, written.abstain_offsets.get(lang, {})) if fit else None
        oos = np.array([not r["relevant"] for r in truth])
        for name, flagged in (("shipped (as searched)", np.array(shipped)), ("written by kb floors", ours)):
            if flagged is None:
                print(f"{args.domain} {lang} {name}: nothing written")
                continue
            print(f"{args.domain} {lang} {name}: flags {flagged[oos].mean():.0%} of {oos.sum()} out-of-scope, "
                  f"{flagged[~oos].mean():.1%} of {(~oos).sum()} answerable dev and near-topic questions")
    retriever.abstain_floors = floors_off
    if args.after_days:
        after(args, settings, langs, case, written, search, cache)
    case.engine.close()
    temporary.cleanup()


def after(args: argparse.Namespace, settings: Settings, langs: list[str], case: Case, written: SearchTuning,
          search, cache: dict) -> None:
    """Search restarted on the floors `kb floors --write` wrote (the retriever reads them as the Engine would at its
    next start, and logs their fingerprint), `--after-days` more days logged into the same database, then `kb floors`
    again over the whole window: the command judges the floors in use on the searches they decided."""
    retriever = case.engine.retriever
    retriever.abstain_floors, retriever.abstain_offsets = written.abstain_floors, written.abstain_offsets
    retriever.cross_floors, retriever.floors_fingerprint = written.cross_floors, written.floors_fingerprint()
    cache.clear()
    later = argparse.Namespace(**{**vars(args), "days": args.after_days, "seed": args.seed + 1000})
    with Desk(settings) as desk:
        for lang in langs:
            rows = [{**r, "source": "dev"} for r in case.rows if r["lang"] == lang]
            rows += [{**r, "source": "near"} for r in case.near if r["lang"] == lang]
            count = fill(desk, rows, lang, search, later, lang, retriever.floors_fingerprint, visits="after-")
            print(f"{args.domain} {lang}: {count} more searches written under the written floors")
    run = CliRunner(env={"DATABASE_URL": ""}).invoke(
        kb, ["floors", "--min-labels", str(args.min_labels), "--content", str(settings.content_dir),
             "--data", str(args.data)])
    print(run.output, end="")
    with Desk(settings) as desk:  # the same log read as before session 24: every search, whatever floors decided it
        log = answered_log(desk, Catalog(settings), None)
        for d in floor_decisions(floor_evidence(log, desk.events.search_signals), False, DEFAULT_MAX_FALSE,
                                 args.min_labels):
            c = d.compared
            print(f"[{d.lang}] every search, as before floorwindow24: {d.answerable} answerable, {d.not_answered} "
                  f"not answered, {d.judge_only} judge-only; 'in use' (as logged) catch {c.shipped_caught}/"
                  f"{c.not_answered}, flag {c.shipped_false}/{c.answerable}; learnt catch {c.learnt_caught}/"
                  f"{c.not_answered}, flag {c.learnt_false}/{c.answerable}; {d.reason}")


def cross_truth(case: Case, search, cache: dict, written: SearchTuning, output: str, domain: str) -> None:
    """The cross-lingual case's truth questions flagged by the shipped constants (as searched for the log) and, where
    `kb floors` replaced them, searched again with the `cross_floors` it wrote: the product's own rule, whatever
    else in it decides (a title name spelt, the heading floor)."""
    retriever = case.engine.retriever
    pair = direction(case)
    truth = [*case.rows, *case.near]
    oos = np.array([not r["relevant"] for r in truth])
    shipped = np.array([search(r["query"], r["lang"]).abstained for r in truth])
    def searched_with(floors: dict[str, dict[str, float]]) -> np.ndarray:
        cache.clear()
        saved, retriever.cross_floors = retriever.cross_floors, floors
        flagged = np.array([search(r["query"], r["lang"]).abstained for r in truth])
        retriever.cross_floors = saved
        cache.clear()
        return flagged

    ours = searched_with(written.cross_floors) if f"[{pair}] replace" in output.splitlines() else None
    prefix = f"[{pair}] learnt cross-lingual floors "
    learnt = [ast.literal_eval(line[len(prefix):]) for line in output.splitlines() if line.startswith(prefix)]
    kept = searched_with({pair: learnt[0]}) if learnt and ours is None else None  # what the guard kept out
    for name, flagged in (("shipped (as searched)", shipped), ("written by kb floors", ours),
                          ("learnt, not written", kept)):
        if flagged is None and name.startswith("learnt"):
            continue
        if flagged is None:
            print(f"{domain} {pair} {name}: nothing written")
            continue
        print(f"{domain} {pair} {name}: flags {flagged[oos].mean():.0%} of {oos.sum()} out-of-scope, "
              f"{flagged[~oos].mean():.1%} of {(~oos).sum()} answerable dev and near-topic questions")


if __name__ == "__main__":
    main()
