"""The audit log of account and security actions (Zendesk's audit log): who created an agent or an API token, changed
a role, deactivated or reactivated an agent, reset a password, revoked a token, added an agent to a team or took one
out, edited a customer (name, email, country, notes: the notes' text never, only that they changed), and when
sign-ins to an account failed.

An event is written by the desk helper that makes the change (desk.accounts, desk.teams, desk.customers), with
`record`, in the same session: the change and its event commit together or not at all, and no route records
anything itself. Who did it
is an `Actor` the caller passes in (the signed-in agent and the request's IP, the CLI, or the system); the desk knows
nothing of Flask. `before` and `after` hold only the fields that changed, never a password, its hash or a token's
secret: a password reset says that it happened, not what to.

Failed sign-ins are folded: consecutive failures on one account within an hour of the first are one row with a count
(`sign_in_failed`), so guessing at a password cannot flood the table; a sign-in that succeeds after failures says how
many there were (`sign_in_succeeded`). These two change nothing else, so they are written on their own, and only as
far as the database allows: a busy database must not turn a sign-in into an error.

Events are kept `keep_days` (KB_AUDIT_KEEP_DAYS) and purged by the worker's "audit" job.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from desk.database import Database, StorageUnavailableError, lock_row
from desk.models import AUDIT_ACTIONS, AUDIT_ACTORS, AUDIT_SUBJECTS, Agent, AuditEvent, as_utc, utcnow
from desk.tickets import MAX_ROW_ID, InputError
from desk.translatable import N_

FOLD_FAILURES = timedelta(hours=1)  # one sign_in_failed row per account per hour of consecutive failures
PURGE_BATCH = 500
SIGN_INS = ("sign_in_failed", "sign_in_succeeded")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in agent (`agent_id`, and the request's `ip`), the CLI, or the system (the
    demo's set-up, tests, anything not asked for by a person)."""

    kind: str
    agent_id: int | None = None
    ip: str | None = None
    token_id: int | None = None  # an API request's token ("api"): named in the event's `after` as "token"

    @classmethod
    def agent(cls, agent_id: int, ip: str | None = None) -> Actor:
        return cls("agent", agent_id, (ip or "")[:45] or None)

    @classmethod
    def system(cls, ip: str | None = None) -> Actor:
        """The desk itself acting on an anonymous request (a failed sign-in, a reset asked for): its IP kept."""
        return cls("system", None, (ip or "")[:45] or None)

    @classmethod
    def api(cls, token_id: int, ip: str | None = None) -> Actor:
        return cls("api", None, (ip or "")[:45] or None, token_id)

    def is_agent(self, agent_id: int) -> bool:
        return self.kind == "agent" and self.agent_id == agent_id


CLI = Actor("cli")
SYSTEM = Actor("system")


def record(session: Session, actor: Actor, action: str, subject_type: str, subject: int | str,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEvent:
    """Add the event of a change to the change's own session (committed with it, rolled back with it)."""
    if action not in AUDIT_ACTIONS or subject_type not in AUDIT_SUBJECTS or actor.kind not in AUDIT_ACTORS:
        raise ValueError(f"not an audit event: {actor.kind} {action} {subject_type}")  # a bug, not input
    if actor.token_id is not None:
        after = {**(after or {}), "token": actor.token_id}
    event = AuditEvent(created_at=utcnow(), actor=actor.kind, actor_id=actor.agent_id, action=action,
                       subject_type=subject_type, subject=str(subject)[:64], before=before, after=after,
                       ip=actor.ip, count=1)
    session.add(event)
    return event



def record_changed(session: Session, actor: Actor, action: str, subject_type: str, subject: int | str,
                   before: dict[str, Any], after: dict[str, Any]) -> bool:
    """`record` with only the fields whose value changed (before and after name the same fields); nothing when none
    did. Returns whether one did."""
    changed = [field for field in after if after[field] != before[field]]
    if changed:
        record(session, actor, action, subject_type, subject, before={field: before[field] for field in changed},
               after={field: after[field] for field in changed})
    return bool(changed)

def record_sign_in(db: Database, agent_id: int, succeeded: bool, ip: str | None, now: datetime | None = None,
                   step: str | None = None, method: str | None = None, reason: str | None = None) -> None:
    """A failed sign-in to the account (actor "system": nobody is signed in; the IP says where from), folded into
    the account's open `sign_in_failed` row (the latest sign-in row, under an hour old), or a success after failures
    (actor the agent), counting every failure since the last success. A success with no failure before it writes
    nothing. A failure of the second step (`step` "two_factor": a wrong code after a right password) says so in
    `after`. A single sign-on (`method` "oidc") says so in `after`, a refused one its `reason` ("deactivated",
    "domain", "password_off"...), and its every success is a row (who came in through the identity provider is what
    an admin asks of the log). Again while the database is busy (`Database.write`: a failure's row was dropped
    after one busy timeout, so a guesser's attempts went unrecorded while another write held SQLite's lock); best
    effort past that: a database that cannot take it logs a warning and the sign-in goes on as it would have."""
    now = now or utcnow()
    said = {**({"step": step} if step else {}), **({"method": method} if method else {}),
            **({"reason": reason} if reason else {})}

    def write(session: Session) -> None:
        # The account's row held first: two failures at once both found no open row (FOR UPDATE below holds
        # none when there is none) and wrote two where the fold promises one.
        lock_row(session, Agent, agent_id)
        latest = session.scalar(
            select(AuditEvent).where(AuditEvent.subject_type == "agent", AuditEvent.subject == str(agent_id),
                                     AuditEvent.action.in_(SIGN_INS))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(1).with_for_update()
        )
        failing = latest is not None and latest.action == "sign_in_failed"
        actor = Actor.agent(agent_id, ip) if succeeded else Actor.system(ip)
        if succeeded:
            if failing:  # every failure since the last success, the rows of earlier hours too
                since = session.scalar(select(func.max(AuditEvent.id)).where(
                    AuditEvent.subject_type == "agent", AuditEvent.subject == str(agent_id),
                    AuditEvent.action == "sign_in_succeeded")) or 0
                failures = session.scalar(select(func.sum(AuditEvent.count)).where(
                    AuditEvent.subject_type == "agent", AuditEvent.subject == str(agent_id),
                    AuditEvent.action == "sign_in_failed", AuditEvent.id > since))
                record(session, actor, "sign_in_succeeded", "agent", agent_id, before={"failures": failures},
                       after=said or None)
            elif method:
                record(session, actor, "sign_in_succeeded", "agent", agent_id, after=said)
        elif failing and latest is not None and now - as_utc(latest.created_at) < FOLD_FAILURES:
            latest.count += 1
            latest.after = {"last": now.isoformat(timespec="seconds"), **said}
            latest.ip = actor.ip or latest.ip
        else:
            record(session, actor, "sign_in_failed", "agent", agent_id,
                   after={"last": now.isoformat(timespec="seconds"), **said})

    try:  # again while the database is busy (a failed attempt's row was lost to a ticket being stored)
        db.write(write)
    except StorageUnavailableError as error:
        log.warning("agent %s: sign-in %s not audited (%s)", agent_id, "success" if succeeded else "failure", error)


@dataclass(frozen=True)
class AuditQuery:
    """The audit page's filters, each optional: an action of AUDIT_ACTIONS; an actor ("cli", "system", or an agent's
    id, "agent:N" or N); a subject ("agent:5", "token:3", "team:ksa", "customer:7", "tag:refund")."""

    action: str | None = None
    actor: str | None = None
    subject: str | None = None

    @classmethod
    def parse(cls, action: str | None, actor: str | None, subject: str | None) -> AuditQuery:
        """The filters as typed, or an InputError naming the field that is not one."""
        action, actor, subject = ((value or "").strip() or None for value in (action, actor, subject))
        if action is not None and action not in AUDIT_ACTIONS:
            raise InputError("action", N_("must be one of %(allowed)s"), allowed=", ".join(AUDIT_ACTIONS))
        if actor is not None and actor not in ("cli", "system", "api"):
            if not _row_id(actor.removeprefix("agent:")):
                raise InputError("actor", N_("%(value)s is not cli, system, api or agent:N"), value=repr(actor[:40]))
            actor = str(int(actor.removeprefix("agent:")))  # "agent:٣" and "007" are agent 3 and 7, as stored
        if subject is not None:
            kind, _, key = subject.partition(":")
            keyed = kind in ("team", "tag")  # by their key, not an id
            if kind not in AUDIT_SUBJECTS or not key or len(key) > 64 or (not keyed and not _row_id(key)):
                raise InputError("subject", N_("%(value)s is not agent:N, token:N, team:KEY, customer:N or tag:NAME"),
                                 value=repr(subject[:40]))
            if not keyed:  # the id as stored: "agent:٣" or "agent:03" found no row where the actor filter did
                subject = f"{kind}:{int(key)}"
        return cls(action, actor, subject)

    def select(self) -> Select[AuditEvent]:
        query = select(AuditEvent)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.actor in ("cli", "system", "api"):
            query = query.where(AuditEvent.actor == self.actor)
        elif self.actor:
            query = query.where(AuditEvent.actor == "agent", AuditEvent.actor_id == int(self.actor))
        if self.subject:
            kind, _, key = self.subject.partition(":")
            query = query.where(AuditEvent.subject_type == kind, AuditEvent.subject == key)
        return query


def _row_id(text: str) -> bool:
    return text.isdecimal() and len(text) <= len(str(MAX_ROW_ID)) and 0 < int(text) <= MAX_ROW_ID


@dataclass(frozen=True)
class AuditRow:
    """An event as one line of the CSV export and `kb audit`: the actor as "cli", "system" or "agent:N", the
    subject as "agent:N", "token:N" or "team:KEY" (what the page's filters take), before/after as JSON text."""

    when: datetime
    actor: str
    action: str
    subject: str
    before: str
    after: str
    count: int
    ip: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditRow:
        return cls(when=as_utc(event.created_at), actor=actor_key(event), action=event.action,
                   subject=f"{event.subject_type}:{event.subject}", before=_json(event.before),
                   after=_json(event.after), count=event.count, ip=event.ip or "")


def actor_key(event: AuditEvent) -> str:
    """The event's actor as the filter takes it: "cli", "system", "api" (an API token) or "agent:N"."""
    return f"agent:{event.actor_id}" if event.actor == "agent" else event.actor


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


class AuditPage(NamedTuple):
    """One page of events and how many the query finds in all (webapp.paging reads `total` to clamp the page)."""

    events: list[AuditEvent]
    total: int


class AuditLog:
    def __init__(self, db: Database, keep_days: int = 365) -> None:
        self.db = db
        self.keep = timedelta(days=keep_days)

    def page(self, query: AuditQuery, offset: int, limit: int) -> AuditPage:
        """One page of the events `query` finds, newest first, and how many it finds in all."""
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(query.select().subquery())) or 0
            rows = session.scalars(query.select().order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                                   .offset(offset).limit(limit))
            return AuditPage(list(rows), total)

    def stream(self, query: AuditQuery, batch: int = 500) -> Iterator[AuditEvent]:
        """Every event `query` finds, newest first, read `batch` at a time (the CSV export: kept a year, a busy
        desk's log does not fit in one list)."""
        last: tuple[datetime, int] | None = None
        while True:
            with self.db.session() as session:
                page = query.select().order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                if last is not None:  # keyset paging: rows added meanwhile are never met twice
                    page = page.where((AuditEvent.created_at < last[0])
                                      | ((AuditEvent.created_at == last[0]) & (AuditEvent.id < last[1])))
                rows = list(session.scalars(page.limit(batch)))
            yield from rows
            if len(rows) < batch:
                return
            last = (rows[-1].created_at, rows[-1].id)

    def rows(self, query: AuditQuery) -> Iterator[AuditRow]:
        return (AuditRow.of(event) for event in self.stream(query))

    def purge(self, limit: int = PURGE_BATCH, now: datetime | None = None) -> int:
        """Delete up to `limit` events older than `keep_days` (one bounded pass of the worker's job); how many."""
        cutoff = (now or utcnow()) - self.keep

        def write(session: Session) -> int:
            ids = list(session.scalars(select(AuditEvent.id).where(AuditEvent.created_at < cutoff)
                                       .order_by(AuditEvent.id).limit(limit)))
            if ids:
                session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
            return len(ids)

        return self.db.write(write)  # again while the database is busy
