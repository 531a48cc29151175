"""Idempotency keys of the token API: a client that never got the answer to a POST sends it again with the same
`Idempotency-Key` and gets the first answer back, with nothing written twice (as Stripe, and the IETF draft "The
Idempotency-Key HTTP Header Field", define it). The web layer (webapp/idempotency.py) reads the header and
fingerprints the request; this stores keys, per API token, and decides.

A key is claimed before the request's work starts: one committed row with the request's fingerprint and a random
claim, and no answer yet, so a second request with the key meanwhile sees it running (`KeyInUse`, a 409). The
answer is stored by `record_in`, in the same transaction as the write it answers: either both commit or neither
does, so a key with no answer has nothing written under it. That is why a claim left with no answer for
`ABANDONED_AFTER` (its process died mid-request; its write, uncommitted, died with it) may be taken again safely;
and `record_in` writes only while the row still holds the request's own claim, so a write that outlived its claim
rolls back rather than answering twice. A request that fails (a busy database, a bug) lets its claim go (`release`):
the client may send it again and succeed.

A key answers for `hours` (KB_IDEMPOTENCY_KEY_HOURS) from its first request; after that it is as if never used (a
new request with it runs), and `purge` (the worker's "idempotency-keys" job) deletes it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from desk.database import Database, insert_if_absent
from desk.models import IdempotencyKey, as_utc, utcnow

# Longer than any request runs (a write is retried for KB_DB_WRITE_DEADLINE seconds, gunicorn kills a worker after
# its timeout): a claim this old with no answer belongs to a request that died.
ABANDONED_AFTER = timedelta(minutes=10)
MAX_KEY = 255
PURGE_BATCH = 500


class IdempotencyError(Exception):
    """A request that cannot run under its key (the web layer's 409 or 422)."""


class KeyInUse(IdempotencyError):
    """The key's first request is still running (or the claim was taken over after ABANDONED_AFTER)."""


class KeyReused(IdempotencyError):
    """The key came first with another request (method, path or body)."""


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given to the key's first request: what a retry gets back."""

    status: int
    body: dict[str, Any]


@dataclass
class Claim:
    """A key claimed by the request now running: its row and the random value only this request holds."""

    row_id: int
    claim: str
    # Set once the transaction that stored the answer (`record_in`) has committed.
    answered: bool = field(default=False)


class IdempotencyStore:
    def __init__(self, db: Database, hours: int = 24) -> None:
        self.db = db
        self.lifetime = timedelta(hours=hours)

    def claim(self, token_id: int, key: str, fingerprint: str, now: datetime | None = None) -> Claim | StoredAnswer:
        """Claim `key` for token `token_id`'s request (`fingerprint`), or the answer stored for it. `KeyReused` when
        the key came with another request within its hours, `KeyInUse` when its first request is still running.

        One transaction, the insert first (`insert_if_absent`): two requests with a new key at once both insert, the
        second waits for the first's commit and then reads its row (a read first would let both see none); the row
        holding this request's random claim is the one it inserted."""
        if not 0 < len(key) <= MAX_KEY:
            raise ValueError(f"an idempotency key has 1 to {MAX_KEY} characters")
        moment = now or utcnow()

        def work(session: Session) -> Claim | StoredAnswer:
            mine = secrets.token_hex(16)
            insert_if_absent(session, IdempotencyKey, {"token_id": token_id, "key": key, "fingerprint": fingerprint,
                                                       "claim": mine, "created_at": moment}, ["token_id", "key"])
            found = session.scalars(select(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                                 IdempotencyKey.key == key)).one()
            if found.claim == mine:
                return Claim(found.id, mine)
            expired = as_utc(found.created_at) <= moment - self.lifetime
            abandoned = found.answer_status is None and as_utc(found.created_at) <= moment - ABANDONED_AFTER
            if expired or abandoned:  # as if never used: taken over, only if no one else took it meanwhile
                taken = session.execute(
                    update(IdempotencyKey).where(IdempotencyKey.id == found.id, IdempotencyKey.claim == found.claim)
                    .values(fingerprint=fingerprint, claim=mine, created_at=moment, answer_status=None,
                            answer_body=None).execution_options(synchronize_session=False))
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return Claim(found.id, mine)
                raise KeyInUse(key)
            if found.fingerprint != fingerprint:
                raise KeyReused(key)
            if found.answer_status is None:
                raise KeyInUse(key)
            return StoredAnswer(found.answer_status, found.answer_body or {})

        return self.db.write(work)

    def record_in(self, session: Session, claim: Claim, status: int, body: dict[str, Any]) -> None:
        """Store the answer in the caller's transaction (the write it answers): `KeyInUse` when the claim is no
        longer this request's (taken over after ABANDONED_AFTER, or purged), which rolls the write back."""
        done = session.execute(
            update(IdempotencyKey).where(IdempotencyKey.id == claim.row_id, IdempotencyKey.claim == claim.claim,
                                         IdempotencyKey.answer_status.is_(None))
            .values(answer_status=status, answer_body=body).execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise KeyInUse("the key's claim was taken over")

        def committed(_session: Session) -> None:
            claim.answered = True

        event.listen(session, "after_commit", committed, once=True)

    def record(self, claim: Claim, status: int, body: dict[str, Any]) -> None:
        """Store the answer of a request that wrote nothing (a 400 naming a field): its own transaction."""
        self.db.write(lambda session: self.record_in(session, claim, status, body))

    def release(self, claim: Claim) -> None:
        """Let go of the key of a request that failed with nothing written (a 503): it may be sent again."""
        self.db.write(lambda session: session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.id == claim.row_id, IdempotencyKey.claim == claim.claim,
            IdempotencyKey.answer_status.is_(None))))

    def purge(self, limit: int = PURGE_BATCH, now: datetime | None = None) -> int:
        """Delete up to `limit` keys past their hours (one bounded pass of the worker's job); how many."""
        cutoff = (now or utcnow()) - self.lifetime

        def write(session: Session) -> int:
            oldest = (select(IdempotencyKey.id).where(IdempotencyKey.created_at <= cutoff)
                      .order_by(IdempotencyKey.id).limit(limit))
            ids = list(session.scalars(oldest))
            if ids:
                session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids),
                                                             IdempotencyKey.created_at <= cutoff))
            return len(ids)

        return self.db.write(write)  # again while the database is busy
