"""The worker's webhook pass: each due event (desk.webhooks) rendered, signed as Standard Webhooks sign, POSTed.

The body is `{"id", "type", "created_at", "data"}`; `data.ticket` is the ticket as the API's GET /api/v1/tickets/<id>
gives it without its thread (webapp.api.ticket_fields: never an internal article, never the customer's help-center
context), `data.message` a message with its files as their agent URLs (never their bytes), `data.changes` what a
`ticket.updated` changed (old and new), `data.target` a `ticket.merged`'s target ticket. The ticket is the one
desk.webhooks took in the change's transaction (as that change left it; an event queued before it did so is read at
its first try). The body is composed on the first try and kept, so a retry or a replay sends the same bytes under
the same `webhook-id`.

Signing (standardwebhooks.com; the `standardwebhooks` package is on PyPI but not a dependency here: the scheme is a
few lines of the standard library): `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature:
v1,<base64 HMAC-SHA256 of "id.timestamp.body" keyed with the secret's base64-decoded bytes after "whsec_">`.

Each try: the URL's host resolved again and refused unless public (DNS may have changed since it was saved;
KB_WEBHOOK_ALLOW_PRIVATE allows private ones), the connection made to the address that was checked (no second
lookup to rebind), redirects never followed (a 3xx is a final failure, as a 4xx), at most `RESPONSE_KEEP` bytes of
the answer read and kept, `KB_WEBHOOK_TIMEOUT` seconds per connect and per read. An endpoint whose try failed on the
network is skipped for the rest of the pass, so one dead receiver holds the worker up once, not once per event.

Several workers (two `kb worker` processes) share the outbox: each event is claimed (desk.webhooks.Webhooks.claim)
for `lease(settings)` before it is sent, so it is tried by one worker at a time; a worker that dies mid-send leaves
the claim to expire and the event is tried again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from desk.desk import Desk
from desk.models import Attachment, CsatSurvey, Message, SideConversation, SideMessage, Ticket, as_utc
from desk.webhooks import SECRET_PREFIX, Due, Outcome, UnsafeAddress, public_addresses
from kb.settings import Settings
from webapp.urls import absolute_base

RESPONSE_KEEP = 4096  # bytes of a receiver's answer read and kept for the delivery log
PASS_LIMIT = 20  # events one pass tries at most: 20 x KB_WEBHOOK_TIMEOUT bounds a pass when receivers hang
USER_AGENT = "kb-webhooks/1"
# A claim outlives any one try: connect, send and read each wait KB_WEBHOOK_TIMEOUT at most (a receiver trickling its
# answer byte by byte can take longer: at least once, it may then get the event twice), plus a minute's margin for
# the address's lookup and the outcome's write on a busy database.
LEASE_TIMEOUTS = 10
LEASE_MARGIN = timedelta(minutes=1)
log = logging.getLogger(__name__)


def sign(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header's value for this id, timestamp and body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def _attachments(session: Session, settings: Settings, message: Message) -> list[dict[str, object]]:
    base = absolute_base(settings)
    rows = session.scalars(select(Attachment).where(Attachment.message_id == message.id,
                                                    Attachment.path.is_not(None)).order_by(Attachment.id))
    return [{"id": a.id, "filename": a.filename, "size": a.size, "content_type": a.content_type,
             "url": f"{base}/agent/attachments/{a.id}"} for a in rows]


def lease(settings: Settings) -> timedelta:
    """How long a worker holds a delivery it claimed (desk.webhooks.Webhooks.claim)."""
    return LEASE_TIMEOUTS * timedelta(seconds=settings.webhook_timeout_s) + LEASE_MARGIN


def render(desk: Desk, settings: Settings, due: Due) -> str:
    """The event's JSON body."""
    from webapp.api import ticket_fields  # the API's own serializer (Flask's blueprint module: the worker's side)

    data: dict[str, object] = {}
    if due.ticket_id is not None:
        with desk.db.session() as session:
            ticket = session.get(Ticket, due.ticket_id, options=[selectinload(Ticket.tags)])
            if "ticket" in due.data:  # taken in the change's transaction (desk.webhooks)
                data["ticket"] = due.data["ticket"]
            else:  # queued before snapshots were taken: the ticket now
                data["ticket"] = ticket_fields(ticket, desk=desk) if ticket is not None else {"id": due.ticket_id}
            if due.data.get("target") is not None:  # ticket.merged
                data["target"] = due.data.get("target_ticket") or {"id": due.data["target"]}
            changes = due.data.get("changes")
            if changes is not None:
                if "team" in changes:
                    changes["team"] = {side: desk.hours.team_key(changes["team"][side]) for side in ("old", "new")}
                data["changes"] = changes
            message_id = due.data.get("message")
            if message_id is not None:
                message = session.get(Message, int(message_id))
                data["message"] = None if message is None else {
                    "id": message.id, "author": message.author, "agent": message.agent_id, "body": message.body,
                    "internal": message.internal, "channel": message.channel or (ticket.channel if ticket else None),
                    "created_at": as_utc(message.created_at).isoformat(),
                    "attachments": _attachments(session, settings, message),
                }
            side_id = due.data.get("side_conversation")
            if side_id is not None:  # side_conversation.created / .replied (desk.side_conversations): agents' only
                side = session.get(SideConversation, int(side_id))
                written = session.get(SideMessage, int(due.data.get("side_message") or 0))
                data["side_conversation"] = None if side is None else {
                    "id": side.id, "subject": side.subject, "participants": list(side.participants),
                    "status": side.status,
                    "message": None if written is None else {
                        "id": written.id, "author": written.author, "agent": written.agent_id,
                        "from_address": written.from_address, "body": written.body,
                        "created_at": as_utc(written.created_at).isoformat(),
                        "files": [{"filename": f.get("filename"), "size": f.get("size")} for f in written.files or []],
                    },
                }
            if due.data.get("time_entry") is not None:  # time_entry.*: the entry as the change left it (a deleted
                data["time_entry"] = due.data["time_entry"]  # one as it was), taken in the change's transaction
            if due.data.get("rule") is not None:  # automation.fired, trigger.fired: the rule's name
                data["rule"] = due.data["rule"]
            survey_id = due.data.get("survey")
            if survey_id is not None:
                survey = session.get(CsatSurvey, int(survey_id))
                data["csat"] = None if survey is None else {
                    "rating": survey.rating, "comment": survey.comment, "agent": survey.agent_id,
                    "answered_at": as_utc(survey.answered_at).isoformat() if survey.answered_at else None,
                }
    return json.dumps({"id": due.event_id, "type": due.event_type, "created_at": due.created_at.isoformat(),
                       "data": data}, ensure_ascii=False, separators=(",", ":"))


class _Pinned(http.client.HTTPConnection):
    """Plain HTTP to the address that was checked (KB_WEBHOOK_ALLOW_PRIVATE only)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to the address that was checked, the certificate verified for the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def post(url: str, body: str, headers: dict[str, str], settings: Settings) -> Outcome:
    """One POST, never following a redirect; a refused address or a network error is an Outcome, not a raise."""
    try:
        host, port, addresses = public_addresses(url, settings.webhook_allow_private)
    except UnsafeAddress as refused:
        # Unresolvable may pass (DNS trouble): retried. A private address is refused for good.
        return Outcome(None, str(refused), final="resolve" not in refused.message)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedTLS if parts.scheme == "https" else _Pinned
    connection = kind(host, port, addresses[0], settings.webhook_timeout_s)
    try:
        connection.request("POST", path, body=body.encode(), headers={
            **headers, "Content-Type": "application/json", "User-Agent": USER_AGENT})
        response = connection.getresponse()
        kept = response.read(RESPONSE_KEEP).decode("utf-8", "replace")
        status = response.status
        error = None
        if 300 <= status < 400:
            error = f"redirect to {response.getheader('Location', '?')[:200]} not followed"
        return Outcome(status, error, kept, _retry_after(response.getheader("Retry-After")))
    except (OSError, http.client.HTTPException) as failed:
        return Outcome(None, f"{type(failed).__name__}: {failed}"[:500])
    except ValueError as failed:  # a URL http.client cannot send (saved before the check refused it): never retried
        return Outcome(None, f"{type(failed).__name__}: {failed}"[:500], final=True)
    finally:
        connection.close()


def deliver_webhooks(desk: Desk, settings: Settings, limit: int = PASS_LIMIT, now: datetime | None = None) -> int:
    """One bounded pass: try the due events, then purge old finished ones; how many it tried and purged. `now`: the
    time the pass takes as the present (tests; the worker passes none)."""
    hooks = desk.webhooks
    down: set[int] = set()
    tried = 0
    held = lease(settings)
    while tried < limit:
        due = hooks.claim(held, now, skip=down)
        if due is None:
            break
        body = due.body if due.body is not None else render(desk, settings, due)
        timestamp = int(time.time())
        outcome = post(due.url, body, {
            "webhook-id": due.event_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(due.secret, due.event_id, timestamp, body)}, settings)
        state, active = hooks.record_try(due.id, body, outcome, now, due.claimed_until)
        if outcome.status is None or not active:  # unreachable, or just turned off: its other events wait
            down.add(due.endpoint_id)
        log.info("webhook %s %s to endpoint %s: %s (%s)", due.event_type, due.event_id, due.endpoint_id, state,
                 outcome.status or outcome.error)
        tried += 1
    return tried + hooks.purge(now)
