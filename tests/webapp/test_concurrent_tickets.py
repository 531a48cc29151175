"""Issue #12 item 4: first tickets from one new email, sent at the same moment, are all kept.

Real parallel requests (one thread and one client each, released together by a barrier) against
the real app on SQLite, and on PostgreSQL when KB_TEST_DATABASE_URL is set. Before the fix the
customer was looked up and then inserted, so all but one request failed on the unique email.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select

from desk.models import Customer, Message, Ticket
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings  # noqa: F401

THREADS = 4
T = TypeVar("T")
ROUNDS = 5


def in_parallel(count: int, send: Callable[[int], T]) -> list[T]:
    """`send(i)` from `count` threads released together by a barrier: what each returned."""
    barrier = threading.Barrier(count)
    statuses: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        statuses[i] = send(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def counts(guarded: Guarded, email: str) -> tuple[int, int, int]:
    with guarded.app.extensions["desk"].db.session() as session:
        customers = session.scalar(select(func.count()).select_from(Customer).where(Customer.email == email))
        tickets = session.scalar(select(func.count()).select_from(Ticket).join(Customer).where(Customer.email == email))
        messages = session.scalar(
            select(func.count()).select_from(Message).join(Ticket).join(Customer).where(Customer.email == email)
        )
    return customers or 0, tickets or 0, messages or 0


def test_parallel_api_tickets_from_a_new_email_are_all_created(light_app: Guarded) -> None:  # noqa: F811
    headers = {"Authorization": f"Bearer {light_app.token}"}
    for round_number in range(ROUNDS):
        email = f"new-{round_number}@example.com"

        def send(i: int, email: str = email) -> int:
            body = {"email": email, "subject": f"Order {i}", "body": f"Where is my order {i}?", "lang": "en"}
            return light_app.app.test_client().post("/api/v1/tickets", json=body, headers=headers).status_code

        assert in_parallel(THREADS, send) == [201] * THREADS
        assert counts(light_app, email) == (1, THREADS, THREADS)


def test_parallel_contact_forms_from_a_new_email_are_all_created(light_app: Guarded) -> None:  # noqa: F811
    clients = [light_app.app.test_client() for _ in range(THREADS)]
    tokens = [csrf(c.get("/ar/contact").get_data(as_text=True)) for c in clients]

    def send(i: int) -> int:
        data = {"name": "ليلى", "email": "layla.first@example.com", "subject": f"طلب {i}",
                "message": f"أين طلبي رقم {i}؟", "csrf_token": tokens[i]}
        return clients[i].post("/ar/contact", data=data).status_code

    assert in_parallel(THREADS, send) == [302] * THREADS
    assert counts(light_app, "layla.first@example.com") == (1, THREADS, THREADS)
