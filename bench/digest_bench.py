"""The leads' KPI digests (desk.digests) on a busy desk: what the worker's `digests` job costs every minute when
nothing is due, and what one weekly digest costs to compose and queue, beside the dashboard's own figures for the
same week (`metrics.dashboard`, what /agent/dashboard computes).

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/digest_bench.py [--postgresql] [--tickets N] [--leads N]

The database is field_report_bench's (`fill`: `--tickets` tickets over 90 days with replies, solves and CSAT) with
`--leads` leads who chose the weekly digest (on PostgreSQL, ANALYZEd after the load, as autovacuum would); each
timing is the median of `--runs`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text, update

from bench.bench_database import bench_database
from bench.field_report_bench import LAST_DAY, fill
from desk import metrics
from desk.business_hours import BusinessHours
from desk.digests import Digests, due_period
from desk.models import Agent

ROOT = Path(__file__).resolve().parent.parent


def median_time(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=30_000)
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, bench_database(Path(data), args.postgresql, keep=False) as (db, _):
        fill(db, args.tickets)
        with db.engine.begin() as connection:
            connection.execute(insert(Agent), [
                {"id": 100 + n, "email": f"lead{n}@example.com", "password_hash": "x", "role": "lead",
                 "name": f"Lead {n}", "time_zone": "Asia/Riyadh", "digest": "weekly"} for n in range(args.leads)])
        if args.postgresql:  # as autovacuum would soon after a bulk load: without statistics the plans are minutes off
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        hours = BusinessHours.load(ROOT / "content")
        digests = Digests(db, hours, ("en", "ar"))
        monday = datetime.combine(LAST_DAY + timedelta(days=7 - LAST_DAY.weekday()), datetime.min.time(), UTC)
        now = monday + timedelta(hours=6)  # 09:00 in Riyadh: last week's digest is due
        period = due_period("weekly", "Asia/Riyadh", now)
        with db.engine.begin() as connection:  # every lead mailed already: an idle pass
            connection.execute(update(Agent).where(Agent.digest.is_not(None)).values(digest_sent_for=period.first))
        idle = median_time(lambda: digests.send_due(now), args.runs)
        composed = []
        for _ in range(args.runs):
            with db.engine.begin() as connection:
                connection.execute(update(Agent).where(Agent.id == 100).values(digest_sent_for=None))
            started = time.perf_counter()
            assert digests.send(100, period, now=now) is not None
            composed.append(time.perf_counter() - started)
        week = metrics.Filters.for_days(period.first, period.last, "Asia/Riyadh")
        board = median_time(lambda: metrics.dashboard(db, week, hours), args.runs)
        engine = "PostgreSQL" if args.postgresql else "SQLite"
        print(f"{engine}, {args.tickets:,} tickets over 90 days, {args.leads} leads with a weekly digest")
        print(f"idle digests pass (none due): {idle * 1000:.1f} ms")
        print(f"one weekly digest composed and queued ({period.first} to {period.last}): "
              f"{statistics.median(composed) * 1000:.0f} ms")
        print(f"the dashboard's figures for the same week (metrics.dashboard): {board * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
