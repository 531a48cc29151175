"""A domain added to an organization over 50,000 customers: the one UPDATE that brings its customers in
(desk.organizations: `customers.email LIKE '%@domain'`, no index on the domain), and the one taking them out again.

    python bench/organization_domain_bench.py                     # 50,000 customers, 1 in 10 at the domain, SQLite
    python bench/organization_domain_bench.py --customers 5000    # a quicker look

The database is a fresh SQLite file (or DATABASE_URL's) filled in bulk (core inserts, 5,000 a transaction). Each
edit (add the domain, take it away) is timed `--runs` times; medians and nearest-rank p95 in ms, with how many
customers each moved. The organization's page (`detail`: counts, 100 members, 25 open tickets) and the list are
timed too.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from desk.audit import CLI
from desk.desk import Desk
from desk.models import Customer
from desk.ticket_search import customer_search_text
from kb.settings import Settings


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered), 1),
            "p95": round(ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)], 1)}


def fill(desk: Desk, count: int) -> None:
    now = datetime.now(UTC)
    for start in range(0, count, 5000):
        rows = []
        for i in range(start, min(count, start + 5000)):
            email = f"person.{i}@acme.sa" if i % 10 == 0 else f"person.{i}@example{i % 97}.com"
            rows.append({"id": i + 1, "email": email, "name": f"Person {i}", "created_at": now,
                         "search_text": customer_search_text(f"Person {i}", email)})
        with desk.db.session() as session:
            session.execute(insert(Customer), rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--data", type=Path, default=Path("/tmp/organization-bench"))
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    for old in args.data.glob("helpdesk.sqlite*"):
        old.unlink()
    desk = Desk(Settings(data_dir=args.data))
    try:
        fill(desk, args.customers)
        org = desk.organizations.create("Acme", [], by=CLI)
        timings: dict[str, list[float]] = {"add domain": [], "remove domain": [], "detail": [], "list": []}
        moved: dict[str, int] = {}
        for _ in range(args.runs):
            for name, domains in (("add domain", "acme.sa"), ("remove domain", "")):
                began = time.perf_counter()
                desk.organizations.edit(org.id, "Acme", domains, None, "", by=CLI)
                timings[name].append((time.perf_counter() - began) * 1000)
            desk.organizations.edit(org.id, "Acme", "acme.sa", None, "", by=CLI)
            began = time.perf_counter()
            detail = desk.organizations.detail(org.id)
            timings["detail"].append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            desk.organizations.page("acme")
            timings["list"].append((time.perf_counter() - began) * 1000)
            assert detail is not None
            moved["members"] = detail.member_count
            desk.organizations.edit(org.id, "Acme", "", None, "", by=CLI)
        print(f"customers={args.customers} engine={desk.db.engine.dialect.name} members={moved['members']}")
        for name, samples in timings.items():
            print(f"  {name:14} {percentiles(samples)}")
    finally:
        desk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
