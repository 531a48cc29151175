"""Bring tickets from elsewhere: JSON lines (the demo tickets, other help desks' exports) or an mbox.

A team tries the copilot on its own mail by pointing `kb tickets import` at an mbox. One bad record
never stops the others: each is checked and inserted on its own, and errors name the line (JSON
lines) or the message number (mbox). Re-importing skips tickets already there (by external id).
"""

from __future__ import annotations

import json
import mailbox
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message as EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from desk.mail.parse import email_text
from desk.tickets import DuplicateTicketError, InputError, NewTicket, TicketStore
from desk.translatable import N_


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.created} tickets imported, {self.skipped} already present, {len(self.errors)} rejected"


def _parse_time(value: object, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}created", N_("%(value)s is not an ISO 8601 time"), value=repr(value)) from None


def ticket_from_json(row: dict, languages: tuple[str, ...] = ("en", "ar")) -> NewTicket:
    """A ticket from one exported record. A language the help center does not ship ("fr", "ar-EG")
    is not a reason to lose the ticket: its language is detected from the text instead, and the
    declared one is kept in the ticket's context for the agent."""
    customer = row.get("customer") or {}
    if not isinstance(customer, dict):
        raise InputError("customer", N_("must be an object with name and email"))
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InputError("messages", N_("must be a non-empty list of {author, body}"))
    first, *rest = messages
    if not isinstance(first, dict) or first.get("author", "customer") != "customer":
        raise InputError("messages[0]", N_("the first message must be the customer's"))
    return NewTicket(
        email=customer.get("email", ""),
        name=customer.get("name", ""),
        country=customer.get("country"),
        subject=row.get("subject", ""),
        body=first.get("body", ""),
        lang=declared if (declared := row.get("lang")) in languages else None,
        context={"declared_lang": declared} if declared and declared not in languages else None,
        channel=row.get("channel", "email"),
        priority=row.get("priority", "normal"),
        external_id=row.get("external_id"),
        created=_parse_time(row.get("created"), ""),
        replies=tuple((str(m.get("author", "customer")), str(m.get("body", ""))) for m in rest if isinstance(m, dict)),
        notify=False,  # an import replays history: its customers were answered long ago
    )


def _insert(store: TicketStore, new: NewTicket, where: str, report: ImportReport) -> None:
    try:
        store.create(new)
    except DuplicateTicketError:
        report.skipped += 1
    except InputError as error:
        report.errors.append(f"{where}: {error}")
    else:
        report.created += 1


def import_jsonl(store: TicketStore, path: Path) -> ImportReport:
    report = ImportReport()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise InputError("line", N_("must be a JSON object"))
            new = ticket_from_json(row, store.languages)
        except json.JSONDecodeError as error:
            report.errors.append(f"{where}: not JSON ({error.msg} at column {error.colno})")
            continue
        except InputError as error:
            report.errors.append(f"{where}: {error}")
            continue
        _insert(store, new, where, report)
    return report


def _header(message: EmailMessage, name: str) -> str:
    raw = message.get(name)
    return str(make_header(decode_header(raw))) if raw else ""


def ticket_from_email(message: EmailMessage) -> NewTicket:
    name, email = parseaddr(_header(message, "From"))
    date = message.get("Date")
    try:
        created = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        created = None
    return NewTicket(
        email=email,
        name=name,
        subject=_header(message, "Subject") or "(no subject)",
        body=email_text(message),
        channel="email",
        external_id=(message.get("Message-ID") or "").strip() or None,
        created=created,
        notify=False,
    )


def import_mbox(store: TicketStore, path: Path) -> ImportReport:
    report = ImportReport()
    for number, message in enumerate(mailbox.mbox(path, create=False), 1):
        where = f"{path}: message {number}"
        try:
            new = ticket_from_email(message)
        except (InputError, LookupError, ValueError) as error:
            report.errors.append(f"{where}: {error}")
            continue
        _insert(store, new, where, report)
    return report


def import_file(store: TicketStore, path: Path) -> ImportReport:
    """JSON lines unless the file looks like an mbox ("From " on its first line)."""
    with path.open("rb") as handle:
        head = handle.read(5)
    return import_mbox(store, path) if head == b"From " else import_jsonl(store, path)
