"""Deleted tickets and blocked senders (Zendesk's "Delete" and "Mark as spam" with its deleted tickets view and
suspended users; Chatwoot's and Intercom's "Block contact"/"Mark as spam").

A deleted ticket keeps every column as it was (status, assignee, team, due time, snooze) and gains `deleted_at`,
`deleted_by_id` and `deleted_reason` ("deleted", or "spam"). Every ORM query of the desk leaves it out
(desk.models' `_live_tickets_only`): no inbox view or count, saved view, search, dashboard or report figure about
tickets, customer page, API list or item, trigger, automation, SLA, snooze wake-up or assignment sees it. Only this
module's reads (the Deleted tickets page, restore, purge) and an erasure ask for them (`WITH_DELETED`). A restore
clears the three columns: the ticket is back exactly as it was. Each delete and restore is a history row
(`TicketDeletionChange`) and an audit event (`ticket_deleted`, `ticket_restored`); the webhooks see the column
change as `ticket.deleted` / `ticket.restored` (desk.webhooks).

Marking as spam deletes with reason "spam" and blocks the requester's address (`BlockedSender`, folded as customers'
addresses are); "Not spam" restores and unblocks. A blocked address's (or domain's) mail is held (desk.mail.receive,
reason "blocked sender", recoverable as all held mail); its tickets from the contact form, the widget or the API are
stored deleted as spam (desk.tickets), with nothing sent and no rule run: nothing is lost, nobody is bothered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Table, delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from desk.audit import SYSTEM, Actor, record
from desk.blocked import blocked_key, is_blocked, mark_deleted, sender_keys
from desk.database import Database, insert_if_absent, lock_row
from desk.erasure import PURGED, Erasure, forgotten_mail
from desk.models import (
    WITH_DELETED,
    Agent,
    Attachment,
    Base,
    BlockedSender,
    InboundMail,
    MailSuggestion,
    OutboxMail,
    SideConversation,
    SideMessage,
    Ticket,
    TicketDeletionChange,
    WebhookDelivery,
    utcnow,
)
from desk.problems import PROBLEM, incident_count
from desk.tickets import MAX_ROW_ID, InputError, row_by_id
from desk.time_tracking import agent_names
from desk.translatable import N_

PURGE_BATCH = 100  # deleted tickets removed for good per pass (each with every row that hangs on it)


@dataclass(frozen=True)
class DeletedRow:
    """A deleted ticket as the Deleted tickets page lists it."""

    id: int
    subject: str
    requester: str
    status: str
    reason: str
    deleted_at: datetime
    deleted_by: str | None  # the agent's name or email; None: the desk (a blocked sender's form ticket)
    deleted_by_id: int | None


@dataclass(frozen=True)
class DeletedPage:
    rows: list[DeletedRow]
    total: int


@dataclass(frozen=True)
class BlockedRow:
    id: int
    address: str
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class BlockedPage:
    rows: list[BlockedRow]
    total: int


def _referring(table: Table) -> Iterator[tuple[Table, Column[Any]]]:
    """Every (table, column) whose foreign key names `table`'s rows: what hangs on them, read from the schema itself,
    so a table added later is purged too without a list here to forget."""
    for other in Base.metadata.sorted_tables:
        for column in other.columns:
            if any(key.column.table is table for key in column.foreign_keys):
                yield other, column


def _remove_under(session: Session, table: Table, ids: Any, depth: int = 0) -> None:
    """Delete every row hanging on the rows of `table` whose id is in `ids` (a subquery), deepest first. Received
    mail is not the ticket's to delete: its row lets go of the ticket and of everything it said, settled "purged",
    so the held mail's purge removes its kept original (as an erasure leaves it: desk.erasure.forgotten_mail)."""
    if depth > 4:  # the schema's chains are three deep (tickets, messages, attachments): a cycle is a bug
        raise RuntimeError(f"foreign keys under {table.name} loop")
    for child, column in _referring(table):
        if child is Ticket.__table__:
            continue  # a ticket naming a ticket (problem_id's key, merged_into_id's plain id) is unlinked below
        if child is InboundMail.__table__:
            session.execute(update(child).where(column.in_(ids)).values(
                {column.name: None, **({"ticket_id": None, **forgotten_mail(utcnow())}
                                       if column.name == "ticket_id" else {})}))
            continue
        if column.nullable and child is not Attachment.__table__ and column.name not in ("ticket_id", "message_id"):
            session.execute(update(child).where(column.in_(ids)).values({column.name: None}))
            continue
        if "id" in child.c:  # a table keyed otherwise (tags, presence) has nothing hanging on it
            _remove_under(session, child, select(child.c.id).where(column.in_(ids)), depth + 1)
        session.execute(delete(child).where(column.in_(ids)))


class Trash:
    def __init__(self, db: Database, erasure: Erasure | None = None, mail_from: str = "") -> None:
        self.db = db
        self.erasure = erasure
        self.mail_from = mail_from  # the desk's own address (KB_MAIL_FROM): never blocked, nor its domain

    def delete(self, ticket_ids: Sequence[int], by: Actor = SYSTEM, spam: bool = False) -> int:
        """Delete these tickets (`spam`: marked as spam, each requester's address blocked too): all of them, or on any
        refusal (no such ticket: a deleted one is none) none. How many were deleted."""
        ids = sorted(set(ticket_ids))
        reason = "spam" if spam else "deleted"

        def trash(session: Session) -> None:
            now = utcnow()
            for ticket_id in ids:
                ticket = self._live(session, ticket_id)
                if ticket.kind == PROBLEM and incident_count(session, ticket.id):
                    # Its incidents would link to a ticket nobody may open, and no one could solve them through it.
                    raise InputError("ticket", N_("#%(ticket)s is a problem with incidents of its own: unlink them "
                                                  "first"), ticket=ticket.id)
                mark_deleted(session, ticket, by.agent_id, reason, now)
                record(session, by, "ticket_deleted", "ticket", ticket.id, after={"reason": reason})
                if spam and "@" in ticket.customer.email:
                    self._block(session, ticket.customer.email, by, now)

        self.db.write(trash)  # again while the database is busy (spam arriving as it is marked: SQLite's one writer)
        return len(ids)

    @staticmethod
    def _live(session: Session, ticket_id: int) -> Ticket:
        """The ticket to delete, held to the transaction's end (`lock_row`); a closed one too (closed spam is spam).
        No such ticket (a deleted one is none): an InputError on "ticket"."""
        lock_row(session, Ticket, ticket_id)
        ticket = row_by_id(session, Ticket, ticket_id)
        if ticket is None:
            raise InputError("ticket", N_("no ticket %(ticket)s"), ticket=ticket_id)
        return ticket

    def restore(self, ticket_id: int, by: Actor = SYSTEM, not_spam: bool = False) -> Ticket:
        """Put a deleted ticket back exactly as it was (`not_spam`: and unblock its requester's address, when blocked).
        No such deleted ticket: an InputError on "ticket". Again while the database is busy (`Database.write`)."""

        def restore(session: Session) -> Ticket:
            ticket = self._deleted(session, ticket_id)
            if session.scalar(select(Attachment.id).where(Attachment.ticket_id == ticket.id,
                                                          Attachment.skipped_reason == PURGED).limit(1)) is not None:
                # A purge pass took it (its files marked, maybe removed already): restored, it would lack them.
                raise InputError("ticket", N_("ticket %(ticket)s is being deleted permanently"), ticket=ticket_id)
            now = utcnow()
            was = ticket.deleted_reason
            ticket.deleted_at, ticket.deleted_by_id, ticket.deleted_reason = None, None, None
            session.add(TicketDeletionChange(ticket_id=ticket.id, agent_id=by.agent_id,
                                             kind="not_spam" if not_spam else "restored", created_at=now))
            record(session, by, "ticket_restored", "ticket", ticket.id, before={"reason": was},
                   after={"not_spam": True} if not_spam else None)
            if not_spam:
                self._unblock(session, ticket.customer.email, by)
            return ticket

        return self.db.write(restore)

    def _deleted(self, session: Session, ticket_id: int) -> Ticket:
        ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id, Ticket.deleted_at.is_not(None))
                                .options(joinedload(Ticket.customer))
                                .execution_options(**{WITH_DELETED: True, "populate_existing": True})
                                ) if lock_row(session, Ticket, ticket_id) else None  # held; False: no such row id
        if ticket is None:
            raise InputError("ticket", N_("no deleted ticket %(ticket)s"), ticket=ticket_id)
        return ticket

    def deleted(self, limit: int = 25, offset: int = 0) -> DeletedPage:
        """The deleted tickets, newest deletion first, with who deleted them and why."""
        limit, offset = max(0, min(limit, 1000)), max(0, min(offset, MAX_ROW_ID))
        gone = Ticket.deleted_at.is_not(None)
        with self.db.session() as session:
            session.info[WITH_DELETED] = True
            total = int(session.scalar(select(func.count()).select_from(Ticket).where(gone)) or 0)
            tickets = list(session.scalars(
                select(Ticket).where(gone).options(joinedload(Ticket.customer))
                .order_by(Ticket.deleted_at.desc(), Ticket.id.desc()).limit(limit).offset(offset)))
            names = agent_names(session, (t.deleted_by_id for t in tickets if t.deleted_by_id is not None))
            return DeletedPage([DeletedRow(t.id, t.subject, t.customer.email, t.status, t.deleted_reason or "deleted",
                                           t.deleted_at or utcnow(), names.get(t.deleted_by_id or 0), t.deleted_by_id)
                                for t in tickets], total)

    # Purge.

    def purge(self, older_than: timedelta, limit: int = PURGE_BATCH, by: Actor = SYSTEM) -> int:
        """The retention rule, one bounded pass: deleted tickets deleted more than `older_than` ago are removed for
        good (`purge_ids`). How many were."""
        cutoff = utcnow() - older_than
        with self.db.session() as session:
            session.info[WITH_DELETED] = True
            ids = list(session.scalars(select(Ticket.id).where(Ticket.deleted_at < cutoff)
                                       .order_by(Ticket.deleted_at, Ticket.id).limit(limit)))
        return self.purge_ids(ids, by)

    def purge_one(self, ticket_id: int, by: Actor = SYSTEM) -> None:
        """An admin's "Delete permanently" of one deleted ticket. Not a deleted ticket: an InputError on "ticket"."""
        with self.db.session() as session:
            self._deleted(session, ticket_id)
        if not self.purge_ids([ticket_id], by):
            raise InputError("ticket", N_("ticket %(ticket)s keeps a file that could not be removed: it is removed "
                                          "at the next purge"), ticket=ticket_id)

    def purge_ids(self, ticket_ids: Sequence[int], by: Actor = SYSTEM) -> int:
        """Remove these deleted tickets for good, with every row that hangs on them (`_remove_under`) and their files.
        Files go only after the commit that marks them (Attachment.skipped_reason PURGED, as an erasure marks its
        own), by the erasure's removal; a ticket whose file the file system refused stays deleted, and the next pass
        (the worker's, which also retries the file through `Erasure.remove_leftovers`) removes it. One audit event
        (`ticket_purged`) per ticket. Not deleted (restored meanwhile): left alone. How many were removed."""
        gone = Ticket.deleted_at.is_not(None)

        def mark(session: Session) -> tuple[list[int], list[str]]:
            session.info[WITH_DELETED] = True
            # Held before they are read and their files marked: a restore at this moment waits, and then refuses
            # (`restore`: its files are going), rather than putting back a ticket whose files this pass removes.
            for ticket_id in sorted({i for i in ticket_ids if 0 < i <= MAX_ROW_ID}):
                lock_row(session, Ticket, ticket_id)
            ids = list(session.scalars(select(Ticket.id).where(Ticket.id.in_(list(ticket_ids)), gone)
                                       .execution_options(populate_existing=True)))
            files = [path for path in session.scalars(select(Attachment.path).where(
                Attachment.ticket_id.in_(ids), Attachment.path.is_not(None))) if path]
            session.execute(update(Attachment).where(Attachment.ticket_id.in_(ids), Attachment.path.is_not(None))
                            .values(skipped_reason=PURGED, filename=""))
            return ids, files

        ids, files = self.db.write(mark)  # again while the database is busy; the files go after its commit
        if files and self.erasure is not None:
            self.erasure.remove_files(files)

        def remove(session: Session) -> int:
            session.info[WITH_DELETED] = True
            for ticket_id in sorted(ids):
                lock_row(session, Ticket, ticket_id)
            kept = select(Attachment.ticket_id).where(Attachment.path.is_not(None))
            ready = list(session.scalars(select(Ticket.id).where(Ticket.id.in_(ids), gone, Ticket.id.not_in(kept))))
            if not ready:
                return 0
            table: Table = Ticket.__table__  # type: ignore[assignment]
            doomed = select(table.c.id).where(table.c.id.in_(ready))
            # Plain ids (no foreign key) that name a ticket or its rows: its webhook events, its side conversations'
            # mails, and tickets merged into it; and incidents of it unlinked here too, not only by problem_id's
            # ON DELETE SET NULL (the history's ORM session sees the change).
            sides = select(SideConversation.id).where(SideConversation.ticket_id.in_(ready))
            session.execute(delete(OutboxMail).where(OutboxMail.side_message_id.in_(
                select(SideMessage.id).where(SideMessage.side_conversation_id.in_(sides)))))
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.ticket_id.in_(ready)))
            # The acknowledgement's suggested articles (plain ids): their links then open nothing.
            session.execute(delete(MailSuggestion).where(MailSuggestion.ticket_id.in_(ready)))
            _remove_under(session, table, doomed)
            session.execute(update(Ticket).where(Ticket.problem_id.in_(ready)).values(problem_id=None))
            session.execute(update(Ticket).where(Ticket.merged_into_id.in_(ready)).values(merged_into_id=None))
            session.execute(delete(table).where(table.c.id.in_(ready)))
            for ticket_id in ready:
                record(session, by, "ticket_purged", "ticket", ticket_id)
            return len(ready)

        return self.db.write(remove)  # again while the database is busy

    # Blocked senders.

    def _held_by(self, session: Session, key: str) -> str | None:
        """The agent's address (or the desk's own) a block of `key` would hold, if any: an agent's mail (a forward,
        a reply by mail) and the desk's own must never be held as spam."""
        own = list(session.scalars(select(Agent.email).where(Agent.active.is_(True))))
        return next((a for a in [self.mail_from, *own] if a and key in sender_keys(a)), None)

    def _block(self, session: Session, address: str, by: Actor, now: datetime) -> bool:
        """Block the address; False if blocked already, or if it is an agent's or the desk's (`_held_by`)."""
        key = blocked_key(address)
        if self._held_by(session, key) is not None:
            return False
        if session.scalar(select(BlockedSender.id).where(BlockedSender.address == key)) is not None:
            return False
        insert_if_absent(session, BlockedSender, {"address": key, "created_by_id": by.agent_id, "created_at": now},
                         ["address"])
        record(session, by, "sender_blocked", "sender", key[:64])
        return True

    def _unblock(self, session: Session, address: str, by: Actor) -> bool:
        key = blocked_key(address)
        row = session.scalar(select(BlockedSender).where(BlockedSender.address == key))
        if row is None:
            return False
        session.delete(row)
        record(session, by, "sender_unblocked", "sender", key[:64])
        return True

    def block(self, address: object, by: Actor = SYSTEM) -> str:
        """Block an address or a domain (the admin page); the key as stored. Blocked already: an InputError."""
        key = blocked_key(address)

        def block(session: Session) -> None:
            held = self._held_by(session, key)
            if held is not None:
                raise InputError("address", N_("%(value)s would hold the mail of %(address)s, an agent's or the help "
                                               "desk's own address"), value=key, address=held)
            if not self._block(session, key, by, utcnow()):
                raise InputError("address", N_("%(value)s is blocked already"), value=key)

        self.db.write(block)  # again while the database is busy (mail arriving: SQLite's one writer)
        return key

    def unblock(self, blocked_id: int, by: Actor = SYSTEM) -> str:
        def unblock(session: Session) -> str:
            row = row_by_id(session, BlockedSender, blocked_id)
            if row is None:
                raise InputError("address", N_("no blocked sender %(value)s"), value=blocked_id)
            self._unblock(session, row.address, by)
            return row.address

        return self.db.write(unblock)  # again while the database is busy

    def blocked(self, limit: int = 25, offset: int = 0) -> BlockedPage:
        """The blocked addresses and domains, by address, a page of them (the admins' page, webapp.paging)."""
        limit, offset = max(0, min(limit, 1000)), max(0, min(offset, MAX_ROW_ID))
        with self.db.session() as session:
            total = int(session.scalar(select(func.count()).select_from(BlockedSender)) or 0)
            rows = list(session.scalars(select(BlockedSender).order_by(BlockedSender.address, BlockedSender.id)
                                        .limit(limit).offset(offset)))
            names = agent_names(session, (r.created_by_id for r in rows if r.created_by_id is not None))
            return BlockedPage([BlockedRow(r.id, r.address, r.created_at, names.get(r.created_by_id or 0))
                                for r in rows], total)

    def is_blocked(self, email: str) -> bool:
        with self.db.session() as session:
            return is_blocked(session, email)


__all__ = ["BlockedPage", "BlockedRow", "DeletedPage", "DeletedRow", "Trash", "blocked_key", "is_blocked"]
