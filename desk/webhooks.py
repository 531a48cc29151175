"""Outbound webhooks (Zendesk's webhooks, Chatwoot's, Intercom's topics): an admin's endpoints, and the outbox of the
events each one asked for.

Capture is one place for every reason a ticket changes: `capture(db)` listens to the database's sessions. What a
flush adds or changes (a new ticket, a message, a tag on or off, a ticket's status, priority, assignee, team or due
time, a survey's rating) is gathered on the session; just before the session commits, each gathered event becomes a
`webhook_deliveries` row for every active endpoint that subscribed to it, in that same transaction. A change rolled
back writes no event; a committed one is never lost while a receiver is down. One `ticket.updated` per committed
change set, naming each changed field with its old and new value (a field changed and changed back is left out).
A change made in plain SQL, which the session's objects never see (a tag renamed across tickets, the snooze
worker's claim, a ticket's required skills: desk.skills tells each change as `skills`), is told with `note_tags` /
`note_change`. Each event carries the ticket as that change left it
(`data.ticket`, the API's serializer desk.ticket_json run in the same transaction: `capture`'s `snapshot`).

Delivery is the worker's (webapp.webhook_delivery): at least once, retried with exponential backoff; the event's id
lets a receiver drop a repeat. Each event is claimed (`Webhooks.claim`) before it is sent, so several workers share
the outbox and each event is tried by one at a time. Events of a ticket are written in commit order and first
claimed in id order, but two workers send two at once and a retry does not hold the later ones back: receivers
order by `created_at` (or re-read the ticket) if they care.

Addresses: an endpoint's URL must be https on a public address unless KB_WEBHOOK_ALLOW_PRIVATE (`public_addresses`,
checked when saved and again on each delivery, since DNS can change).
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import secrets
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, event, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, UOWTransaction, attributes

from desk.audit import SYSTEM, Actor, record
from desk.database import Database, lock_row
from desk.models import (
    WEBHOOK_EVENTS,
    WEBHOOK_STATES,
    WITH_DELETED,
    CsatSurvey,
    Message,
    SideConversation,
    SideMessage,
    Ticket,
    TicketTag,
    TimeEntry,
    WebhookDelivery,
    WebhookEndpoint,
    as_utc,
    utcnow,
)
from desk.tickets import MAX_ROW_ID, InputError, clean_text
from desk.time_tracking import EntryView, entry_json
from desk.time_tracking import agent_names as entry_names
from desk.translatable import N_

TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"  # Standard Webhooks' form: the prefix, then the key's bytes in base64
MAX_NAME = 100
MAX_URL = 2000
# The ticket fields a `ticket.updated` reports (the API's names on the right).
WATCHED = {"status": "status", "priority": "priority", "assignee_id": "assignee", "team": "team", "due_at": "due_at",
           "snoozed_until": "snoozed_until", "kind": "kind", "problem_id": "problem_id"}
MAX_DESCRIPTION = 500
PURGE_BATCH = 500
_PENDING = "webhook_events"
log = logging.getLogger(__name__)
# A ticket's snapshot for `data.ticket` (desk.ticket_json.snapshots, bound to the desk's hours and fields): the
# session and the ticket ids -> each ticket as the API gives it.
Snapshot = Callable[[Session, Iterable[int]], dict[int, dict[str, Any]]]


class UnsafeAddress(InputError):
    """A webhook URL that is not https on a public address (without KB_WEBHOOK_ALLOW_PRIVATE)."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64's well-known prefix (RFC 6052),
# IPv4-compatible (deprecated) and IPv4-translated (RFC 2765). Python 3.11 calls 64:ff9b::7f00:1 and ::127.0.0.1
# global. NAT64's local-use prefix (RFC 8215) is never a public receiver's.
_IPV4_IN_LOW_BITS = tuple(ipaddress.ip_network(net) for net in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96"))
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Global and not multicast, and so is every IPv4 address it stands for: IPv4-mapped, 6to4 (2002::/16), Teredo's
    client and the ranges above (a webhook to 2002:7f00:1:: or 64:ff9b::a9fe:a9fe is one to 127.0.0.1 or
    169.254.169.254 on a network that routes them)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _is_public(ip.ipv4_mapped)  # whatever this Python's ipaddress says of ::ffff:0:0/96 itself
    if not ip.is_global or ip.is_multicast:
        return False
    if not isinstance(ip, ipaddress.IPv6Address):
        return True
    if ip in _LOCAL_NAT64:
        return False
    inner = [ip.sixtofour] if ip.sixtofour is not None else []
    if ip.teredo is not None:
        inner.append(ip.teredo[1])
    if any(ip in net for net in _IPV4_IN_LOW_BITS):
        inner.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return all(_is_public(address) for address in inner)


def public_addresses(url: str, allow_private: bool, field: str = "url") -> tuple[str, int, list[str]]:
    """The URL's host, port and the addresses it resolves to, all of them public (not loopback, private,
    link-local, the cloud metadata address, multicast or reserved) and the scheme https, unless `allow_private`.
    Raises UnsafeAddress naming `field`."""
    try:  # "https://[::1" (a bracket not closed) or "https://[x]/" (not an IPv6 address): ValueError, a 500
        parts = urlsplit(url.strip())
    except ValueError:
        raise UnsafeAddress(field, N_("the address cannot be read: check the brackets around its host")) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeAddress(field, N_("give an address starting with https://"))
    if parts.scheme != "https" and not allow_private:
        raise UnsafeAddress(field, N_("must start with https:// (plain http only with KB_WEBHOOK_ALLOW_PRIVATE)"))
    if parts.username or parts.password:
        raise UnsafeAddress(field, N_("must not hold a user name or password"))
    # HTTP's request line takes ASCII without spaces: http.client refused a space at each try (retried as a network
    # error), raised UnicodeEncodeError out of the worker's pass for "é", and the URL parser dropped a tab.
    if (any(c <= " " or c == "\x7f" for c in url.strip())
            or not (parts.path + parts.query + parts.fragment).isascii()):
        raise UnsafeAddress(field, N_("the address holds a space, a control character or, after the host, a character "
                                      "that is not ASCII: percent-encode it"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeAddress(field, N_("the port is not a number from 1 to 65535")) from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeAddress(field, N_("the host name %(host)s does not resolve"), host=parts.hostname) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not _is_public(ip):
                raise UnsafeAddress(field, N_("%(host)s is a private, loopback or link-local address (%(address)s): "
                                              "only public receivers, unless KB_WEBHOOK_ALLOW_PRIVATE is on"),
                                    host=parts.hostname, address=address)
    return parts.hostname, port, addresses


def _events(values: Sequence[str]) -> list[str]:
    chosen = [value for value in WEBHOOK_EVENTS if value in set(values)]
    unknown = sorted(set(values) - set(WEBHOOK_EVENTS))
    if unknown:
        raise InputError("events", N_("unknown event %(event)s"), event=unknown[0])
    if not chosen:
        raise InputError("events", N_("choose at least one event"))
    return chosen


@dataclass(frozen=True)
class Due:
    """A delivery the worker should try now, with what it needs to send it."""

    id: int
    endpoint_id: int
    url: str
    secret: str
    event_id: str
    event_type: str
    created_at: datetime
    ticket_id: int | None
    data: dict[str, Any]
    body: str | None
    attempts: int
    claimed_until: datetime | None = None  # this worker's claim (Webhooks.claim): its outcome is written only under it


@dataclass(frozen=True)
class Outcome:
    """What one try came to: the HTTP status (None on a network error), an error text, the capped response body,
    and `retry_after` seconds when the receiver said so (429/503)."""

    status: int | None
    error: str | None = None
    response: str | None = None
    retry_after: float | None = None
    final: bool = False  # not worth another try whatever the status (an address refused as private)

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return not self.final and (self.status is None or self.status >= 500 or self.status in (408, 429))


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: one minute doubling (1, 2, 4 ... minutes), capped at 12 hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 720))


@dataclass
class _Gathered:
    created: list[int] = field(default_factory=list)
    changes: dict[int, dict[str, list[Any]]] = field(default_factory=dict)
    tags: dict[int, dict[str, set[str]]] = field(default_factory=dict)
    messages: list[tuple[int, int, bool]] = field(default_factory=list)  # (ticket, message, internal)
    ratings: list[tuple[int, int]] = field(default_factory=list)  # (ticket, survey)
    merged: list[tuple[int, int]] = field(default_factory=list)  # (source, target)
    # (ticket, "ticket.deleted" | "ticket.restored"): desk.trash
    trashed: list[tuple[int, str]] = field(default_factory=list)
    queued: list[WebhookDelivery] = field(default_factory=list)  # written by a rule (queue_rule_event): no snapshot yet
    # (ticket, side conversation, its message, started): desk.side_conversations' messages, agents' and third parties'
    sides: list[tuple[int, int, int, bool]] = field(default_factory=list)
    # (event, the entry as it was then, its changes): time_entry.created / .updated / .deleted (desk.time_tracking)
    entries: list[tuple[str, EntryView, dict[str, Any]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.created or self.changes or self.tags or self.messages or self.ratings or self.merged
                    or self.queued or self.sides or self.entries or self.trashed)


def _gathered(session: Session) -> _Gathered:
    found: _Gathered = session.info.setdefault(_PENDING, _Gathered())
    return found


def note_change(session: Session, ticket_id: int, name: str, old: Any, new: Any) -> None:
    """A change of a watched ticket field made in SQL (an UPDATE the session's objects never see: the snooze
    worker's claim), reported as the ORM's changes are. `name` the API's (WATCHED's values)."""
    seen = _gathered(session).changes.setdefault(ticket_id, {})
    seen[name] = [seen[name][0] if name in seen else _json_value(old), _json_value(new)]


def note_tags(session: Session, ticket_id: int, added: Iterable[str] = (), removed: Iterable[str] = ()) -> None:
    """Tags put on or taken off a ticket in SQL (desk.tags' rename and delete across tickets)."""
    tagged = _gathered(session).tags.setdefault(ticket_id, {"added": set(), "removed": set()})
    tagged["added"].update(added)
    tagged["removed"].update(removed)


def _json_value(value: Any) -> Any:
    return as_utc(value).isoformat() if isinstance(value, datetime) else value


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    gathered = _gathered(session)
    for row in session.new:
        if isinstance(row, WebhookDelivery):
            if row.ticket_id is not None and "ticket" not in (row.data or {}):
                gathered.queued.append(row)
        elif isinstance(row, Ticket):
            if row.deleted_at is None:  # a blocked sender's ticket, stored deleted: no event (desk.trash)
                gathered.created.append(row.id)
        elif isinstance(row, Message):
            gathered.messages.append((row.ticket_id, row.id, bool(row.internal)))
        elif isinstance(row, TicketTag):
            gathered.tags.setdefault(row.ticket_id, {"added": set(), "removed": set()})["added"].add(row.tag)
        elif isinstance(row, SideMessage):  # its conversation new in the same flush: the side conversation started
            side: SideConversation = row.conversation
            gathered.sides.append((side.ticket_id, side.id, row.id, side in session.new))
        elif isinstance(row, TimeEntry):
            gathered.entries.append(("time_entry.created", _entry(row), {}))
    for row in session.deleted:
        if isinstance(row, TicketTag):
            gathered.tags.setdefault(row.ticket_id, {"added": set(), "removed": set()})["removed"].add(row.tag)
        elif isinstance(row, TimeEntry):
            gathered.entries.append(("time_entry.deleted", _entry(row), {}))
    for row in session.dirty:
        if isinstance(row, Ticket) and row.id not in gathered.created:
            for name, shown in WATCHED.items():
                history = attributes.get_history(row, name)
                if not history.has_changes():
                    continue
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                seen = gathered.changes.setdefault(row.id, {})
                seen[shown] = [seen[shown][0] if shown in seen else _json_value(old), _json_value(new)]
            deleted = attributes.get_history(row, "deleted_at")
            if deleted.has_changes():
                gathered.trashed.append((row.id, "ticket.restored" if row.deleted_at is None else "ticket.deleted"))
            merged = attributes.get_history(row, "merged_into_id")
            if merged.added and merged.added[0] is not None:
                gathered.merged.append((row.id, merged.added[0]))
        elif isinstance(row, CsatSurvey):
            history = attributes.get_history(row, "rating")
            if history.added and history.added[0] is not None:
                gathered.ratings.append((row.ticket_id, row.id))
        elif isinstance(row, TimeEntry):
            changed = {}
            for name in ("seconds", "note"):
                history = attributes.get_history(row, name)
                if history.has_changes():
                    changed[name] = {"old": history.deleted[0] if history.deleted else None,
                                     "new": history.added[0] if history.added else None}
            if changed:
                gathered.entries.append(("time_entry.updated", _entry(row), changed))


def _entry(row: TimeEntry) -> EntryView:
    """The entry as this flush leaves it (a deleted one as it was), its agent's name filled in at the commit."""
    return EntryView(row.id, row.ticket_id, row.agent_id, "", row.seconds, row.note or "", row.kind,
                     row.created_at, row.updated_at)


def _before_commit(session: Session, snapshot: Snapshot | None = None) -> None:
    session.flush()  # the commit's own last flush comes after this hook: gather what it holds first (clean: a no-op)
    gathered: _Gathered = session.info.pop(_PENDING, _Gathered())
    if not gathered:
        return
    endpoints = session.execute(select(WebhookEndpoint.id, WebhookEndpoint.events)
                                .where(WebhookEndpoint.active.is_(True))).all()
    if not endpoints and not gathered.queued:
        return
    events: list[tuple[str, int, dict[str, Any]]] = [("ticket.created", t, {}) for t in gathered.created]
    for ticket_id, message_id, internal in gathered.messages:
        events.append(("note.created" if internal else "message.created", ticket_id, {"message": message_id}))
    created = set(gathered.created)
    updated = {t for t in (*gathered.changes, *gathered.tags) if t not in created}
    for ticket_id in sorted(updated):
        changes = {name: {"old": old, "new": new} for name, (old, new) in gathered.changes.get(ticket_id, {}).items()
                   if old != new}
        tagged = gathered.tags.get(ticket_id)
        if tagged and tagged["added"] != tagged["removed"]:
            now = set(session.scalars(select(TicketTag.tag).where(TicketTag.ticket_id == ticket_id)))
            before = (now - tagged["added"]) | (tagged["removed"] - tagged["added"])
            if before != now:
                changes["tags"] = {"old": sorted(before), "new": sorted(now)}
        if changes:
            events.append(("ticket.updated", ticket_id, {"changes": changes}))
    for ticket_id, survey_id in gathered.ratings:
        events.append(("csat.rated", ticket_id, {"survey": survey_id}))
    for source, target in gathered.merged:
        events.append(("ticket.merged", source, {"target": target}))
    for ticket_id, kind in gathered.trashed:
        events.append((kind, ticket_id, {}))
    for ticket_id, side_id, side_message_id, started in gathered.sides:
        events.append(("side_conversation.created" if started else "side_conversation.replied", ticket_id,
                       {"side_conversation": side_id, "side_message": side_message_id}))
    names = entry_names(session, (entry.agent_id for _, entry, _ in gathered.entries))
    for kind, entry, changed in gathered.entries:
        shown = entry_json(replace(entry, agent=names.get(entry.agent_id, str(entry.agent_id))))
        events.append((kind, entry.ticket_id, {"time_entry": shown, **({"changes": changed} if changed else {})}))
    wanted = [(endpoint_id, kind, ticket_id, data) for endpoint_id, chosen in endpoints
              for kind, ticket_id, data in events if kind in (chosen or [])]
    if wanted:  # a deleted ticket is heard of once, deleted (desk.trash): not a side reply or a rating landing on it
        hidden = set(session.scalars(select(Ticket.id).where(
            Ticket.id.in_({t for _, _, t, _ in wanted}), Ticket.deleted_at.is_not(None))
            .execution_options(**{WITH_DELETED: True})))
        wanted = [w for w in wanted if w[2] not in hidden or w[1] == "ticket.deleted"]
    # Each ticket as this change leaves it (the API's serializer, in this transaction): what the event describes.
    ids = ({t for _, _, t, _ in wanted} | {t for _, _, _, d in wanted if (t := d.get("target"))}
           | {row.ticket_id for row in gathered.queued if row.ticket_id is not None})
    seen: dict[int, dict[str, Any]] = {}
    try:
        seen = snapshot(session, ids) if snapshot and ids else {}
    except SQLAlchemyError:
        raise  # the transaction's own trouble: the change fails as it would have anyway
    except Exception:  # a fault of the serializer must not refuse the ticket's change: the worker reads it instead
        log.exception("webhook snapshot of tickets %s failed; their events carry the ticket as first sent", ids)
    for row in gathered.queued:  # a rule's event, added before this commit's flush: its snapshot now
        if row.ticket_id in seen:
            row.data = {**(row.data or {}), "ticket": seen[row.ticket_id]}
    moment = utcnow()
    for endpoint_id, kind, ticket_id, data in wanted:
        if ticket_id in seen:
            data = {**data, "ticket": seen[ticket_id]}
        if kind == "ticket.merged" and data["target"] in seen:
            data = {**data, "target_ticket": seen[data["target"]]}
        session.add(WebhookDelivery(endpoint_id=endpoint_id, event_id=f"evt_{uuid.uuid4().hex}",
                                    event_type=kind, ticket_id=ticket_id, data=data, state="pending",
                                    attempts=0, next_attempt_at=moment, created_at=moment))


def queue_rule_event(session: Session, endpoint_name: str, kind: str, ticket_id: int, rule: str) -> int:
    """A rule's `notify_webhook` (desk.triggers): `kind` (automation.fired, trigger.fired) for the ticket queued to
    each endpoint of that name, in the caller's transaction, whatever events it subscribed to (the rule named it).
    One turned off keeps it until turned on again, as its other events. How many were queued (0: no such endpoint).
    Due now by the outbox's clock, as the captured events are."""
    ids = session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.name == endpoint_name)).all()
    now = utcnow()
    for endpoint_id in ids:
        session.add(WebhookDelivery(endpoint_id=endpoint_id, event_id=f"evt_{uuid.uuid4().hex}", event_type=kind,
                                    ticket_id=ticket_id, data={"rule": rule}, state="pending", attempts=0,
                                    next_attempt_at=now, created_at=now))
    return len(ids)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


_CAPTURED = "_kb_webhooks_captured"


def capture(db: Database, snapshot: Snapshot | None = None) -> None:
    """Turn the sessions of `db` into the webhooks' event source (once per Database). `snapshot` gives each event's
    `data.ticket` in the change's transaction (the Desk passes desk.ticket_json's; without it the worker reads the
    ticket when it first sends the event)."""
    sessions = db._sessions  # the one sessionmaker every unit of work of this database comes from
    # Marked on the sessionmaker itself, not asked of `event.contains`: SQLAlchemy's registry keys a listener by its
    # target's id(), so a new Database whose sessionmaker took a dead one's address read as captured already and got
    # no listener; its desk then queued no event at all (CI's PostgreSQL run, where many desks come and go: a
    # ticket.created never delivered, a rule's event without data.ticket).
    if getattr(sessions, _CAPTURED, False):
        return
    setattr(sessions, _CAPTURED, True)
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "before_commit", lambda session: _before_commit(session, snapshot))
    event.listen(sessions, "after_rollback", _forget)
    event.listen(sessions, "after_commit", _forget)


@dataclass(frozen=True)
class EndpointRow:
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    failures_in_row: int
    disabled_reason: str | None
    created_at: datetime
    description: str = ""


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_id: str
    event_type: str
    ticket_id: int | None
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime


def _delivery_row(r: WebhookDelivery) -> DeliveryRow:
    return DeliveryRow(r.id, r.event_id, r.event_type, r.ticket_id, r.state, r.attempts,
                       as_utc(r.next_attempt_at) if r.state == "pending" else None, r.last_status, r.last_error,
                       as_utc(r.created_at))


def _description(text: str) -> str:
    """An endpoint's description: optional, one line or several, at most MAX_DESCRIPTION characters."""
    return clean_text("description", text, MAX_DESCRIPTION, required=False)


def _endpoint_row(row: WebhookEndpoint) -> EndpointRow:
    return EndpointRow(row.id, row.name, row.url, list(row.events or []), row.active, row.failures_in_row,
                       row.disabled_reason, as_utc(row.created_at), row.description or "")


class Webhooks:
    """The admin's endpoints and their deliveries; every change audited in its own transaction."""

    def __init__(self, db: Database, allow_private: bool = False, max_attempts: int = 12, disable_after: int = 10,
                 keep_days: int = 30) -> None:
        self.db = db
        self.allow_private = allow_private
        self.max_attempts = max_attempts
        self.disable_after = disable_after
        self.keep_days = keep_days
        capture(db)

    def create(self, name: str, url: str, events: Sequence[str], by: Actor = SYSTEM,
               description: str = "") -> tuple[EndpointRow, str]:
        """The new endpoint and its signing secret (shown this once). Refused, naming the field, for an empty name,
        an unknown or no event, or an address that is not https on a public address."""
        name = clean_text("name", name, MAX_NAME)
        url = clean_text("url", url, MAX_URL)
        described = _description(description)
        chosen = _events(events)
        public_addresses(url, self.allow_private)
        secret = new_secret()

        def write(session: Session) -> tuple[EndpointRow, str]:
            row = WebhookEndpoint(name=name, url=url, events=chosen, secret=secret, active=True, failures_in_row=0,
                                  created_at=utcnow(), description=described)
            session.add(row)
            session.flush()
            record(session, by, "webhook_created", "webhook", row.id, after={"name": name, "url": url,
                                                                             "events": chosen})
            return _endpoint_row(row), secret

        return self.db.write(write)  # again while the database is busy

    def update(self, endpoint_id: int, by: Actor = SYSTEM, url: str | None = None,
               events: Sequence[str] | None = None, description: str | None = None) -> EndpointRow:
        """Change what is given of the URL (checked again as at save), the events (`note.created` the internal
        notes' opt-in) and the description; the name (rules name it) and the secret are kept. Audited with before
        and after of what changed (nothing changed: no event). Refused, naming the field, writing nothing. Events
        queued already go to the new URL from their next try; those of events no longer chosen are still sent."""
        cleaned_url = clean_text("url", url, MAX_URL) if url is not None else None
        chosen = _events(events) if events is not None else None
        described = _description(description) if description is not None else None
        if cleaned_url is not None:
            public_addresses(cleaned_url, self.allow_private)

        def write(session: Session) -> EndpointRow:
            row = self._endpoint(session, endpoint_id)
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for name, value in (("url", cleaned_url), ("events", chosen), ("description", described)):
                old = getattr(row, name) if name != "description" else (row.description or "")
                if value is not None and value != old:
                    before[name], after[name] = old, value
                    setattr(row, name, value)
            if after:
                record(session, by, "webhook_updated", "webhook", row.id, before=before, after=after)
            return _endpoint_row(row)

        return self.db.write(write)  # again while the database is busy

    def replay(self, delivery_id: int, by: Actor = SYSTEM, now: datetime | None = None) -> DeliveryRow:
        """Send a delivery again (Stripe's "resend", GitHub's "redeliver"): whatever its state, it is due now, the
        same body under the same event id (a receiver that had it drops the repeat), one more try then retried as
        any while under `max_attempts` tries in all. A delivery being sent meanwhile keeps its worker's claim (sent
        once at a time). Audited on the endpoint. Refused naming `delivery` when there is none (its endpoint
        deleted with it)."""
        now = now or utcnow()
        endpoint_id = None
        if 0 < delivery_id <= MAX_ROW_ID:
            with self.db.session() as session:  # read before the write's transaction (SQLite: no read, then lock)
                endpoint_id = session.scalar(select(WebhookDelivery.endpoint_id)
                                             .where(WebhookDelivery.id == delivery_id))

        def write(session: Session) -> DeliveryRow:
            # The endpoint's lock, then the delivery's: the order of `delete` and `record_try`.
            if endpoint_id is None or not lock_row(session, WebhookEndpoint, endpoint_id):
                raise InputError("delivery", N_("no webhook delivery %(id)s"), id=delivery_id)
            row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if row is None:
                raise InputError("delivery", N_("no webhook delivery %(id)s"), id=delivery_id)
            was = row.state
            row.state, row.next_attempt_at, row.finished_at = "pending", now, None
            if row.attempts >= self.max_attempts:  # one more try after it ran out: the try itself, not a new series
                row.attempts = self.max_attempts - 1
            record(session, by, "webhook_replayed", "webhook", endpoint_id,
                   before={"delivery": row.id, "event": row.event_id, "state": was}, after={"state": "pending"})
            return _delivery_row(row)

        return self.db.write(write)  # again while the database is busy

    def _endpoint(self, session: Session, endpoint_id: int) -> WebhookEndpoint:
        row = session.get(WebhookEndpoint, endpoint_id, with_for_update=True) if 0 < endpoint_id <= MAX_ROW_ID \
            else None
        if row is None:
            raise InputError("webhook", N_("no webhook %(id)s"), id=endpoint_id)
        return row

    def set_active(self, endpoint_id: int, active: bool, by: Actor = SYSTEM) -> None:
        """On or off; turning it on again starts its failure count afresh (the URL is checked again)."""

        def write(session: Session) -> None:
            row = self._endpoint(session, endpoint_id)
            if active:
                public_addresses(row.url, self.allow_private)
            if row.active == active:
                return
            row.active, row.failures_in_row, row.disabled_reason = active, 0, None
            record(session, by, "webhook_updated", "webhook", row.id, before={"active": not active},
                   after={"active": active})

        self.db.write(write)  # again while the database is busy

    def rotate(self, endpoint_id: int, by: Actor = SYSTEM) -> str:
        """A new signing secret (shown this once); the old one signs nothing from now on."""

        def write(session: Session) -> str:
            row = self._endpoint(session, endpoint_id)
            row.secret = new_secret()
            record(session, by, "webhook_rotated", "webhook", row.id)
            return row.secret

        return self.db.write(write)  # again while the database is busy

    def delete(self, endpoint_id: int, by: Actor = SYSTEM) -> None:

        def write(session: Session) -> None:
            row = self._endpoint(session, endpoint_id)
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == row.id))
            record(session, by, "webhook_deleted", "webhook", row.id, before={"name": row.name, "url": row.url})
            session.delete(row)

        self.db.write(write)  # again while the database is busy

    def send_test(self, endpoint_id: int) -> None:
        """Queue a `webhook.test` event for the endpoint (whatever it subscribed to); the worker sends it."""

        def write(session: Session) -> None:
            row = self._endpoint(session, endpoint_id)
            now = utcnow()
            session.add(WebhookDelivery(endpoint_id=row.id, event_id=f"evt_{uuid.uuid4().hex}", event_type=TEST_EVENT,
                                        ticket_id=None, data={}, state="pending", attempts=0, next_attempt_at=now,
                                        created_at=now))

        self.db.write(write)  # again while the database is busy

    def endpoints(self) -> list[EndpointRow]:
        with self.db.session() as session:
            return [_endpoint_row(row) for row in session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))]

    def deliveries(self, endpoint_id: int, limit: int = 20, state: str | None = None) -> list[DeliveryRow]:
        """The endpoint's most recent events, newest first; only those in `state` (WEBHOOK_STATES) when given."""
        if state is not None and state not in WEBHOOK_STATES:
            raise InputError("state", N_("unknown delivery state %(state)s"), state=state[:40])
        if not 0 < endpoint_id <= MAX_ROW_ID:  # an id no column holds: none (it overflowed the driver, hostile34)
            return []
        with self.db.session() as session:
            query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
            if state is not None:
                query = query.where(WebhookDelivery.state == state)
            rows = session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))
            return [_delivery_row(r) for r in rows]

    def claim(self, lease: timedelta, now: datetime | None = None, skip: Iterable[int] = ()) -> Due | None:
        """Take the oldest due delivery of an active endpoint (not of `skip`'s endpoints) for `lease`: no other
        worker takes it meanwhile, so concurrent workers share the outbox and each delivery is tried by one at a
        time. One conditional UPDATE: PostgreSQL picks the row FOR UPDATE SKIP LOCKED (another worker's pick is
        passed over, not waited for), SQLite's write lock makes the statement whole. A worker that dies mid-send
        leaves its claim to expire after `lease`, and the delivery is claimed again (at least once). None: nothing
        due."""
        now = now or utcnow()
        until = now + lease
        free = or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now)
        due = and_(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now, free,
                   WebhookDelivery.endpoint_id.in_(select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))))
        skipped = sorted(set(skip))
        if skipped:
            due = and_(due, WebhookDelivery.endpoint_id.not_in(skipped))

        def write(session: Session) -> Due | None:
            pick = select(WebhookDelivery.id).where(due).order_by(WebhookDelivery.id).limit(1)
            if session.get_bind().dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            claimed = session.scalar(update(WebhookDelivery).where(WebhookDelivery.id == pick.scalar_subquery(), due)
                                     .values(claimed_until=until).returning(WebhookDelivery.id)
                                     .execution_options(synchronize_session=False))
            if claimed is None:
                return None
            d, url, secret = session.execute(
                select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.id == claimed)).one()
            return Due(d.id, d.endpoint_id, url, secret, d.event_id, d.event_type, as_utc(d.created_at), d.ticket_id,
                       dict(d.data or {}), d.body, d.attempts, until)

        return self.db.write(write)  # again while the database is busy

    def due(self, limit: int = 50, now: datetime | None = None) -> list[Due]:
        """Pending deliveries of active endpoints whose time has come and that no worker holds, oldest first
        (a look: the worker's pass takes each with `claim`)."""
        now = now or utcnow()
        with self.db.session() as session:
            rows = session.execute(
                select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now,
                       or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now),
                       WebhookEndpoint.active.is_(True))
                .order_by(WebhookDelivery.id).limit(limit)).all()
            return [Due(d.id, d.endpoint_id, url, secret, d.event_id, d.event_type, as_utc(d.created_at), d.ticket_id,
                        dict(d.data or {}), d.body, d.attempts) for d, url, secret in rows]

    def record_try(self, delivery_id: int, body: str, outcome: Outcome, now: datetime | None = None,
                   claimed_until: datetime | None = None) -> tuple[str, bool]:
        """Write one try's outcome, under the worker's claim when it has one (`claimed_until`, from `claim`: a claim
        that expired and was taken by another worker writes nothing, the other's try counts) and ending it:
        "delivered", "pending" (retried after the backoff, or the receiver's Retry-After when longer) or "failed" (a
        4xx other than 408/429, or out of tries). An endpoint whose `disable_after` events in a row failed for good
        is turned off, the reason kept and audited. Returns the delivery's state and whether its endpoint is still
        on."""
        now = now or utcnow()
        with self.db.session() as session:  # a delivery's endpoint never changes: read before the write's transaction
            endpoint_id = session.scalar(select(WebhookDelivery.endpoint_id).where(WebhookDelivery.id == delivery_id))

        def write(session: Session) -> tuple[str, bool]:
            # The endpoint's lock first (SQLite: the write lock, before any read), then the delivery's, as `delete`
            # takes them. Reading first met a delete half way: PostgreSQL's deadlock killed one side, and SQLite's
            # update of the deleted delivery raised in the worker's pass (hostile33).
            endpoint = None
            if endpoint_id is not None and lock_row(session, WebhookEndpoint, endpoint_id):
                endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
            row = session.get(WebhookDelivery, delivery_id, with_for_update=True) if endpoint is not None else None
            if row is None or endpoint is None or row.state != "pending":
                return (row.state if row is not None else "failed"), False
            if claimed_until is not None:
                if row.claimed_until is None or as_utc(row.claimed_until) != claimed_until:
                    return row.state, endpoint.active  # our claim lapsed and another worker holds it
                row.claimed_until = None
            row.body, row.attempts = body, row.attempts + 1
            row.last_status, row.last_error = outcome.status, (outcome.error or None) and outcome.error[:500]
            row.last_response = outcome.response
            if outcome.delivered:
                row.state, row.finished_at = "delivered", now
                endpoint.failures_in_row = 0
            elif outcome.retryable and row.attempts < self.max_attempts:
                wait = backoff(row.attempts)
                if outcome.retry_after is not None:
                    wait = max(wait, timedelta(seconds=min(outcome.retry_after, 86_400)))
                row.next_attempt_at = now + wait
            else:
                row.state, row.finished_at = "failed", now
                endpoint.failures_in_row += 1
                if endpoint.active and endpoint.failures_in_row >= self.disable_after:
                    why = outcome.error or f"HTTP {outcome.status}"
                    endpoint.active = False
                    endpoint.disabled_reason = why[:500]  # the last failure; its count is failures_in_row
                    record(session, SYSTEM, "webhook_disabled", "webhook", endpoint.id,
                           after={"failures": endpoint.failures_in_row, "last": why[:200]})
            return row.state, endpoint.active

        return self.db.write(write)  # again while the database is busy

    def counts(self) -> dict[str, int]:
        with self.db.session() as session:
            return dict(session.execute(select(WebhookDelivery.state, func.count())  # type: ignore[arg-type]
                                        .group_by(WebhookDelivery.state)).all())

    def purge(self, now: datetime | None = None) -> int:
        """Delete delivered and failed events finished more than `keep_days` ago (one bounded batch)."""
        cutoff = (now or utcnow()) - timedelta(days=self.keep_days)

        def write(session: Session) -> int:
            ids = list(session.scalars(select(WebhookDelivery.id).where(
                WebhookDelivery.created_at < cutoff, WebhookDelivery.state != "pending").limit(PURGE_BATCH)))
            if ids:
                session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
            return len(ids)

        return self.db.write(write)  # again while the database is busy
