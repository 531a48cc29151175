"""Erasing a customer's personal data when they ask to be forgotten (the GDPR's right to erasure; Zendesk's
"permanently delete user", Chatwoot's "delete contact"): `Erasure.erase`, the one function the agents' page, the API
and `kb customers erase` call.

What is removed and what stays, per table (the README's "Erase a customer", under "Using it", has it as a table):

- customers: the customer's row, and the rows of the duplicates merged into them, stay as anonymous skeletons: no name,
  notes, country, search text or organization (desk.organizations: the membership goes; the organization itself holds no
  one's personal data, only the agents' notes about the company), and an email no address can be (`erased_email`,
  without an "@": no mail, form or API call reaches it, so the same address writing again is a brand-new customer);
  `erased_at` set.
- tickets stay as skeletons (status, times, team, assignee, priority, tags, category, channel, language; their
  status, due, team, assignee and snooze histories), so the lead's figures for past periods do not change. Their
  subject is emptied, the visit context copied into them (the searches typed and articles read before writing)
  and the external id (a form page's key, an import's id) dropped, and the reference replaced by a new random one:
  the customer's old ticket links answer 404.
- messages (the customer's, the agents' replies that quote and greet them, internal notes) stay as rows with an
  empty body and no signature (the reply counts and first-response times are counted from them); their external ids
  are dropped.
- attachments: the row's file name emptied and the file removed from disk after the commit (`skipped_reason`
  "erased", `path` emptied once the file is gone).
- mail_inbound (every mail received from the customer's addresses or on their tickets, held or not): address,
  subject, Message-ID, envelope and reason emptied, settled "purged"; the kept original removed after the commit by
  the held mail's own removal (desk.mail.held), which the worker's purge pass retries for any left.
- mail_outbox rows to them or about their tickets, mail_threads (the reply addresses' tokens), ticket_advice (drafts
  quote the ticket), content_gaps of their tickets (the gap's text is the ticket's), mentions in the notes, and
  idempotency keys whose stored answer names their email or a ticket of theirs: deleted.
- ticket_ccs: the customer taken off every ticket's CC list (`ccs`), their messages as a CC on others' tickets
  emptied, and the address in the CC history (ticket_cc_changes) blanked.
- ticket_search: emptied (the inbox search finds nothing of theirs).
- ticket_field_values: the custom text fields' values (and those of keys the fields file no longer has) deleted, and
  their values dropped from the `ticket_fields_changed` audit events; numbers, dates, dropdowns and checkboxes stay.
- customer_field_values (desk.customer_fields): every value of the customer's (and their merged duplicates') deleted,
  whatever its type, and the values in their `customer_fields_changed` audit events replaced (the keys stay).
- csat_surveys: the rating, times and agent stay (CSAT figures unchanged); the comment is dropped and the token
  replaced (the survey link no longer opens).
- mail_suggestions (desk.mail_suggestions): the articles, answers and times stay (the dashboard's "solved by
  suggested articles"); the token is replaced (the acknowledgement's links no longer open).
- time_entries (desk.time_tracking): the seconds, agent, kind and times stay (the dashboard's handle time); the
  agents' notes on them are dropped (a note may name or quote the customer, as an internal note may). Their edit
  history (time_entry_changes) holds no text.
- suggestion_events: kept for the adoption figures; `details` keeps only what the figures read ("what") and the
  agent's `reason` for a rejection is dropped (it may quote the ticket).
- audit_events: the earlier `customer_edited` and `customer_fields_changed` events of the erased rows keep which
  fields changed but not the old and new values (names and emails, the fields' values).
- Not touched: the help center's analytics (searches, article views and votes, answer votes, deflections), which
  never held a person (a random visit id only), and the tickets' `visit_id`, the same random id: the dashboard's
  self-service figures (visits that ended in a ticket, deflections) join on it, and once the ticket is anonymous it
  links those searches to no one. What a customer typed into the help center's search box stays in its log, as
  every visitor's does (the searches' retention is the analytics' own).

One transaction for the rows, with one `customer_erased` audit event (the actor, the customer's id and how many rows
of each kind were removed; never their name or email). Files are removed only after the commit: a failed erase leaves
everything; a crash between the commit and the removal leaves files the worker's purge pass removes
(`remove_leftovers`, with the held mail's purge). The customer's row is locked first as a merge locks it
(`lock_row`, lower id first with the duplicates merged into them), so an erase and a merge at once run one after the
other: a merge into the customer after the erase is refused (erased), an erase after a merge sees the merged tickets.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from desk.audit import SYSTEM, Actor, record
from desk.customers import ErasedError as ErasedError  # named here too: the erase refuses with it
from desk.customers import live_customer
from desk.database import Database, lock_row, lock_rows
from desk.mail.held import HeldMailStore
from desk.models import (
    WITH_DELETED,
    Agent,
    Attachment,
    AuditEvent,
    ContentGap,
    CsatSurvey,
    Customer,
    CustomerFieldValue,
    IdempotencyKey,
    InboundMail,
    MailSuggestion,
    MailThread,
    Mention,
    Message,
    OutboxMail,
    SuggestionEvent,
    Ticket,
    TicketAdvice,
    TicketCc,
    TicketCcChange,
    TicketFieldValue,
    TicketSearchText,
    TimeEntry,
    WebhookDelivery,
    utcnow,
)
from desk.side_conversations import forget_forwarded
from desk.tickets import InputError, clean_email, new_reference, row_by_id
from desk.translatable import N_
from kb.ticket_fields import TicketFields

ERASED = "erased"  # attachments.skipped_reason of an erased customer's file
PURGED = "purged"  # ... and of a purged deleted ticket's (desk.trash), until its file is gone and the row with it
GONE_FILES = (ERASED, PURGED)


def forgotten_mail(now: datetime) -> dict[str, Any]:
    """What a received mail's row keeps of its sender once they are erased or its ticket purged: nothing; settled
    "purged", so the held mail's purge pass removes its kept original (and retries one the file system refused)."""
    return {"from_address": "", "subject": "", "mail_message_id": None, "reason": None, "reason_code": None,
            "reason_params": None, "envelope_recipients": None, "settled": "purged", "settled_by_id": None,
            "settled_at": now}
WORD = re.compile(r"[A-Za-z0-9_-]+")  # what desk.tickets.new_reference is made of (secrets.token_urlsafe)
log = logging.getLogger(__name__)


def erased_email(customer_id: int) -> str:
    """The email an erased customer's row keeps (the column is unique and required): no "@", so no address a mail,
    a form or the API gives (desk.tickets.clean_email) is ever it."""
    return f"erased-{customer_id}"


@dataclass(frozen=True)
class ErasureResult:
    """What an erase did: the customer's id and how many rows of each kind were emptied or removed (the audit
    event's counts), and the files removed from disk after the commit."""

    customer_id: int
    counts: dict[str, int]
    files_removed: int = 0
    files_left: list[str] = field(default_factory=list)  # not removed now; the worker's purge pass tries again


@dataclass(frozen=True)
class ErasureSummary:
    """What an erase of this customer would remove (the confirmation page's and the CLI's question)."""

    customer: Customer
    duplicates: int  # customers merged into them, erased too
    tickets: int
    messages: int
    attachments: int
    mails_in: int
    mails_out: int
    surveys_commented: int


@dataclass(frozen=True)
class ErasedBy:
    """Who erased a customer and when (the erased profile's page), from the audit event."""

    when: datetime
    agent: Agent | None
    actor: str  # agent | cli | api | system


class Erasure:
    def __init__(self, db: Database, held_mail: HeldMailStore, data_dir: Path, fields: TicketFields | None = None
                 ) -> None:
        self.db = db
        # The custom ticket fields: their text ones (and any key the file no longer has) are cleared.
        self.fields = fields or TicketFields()
        self.held_mail = held_mail
        self.data_dir = data_dir

    def by_email(self, email: object) -> Customer | None:
        """The customer whose own email this is (as stored; a merged duplicate's row too, which `erase` refuses
        naming the one kept): the CLI's way in. An address that is not one is an InputError on "email"."""
        with self.db.session() as session:
            return session.scalar(select(Customer).where(Customer.email == clean_email(email)))

    def summary(self, customer_id: int) -> ErasureSummary:
        """What erasing the customer would remove; the same refusals as `erase` (reads only)."""
        with self.db.session() as session:
            session.info[WITH_DELETED] = True  # a deleted ticket of theirs is erased too
            customer = self._erasable(session, customer_id)
            ids = self._customer_ids(session, customer)
            tickets = list(session.scalars(select(Ticket.id).where(Ticket.customer_id == customer_id)))
            addresses = list(session.scalars(select(Customer.email).where(Customer.id.in_(ids))))
            def count(query) -> int:  # type: ignore[no-untyped-def]
                return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

            return ErasureSummary(
                customer=customer, duplicates=len(ids) - 1, tickets=len(tickets),
                messages=count(select(Message.id).where(Message.ticket_id.in_(tickets))),
                attachments=count(select(Attachment.id).where(Attachment.ticket_id.in_(tickets))),
                mails_in=count(select(InboundMail.id).where(self._their_mail(tickets, addresses))),
                mails_out=count(select(OutboxMail.id).where(or_(OutboxMail.ticket_id.in_(tickets),
                                                                OutboxMail.to_address.in_(addresses)))),
                surveys_commented=count(select(CsatSurvey.id).where(CsatSurvey.ticket_id.in_(tickets),
                                                                    CsatSurvey.comment.is_not(None))),
            )

    def erase(self, customer_id: int, confirm_email: object, by: Actor = SYSTEM) -> ErasureResult:
        """Erase the customer's personal data (the module's docstring says what goes and what stays) in one
        transaction with one `customer_erased` audit event by `by`, then remove their files. `confirm_email` must be
        the customer's email (as typed: case and spaces folded as stored): else an InputError on "email", nothing
        written. Refused naming the field, nothing written: an unknown customer, one erased already, one merged into
        another (`MergedAwayError`: erase the one they were merged into)."""
        typed = confirm_email.strip().lower() if isinstance(confirm_email, str) else ""

        def erase_rows(session: Session) -> tuple[list[str], list[tuple[int, str]], dict[str, int]]:
            session.info[WITH_DELETED] = True  # a deleted ticket of theirs is erased too
            customer = self._erasable(session, customer_id)
            # The rows to hold: the customer and the duplicates merged into them, lower id first (as a merge does).
            ids = self._customer_ids(session, customer)
            for row_id in sorted(ids):
                lock_row(session, Customer, row_id)
            session.expire_all()
            customer = self._erasable(session, customer_id)  # as it is now the rows are held (a merge just ended?)
            ids |= self._customer_ids(session, customer)
            confirmed = typed
            with contextlib.suppress(InputError):  # as stored: "Lina@Example.com." is theirs
                confirmed = clean_email(confirm_email) if typed else ""
            if not confirmed or confirmed != customer.email:
                raise InputError("email", N_("type the customer's email to confirm (%(typed)s is not it)"),
                                 typed=repr(confirmed[:80]))
            return self._erase_rows(session, customer, ids, by)

        # Again while the database is busy (SQLite's one writer: a ticket being written for this address, the
        # worker's pass): an erase waited the busy timeout once and failed (CI, a loaded machine).
        files, inbound, counts = self.db.write(erase_rows)
        removed = self.remove_files(files)
        if inbound:
            self.held_mail.remove_originals(inbound)
        left = [path for path in files if (self.data_dir / path).exists()]
        return ErasureResult(customer_id, counts, removed, left)

    def erased_by(self, customer_id: int) -> ErasedBy | None:
        """When and by whom the customer was erased (their `customer_erased` audit event), None if they were not."""
        with self.db.session() as session:
            customer = row_by_id(session, Customer, customer_id)
            if customer is None or customer.erased_at is None:
                return None
            event = session.scalar(select(AuditEvent).where(
                AuditEvent.action == "customer_erased", AuditEvent.subject_type == "customer",
                AuditEvent.subject == str(customer_id)).order_by(AuditEvent.id.desc()).limit(1))
            agent = session.get(Agent, event.actor_id) if event is not None and event.actor_id else None
            return ErasedBy(customer.erased_at, agent, event.actor if event is not None else "system")

    def remove_leftovers(self, limit: int = 100) -> int:
        """The files of erased customers' attachments a crash (or a refusal) left after the erase committed: removed,
        and their rows let go of the path. The worker runs it with the held mail's purge (which does the same for
        mail originals), and the files of purged deleted tickets (desk.trash) likewise. Returns how many were let go."""
        with self.db.session() as session:
            left = list(session.scalars(select(Attachment.path).where(
                Attachment.skipped_reason.in_(GONE_FILES), Attachment.path.is_not(None)).order_by(Attachment.id)
                .limit(limit)))
        return self.remove_files([path for path in left if path])

    # What follows runs inside erase's transaction.

    @staticmethod
    def _erasable(session: Session, customer_id: int) -> Customer:
        return live_customer(session, customer_id)

    @staticmethod
    def _customer_ids(session: Session, customer: Customer) -> set[int]:
        return {customer.id, *session.scalars(select(Customer.id).where(Customer.merged_into_id == customer.id))}

    @staticmethod
    def _their_mail(tickets: Any, addresses: list[str]):  # type: ignore[no-untyped-def]
        return or_(InboundMail.ticket_id.in_(tickets), InboundMail.from_address.in_(addresses))

    def _erase_field_values(self, session: Session, ticket_ids: list[int], changed: Any) -> None:
        """Custom ticket fields that may hold personal data: every text field's value (an address, a name, a phone
        typed in "order notes") and any of a key the file no longer has (its type unknown now) are deleted, and
        their old and new values dropped from the "ticket_fields_changed" audit events (the keys stay). Numbers,
        dates, dropdowns and checkboxes stay, as the tickets' other fields do."""
        known = {field.key: field.type for field in self.fields.fields}
        stored_keys = set(session.scalars(select(TicketFieldValue.key).where(
            TicketFieldValue.ticket_id.in_(ticket_ids)).distinct())) if ticket_ids else set()
        cleared = {key for key in stored_keys if known.get(key, "text") == "text"}
        if cleared:
            changed("field_values", session.execute(delete(TicketFieldValue).where(
                TicketFieldValue.ticket_id.in_(ticket_ids), TicketFieldValue.key.in_(cleared))))
        for event in session.scalars(select(AuditEvent).where(
                AuditEvent.action == "ticket_fields_changed", AuditEvent.subject_type == "ticket",
                AuditEvent.subject.in_([str(ticket_id) for ticket_id in ticket_ids]))) if ticket_ids else ():
            # `before` names exactly the fields changed (`after` also holds an API token's id, desk.audit.record)
            personal = {key for key in event.before or {} if known.get(key, "text") == "text"}
            if personal:
                event.before = {k: (None if k in personal else v) for k, v in (event.before or {}).items()}
                event.after = {k: (None if k in personal else v) for k, v in (event.after or {}).items()}

    def _erase_rows(self, session: Session, customer: Customer, ids: set[int],
                    by: Actor) -> tuple[list[str], list[tuple[int, str]], dict[str, int]]:
        counts: dict[str, int] = {}
        now = utcnow()
        rows = list(session.scalars(select(Customer).where(Customer.id.in_(ids))))
        addresses = [row.email for row in rows]
        # Their tickets held first (PostgreSQL's row locks; SQLite's write lock is held already): a reply in flight
        # either committed before (its message is emptied below) or waits and then finds the customer erased
        # (desk.tickets.refuse_erased).
        theirs = Ticket.customer_id == customer.id
        lock_rows(session, Ticket, theirs)
        tickets = list(session.execute(select(Ticket.id, Ticket.reference).where(theirs)))
        ticket_ids = select(Ticket.id).where(theirs).scalar_subquery()
        references = [reference for _, reference in tickets]

        def changed(key: str, result: object) -> None:
            counts[key] = counts.get(key, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]

        # Files first (their paths), then every row.
        files = [path for path in session.scalars(select(Attachment.path).where(
            Attachment.ticket_id.in_(ticket_ids), Attachment.path.is_not(None))) if path]
        changed("attachments", session.execute(update(Attachment).where(Attachment.ticket_id.in_(ticket_ids))
                                               .values(filename="", skipped_reason=ERASED)))
        inbound = [(i, p) for i, p in session.execute(select(InboundMail.id, InboundMail.raw_path)
                                                      .where(self._their_mail(ticket_ids, addresses)))]
        changed("mails_in", session.execute(
            update(InboundMail).where(self._their_mail(ticket_ids, addresses)).values(forgotten_mail(now))))
        changed("mails_out", session.execute(delete(OutboxMail).where(
            or_(OutboxMail.ticket_id.in_(ticket_ids), OutboxMail.to_address.in_(addresses)))))
        # Their files forwarded in side conversations: named no more, the mails that carried them gone (the third
        # parties' own messages stay: desk.side_conversations). Not counted, as the webhook events below.
        forget_forwarded(session, ticket_ids)
        # Outbound webhook events about their tickets: a kept body quotes their messages (desk.webhooks). Not counted:
        # the event's own audit row lists what the customer had, and these are the desk's, not theirs.
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.ticket_id.in_(ticket_ids)))
        # And those about tickets they are a CC of: each event's ticket (`data.ticket.ccs`, taken when it was
        # written) names them by address.
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.ticket_id.in_(
            select(TicketCc.ticket_id).where(TicketCc.customer_id.in_(ids)))))
        changed("mail_threads", session.execute(delete(MailThread).where(MailThread.ticket_id.in_(ticket_ids))))
        changed("advice", session.execute(delete(TicketAdvice).where(TicketAdvice.ticket_id.in_(ticket_ids))))
        changed("content_gaps", session.execute(delete(ContentGap).where(ContentGap.ticket_id.in_(ticket_ids))))
        changed("mentions", session.execute(delete(Mention).where(Mention.ticket_id.in_(ticket_ids))))
        # Time entries keep their seconds, agent and kind (the handle-time figures); an agent's note may quote or
        # name the customer, as an internal note may: dropped.
        changed("time_entry_notes", session.execute(update(TimeEntry).where(
            TimeEntry.ticket_id.in_(ticket_ids), TimeEntry.note.is_not(None)).values(note=None)))
        # A reply's signature (desk.signatures) is the agent's, not the customer's, but a skeleton holds no text.
        changed("messages", session.execute(update(Message).where(Message.ticket_id.in_(ticket_ids))
                                            .values(body="", external_id=None, signature=None)))
        # What they wrote as a CC on others' tickets (desk.ccs) is emptied too; they are off every CC list, and the
        # lists' history no longer names them.
        changed("messages", session.execute(update(Message).where(Message.cc_customer_id.in_(ids))
                                            .values(body="", external_id=None)))
        changed("ccs", session.execute(delete(TicketCc).where(TicketCc.customer_id.in_(ids))))
        session.execute(update(TicketCcChange).where(TicketCcChange.customer_id.in_(ids)).values(email=""))
        # Every survey of theirs loses its comment, not only those read with one: an answer writing one at this
        # moment (it holds its survey, desk.surveys) is waited for and its comment dropped too (PostgreSQL passed over
        # the row it read without one, and the comment stayed; hostile31b). The count is of those that had one.
        counts["survey_comments"] = int(session.scalar(select(func.count()).select_from(CsatSurvey).where(
            CsatSurvey.ticket_id.in_(ticket_ids), CsatSurvey.comment.is_not(None))) or 0)
        session.execute(update(CsatSurvey).where(CsatSurvey.ticket_id.in_(ticket_ids)).values(comment=None))
        for survey in session.scalars(select(CsatSurvey).where(CsatSurvey.ticket_id.in_(ticket_ids))):
            survey.token = secrets.token_urlsafe(24)  # the link in their mail no longer opens it
        # The acknowledgement's suggested articles (desk.mail_suggestions) likewise: the answers stay for the
        # dashboard's figures, the links in the mail open nothing (a "yes" through one solved the erased ticket).
        for suggested in session.scalars(select(MailSuggestion).where(MailSuggestion.ticket_id.in_(ticket_ids))):
            suggested.token = secrets.token_urlsafe(24)
        for suggestion in session.scalars(select(SuggestionEvent).where(SuggestionEvent.ticket_id.in_(ticket_ids))):
            suggestion.details = {k: v for k, v in (suggestion.details or {}).items() if k == "what"}
            suggestion.reason = None
        session.execute(update(TicketSearchText).where(TicketSearchText.ticket_id.in_(ticket_ids)).values(text=""))
        self._erase_field_values(session, [ticket_id for ticket_id, _ in tickets], changed)
        for ticket_id, _ in tickets:  # visit_id stays (the module's docstring); updated_at too: no activity
            session.execute(update(Ticket).where(Ticket.id == ticket_id).values(
                subject="", context={}, external_id=None, reference=new_reference(), updated_at=Ticket.updated_at))
        counts["tickets"] = len(tickets)
        # API answers kept for retries that name them: their email (a few addresses: searched in the text), a ticket's
        # reference (URL-safe: a whole word of the text, alone or in a link's path, so a set lookup per word; one
        # pattern of 1,000 references took 2.6 s over 20,000 keys, bench/erasure_bench.py). The keys live
        # KB_IDEMPOTENCY_KEY_HOURS, so these are a day's API answers at most.
        answered = session.execute(select(IdempotencyKey.id, IdempotencyKey.answer_body)
                                   .where(IdempotencyKey.answer_body.is_not(None)))
        refs = set(references)
        stale = [key_id for key_id, body in answered
                 if (text := json.dumps(body, ensure_ascii=False))
                 and (not refs.isdisjoint(WORD.findall(text))
                      or any(address in text.casefold() for address in addresses))]
        changed("idempotency_keys", session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(stale))))
        # Their customer fields' values (desk.customer_fields: a plan, an account id) go, every type.
        changed("customer_field_values", session.execute(delete(CustomerFieldValue).where(
            CustomerFieldValue.customer_id.in_(ids))))
        # The audit log keeps that their profile and fields were edited, not what they said.
        for event in session.scalars(select(AuditEvent).where(
                AuditEvent.subject_type == "customer", AuditEvent.subject.in_([str(i) for i in ids]),
                AuditEvent.action.in_(("customer_edited", "customer_fields_changed")))):
            event.before = {k: ERASED for k in (event.before or {})} or None
            event.after = {k: ERASED for k in (event.after or {})} or None
        for row in rows:
            row.name, row.notes, row.country, row.search_text = "", None, None, None
            row.organization_id, row.organization_manual = None, False
            row.email, row.erased_at, row.version = erased_email(row.id), now, row.version + 1
        counts["customers"] = len(rows)
        session.flush()
        record(session, by, "customer_erased", "customer", customer.id, after=dict(counts))
        session.flush()
        return files, [(i, p) for i, p in inbound if p], counts

    def remove_files(self, paths: list[str]) -> int:
        """Remove these attachment files (after the commit that marked them ERASED or PURGED) and let their rows go of
        the path; never raises (a file not removed keeps its path: `remove_leftovers` tries again)."""
        gone: list[str] = []
        for path in paths:
            target = self.data_dir / path
            try:
                target.unlink(missing_ok=True)
            except OSError as error:
                log.error("an erased customer's or purged ticket's file %s was not removed: %s", path, error)
                continue
            gone.append(path)
            with contextlib.suppress(OSError):
                target.parent.rmdir()  # the ticket's folder, once empty
        if gone:
            try:
                with self.db.session() as session:
                    session.execute(update(Attachment).where(Attachment.path.in_(gone),
                                                             Attachment.skipped_reason.in_(GONE_FILES))
                                    .values(path=None))
            except Exception:
                log.exception("erased customers' files were removed but their rows not updated")
        return len(gone)
