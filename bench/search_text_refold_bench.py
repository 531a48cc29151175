"""The migration search_text_refold over a large desk: how long the upgrade takes.

    PYTHONPATH=. python bench/search_text_refold_bench.py                       # 50,000 customers and tickets, SQLite
    PYTHONPATH=. python bench/search_text_refold_bench.py --postgresql          # on a throwaway PostgreSQL cluster
    PYTHONPATH=. python bench/search_text_refold_bench.py --merged 0.5          # half the customers merged away

A fresh database at customer_erasure (the revision before) is filled in bulk as the desk wrote before session 31:
`--customers` customers with one ticket each (two messages, the customer's and an agent's), a share `--merged` of them
merged into another customer (their ticket moved, no ticket's text naming their address), a share `--invisible` with a
U+200F in their name (kept in their search text and their ticket's), and 20 saved views of one agent, 5 of them with a
ZWSP. Then `alembic upgrade search_text_refold` is timed, and what it rewrote is counted.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, text

from desk.database import MIGRATIONS, Database
from desk.models import Agent, Customer, Message, SavedView, Ticket, TicketSearchText
from desk.name_keys import name_key
from desk.tickets import new_reference
from kb.arabic import normalize_arabic
from kb.settings import Settings

FIRST = ["Sara", "Omar", "Daniel", "Maya", "Ali", "سارة", "خالد", "نورة", "محمد", "ريم", "Fatima", "أحمد"]
LAST = ["Brooks", "Haddad", "العتيبي", "القحطاني", "Smith", "الشمري", "Khan", "Nasser", "الدوسري", "Lee"]
BODIES = ("Where is my refund? It has been two weeks since I sent the parcel back.", "We are on it.")


def old_fold(value: str) -> str:
    """desk.ticket_search.fold_for_search before session 30: invisible characters kept."""
    return " ".join(normalize_arabic(value).casefold().split())


def migrate(db: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS.as_posix())
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def fill(db: Database, count: int, merged: float, invisible: float, seed: int = 31) -> None:
    rng = random.Random(seed)
    customers_into: dict[int, int | None] = {}
    names: dict[int, tuple[str, str]] = {}
    now = datetime.now(UTC) - timedelta(days=90)
    with db.engine.begin() as connection:
        connection.execute(insert(Agent), [{"id": 1, "email": "omar@example.com", "password_hash": "x",
                                            "role": "agent", "name": "Omar"}])
        views = []
        for i in range(20):
            name = f"View {i}" + ("\u200b" if i % 4 == 0 else "")
            views.append({"agent_id": 1, "name": name, "name_key": name_key(name), "view": "all", "q": "",
                          "sort": "updated"})
        connection.execute(insert(SavedView), views)
    for start in range(0, count, 5000):
        customers, tickets, messages, texts = [], [], [], []
        for i in range(start, min(count, start + 5000)):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if rng.random() < invisible:
                name = name.replace(" ", "\u200f ", 1)
            email = f"{rng.choice(FIRST).lower()}.{i}@example.com"
            owner = i + 1
            into = rng.randrange(1, i + 1) if i and rng.random() < merged else None
            while into is not None and customers_into.get(into) is not None:
                into = customers_into[into]  # one hop, as the desk keeps it
            customers_into[owner] = into
            customers.append({"id": owner, "email": email, "name": name, "created_at": now,
                              "search_text": old_fold(f"{name} {email}")[:600], "merged_into_id": into})
            holder = into or owner
            holder_row = names.get(holder, (name, email))
            names[owner] = (name, email)
            created = now + timedelta(minutes=rng.randrange(60 * 24 * 90))
            tickets.append({"id": owner, "reference": new_reference(), "customer_id": holder,
                            "subject": f"Question {owner}", "lang": rng.choice(("en", "ar")), "status": "open",
                            "priority": "normal", "channel": "web", "context": {}, "created_at": created,
                            "updated_at": created})
            for n, body in enumerate(BODIES):
                messages.append({"ticket_id": owner, "author": ("customer", "agent")[n], "body": body,
                                 "internal": False, "created_at": created + timedelta(hours=n)})
            texts.append({"ticket_id": owner, "text": old_fold("\n".join(
                [f"Question {owner}", holder_row[0], holder_row[1], *BODIES]))})
        with db.engine.begin() as connection:
            connection.execute(insert(Customer), customers)
            connection.execute(insert(Ticket), tickets)
            connection.execute(insert(Message), messages)
            connection.execute(insert(TicketSearchText), texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--merged", type=float, default=0.02, help="share of customers merged into another")
    parser.add_argument("--invisible", type=float, default=0.01, help="share of names holding a U+200F")
    parser.add_argument("--postgresql", action="store_true", help="a throwaway cluster (tests/postgres.py)")
    parser.add_argument("--data", type=Path, default=Path("var/bench/search_text_refold"))
    args = parser.parse_args()
    cluster = None
    url = None
    if args.postgresql:
        from tests.postgres import ThrowawayPostgres

        cluster = ThrowawayPostgres().start()
        url = cluster.url
    args.data.mkdir(parents=True, exist_ok=True)
    (args.data / "helpdesk.sqlite").unlink(missing_ok=True)
    try:
        db = Database.from_settings(Settings(data_dir=args.data, database_url=url))
        migrate(db, "customer_erasure")
        started = time.perf_counter()
        fill(db, args.customers, args.merged, args.invisible)
        print(f"{args.customers:,} customers and tickets written in {time.perf_counter() - started:.1f} s "
              f"({db.engine.dialect.name})", file=sys.stderr)
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
        with db.engine.connect() as connection:
            kept = connection.execute(text("SELECT count(DISTINCT merged_into_id) FROM customers")).scalar()
        started = time.perf_counter()
        migrate(db, "search_text_refold")
        took = time.perf_counter() - started
        print(f"{db.engine.dialect.name}: upgrade search_text_refold over {args.customers:,} customers and tickets "
              f"({kept:,} customers with merged duplicates): {took:.1f} s", flush=True)
        db.close()
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
