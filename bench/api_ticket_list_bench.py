"""Token API ticket list timing (session 41, api41): `Inbox.listing` pages as GET /api/v1/tickets reads them (keyset
after a cursor, plus the `total` count), sorted by time, by a ticket field and by a customer field, filtered by a
customer field; SQLite, N tickets over N/2 customers (views40's fill), the median of 7 reads of a page of 25: the
first page and one half-way down (its cursor taken from the page before it).

    PYTHONPATH=. python bench/api_ticket_list_bench.py 20000 /tmp/api-list-bench
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench.inbox_customer_sort_bench import filled_desk
from desk.desk import Desk
from desk.inbox import InboxQuery, TicketListQuery


def timed(desk: Desk, query: TicketListQuery) -> float:
    runs = []
    for _ in range(7):
        start = time.perf_counter()
        desk.inbox.listing(query, 25)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main(count: int, root: Path) -> None:
    desk = filled_desk(count, root)
    try:
        queries = {
            "sort=updated": TicketListQuery(),
            "sort=field.amount": TicketListQuery(sort="field.amount", descending=False),
            "sort=customer.seats": TicketListQuery(sort="customer.seats", descending=False),
            "customer.plan=business, sort=customer.seats": TicketListQuery(
                filters=InboxQuery(view="all", customer_fields=(("plan", "business"),)), sort="customer.seats",
                descending=False),
        }
        for name, query in queries.items():
            first = timed(desk, query)
            total = desk.inbox.listing(query, 1).total
            deep = desk.inbox.listing(query, max(1, total // 2))  # the page half-way down starts after this one
            middle = timed(desk, replace(query, after=deep.last))
            print(f"| {count} | {name} | {first:.1f} | {middle:.1f} | {total} |")
    finally:
        desk.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
