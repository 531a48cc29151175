"""What the inbox's "Held mail" count costs: `desk.held_mail.count()` and the first page, on a mail table of N rows of
which 1 in 200 is held (refused, a loop, a ticketless auto-reply), with the outcome index (ix_mail_inbound_outcome,
migration held_mail) and with it dropped, side by side. SQLite in a temporary data directory, or the database of
DATABASE_URL when it is a PostgreSQL one (rows are added, never removed: use a throwaway database). No ANALYZE
(the desk runs none): SQLite plans without statistics, as in production.

Then the retention rule (`purge`, migration held_mail_upkeep): the held rows made older than the retention days, each
with its kept original on disk, purged 100 per pass (the worker's batch), with the raw_path index
(ix_mail_inbound_raw_path: each file's "does another row keep it?") and with it dropped; the median pass of each.

    python bench/held_mail_bench.py [--rows 200000] [--runs 30] [--purge-passes 4]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, text, update

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


def purge_ms(desk: Desk, data_dir: Path, passes: int) -> tuple[list[float], int]:
    """`passes` purge passes of 100 over the held rows, all older than the retention days and with their files."""
    with desk.db.session() as session:
        session.execute(update(InboundMail).where(InboundMail.outcome != "created", InboundMail.settled.is_(None))
                        .values(received_at=utcnow() - timedelta(days=30)))
        paths = session.scalars(select(InboundMail.raw_path).where(InboundMail.outcome != "created",
                                                                   InboundMail.settled.is_(None))).all()
    for path in paths:
        (data_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / path).write_bytes(b"Subject: x\n\nx\n")
    times, done = [], 0
    for _ in range(passes):
        start = time.perf_counter()
        done += desk.held_mail.purge(timedelta(days=14), limit=100)
        times.append((time.perf_counter() - start) * 1000)
    return times, done


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
    parser.add_argument("--purge-passes", type=int, default=4)
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
            purges = {}
            for label in ("with the raw_path index", "without it"):
                if label == "without it":
                    with desk.db.session() as session:
                        session.execute(text("DROP INDEX ix_mail_inbound_raw_path"))
                purges[label] = purge_ms(desk, settings.data_dir, args.purge_passes)
            print(f"\npurge passes of 100 held mails (with their files), median of {args.purge_passes}")
            print("| | purge pass ms (median) | each pass ms | rows + files done |")
            print("|---|---|---|---|")
            for label, (times, done) in purges.items():
                each = ", ".join(f"{t:.0f}" for t in times)
                print(f"| {label} | {statistics.median(times):.1f} | {each} | {done} |")
        finally:
            desk.close()


if __name__ == "__main__":
    main()
