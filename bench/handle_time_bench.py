"""The dashboard's handle time (desk.metrics.handle_time, task timetrack35) at a real team's volume: what it adds to
the figures the page and /api/v1/metrics compute.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/handle_time_bench.py [--tickets N] [--entries-per-ticket K]
        [--postgresql] [--data DIR]

The database is field_report_bench's (`fill`: `--tickets` tickets over 90 days with replies, solves, a dropdown field
and CSAT) with `--entries-per-ticket` time entries a ticket on average (1 to 2K, each 1 to 60 minutes, by one of five
agents, from the ticket's creation to a few days after) and a reopen on 5% of the solved tickets, made once in `--data`
(with `--postgresql`, a throwaway cluster filled each run). For the last 30 and 90 days it prints the medians of
`--runs` runs of `handle_time` alone (the current period's, and the previous period's headline) and of
`metrics.dashboard` (this period and the previous one's headline, each with its handle time): the share of the
dashboard's CPU that handle time takes (the CPU of this process, SQLite's included; wall times are the shared
machine's).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.bench_database import bench_database
from bench.field_report_bench import DAYS, LAST_DAY, fill
from desk import metrics
from desk.business_hours import BusinessHours
from desk.database import Database
from desk.models import Agent, Ticket, TicketStatusChange, TimeEntry

ROOT = Path(__file__).resolve().parent.parent


def add_time(db: Database, per_ticket: float, seed: int = 35) -> int:
    """Time entries and a few reopens over the filled tickets; how many entries."""
    rng = random.Random(seed)
    with db.engine.begin() as connection:
        connection.execute(insert(Agent), [{"id": i, "email": f"agent{i}@example.com", "password_hash": "x",
                                            "role": "agent", "name": f"Agent {i}"} for i in range(2, 6)])
        tickets = connection.execute(select(Ticket.id, Ticket.created_at, Ticket.status).order_by(Ticket.id)).all()
    written = 0
    for first in range(0, len(tickets), 5000):
        entries, reopens = [], []
        for ticket_id, created, status in tickets[first:first + 5000]:
            created = created if created.tzinfo else created.replace(tzinfo=UTC)
            for _ in range(rng.randint(1, max(1, round(2 * per_ticket - 1)))):
                entries.append({"ticket_id": ticket_id, "agent_id": rng.randint(1, 5),
                                "seconds": rng.randint(60, 3600), "kind": rng.choice(("reply", "note", "manual")),
                                "created_at": created + timedelta(minutes=rng.randrange(1, 6000))})
            if status == "solved" and rng.random() < 0.05:
                reopens.append({"ticket_id": ticket_id, "old_status": "solved", "new_status": "open",
                                "agent_id": None, "created_at": created + timedelta(minutes=rng.randrange(61, 7000))})
        with db.engine.begin() as connection:
            connection.execute(insert(TimeEntry), entries)
            if reopens:
                connection.execute(insert(TicketStatusChange), reopens)
        written += len(entries)
    return written


def median_of(runs: int, work) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall, cpu = [], []
    for _ in range(runs):
        began, busy = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - busy)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--entries-per-ticket", type=float, default=2.5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgresql", action="store_true", help="a throwaway cluster (tests/postgres.py)")
    parser.add_argument("--data", type=Path, default=Path("var/bench/handle_time"))
    args = parser.parse_args()
    hours = BusinessHours.load(ROOT / "content")
    with bench_database(args.data, args.postgresql) as (db, fresh):
        if fresh:
            began = time.perf_counter()
            fill(db, args.tickets)
            entries = add_time(db, args.entries_per_ticket)
            print(f"{db.engine.dialect.name}: {args.tickets:,} tickets and {entries:,} time entries filled in "
                  f"{time.perf_counter() - began:.1f} s", flush=True)
        for days in (30, DAYS):
            f = metrics.Filters.for_days(LAST_DAY - timedelta(days=days - 1), LAST_DAY)
            spent = metrics.handle_time(db, f, hours)
            alone = median_of(args.runs, lambda f=f: metrics.handle_time(db, f, hours))
            headline = median_of(args.runs, lambda f=f: metrics.handle_time(db, f.previous(), hours,
                                                                            headline_only=True))
            board = median_of(args.runs, lambda f=f: metrics.dashboard(db, f, hours, f.end))
            share = (alone[1] + headline[1]) / board[1] if board[1] else 0.0
            print(f"  {db.engine.dialect.name} last {days} days ({spent.entries:,} entries, {spent.solved_tickets:,} "
                  f"solved tickets with time): handle_time median {alone[0]:.2f} s wall / {alone[1]:.2f} s CPU, "
                  f"the previous period's headline {headline[0]:.2f} s / {headline[1]:.2f} s; the dashboard (both "
                  f"periods) {board[0]:.2f} s / {board[1]:.2f} s, of its CPU {share:.0%} handle time; "
                  f"{args.runs} runs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
