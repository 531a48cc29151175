"""What the inbox's "Held mail" count costs: `desk.held_mail.count()` and the first page, on a mail table of N rows of
which 1 in 200 is held (refused, a loop, a ticketless auto-reply), with the outcome index (ix_mail_inbound_outcome,
migration held_mail) and with it dropped, side by side. SQLite in a temporary data directory, or the database of
DATABASE_URL when it is a PostgreSQL one (rows are added, never removed: use a throwaway database). No ANALYZE
(the desk runs none): SQLite plans without statistics, as in production.

    python bench/held_mail_bench.py [--rows 200000] [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

from desk.desk import Desk
from desk.models import InboundMail, utcnow
from kb.settings import Settings


def fill(desk: Desk, rows: int) -> None:
    now = utcnow()
    batch = []
    for n in range(rows):
        held = n % 200 == 0
        outcome = ("rejected", "loop", "automatic")[n // 200 % 3] if held else "created"
        batch.append({"from_address": f"c{n}@example.com", "subject": f"Question {n}", "outcome": outcome,
                      "reason": "no sender address (From)" if held else None, "channel": "smtp",
                      "raw_path": f"mail/raw/2026-12/{n:040d}.eml", "size": 2000, "received_at": now})
        if len(batch) == 5000:
            with desk.db.session() as session:
                session.execute(insert(InboundMail), batch)
            batch = []
    if batch:
        with desk.db.session() as session:
            session.execute(insert(InboundMail), batch)


def median_ms(work, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings.from_env()
        if not (settings.database_url or "").startswith("postgresql"):
            settings = Settings(data_dir=Path(data))
        desk = Desk(settings)
        try:
            fill(desk, args.rows)
            held = desk.held_mail.count()
            results = {}
            for label in ("with the outcome index", "without it"):
                if label == "without it":
                    with desk.db.session() as session:
                        session.execute(text("DROP INDEX ix_mail_inbound_outcome"))
                results[label] = (median_ms(desk.held_mail.count, args.runs),
                                  median_ms(desk.held_mail.page, args.runs))
            print(f"{args.rows:,} mails, {held:,} held, {desk.db.engine.dialect.name}, median of {args.runs} runs")
            print("| | count() ms | page() ms (25 rows) |")
            print("|---|---|---|")
            for label, (count_ms, page_ms) in results.items():
                print(f"| {label} | {count_ms:.2f} | {page_ms:.2f} |")
        finally:
            desk.close()


if __name__ == "__main__":
    main()
