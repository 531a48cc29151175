"""The outbox: mail is queued in the same transaction as the reply, solve or ticket that needs it,
then delivered by `deliver_pending` (one bounded pass, run by `kb mail deliver` or the worker).

Retries back off exponentially (1 min, 2, 4 ... capped at 6 h) for `MAX_ATTEMPTS` tries, about
two days in all, so an SMTP outage of hours loses nothing; a permanent refusal (5xx) fails at once
with the server's reason, which agents see on the ticket. Each row is claimed with a short lease
before sending, so two workers never send the same mail.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_string
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from desk.database import Database, StorageUnavailableError
from desk.mail.addresses import new_message_local
from desk.mail.compose import MAIL_POLICY, MailRenderer, compose
from desk.mail.transport import EmlDirectory, PermanentFailure, SmtpServer, Transport
from desk.mail_suggestions import ArticleFinder
from desk.models import AGENT_NOTICE_KINDS, CsatSurvey, Message, OutboxMail, Ticket, TicketCc, reached_customer, utcnow
from kb.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
# Longer than one SMTP send can take (SMTP_TIMEOUT); a crashed worker's row is retried after it.
LEASE = timedelta(minutes=5)
EML_FOLDER = "outbox-eml"


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY)


def queue_mail(
    session: Session,
    kind: str,
    ticket: Ticket | None,
    to_address: str,
    lang: str,
    message: Message | None = None,
    survey: CsatSurvey | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMail:
    """Add a mail to the outbox in the caller's transaction: it exists exactly when what caused it does."""
    session.flush()  # ids for the ticket and message
    row = OutboxMail(
        kind=kind,
        ticket_id=ticket.id if ticket else None,
        message_id=message.id if message else None,
        survey_id=survey.id if survey else None,
        to_address=to_address,
        lang=lang,
        mail_message_id=new_message_local(kind),
        payload=payload or {},
        status="queued",
        attempts=0,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(row)
    return row


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url:
        return SmtpServer(settings.smtp_url)
    return EmlDirectory(settings.data_dir / EML_FOLDER)


@dataclass(frozen=True)
class DeliveryState:
    """What an agent sees beside a message: queued, sent or failed (with the reason)."""

    kind: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    next_attempt_at: datetime | None


def _claim(session: Session, *, row_id: int, seen: datetime, now: datetime) -> bool:
    claimed = session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == row_id, OutboxMail.status == "queued", OutboxMail.next_attempt_at == seen)
        .values(next_attempt_at=now + LEASE)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _record_failure(db: Database, row_id: int, error: str, permanent: bool, now: datetime) -> None:
    def record(session: Session) -> None:
        row = session.get(OutboxMail, row_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error[:2000]
        if permanent or row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)

    db.write(record)  # again while the database is busy: a failure not counted is retried past MAX_ATTEMPTS


def _composed(session: Session, *, row_id: int, settings: Settings, renderer: MailRenderer,
              finder: ArticleFinder | None) -> tuple[str, str]:
    """The mail as it goes out (composed once, kept in `raw`: a retry sends the same bytes) and its file name."""
    row = session.get(OutboxMail, row_id)
    assert row is not None
    if row.raw is None:
        row.raw = compose(session, row, settings, renderer, finder).as_string(policy=MAIL_POLICY)
    return row.raw, f"{row.id:07d}-{row.kind}"


def _mark_sent(session: Session, *, row_id: int) -> None:
    row = session.get(OutboxMail, row_id)
    assert row is not None
    row.status, row.sent_at, row.last_error = "sent", utcnow(), None
    row.attempts += 1
    if row.survey_id:
        survey = session.get(CsatSurvey, row.survey_id)
        if survey is not None and survey.sent_at is None:
            survey.sent_at = row.sent_at


def deliver_pending(
    db: Database, settings: Settings, renderer: MailRenderer, limit: int = 100, now: datetime | None = None,
    finder: ArticleFinder | None = None,
) -> int:
    """Send up to `limit` due mails; returns how many went out. Stops early when the server is down
    (the rest stay queued without using up an attempt). `finder`: the acknowledgements' suggested articles
    (desk.mail_suggestions; None: none)."""
    now = now or utcnow()
    with db.session() as session:
        due = session.execute(
            select(OutboxMail.id, OutboxMail.next_attempt_at)
            .where(OutboxMail.status == "queued", OutboxMail.next_attempt_at <= now,
                   # Mail about a deleted ticket waits (desk.trash): sent if it is restored, gone with its purge. The
                   # rule on tickets makes this "its ticket is not deleted", one key lookup per queued mail.
                   or_(OutboxMail.ticket_id.is_(None),
                       select(Ticket.id).where(Ticket.id == OutboxMail.ticket_id).exists()))
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
        ).all()
    sent = 0
    transport = transport_for(settings)
    try:
        for row_id, seen in due:
            # The claim and the composed mail's write again while the database is busy (a ticket or a mail being
            # stored): one that gave up failed the pass, or counted a busy database as the mail's failed attempt.
            if not db.write(partial(_claim, row_id=row_id, seen=seen, now=now)):
                continue  # another worker has it
            try:
                raw, name = db.write(partial(_composed, row_id=row_id, settings=settings, renderer=renderer,
                                             finder=finder))
            except StorageUnavailableError:
                raise  # the database, not the mail: the pass stops, the mail waits its lease without an attempt used
            except Exception as error:  # a template or data problem: this mail waits, the others go
                log.exception("mail %s could not be composed", row_id)
                _record_failure(db, row_id, f"could not compose: {type(error).__name__}: {error}", False, now)
                continue
            mail = message_from_string(raw, policy=MAIL_POLICY)  # sent as composed, not refolded
            try:
                transport.send(mail, name)  # type: ignore[arg-type]
            except PermanentFailure as error:
                _record_failure(db, row_id, str(error), True, now)
                continue
            except ValueError as error:
                # The composed bytes themselves (UnicodeEncodeError: a header no SMTP line carries, kept in `raw` from
                # before a compose fix): no retry sends them, and a pass that stopped here stopped at it every time.
                log.exception("mail %s could not be sent", row_id)
                _record_failure(db, row_id, f"could not be sent: {type(error).__name__}: {error}", True, now)
                continue
            except (smtplib.SMTPException, OSError) as error:
                log.warning("mail %s not sent, will retry: %s", row_id, error)
                _record_failure(db, row_id, f"{type(error).__name__}: {error}", False, now)
                break  # the server is unreachable or unwell: the rest wait for the next pass
            # Again while the database is busy (a ticket or a mail being stored): the mail is out, and a mark that
            # gave up after one busy timeout left it queued, so the pass after its lease sent it a second time.
            db.write(partial(_mark_sent, row_id=row_id))
            sent += 1
    finally:
        transport.close()
    return sent


class Outbox:
    """Reading the outbox for agents and the CLI."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def states_for_ticket(self, ticket_id: int) -> dict[int, DeliveryState]:
        """Delivery state per message id of the ticket (the latest mail about each message)."""
        with self.db.session() as session:
            rows = session.scalars(
                select(OutboxMail).where(OutboxMail.ticket_id == ticket_id,
                                         OutboxMail.kind.not_in(AGENT_NOTICE_KINDS))  # the customer's mail only
                .order_by(OutboxMail.id)
            ).all()
        states: dict[int, DeliveryState] = {}
        for row in rows:
            key = row.message_id if row.message_id is not None else -row.id
            states[key] = DeliveryState(
                row.kind, row.status, row.attempts, row.last_error, row.sent_at,
                row.next_attempt_at if row.status == "queued" else None,
            )
        return states

    def queue_magic_link(self, email: str, lang: str, path: str) -> bool:
        """Mail a "My tickets" link if this address has tickets or is copied on some (the caller says the same either
        way)."""
        def queue(session: Session) -> bool:
            customer = reached_customer(session, email)  # a merged duplicate's address: the kept customer's tickets
            copied = customer is not None and session.scalar(
                select(TicketCc.ticket_id).where(TicketCc.customer_id == customer.id).limit(1)) is not None
            if customer is None or not (customer.tickets or copied):
                return False
            queue_mail(session, "magic_link", None, email, lang, payload={"path": path, "name": customer.name})
            return True

        return self.db.write(queue)  # again while the database is busy: the customer's page said "try again later"

    def for_ticket(self, ticket_id: int) -> list[OutboxMail]:
        with self.db.session() as session:
            return list(session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == ticket_id)
                                        .order_by(OutboxMail.id)))

    def counts(self) -> dict[str, int]:
        with self.db.session() as session:
            return dict(session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
