"""Side conversations (Zendesk's side conversations, Help Scout's forward, Front's discussions): an agent writes from a
ticket to people outside it (a vendor, the billing team at another address, a courier) without leaving the desk.

What it is: a `SideConversation` of the ticket with its participants (addresses, never customers: a third party is
not in the customers table), its subject and its messages (`SideMessage`). It is internal: only the agent's ticket
page and the token API read it; the customer's pages, "My tickets", the customer API, the survey, the drafts and the
CC mail never do (nothing of it is a `Message` of the ticket).

Its mail: each agent message is one outbox row (kind `side_conversation`, `ticket_id` None, `side_message_id` set) to
every participant, with the conversation's OWN token (reply address `support+TOKEN@`, subject tag) and its own
Message-IDs, so the ticket's thread never names it and the third party's reply comes back here (`find_side`, called by
desk.mail.receive before the ticket's own matching). An agent may forward the ticket's files with any message. A mail
is addressed to the participants as they are when it is queued (its payload keeps them), so a participant removed
meanwhile is not sent a message queued before.

Participants: an agent adds or removes addresses on an open conversation (`change_participants`; audited, and a line
of the ticket's history, kept in `participant_changes`); at least one stays. A removed participant's later mail is
held as a non-participant's; one added receives the later messages, not the earlier ones.

Who may reply: a participant. A mail carrying the token from anyone else (the customer, a forward's reader) is held
(`side_stranger`, desk.mail.held) rather than added as Zendesk adds them: whoever is added receives every later
message of an internal conversation, so that is an agent's choice, not a forwarded token's; an agent who recovers
the held mail appends it to the conversation without making its sender a participant. A reply to a closed
conversation reopens it. A third party's reply marks the conversation unread for the ticket's assignee and moves the
ticket's updated time; it never reopens a solved ticket (the customer is not waiting on it). The inbox marks such a
ticket and filters by it (desk.inbox.InboxQuery.side_replied, `side_replied_clause`); an agent's "mark as read" (a
POST) or reply on the ticket page clears it, the page itself (a GET) never does.

A ticket merge moves its side conversations to the target. Erasing the requester keeps the side conversations (the
third party's words are not the customer's; nothing of the customer's is quoted into them by the desk) but forgets
the ticket's files forwarded in them (their names, and the composed mails that carried their bytes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from desk.audit import Actor, record
from desk.ccs import mail_recipient
from desk.database import Database, lock_row
from desk.mail.addresses import message_id_locals, message_ids, new_token, token_in_subject, tokens_in_addresses
from desk.mail.attachments import ATTACHMENT_FOLDER, safe_filename
from desk.mail.outbox import queue_mail
from desk.models import Attachment, MailThread, OutboxMail, SideConversation, SideMessage, Ticket, as_utc, utcnow
from desk.tickets import MAX_BODY, MAX_SUBJECT, InputError, changeable, clean_text, row_by_id
from desk.translatable import N_

SIDE_STATUSES = ("open", "closed")
FOLDER = f"{ATTACHMENT_FOLDER}/side"


@dataclass(frozen=True)
class SideFile:
    filename: str
    content_type: str
    size: int
    attachment_id: int | None = None  # a ticket's file forwarded (served by the ticket's attachment route)
    path: str | None = None  # a third party's file, under the data directory
    skipped_reason: str | None = None


@dataclass(frozen=True)
class SideEntry:
    id: int
    author: str  # agent | third_party
    agent_id: int | None
    from_address: str
    body: str
    created_at: datetime
    files: tuple[SideFile, ...]


@dataclass(frozen=True)
class SideView:
    """A side conversation as the agent's page and the API show it."""

    id: int
    ticket_id: int
    subject: str
    participants: tuple[str, ...]
    status: str
    unread: bool
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    messages: tuple[SideEntry, ...]
    changes: tuple[ParticipantChange, ...] = ()


@dataclass(frozen=True)
class ParticipantChange:
    """Participants added or removed by an agent (`SideConversation.participant_changes`)."""

    created_at: datetime
    agent_id: int | None
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class SideEvent:
    """A line of the ticket's history about a side conversation: started (`who` its participants), a third party's
    reply (`who` their address), an agent's (`agent_id`), or participants changed (`added`, `removed`)."""

    created_at: datetime
    side_event: str  # started | third_party | agent | participants
    subject: str
    who: str
    agent_id: int | None
    side_id: int
    added: str = ""
    removed: str = ""


def side_history(sides: Iterable[SideView]) -> list[SideEvent]:
    events = []
    for side in sides:
        for number, m in enumerate(side.messages):
            kind = "started" if number == 0 and m.author == "agent" else m.author
            who = ", ".join(side.participants) if kind == "started" else m.from_address
            events.append(SideEvent(m.created_at, kind, side.subject, who, m.agent_id, side.id))
        for change in side.changes:
            events.append(SideEvent(change.created_at, "participants", side.subject, "", change.agent_id, side.id,
                                    ", ".join(change.added), ", ".join(change.removed)))
    return events


def with_history(changes: Sequence[object], sides: Iterable[SideView]) -> list[object]:
    """The ticket's history (desk.tickets.TicketStore.changes) with its side conversations' lines, oldest first."""
    rows = [*changes, *side_history(sides)]
    return sorted(rows, key=lambda row: as_utc(row.created_at))  # type: ignore[attr-defined]


def clean_recipients(value: object, limit: int, mail_from: str, field: str = "to") -> list[str]:
    """The addresses of a To field (comma- or line-separated text, or a list of strings), each refused naming `field`:
    none at all, not an address, one a mail header cannot carry as it is (desk.ccs.is_plain_mailbox), the desk's own,
    or more than `limit`. Repeats are dropped (case folded)."""
    if isinstance(value, str):
        parts = [p.strip() for p in re.split(r"[,;\n]", value)]
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        parts = [str(v).strip() for v in value]
    else:
        raise InputError(field, N_("must be a list of email addresses"))
    found: list[str] = []
    for part in parts:
        if not part:
            continue
        address = mail_recipient(part, mail_from, field)
        if address not in found:
            found.append(address)
    if not found:
        raise InputError(field, N_("enter at least one email address"))
    if len(found) > limit:
        raise InputError(field, N_("a side conversation is with at most %(limit)s addresses"), limit=str(limit))
    return found


def find_side(session: Session, recipients: Sequence[str], in_reply_to: str, references: str,
              subject: str) -> SideConversation | None:
    """The side conversation a mail answers, if any.

    The same order as a ticket's matching (desk.mail.receive.find_ticket): a token in the addresses, then a
    Message-ID we sent (or stored) in In-Reply-To/References, then the subject tag. A token in the addresses that is
    a ticket's wins over any References: a customer's reply naming another ticket's side conversation in its
    References stays on the ticket it was sent to."""
    tokens = tokens_in_addresses(list(recipients))
    if tokens:
        # The first token named that is ours decides (the envelope's, then the headers' order): with two side
        # conversations' tokens, or one and a ticket's, the database's row order chose, so one mail was a reply on
        # SQLite and held on PostgreSQL (hostile34).
        sides = {side.token: side for side in session.scalars(select(SideConversation)
                                                                .where(SideConversation.token.in_(tokens)))}
        threads = set(session.scalars(select(MailThread.token).where(MailThread.token.in_(tokens))))
        for named in tokens:
            if named in sides:
                return sides[named]
            if named in threads:
                return None  # addressed to a ticket's own thread
    header = f"{in_reply_to} {references}"
    locals_ = message_id_locals(header)
    if locals_:
        side_message = session.scalar(
            select(OutboxMail.side_message_id).where(OutboxMail.mail_message_id.in_(locals_),
                                                     OutboxMail.side_message_id.is_not(None))
            .order_by(OutboxMail.id.desc()).limit(1))
        if side_message is None:
            side_message = session.scalar(
                select(SideMessage.id).where(SideMessage.mail_message_id.in_(message_ids(header)))
                .order_by(SideMessage.id.desc()).limit(1))
        if side_message is not None:
            found = session.scalar(select(SideConversation).join(SideMessage).where(SideMessage.id == side_message))
            if found is not None:
                return found
    token = token_in_subject(subject)
    if token:
        return session.scalar(select(SideConversation).where(SideConversation.token == token))
    return None


def _files_of(rows: Iterable[dict[str, object]]) -> tuple[SideFile, ...]:
    return tuple(SideFile(str(f.get("filename") or ""), str(f.get("content_type") or ""),
                          int(f.get("size") or 0),  # type: ignore[call-overload]
                          f.get("attachment_id"), f.get("path"), f.get("skipped_reason"))  # type: ignore[arg-type]
                 for f in rows)


def view_of(side: SideConversation) -> SideView:
    return SideView(
        side.id, side.ticket_id, side.subject, tuple(side.participants), side.status, side.unread, side.created_by_id,
        side.created_at, side.updated_at,
        tuple(SideEntry(m.id, m.author, m.agent_id, m.from_address, m.body, m.created_at, _files_of(m.files or []))
              for m in side.messages),
        tuple(ParticipantChange(datetime.fromisoformat(str(c.get("at"))), c.get("agent_id"),  # type: ignore[arg-type]
                                tuple(c.get("added") or ()), tuple(c.get("removed") or ()))
              for c in side.participant_changes or []))


class SideConversations:
    def __init__(self, db: Database, data_dir: Path, mail_from: str, max_recipients: int) -> None:
        self.db = db
        self.data_dir = data_dir
        self.mail_from = mail_from
        self.max_recipients = max_recipients

    def for_ticket(self, ticket_id: int) -> list[SideView]:
        """The ticket's side conversations, oldest first, with their messages. Reads only."""
        with self.db.session() as session:
            rows = session.scalars(select(SideConversation).where(SideConversation.ticket_id == ticket_id)
                                   .order_by(SideConversation.id)).all()
            return [view_of(row) for row in rows]

    def start(self, ticket_id: int, to: object, subject: object, body: object, by: Actor,
              attachment_ids: Sequence[int] = (), lang: str | None = None) -> SideView:
        """Start a side conversation of the ticket and queue its first mail; every field checked first, nothing
        written on a refusal. `subject` empty: the ticket's. `attachment_ids`: the ticket's files to forward."""
        participants = clean_recipients(to, self.max_recipients, self.mail_from)
        text = clean_text("body", body, MAX_BODY)

        def start(session: Session) -> SideView:
            ticket = changeable(session, ticket_id)
            typed = clean_text("subject", subject if subject is not None else "", MAX_SUBJECT, required=False)
            chosen = self._forwarded(session, ticket, attachment_ids)
            now = utcnow()
            side = SideConversation(ticket_id=ticket.id, subject=typed or ticket.subject, token=new_token(),
                                    participants=participants, status="open", created_by_id=by.agent_id,
                                    created_at=now, updated_at=now, unread=False)
            session.add(side)
            message = self._agent_message(session, side, text, by, chosen, now, lang or ticket.lang)
            record(session, by, "side_conversation_started", "ticket", ticket.id,
                   after={"side_conversation": side.id, "to": len(participants), "message": message.id})
            session.flush()
            return view_of(side)

        return self.db.write(start)  # again while the database is busy (a mail arriving: SQLite's one writer)

    def reply(self, ticket_id: int, side_id: int, body: object, by: Actor,
              attachment_ids: Sequence[int] = ()) -> SideView:
        """An agent's message on the side conversation, mailed to its participants with the ticket's files chosen
        (`attachment_ids`); a closed one is reopened."""
        text = clean_text("body", body, MAX_BODY)

        def reply(session: Session) -> SideView:
            ticket = changeable(session, ticket_id)
            side = self._side(session, ticket_id, side_id)
            chosen = self._forwarded(session, ticket, attachment_ids)
            now = utcnow()
            side.status, side.updated_at = "open", now
            message = self._agent_message(session, side, text, by, chosen, now, ticket.lang)
            record(session, by, "side_conversation_replied", "ticket", ticket.id,
                   after={"side_conversation": side.id, "message": message.id})
            session.flush()
            return view_of(side)

        return self.db.write(reply)  # again while the database is busy

    def set_status(self, ticket_id: int, side_id: int, status: str, by: Actor) -> SideView:
        return self.change(ticket_id, side_id, by, status=status)

    def change_participants(self, ticket_id: int, side_id: int, add: object, remove: object,
                            by: Actor) -> SideView:
        """Add the addresses `add` and remove `remove` on an open side conversation (`change`); one of them must say
        something."""
        if not _given(add) and not _given(remove):
            raise InputError("add_participants", N_("enter an address to add or one to remove"))
        return self.change(ticket_id, side_id, by, add=add, remove=remove)

    def change(self, ticket_id: int, side_id: int, by: Actor, status: str | None = None, add: object = None,
               remove: object = None) -> SideView:
        """Close or reopen the side conversation (`status`), and add the addresses `add` and remove `remove` (each a
        list, or comma-separated text; None or empty: none), in one transaction: a reopen comes first, so a closed
        one may be reopened and changed at once; a close last. Participants are audited and kept for the ticket's
        history. Refused, naming `status`, `add_participants` or `remove_participants`, nothing written: an
        address as `start` refuses it, one to remove that is not a participant, none left, more than the limit, a
        change of participants on a closed conversation."""
        if status is not None and status not in SIDE_STATUSES:
            raise InputError("status", N_("must be one of %(allowed)s"), allowed=", ".join(SIDE_STATUSES))
        added = clean_recipients(add, self.max_recipients, self.mail_from, "add_participants") \
            if _given(add) else []
        removed = clean_recipients(remove, self.max_recipients, self.mail_from, "remove_participants") \
            if _given(remove) else []

        def change(session: Session) -> SideView:
            if added or removed:
                changeable(session, ticket_id)
            side = self._side(session, ticket_id, side_id)
            now = utcnow()
            if status == "open" and side.status != "open":
                side.status, side.updated_at = "open", now
                record(session, by, "side_conversation_reopened", "ticket", ticket_id,
                       after={"side_conversation": side.id})
            if added or removed:
                self._participants(session, side, added, removed, by, ticket_id, now)
            if status == "closed" and side.status != "closed":
                side.status, side.updated_at = "closed", now
                record(session, by, "side_conversation_closed", "ticket", ticket_id,
                       after={"side_conversation": side.id})
            session.flush()
            return view_of(side)

        return self.db.write(change)  # again while the database is busy

    def _participants(self, session: Session, side: SideConversation, added: list[str], removed: list[str],
                      by: Actor, ticket_id: int, now: datetime) -> None:
        if side.status != "open":
            raise InputError("status", N_("the side conversation is closed: reopen it first"))
        current = list(side.participants)
        for address in removed:
            if address not in current:
                raise InputError("remove_participants", N_("%(email)s is not in the side conversation"),
                                 email=address)
        added = [a for a in added if a not in current]
        kept = [a for a in current if a not in removed]
        if not kept and not added:
            raise InputError("remove_participants", N_("a side conversation keeps at least one address"))
        if len(kept) + len(added) > self.max_recipients:
            raise InputError("add_participants", N_("a side conversation is with at most %(limit)s addresses"),
                             limit=str(self.max_recipients))
        if not added and not removed:
            raise InputError("add_participants", N_("%(email)s is already in the side conversation"),
                             email=", ".join(current))
        side.participants = kept + added
        side.participant_changes = [*(side.participant_changes or []), {
            "at": now.isoformat(), "agent_id": by.agent_id, "added": added, "removed": removed}]
        side.updated_at = now
        record(session, by, "side_conversation_participants", "ticket", ticket_id,
               before={"side_conversation": side.id, "participants": current},
               after={"side_conversation": side.id, "participants": side.participants})

    def mark_read(self, ticket_id: int) -> None:
        self.db.write(lambda session: session.execute(update(SideConversation).where(
            SideConversation.ticket_id == ticket_id, SideConversation.unread.is_(True)).values(unread=False)))

    @staticmethod
    def _side(session: Session, ticket_id: int, side_id: int) -> SideConversation:
        side = row_by_id(session, SideConversation, side_id)
        if side is None or side.ticket_id != ticket_id:
            raise InputError("side_conversation", N_("no side conversation %(id)s on this ticket"), id=side_id)
        lock_row(session, SideConversation, side.id)
        return side

    @staticmethod
    def _forwarded(session: Session, ticket: Ticket, attachment_ids: Sequence[int]) -> list[Attachment]:
        chosen: list[Attachment] = []
        for attachment_id in attachment_ids:
            found = row_by_id(session, Attachment, attachment_id) if isinstance(attachment_id, int) else None
            if found is None or found.ticket_id != ticket.id or found.path is None:
                raise InputError("attachments", N_("no file %(id)s on this ticket"), id=repr(attachment_id)[:40])
            if found not in chosen:
                chosen.append(found)
        return chosen

    def _agent_message(self, session: Session, side: SideConversation, text: str, by: Actor,
                       forwarded: list[Attachment], now: datetime, lang: str) -> SideMessage:
        files = [{"filename": a.filename, "content_type": a.content_type, "size": a.size, "attachment_id": a.id}
                 for a in forwarded]
        message = SideMessage(author="agent", agent_id=by.agent_id, from_address="", body=text, files=files,
                              created_at=now)
        side.messages.append(message)
        session.flush()
        # The participants now: one removed before the mail is sent is not sent it (desk.mail.compose.compose_side).
        row = queue_mail(session, "side_conversation", None, side.participants[0], lang,
                         payload={"side_conversation_id": side.id, "to": list(side.participants)})
        row.side_message_id = message.id
        return message


def _given(value: object) -> bool:
    """Whether a participants field says anything (blank text, an empty list and None say nothing)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip(" ,;\n\r\t"))
    return not (isinstance(value, list | tuple) and not value)


def receive_side_reply(session: Session, side: SideConversation, from_address: str, body: str,
                       mail_message_id: str | None, attachments: Sequence[tuple[str, str, bytes]],
                       max_attachment_bytes: int, allowed_type: re.Pattern[str], data_dir: Path,
                       written: list[Path], now: datetime) -> SideMessage:
    """A third party's mail appended to `side` (in the caller's transaction): its files kept (those over the limit or
    of a type not taken listed as not kept), the conversation reopened and marked unread, the ticket's updated time
    moved (its status left as it is)."""
    lock_row(session, SideConversation, side.id)
    message = SideMessage(author="third_party", from_address=from_address[:320], body=body, files=[],
                          mail_message_id=mail_message_id, created_at=now)
    side.messages.append(message)
    session.flush()
    files: list[dict[str, object]] = []
    for number, (filename, content_type, data) in enumerate(attachments, 1):
        name = safe_filename(filename)
        reason = None
        if not allowed_type.match(content_type):
            reason = f"type {content_type} is not accepted"
        elif len(data) > max_attachment_bytes:
            reason = f"{len(data):,} bytes; the limit is {max_attachment_bytes:,}"
        entry: dict[str, object] = {"filename": name, "content_type": content_type[:120], "size": len(data)}
        if reason is None:
            path = f"{FOLDER}/{side.id}/{message.id}-{number}-{name}"
            target = data_dir / path
            partial = target.with_name(target.name + ".part")
            written.append(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(data)
            partial.replace(target)
            entry["path"] = path
        else:
            entry["skipped_reason"] = reason
        files.append(entry)
    message.files = files
    side.status, side.unread, side.updated_at = "open", True, now
    ticket = session.get(Ticket, side.ticket_id)
    if ticket is not None:
        ticket.updated_at = now
    return message


def move_to(session: Session, source_id: int, target_id: int) -> None:
    """A ticket merge: the duplicate's side conversations now belong to the target."""
    session.execute(update(SideConversation).where(SideConversation.ticket_id == source_id)
                    .values(ticket_id=target_id))


def forget_forwarded(session: Session, ticket_ids: object) -> int:
    """An erasure of the tickets' customer: the ticket's files forwarded in their side conversations are named no
    more, and the composed mails that carried them are deleted. The third parties' messages stay."""
    sides = select(SideConversation.id).where(SideConversation.ticket_id.in_(ticket_ids))  # type: ignore[arg-type]
    changed = 0
    for message in session.scalars(select(SideMessage).where(SideMessage.side_conversation_id.in_(sides))):
        if any(f.get("attachment_id") for f in message.files or []):
            message.files = [f for f in message.files if not f.get("attachment_id")]
            session.execute(delete(OutboxMail).where(OutboxMail.side_message_id == message.id))
            changed += 1
    return changed
