"""The abstention reports over a month of logged searches: how long `kb report abstention`, `false-abstentions`,
`floors` (what `kb floors` decides: labels, the guard's cross-validated fits) and, beside them, `gaps` take to build,
on SQLite, as the reports page builds them on every load.

    PYTHONPATH=. .venv/bin/python bench/shadow_log_bench.py [--searches 20000] [--runs 3]

Generated, bulk-inserted: `--searches` settled searches over the last 30 days (two per visit, 20% abstained, half
clicked, 25 signals each, as the shadow log stores them: the floors' four among them), a ticket after one visit in
ten, and on half of those an agent's inserted passage and sent reply. Prints the median of `--runs` builds of each
report. The queries are "question N", N drawn uniformly from 0 to a fifth of
`--searches`: most questions are searched about five times, and carry mixed behaviour (the signals are uniform noise).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from copilot.learnt_floors import SIGNALS
from desk import reports
from desk.desk import Desk
from desk.floor_evidence import floor_evidence
from desk.models import Customer, SearchEvent, SuggestionEvent, Ticket, utcnow
from kb.catalog import Catalog
from kb.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SIGNAL_NAMES = (*SIGNALS, *(f"s{k}" for k in range(25 - len(SIGNALS))))  # the floors read the first four


def fill(desk: Desk, searches: int, rng: random.Random) -> int:
    """The generated month; returns the number of tickets."""
    now = utcnow()
    rows, tickets, uses = [], [], []
    for i in range(searches):
        at = now - timedelta(days=30) + timedelta(seconds=i * 30 * 86400 / searches)
        rows.append({"token": f"t{i}", "visit_id": f"v{i // 2}", "query": f"question {rng.randint(0, searches // 5)}",
                     "lang": "en", "result_count": 5, "abstained": rng.random() < 0.2, "fallback": False,
                     "source": "page", "clicked_article": "en/refund-timing" if rng.random() < 0.5 else None,
                     "created_at": at, "signals": {name: round(rng.random(), 4) for name in SIGNAL_NAMES},
                     "first_article": "en/refund-timing"})
        if i % 20 == 1:
            tid = len(tickets) + 1
            tickets.append({"id": tid, "reference": f"r{tid}", "customer_id": 1, "subject": "s", "lang": "en",
                            "status": "open", "priority": "normal", "channel": "web", "context": {},
                            "visit_id": f"v{i // 2}", "created_at": at + timedelta(seconds=5), "updated_at": at})
            if tid % 2:
                uses += [{"ticket_id": tid, "kind": "inserted", "article_key": "en/refund-timing", "details": {},
                          "created_at": at + timedelta(seconds=60)},
                         {"ticket_id": tid, "kind": "sent", "details": {}, "created_at": at + timedelta(seconds=90)}]
    with desk.db.session() as session:
        session.execute(insert(Customer), [{"id": 1, "email": "a@example.com", "name": "A"}])
        session.execute(insert(SearchEvent), rows)
        session.execute(insert(Ticket), tickets)
        session.execute(insert(SuggestionEvent), uses)
    return len(tickets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), content_dir=ROOT / "content")
        desk = Desk(settings)
        tickets = fill(desk, args.searches, random.Random(22))
        catalog = Catalog(settings)
        for name in ("abstention", "false-abstentions", "floors", "gaps"):
            times, rows = [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                rows = reports.REPORTS[name].build(desk, catalog, None, "UTC")
                times.append(time.perf_counter() - started)
            print(f"{args.searches} searches, {tickets} tickets: {name:18} {len(rows):5} rows, "
                  f"median {statistics.median(times):.2f} s")
        for signals in (True, False):  # the floors report's evidence, before any fit: every search's signals decoded,
            times, labelled = [], 0  # or (as the report reads it) only each labelled question's newest, by id
            for _ in range(args.runs):
                started = time.perf_counter()
                log = reports.answered_log(desk, catalog, None, signals=signals)
                evidence = floor_evidence(log, None if signals else desk.events.search_signals)
                times.append(time.perf_counter() - started)
                labelled = sum(len(e.rows) for e in evidence.values())
            how = "every search's signals" if signals else "the labelled questions' newest signals by id"
            print(f"{args.searches} searches: floors' evidence with {how}, median {statistics.median(times):.2f} s "
                  f"({labelled} labelled questions to fit on)")
        desk.close()


if __name__ == "__main__":
    main()
