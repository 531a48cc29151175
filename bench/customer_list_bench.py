"""The customer list over 50,000 customers: `Customers.page` (count, one page, its languages) per sort and search.

    python bench/customer_list_bench.py                     # 50,000 customers, 150,000 tickets, SQLite
    python bench/customer_list_bench.py --customers 5000    # a quicker look

The database is a fresh SQLite file (or DATABASE_URL's) filled in bulk: customers with names in both scripts, each
with 0 to 6 tickets (3 on average) of two messages (the customer's, then an agent's), statuses mixed, over 90 days;
`last_contact_at` as the desk keeps it (core inserts bypass the flush hook that stamps it).
Each kind of call is timed `--runs` times after one warm-up; medians and nearest-rank p95 in ms. What is timed is the
desk's SQL (counts and last contact by grouped subqueries, the search by LIKE on the folded `search_text`), the part
that grows with the desk; the page's template adds a constant for 25 rows.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from desk.desk import Desk
from desk.models import Customer, Message, Ticket
from desk.ticket_search import customer_search_text
from desk.tickets import new_reference
from kb.settings import Settings

FIRST = ["Sara", "Omar", "Daniel", "Maya", "Ali", "سارة", "خالد", "نورة", "محمد", "ريم", "Fatima", "أحمد"]
LAST = ["Brooks", "Haddad", "العتيبي", "القحطاني", "Smith", "الشمري", "Khan", "Nasser", "الدوسري", "Lee"]
STATUSES = ["new", "open", "open", "pending", "on_hold", "solved", "closed", "closed"]
SEARCHES = ["احمد", "العتيبي", "omar", "maya.1234", "haddad", "nobody-at-all"]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered), 1),
            "p95": round(ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)], 1)}


def fill(desk: Desk, count: int, seed: int = 29) -> int:
    """`count` customers and their tickets in bulk (core inserts, 5,000 customers a transaction); the tickets."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    ticket_id = 0
    for start in range(0, count, 5000):
        customers, tickets, messages = [], [], []
        for i in range(start, min(count, start + 5000)):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            email = f"{rng.choice(FIRST).lower()}.{i}@example.com"
            customer = {"id": i + 1, "email": email, "name": name, "created_at": now - timedelta(days=90),
                        "search_text": customer_search_text(name, email), "last_contact_at": None}
            customers.append(customer)
            for _ in range(rng.randrange(7)):
                ticket_id += 1
                created = now - timedelta(minutes=rng.randrange(60 * 24 * 90))
                tickets.append({"id": ticket_id, "reference": new_reference(), "customer_id": i + 1,
                                "subject": f"Question {ticket_id}", "lang": rng.choice(("en", "ar")),
                                "status": rng.choice(STATUSES), "priority": "normal", "channel": "web",
                                "context": {}, "created_at": created, "updated_at": created})
                messages.append({"ticket_id": ticket_id, "author": "customer", "body": "Where is my refund?",
                                 "internal": False, "created_at": created})
                customer["last_contact_at"] = max(created, customer["last_contact_at"] or created)
                messages.append({"ticket_id": ticket_id, "author": "agent", "body": "We are on it.",
                                 "internal": False, "created_at": created + timedelta(hours=1)})
        with desk.db.session() as session:
            session.execute(insert(Customer), customers)
            session.execute(insert(Ticket), tickets)
            session.execute(insert(Message), messages)
    return ticket_id


def timed(call) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15, help="timed calls per kind")
    parser.add_argument("--data", type=Path, default=Path("var/bench/customer_list"))
    args = parser.parse_args()
    settings = Settings.from_env(data_dir=args.data)
    (args.data / "helpdesk.sqlite").unlink(missing_ok=True)
    desk = Desk(settings)
    started = time.perf_counter()
    tickets = fill(desk, args.customers)
    print(f"{args.customers:,} customers, {tickets:,} tickets written in {time.perf_counter() - started:.1f} s "
          f"({desk.db.engine.dialect.name})", file=sys.stderr)
    last_offset = (args.customers - 1) // 25 * 25
    kinds = {
        **{f"sort={sort}, page 1": (lambda sort=sort: desk.customers.page("", sort, 25, 0))
           for sort in ("last_contact", "name", "tickets")},
        "sort=last_contact, last page": lambda: desk.customers.page("", "last_contact", 25, last_offset),
        **{f"search {q!r}": (lambda q=q: desk.customers.page(q, "last_contact", 25, 0)) for q in SEARCHES},
    }
    for kind, call in kinds.items():
        call()  # warm-up
        found = call()
        figures = percentiles([timed(call) for _ in range(args.runs)])
        print(f"{kind:34} median {figures['median']:7.1f} ms  p95 {figures['p95']:7.1f} ms  ({found.total:,} found)")
    desk.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
