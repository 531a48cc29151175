"""Inbox page timing (session 40, views40): a sort by a ticket field against one by a customer field, customer
columns shown, a skill filter; SQLite, N tickets over N/2 customers, the median of 7 pages of 25.

    PYTHONPATH=. python bench/inbox_customer_sort_bench.py 20000 /tmp/inbox-bench
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import Customer, CustomerFieldValue, Ticket, TicketFieldValue
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.webapp.test_api_ticket_fields import FIELDS
from tests.webapp.test_customer_fields import FIELDS as CUSTOMER_FIELDS


def fill(desk: Desk, count: int) -> None:
    """`count` tickets, two per customer; two thirds of the customers have seats, every one a plan, two thirds of
    the tickets an amount."""
    with desk.db.session() as session:
        customers = [Customer(email=f"c{n}@example.com", name=f"C {n}") for n in range(count // 2)]
        session.add_all(customers)
        session.flush()
        tickets = [Ticket(reference=f"R{n}", customer_id=customers[n % len(customers)].id, subject=f"s{n}", lang="en")
                   for n in range(count)]
        session.add_all(tickets)
        session.flush()
        session.add_all(CustomerFieldValue(customer_id=c.id, key="seats", value=str(n % 500))
                        for n, c in enumerate(customers) if n % 3)
        session.add_all(CustomerFieldValue(customer_id=c.id, key="plan", value="business" if n % 2 else "free")
                        for n, c in enumerate(customers))
        session.add_all(TicketFieldValue(ticket_id=t.id, key="amount", value=str(n % 700))
                        for n, t in enumerate(tickets) if n % 3)
        session.commit()


def filled_desk(count: int, root: Path) -> Desk:
    """A desk under `root` with the tests' ticket and customer fields, `fill`ed with `count` tickets (the API list's
    bench reads it too)."""
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    (content / FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    (content / CUSTOMER_FIELDS_FILE).write_text(CUSTOMER_FIELDS, encoding="utf-8")
    desk = Desk(Settings(data_dir=root / "data", content_dir=content))
    fill(desk, count)
    return desk


def main(count: int, root: Path) -> None:
    desk = filled_desk(count, root)
    try:
        agent = desk.accounts.create_agent("bench@example.com", "a long enough password").id
        queries = {
            "sort=updated": InboxQuery(view="all"),
            "sort=field.amount": InboxQuery(view="all", sort="field.amount"),
            "sort=customer.seats": InboxQuery(view="all", sort="customer.seats"),
            "sort=customer.seats, columns customer.plan and customer.seats": InboxQuery(
                view="all", sort="customer.seats", columns=("customer.plan", "customer.seats")),
            "skill=1 (no ticket requires it)": InboxQuery(view="all", skill=1),
        }
        for name, query in queries.items():
            runs = []
            for _ in range(7):
                start = time.perf_counter()
                desk.inbox.page(query, agent)
                runs.append(time.perf_counter() - start)
            print(f"| {count} | {name} | {statistics.median(runs) * 1000:.1f} |")
    finally:
        desk.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
