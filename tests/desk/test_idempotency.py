"""The token API's Idempotency-Keys in the desk (desk.idempotency): a key claimed once per token, its answer stored
in the write's own transaction and given back to the same request, refused to another request (KeyReused) and while
its first request runs (KeyInUse, race-free between threads), taken over when expired or abandoned, purged by the
worker's pass. The real database: SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desk.desk import Desk
from desk.idempotency import ABANDONED_AFTER, Claim, KeyInUse, KeyReused, StoredAnswer
from desk.models import IdempotencyKey, Ticket, utcnow
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests

FIRST = "a" * 64  # a request's fingerprint
OTHER = "b" * 64


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests(),
                           idempotency_key_hours=24))
    yield opened
    opened.close()


def token_id(desk: Desk, name: str = "partner") -> int:
    token = desk.accounts.create_token(name)
    found = desk.accounts.verify_token(token)
    assert found is not None
    return found.id


def keys(desk: Desk) -> list[tuple[str, int | None]]:
    with desk.db.session() as session:
        return [(row.key, row.answer_status) for row in session.scalars(select(IdempotencyKey).order_by(
            IdempotencyKey.id))]


def claimed(outcome: Claim | StoredAnswer) -> Claim:
    assert isinstance(outcome, Claim), outcome
    return outcome


def create(desk: Desk, claim: Claim, subject: str = "Lost parcel") -> Ticket:
    """A ticket whose answer is stored with it, as the API's route stores it."""
    return desk.tickets.create_with_files(
        NewTicket(email="sam@example.com", subject=subject, body="Order 4471 never came.", channel="api"),
        answer=lambda session, made: desk.idempotency.record_in(session, claim, 201, {"id": made[0].id}))[0]


def tickets(desk: Desk) -> int:
    with desk.db.session() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_the_answer_is_stored_with_the_write_and_given_back_to_the_same_request(desk: Desk) -> None:
    partner = token_id(desk)
    claim = claimed(desk.idempotency.claim(partner, "key-1", FIRST))
    assert not claim.answered
    ticket = create(desk, claim)
    assert claim.answered  # its transaction committed
    assert desk.idempotency.claim(partner, "key-1", FIRST) == StoredAnswer(201, {"id": ticket.id})
    with pytest.raises(KeyReused):
        desk.idempotency.claim(partner, "key-1", OTHER)
    assert tickets(desk) == 1 and keys(desk) == [("key-1", 201)]


def test_a_key_is_the_tokens_own(desk: Desk) -> None:
    partner, other = token_id(desk, "partner"), token_id(desk, "other desk")
    create(desk, claimed(desk.idempotency.claim(partner, "order-9", FIRST)))
    create(desk, claimed(desk.idempotency.claim(other, "order-9", FIRST)))  # not the partner's answer
    assert tickets(desk) == 2 and keys(desk) == [("order-9", 201), ("order-9", 201)]


def test_a_key_whose_request_runs_is_in_use_and_a_failed_write_keeps_no_answer(desk: Desk) -> None:
    partner = token_id(desk)
    claim = claimed(desk.idempotency.claim(partner, "key-1", FIRST))
    with pytest.raises(KeyInUse):
        desk.idempotency.claim(partner, "key-1", FIRST)
    with pytest.raises(KeyReused):  # another request is told so, even while the first runs
        desk.idempotency.claim(partner, "key-1", OTHER)

    def fails(session, made) -> None:  # type: ignore[no-untyped-def]
        desk.idempotency.record_in(session, claim, 201, {"id": made[0].id})
        raise RuntimeError("the write fails after the answer was stored in its transaction")

    with pytest.raises(RuntimeError):
        desk.tickets.create_with_files(NewTicket(email="sam@example.com", subject="Lost", body="Where is it?"),
                                       answer=fails)
    assert not claim.answered and tickets(desk) == 0 and keys(desk) == [("key-1", None)]  # neither committed
    desk.idempotency.release(claim)
    assert keys(desk) == []
    retry = claimed(desk.idempotency.claim(partner, "key-1", FIRST))  # the client's retry runs
    create(desk, retry)
    assert tickets(desk) == 1


def test_two_requests_with_a_new_key_at_once_claim_it_once(desk: Desk) -> None:
    partner = token_id(desk)
    start = threading.Barrier(4)
    outcomes: list[object] = []

    def send() -> None:
        start.wait()
        try:
            outcomes.append(desk.idempotency.claim(partner, "same", FIRST))
        except KeyInUse as error:
            outcomes.append(error)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["Claim", "KeyInUse", "KeyInUse", "KeyInUse"]
    assert keys(desk) == [("same", None)]


def test_an_expired_key_is_never_answered_from_and_is_purged(desk: Desk) -> None:
    partner = token_id(desk)
    day_ago = utcnow() - timedelta(hours=24, seconds=1)
    create(desk, claimed(desk.idempotency.claim(partner, "old", FIRST, now=day_ago)))
    create(desk, claimed(desk.idempotency.claim(partner, "young", FIRST)))
    # Past its hours the key is as if never used: the same request runs again (and so may another one).
    again = claimed(desk.idempotency.claim(partner, "old", OTHER))
    create(desk, again, subject="Another parcel")
    assert tickets(desk) == 3 and keys(desk) == [("old", 201), ("young", 201)]
    # The purge deletes what is past its hours, and only that.
    desk.idempotency.claim(partner, "stale", FIRST, now=day_ago)
    assert desk.idempotency.purge(now=utcnow()) == 1
    assert keys(desk) == [("old", 201), ("young", 201)]
    assert desk.idempotency.purge(now=utcnow() + timedelta(hours=25)) == 2 and keys(desk) == []


def test_an_abandoned_claim_is_taken_over_and_its_late_write_rolls_back(desk: Desk) -> None:
    """A claim with no answer after ABANDONED_AFTER belongs to a request that died (with its write: the two commit
    together), so the key runs again; should the old request still finish, its write no longer holds the claim."""
    partner = token_id(desk)
    old = claimed(desk.idempotency.claim(partner, "key-1", FIRST, now=utcnow() - ABANDONED_AFTER))
    new = claimed(desk.idempotency.claim(partner, "key-1", FIRST))
    with pytest.raises(KeyInUse):
        create(desk, old)
    assert tickets(desk) == 0
    ticket = create(desk, new)
    assert desk.idempotency.claim(partner, "key-1", FIRST) == StoredAnswer(201, {"id": ticket.id})
