"""One code path for every email that comes in (`kb mail receive`, `kb mail serve`, `kb mail fetch`):
keep the original, then create a ticket or continue one, in one transaction.

Matching a reply to its ticket needs something unguessable: the token in the reply address, a
Message-ID we sent (In-Reply-To/References), or the subject tag; never a ticket number. A reply
to a solved ticket reopens it; to a closed one it starts a follow-up ticket (`TicketStore.follow_up_in`,
as a reply on the customer's page or through the API does). A reply to a merged duplicate's thread
goes to the ticket it was merged into (`TicketStore.live_ticket`), continued or followed up there.
The people the mail copies (`Cc:`, other `To:` addresses) become the ticket's CCs, and a CC's mail on the thread is
their message (desk.ccs; to a closed ticket, the follow-up's first); a mail from anyone else that carries the thread's
token continues the ticket as the customer's, as before CCs (the token is the proof, as a forwarded thread's reader
has it).
Mail from machines (auto-replies, bounces, lists) is recorded (on its ticket as an internal note
when it has one) but never answered, never reopens, and never creates a ticket. Our own mail coming back is a loop and
only recorded.

Nothing is lost: the raw message is written to disk first, and any failure to store raises
`StorageError` so the caller answers "try again later" (exit 75, SMTP 451, IMAP left unseen).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from desk.audit import Actor, record
from desk.blocked import is_blocked
from desk.ccs import cc_of, copy_from_mail, fill_name
from desk.database import Database, StorageUnavailableError, lock_row
from desk.mail.addresses import message_id_locals, message_ids, token_in_subject, tokens_in_addresses
from desk.mail.attachments import ALLOWED_TYPES, add_attachment, safe_filename, write_with_files
from desk.mail.parse import ParsedMail, UnparseableMail, clean_subject, glimpse, parse_mail
from desk.mail.reasons import TEMPLATES, MailReason
from desk.models import (
    AGENT_NOTICE_KINDS,
    Agent,
    Customer,
    InboundMail,
    MailThread,
    Message,
    OutboxMail,
    SideMessage,
    Ticket,
    utcnow,
)
from desk.notes import write_note
from desk.side_conversations import find_side, receive_side_reply
from desk.tickets import MAX_BODY, MAX_SUBJECT, InputError, NewTicket, TicketStore, clean_text, plain_text
from kb.settings import Settings

# Bigger than any real mail with attachments within the limits; past it we do not even parse.
MAX_MAIL_BYTES = 40 * 1024 * 1024
RAW_FOLDER = "mail/raw"
# A new ticket's subject when the mail has none and no text to take one from (files alone, or nothing at all).
NO_SUBJECT = "(no subject)"
log = logging.getLogger(__name__)
# RFC 5321 has a server take at least 100 recipients; the row keeps that many of the envelope's (RCPT TO).
MAX_ENVELOPE_RECIPIENTS = 100


class StorageError(Exception):
    """The mail could not be stored: a temporary failure, the sender should try again."""


@dataclass(frozen=True)
class Received:
    outcome: str  # created | continued | follow_up | side_reply | note | automatic | loop | duplicate | rejected
    inbound_id: int | None = None
    ticket_id: int | None = None
    reference: str | None = None
    why: MailReason | None = None
    side_conversation_id: int | None = None  # outcome side_reply: the side conversation it was added to

    @property
    def reason(self) -> str | None:
        """Why, in English (the CLI's and the SMTP answer's words)."""
        return self.why.text if self.why is not None else None


def store_raw(data_dir: Path, raw: bytes) -> str:
    """The original, byte for byte, named by its hash (a retried delivery lands on the same file)."""
    digest = hashlib.sha256(raw).hexdigest()
    month = utcnow().strftime("%Y-%m")
    relative = f"{RAW_FOLDER}/{month}/{digest[:40]}.eml"
    keep_raw(data_dir, relative, raw)
    return relative


def keep_raw(data_dir: Path, relative: str, raw: bytes) -> None:
    """Write the original at `relative` unless it is there. `receive` calls it again once its row is committed: a
    held mail's deletion may have removed the same bytes' file (desk.mail.held) between the first write and the
    row that now needs it."""
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        try:
            partial.write_bytes(raw)
            partial.replace(target)
        except OSError:
            partial.unlink(missing_ok=True)  # half an original is no original: the sender retries with the whole
            raise


def envelope(recipients: list[str] | None) -> list[str]:
    """The envelope recipients (RCPT TO) a row keeps: as given, blanks dropped, bounded in count and length."""
    return [r.strip()[:320] for r in recipients or [] if r.strip()][:MAX_ENVELOPE_RECIPIENTS]


def find_ticket(session: Session, mail: ParsedMail, recipients: list[str]) -> Ticket | None:
    tokens = tokens_in_addresses(recipients + mail.recipients)
    if tokens:
        # The first token named that is a ticket's decides (the envelope's, then the headers' order), as
        # desk.side_conversations.find_side does: with two tickets' tokens the database's row order chose.
        threads = {token: ticket_id for token, ticket_id in session.execute(
            select(MailThread.token, MailThread.ticket_id).where(MailThread.token.in_(tokens)))}
        named = next((threads[token] for token in tokens if token in threads), None)
        if named is not None:
            return session.get(Ticket, named)
    locals_ = message_id_locals(f"{mail.in_reply_to} {mail.references}")
    if locals_:
        ticket_id = session.scalar(
            select(OutboxMail.ticket_id)
            # An agent's notice about the ticket (desk.agent_notices) is not the customer's thread: a reply to it
            # is not the customer's.
            .where(OutboxMail.mail_message_id.in_(locals_), OutboxMail.ticket_id.is_not(None),
                   OutboxMail.kind.not_in(AGENT_NOTICE_KINDS))
            .order_by(OutboxMail.id.desc()).limit(1)
        )
        if ticket_id is None:
            ids = message_ids(f"{mail.in_reply_to} {mail.references}")
            ticket_id = session.scalar(
                select(InboundMail.ticket_id)
                .where(InboundMail.mail_message_id.in_(ids), InboundMail.ticket_id.is_not(None))
                .order_by(InboundMail.id.desc()).limit(1)
            )
        if ticket_id is not None:
            return session.get(Ticket, ticket_id)
    token = token_in_subject(mail.subject)
    if token:
        return session.scalar(select(Ticket).join(MailThread).where(MailThread.token == token))
    return None


def answered_notice(session: Session, mail: ParsedMail) -> OutboxMail | None:
    """The agent notice (desk.agent_notices) the mail answers (In-Reply-To, References), with its ticket; else None."""
    locals_ = message_id_locals(f"{mail.in_reply_to} {mail.references}")
    if not locals_:
        return None
    return session.scalar(
        select(OutboxMail).where(OutboxMail.mail_message_id.in_(locals_), OutboxMail.ticket_id.is_not(None),
                                 OutboxMail.kind.in_(AGENT_NOTICE_KINDS))
        .order_by(OutboxMail.id.desc()).limit(1)
    )


class MailReceiver:
    def __init__(self, db: Database, tickets: TicketStore, settings: Settings) -> None:
        self.db = db
        self.tickets = tickets
        self.settings = settings

    def receive(self, raw: bytes, transport: str = "stdin", recipients: list[str] | None = None) -> Received:
        """Store one message; raises `UnparseableMail` (a permanent error) or `StorageError` (retry). `recipients`:
        the SMTP envelope's (RCPT TO), where the transport has one; kept on the row for a later recovery."""
        try:
            raw_path = store_raw(self.settings.data_dir, raw)
        except OSError as error:
            raise StorageError(f"could not keep the original: {error}") from error
        recipients = envelope(recipients)
        try:
            return self._receive(raw, raw_path, transport, recipients)
        finally:
            try:
                keep_raw(self.settings.data_dir, raw_path, raw)
            except OSError as error:
                log.error("the original of a received mail could not be written again at %s: %s", raw_path, error)

    def _receive(self, raw: bytes, raw_path: str, transport: str, recipients: list[str]) -> Received:
        if len(raw) > MAX_MAIL_BYTES:
            why = MailReason("too_large", {"size": len(raw), "limit": MAX_MAIL_BYTES})
            self._record(raw, raw_path, transport, "rejected", None, why, recipients)
            raise UnparseableMail(why)
        try:
            mail = parse_mail(raw, self.settings.mail_from)
        except UnparseableMail as error:
            self._record(raw, raw_path, transport, "rejected", None, error.why, recipients)
            raise
        try:
            # Again while the database is busy (SQLite's one writer: the worker's pass, a ticket being created): a
            # mail waited one busy timeout and was deferred.
            return write_with_files(self.db, lambda session, written: self._store(
                session, mail, raw_path, len(raw), transport, recipients, written))
        except InputError as error:
            return self._record(raw, raw_path, transport, "rejected", mail, MailReason.of_error(error), recipients)
        # A full or busy database (or disk) is the sender's cue to try again, as any failure to store: one error.
        except (SQLAlchemyError, OSError, StorageUnavailableError) as error:
            raise StorageError(f"{type(error).__name__}: {error}") from error

    def _record(
        self, raw: bytes, raw_path: str, transport: str, outcome: str, mail: ParsedMail | None, why: MailReason,
        recipients: list[str],
    ) -> Received:
        size = len(raw)

        def held(session: Session) -> InboundMail:
            row = self._inbound(session, mail, raw_path, size, transport, outcome, recipients, why)
            if mail is None:  # what the held-mail list shows of it (desk.mail.held)
                sender, subject = glimpse(raw)
                row.from_address, row.subject = sender[:320], subject[:300]
            return row

        try:
            row = self.db.write(held)
        except (SQLAlchemyError, StorageUnavailableError) as error:
            raise StorageError(f"{type(error).__name__}: {error}") from error
        return Received(outcome, row.id, why=why)

    @staticmethod
    def _inbound(
        session: Session, mail: ParsedMail | None, raw_path: str, size: int, transport: str, outcome: str,
        recipients: list[str], why: MailReason | None = None, ticket: Ticket | None = None,
        message: Message | None = None, received_at: datetime | None = None, held: InboundMail | None = None,
    ) -> InboundMail:
        """A new row for the mail; or, for a held mail being recovered (`held`), that row, now saying what became of
        it (its arrival time and transport stay the first delivery's)."""
        session.flush()
        row = held or InboundMail(channel=transport, raw_path=raw_path, size=size, received_at=received_at or utcnow())
        row.mail_message_id = mail.message_id if mail else None
        row.from_address = (mail.from_address if mail else "")[:320]
        row.subject = (mail.subject if mail else "")[:300]
        row.envelope_recipients = recipients or None
        row.outcome = outcome
        row.reason = why.text[:500] if why else None
        row.reason_code = why.code if why else None
        row.reason_params = why.params if why and why.params else None
        row.ticket_id = ticket.id if ticket else None
        row.message_id = message.id if message else None
        session.add(row)
        session.flush()
        return row

    def _store(
        self, session: Session, mail: ParsedMail, raw_path: str, size: int, transport: str, recipients: list[str],
        written: list[Path], held: InboundMail | None = None,
    ) -> Received:
        """`held`: a held mail an agent recovers (desk.mail.held): its own row is updated; a loop or an auto-reply
        was confirmed by the agent as a person's mail, so it is stored as one (`mail` has neither flag)."""
        arrived = utcnow()  # before the confirmation it causes, so threads list them in order
        if mail.message_id:
            seen = session.scalar(
                select(InboundMail).where(
                    InboundMail.mail_message_id == mail.message_id, InboundMail.ticket_id.is_not(None)
                ).limit(1)
            )
            if seen is not None:  # a retried delivery of a mail already stored
                return Received("duplicate", seen.id, seen.ticket_id, why=MailReason("duplicate"))
            if session.scalar(select(SideMessage.id).where(SideMessage.mail_message_id == mail.message_id).limit(1)):
                return Received("duplicate", why=MailReason("duplicate"))
        if held is None and is_blocked(session, mail.from_address):
            # Held, as every mail the desk does not take (recoverable: an agent's recovery stores it as any mail).
            why = MailReason("blocked_sender", {"sender": mail.from_address[:320]})
            row = self._inbound(session, mail, raw_path, size, transport, "rejected", recipients, why)
            return Received("rejected", row.id, why=why)
        if mail.loop:
            why = MailReason("loop")
            row = self._inbound(session, mail, raw_path, size, transport, "loop", recipients, why, held=held)
            return Received("loop", row.id, why=why)
        side = find_side(session, recipients + mail.recipients, mail.in_reply_to, mail.references, mail.subject)
        if side is not None and not mail.automatic:  # a machine's answer to it is held, as one matching nothing
            # A third party's reply to a side conversation (desk.side_conversations): never the ticket's thread. From
            # someone who is not a participant it is held, unless an agent recovers it (`held`).
            if held is None and mail.from_address.lower() not in side.participants:
                why = MailReason("side_stranger", {"sender": mail.from_address[:320]})
                row = self._inbound(session, mail, raw_path, size, transport, "rejected", recipients, why)
                return Received("rejected", row.id, why=why)
            side_message = receive_side_reply(
                session, side, mail.from_address, plain_text(mail.text)[:MAX_BODY], mail.message_id,
                [(part.filename, part.content_type, part.data) for part in mail.attachments],
                self.settings.mail_max_attachment_bytes, ALLOWED_TYPES, self.settings.data_dir, written, arrived)
            row = self._inbound(session, mail, raw_path, size, transport, "side_reply", recipients, None,
                                received_at=arrived, held=held)
            row.reason_params = {"side_conversation": side.id, "side_message": side_message.id}
            return Received("side_reply", row.id, why=None, side_conversation_id=side.id)
        notice = answered_notice(session, mail) if not mail.automatic else None
        if notice is not None:  # an agent answering their notice: a note (an out-of-office one is held, matching none)
            return self._note_by_mail(session, mail, notice, raw_path, size, transport, recipients, written, arrived,
                                      held)
        ticket = find_ticket(session, mail, recipients)
        if ticket is not None:
            # Their row held first, as an erase holds it (desk.erasure), and read again: an erase at this moment
            # emptied the ticket and dropped its thread, and this mail's words were then appended to the skeleton
            # (hostile31b). The address is no longer theirs: the mail is a new ticket, from a new customer.
            lock_row(session, Customer, ticket.customer_id)
            if session.scalar(select(Customer.erased_at).where(Customer.id == ticket.customer_id)) is not None:
                ticket = None
        if ticket is not None:  # a reply to a merged duplicate's thread goes where its conversation now lives
            ticket = TicketStore.live_ticket(session, ticket)
        # As a new ticket's first message is stored (controls dropped) for the continued thread and the note too.
        # Nothing left is an empty body, never "body: is empty": a mail of files alone is a message of its files
        # (as the forms' are), and a mail with neither is stored too (a customer's message is never dropped), the
        # agent's page marking it "an empty mail" (webapp/templates/mail/_message_files.html).
        body = plain_text(mail.text)[:MAX_BODY]
        if mail.automatic:
            message = None
            if ticket is not None:
                message = Message(author="customer", body=f"[{mail.automatic.text}]\n{body}", internal=True,
                                  channel="email")
                ticket.messages.append(message)
            row = self._inbound(session, mail, raw_path, size, transport, "automatic", recipients, mail.automatic,
                                ticket, message, held=held)
            return Received("automatic", row.id, ticket.id if ticket else None,
                            ticket.reference if ticket else None, mail.automatic)
        now = utcnow()
        if ticket is not None and ticket.status != "closed":
            message = Message(author="customer", body=body, channel="email", created_at=now)
            if (cc := self._cc_writing(session, ticket, mail)) is not None:
                message.cc_customer_id = cc.id  # a CC's own words, shown as theirs (desk.ccs)
            ticket.messages.append(message)
            self.tickets.customer_replied(session, ticket, body, now)
            outcome = "continued"
        else:
            subject = clean_subject(re.sub(r"\s*\[#mz-[a-z2-7]+\]", "", mail.subject, flags=re.IGNORECASE))
            if ticket is not None:  # closed: final, as on the customer's page and through the API
                cc = self._cc_writing(session, ticket, mail)
                ticket = self.tickets.follow_up_in(session, ticket, body, "email", with_files=True,
                                                   subject=subject[:MAX_SUBJECT])
                if cc is not None:  # a CC's mail: the follow-up is still the requester's, its first words the CC's
                    ticket.messages[0].cc_customer_id = cc.id
                outcome = "follow_up"
            else:
                named = ", ".join(safe_filename(part.filename) for part in mail.attachments)
                ticket = self.tickets.create_in(session, self.tickets.validate(NewTicket(
                    email=mail.from_address, name=mail.from_name,
                    subject=(subject or body.split("\n", 1)[0] or named or NO_SUBJECT)[:MAX_SUBJECT], body=body,
                    channel="email", notify=not mail.no_auto_reply,
                ), with_files=True))  # an empty body is the mail's (see above), never refused
                outcome = "created"
            message = ticket.messages[0]
        session.flush()
        copy_from_mail(session, ticket, mail.copied, mail.from_address, self.settings.max_ccs, self.settings.mail_from)
        self._attachments(session, mail, message, written)
        row = self._inbound(session, mail, raw_path, size, transport, outcome, recipients, None, ticket, message,
                            arrived, held)
        return Received(outcome, row.id, ticket.id, ticket.reference)

    def _note_by_mail(
        self, session: Session, mail: ParsedMail, notice: OutboxMail, raw_path: str, size: int, transport: str,
        recipients: list[str], written: list[Path], arrived: datetime, held: InboundMail | None,
    ) -> Received:
        """A reply to an agent notice: from the agent it was sent to, still active, an internal note by them on the
        notice's ticket (its quoted notice cut, as every mail's; its files kept as a customer mail's; its @mentions
        mailed as a note's; audited `note_by_mail`). From anyone else, or a deactivated agent, held saying why, and
        still held when an agent recovers it (refused naming "sender"; the one who recovers it may give the notified
        agent's address): never the ticket's thread, never a ticket of its own."""
        agent = session.scalar(select(Agent).where(Agent.email == mail.from_address))
        if agent is None or not agent.active or mail.from_address != notice.to_address.lower():
            code = "notice_stranger" if mail.from_address != notice.to_address.lower() else "notice_inactive"
            if held is not None:
                raise InputError("sender", TEMPLATES[code], sender=mail.from_address[:320])
            why = MailReason(code, {"sender": mail.from_address[:320]})
            row = self._inbound(session, mail, raw_path, size, transport, "rejected", recipients, why)
            return Received("rejected", row.id, why=why)
        ticket_id = notice.ticket_id or 0  # answered_notice's are a ticket's
        text = clean_text("note", plain_text(mail.text)[:MAX_BODY], MAX_BODY, required=not mail.attachments)
        note = write_note(session, ticket_id, agent.id, text,
                          lambda message: self._attachments(session, mail, message, written))
        message = session.get_one(Message, note.message_id)
        record(session, Actor.agent(agent.id), "note_by_mail", "ticket", ticket_id, after={"message": message.id})
        row = self._inbound(session, mail, raw_path, size, transport, "note", recipients, None, message.ticket,
                            message, arrived, held)
        return Received("note", row.id, ticket_id, message.ticket.reference)

    @staticmethod
    def _cc_writing(session: Session, ticket: Ticket, mail: ParsedMail) -> Customer | None:
        """The ticket's CC who sent this mail (not its requester), their name filled from the mail's display name
        when they had none (an agent added them by address alone), or None."""
        if mail.from_address == ticket.customer.email:
            return None
        cc = cc_of(session, ticket.id, mail.from_address)
        if cc is not None:
            fill_name(cc, mail.from_name)
        return cc

    def _attachments(self, session: Session, mail: ParsedMail, message: Message, written: list[Path]) -> None:
        limit = self.settings.mail_max_attachment_bytes
        for number, part in enumerate(mail.attachments, 1):
            reason = None
            if not ALLOWED_TYPES.match(part.content_type):
                reason = f"type {part.content_type} is not accepted"
            elif len(part.data) > limit:
                reason = f"{len(part.data):,} bytes; the limit is {limit:,}"
            add_attachment(session, self.settings.data_dir, message, number, safe_filename(part.filename),
                           part.content_type, part.data, written, skipped_reason=reason)


__all__ = ["MailReceiver", "Received", "StorageError", "UnparseableMail"]
