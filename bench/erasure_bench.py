"""Erasing one customer (`Erasure.erase`, desk.erasure) on a desk with others around them: how long the one
transaction takes for a customer with many tickets, and what the idempotency-key scan adds.

    python bench/erasure_bench.py                                  # 300 tickets of theirs, SQLite
    python bench/erasure_bench.py --tickets 1000 --keys 20000      # a heavier customer, a busy API's day of keys

The database is a fresh SQLite file (or DATABASE_URL's) filled in bulk: `--others` other customers with a ticket
each, the customer with `--tickets` tickets of three messages (theirs, an agent's reply, theirs again) and a search
text, and `--keys` answered idempotency keys (their stored answers read and matched in Python: one a ticket of theirs).
One erase is timed (it cannot be repeated on the same customer): the run builds a fresh customer per `--runs`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from desk.desk import Desk
from desk.models import ApiToken, Customer, IdempotencyKey, Message, Ticket, TicketSearchText
from desk.tickets import new_reference
from kb.settings import Settings


def fill(desk: Desk, email: str, tickets: int, start: datetime) -> int:
    with desk.db.session() as session:
        customer = Customer(email=email, name="Lina Haddad", created_at=start)
        session.add(customer)
        session.flush()
        refs = [new_reference() for _ in range(tickets)]
        session.execute(insert(Ticket), [
            {"reference": r, "customer_id": customer.id, "subject": f"Refund {n}", "lang": "en", "status": "open",
             "created_at": start + timedelta(minutes=n), "updated_at": start + timedelta(minutes=n)}
            for n, r in enumerate(refs)])
        ids = [i for (i,) in session.execute(Ticket.__table__.select().with_only_columns(Ticket.id)
                                              .where(Ticket.customer_id == customer.id))]
        session.execute(insert(Message), [
            {"ticket_id": i, "author": author, "body": f"{author} text about order {i}", "created_at": start}
            for i in ids for author in ("customer", "agent", "customer")])
        session.execute(insert(TicketSearchText), [{"ticket_id": i, "text": f"refund lina {i}"} for i in ids])
        return customer.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--others", type=int, default=5000)
    parser.add_argument("--keys", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/erasure_bench"))
    args = parser.parse_args()
    settings = Settings(data_dir=args.data)
    if settings.database_url is None or settings.database_url.startswith("sqlite"):
        for leftover in args.data.glob("helpdesk.sqlite*"):
            leftover.unlink()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with Desk(settings) as desk:
        with desk.db.session() as session:
            session.execute(insert(Customer), [{"email": f"c{n}@example.com", "name": "", "created_at": start}
                                               for n in range(args.others)])
            token = ApiToken(name="bench", token_hash="b" * 64)
            session.add(token)
            session.flush()
            session.execute(insert(IdempotencyKey), [
                {"token_id": token.id, "key": f"k{n}", "fingerprint": "f", "claim": "c", "answer_status": 201,
                 "answer_body": {"id": n, "reference": new_reference(), "status": "open"}}
                for n in range(args.keys)])
        took = []
        for run in range(args.runs):
            email = f"lina{run}@example.com"
            customer_id = fill(desk, email, args.tickets, start)
            began = time.perf_counter()
            result = desk.erasure.erase(customer_id, email)
            took.append((time.perf_counter() - began) * 1000)
            assert result.counts["tickets"] == args.tickets
    engine = "PostgreSQL" if settings.database_url and "postgres" in settings.database_url else "SQLite"
    print(f"{engine}: erase of a customer with {args.tickets} tickets ({3 * args.tickets} messages), {args.others} "
          f"other customers, {args.keys} answered idempotency keys: median {statistics.median(took):.0f} ms, "
          f"runs {', '.join(f'{t:.0f}' for t in took)} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
