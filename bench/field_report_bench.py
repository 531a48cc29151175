"""The dashboard's breakdown by a custom field (desk.metrics.field_rows) over a large desk: how long one table takes.

    PYTHONPATH=. python bench/field_report_bench.py                       # 100,000 tickets, SQLite
    PYTHONPATH=. python bench/field_report_bench.py --postgresql          # on a throwaway PostgreSQL cluster

A fresh database at head is filled in bulk: `--tickets` tickets over 90 days (20,000 customers), each with the
customer's message and, for 90% of them, an agent's reply; 60% solved (a status change); a dropdown `reason` of five
options on 90% of them (the rest no value) and a text `order_number` on all (another key the join must skip); a CSAT
survey for a third of the solved, answered. Then `field_rows` runs for the last 30 days and for all 90, each timed
`--runs` times (the median printed), with the rows it returned counted; beside it, the dashboard's own per-ticket
facts (desk.metrics.ticket_facts, the same correlated first-reply and solve subqueries) for the same period, as the
yardstick of what the page already costs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.bench_database import bench_database
from desk.database import Database
from desk.metrics import Filters, field_rows, ticket_facts
from desk.models import Agent, CsatSurvey, Customer, Message, Ticket, TicketFieldValue, TicketStatusChange

REASONS = ("refund", "delivery", "damaged", "payment", "account")
CUSTOMERS = 20_000
DAYS = 90
LAST_DAY = date(2026, 12, 5)


def fill(db: Database, count: int, seed: int = 33) -> None:
    rng = random.Random(seed)
    start = datetime.combine(LAST_DAY - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    with db.engine.begin() as connection:
        connection.execute(insert(Agent), [{"id": 1, "email": "omar@example.com", "password_hash": "x",
                                            "role": "agent", "name": "Omar"}])
        connection.execute(insert(Customer), [{"id": i + 1, "email": f"c{i}@example.com", "name": f"C {i}",
                                               "created_at": start} for i in range(CUSTOMERS)])
    for first in range(0, count, 5000):
        tickets, messages, changes, values, surveys = [], [], [], [], []
        for number in range(first + 1, min(count, first + 5000) + 1):
            created = start + timedelta(minutes=rng.randrange(60 * 24 * DAYS))
            solved = rng.random() < 0.6
            tickets.append({"id": number, "reference": f"r{number}", "customer_id": rng.randrange(CUSTOMERS) + 1,
                            "subject": f"Question {number}", "lang": rng.choice(("en", "ar")),
                            "status": "solved" if solved else "open", "priority": "normal", "channel": "web",
                            "context": {}, "created_at": created, "updated_at": created, "assignee_id": 1})
            messages.append({"ticket_id": number, "author": "customer", "body": "Where is my refund?",
                             "internal": False, "created_at": created})
            if rng.random() < 0.9:
                messages.append({"ticket_id": number, "author": "agent", "agent_id": 1, "body": "On it.",
                                 "internal": False, "created_at": created + timedelta(minutes=rng.randrange(1, 3000))})
            if solved:
                at = created + timedelta(minutes=rng.randrange(60, 6000))
                changes.append({"ticket_id": number, "old_status": "open", "new_status": "solved", "agent_id": 1,
                                "created_at": at})
                if rng.random() < 1 / 3:
                    surveys.append({"ticket_id": number, "token": f"s{number}", "agent_id": 1, "sent_at": at,
                                    "rating": rng.randrange(1, 6), "answered_at": at, "created_at": at})
            if rng.random() < 0.9:
                values.append({"ticket_id": number, "key": "reason", "value": rng.choice(REASONS)})
            values.append({"ticket_id": number, "key": "order_number", "value": f"A-{number}"})
        with db.engine.begin() as connection:
            connection.execute(insert(Ticket), tickets)
            connection.execute(insert(Message), messages)
            connection.execute(insert(TicketStatusChange), changes)
            connection.execute(insert(TicketFieldValue), values)
            if surveys:
                connection.execute(insert(CsatSurvey), surveys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgresql", action="store_true", help="a throwaway cluster (tests/postgres.py)")
    parser.add_argument("--data", type=Path, default=Path("var/bench/field_report"))
    args = parser.parse_args()
    with bench_database(args.data, args.postgresql, keep=False) as (db, _):
        began = time.perf_counter()
        fill(db, args.tickets)
        print(f"{db.engine.dialect.name}: {args.tickets:,} tickets filled in {time.perf_counter() - began:.1f} s")
        for days in (30, DAYS):
            period = Filters.for_days(LAST_DAY - timedelta(days=days - 1), LAST_DAY)
            timings = []
            for _ in range(args.runs):
                began = time.perf_counter()
                rows = field_rows(db, period, "reason", REASONS)
                timings.append(time.perf_counter() - began)
            yardstick = []
            for _ in range(args.runs):
                began = time.perf_counter()
                ticket_facts(db, period)
                yardstick.append(time.perf_counter() - began)
            created = sum(row.created for row in rows)
            print(f"  last {days} days: {created:,} tickets created in {len(rows)} rows; field_rows median "
                  f"{statistics.median(timings) * 1000:.0f} ms (min {min(timings) * 1000:.0f}, {args.runs} runs); "
                  f"ticket_facts median {statistics.median(yardstick) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
