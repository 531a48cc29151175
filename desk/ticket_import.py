"""Bring tickets from elsewhere: JSON lines (the demo tickets, other help desks' exports) or an mbox.

A team tries the copilot on its own mail by pointing `kb tickets import` at an mbox. One bad record
never stops the others: each is checked and inserted on its own, and errors name the line (JSON
lines) or the message number (mbox). Re-importing skips tickets already there (by external id). A `created` is
between 1970 and a day from now (EARLIEST, AHEAD): a JSON line's outside is its error; a mail's is no date (now).
"""

from __future__ import annotations

import hashlib
import json
import mailbox
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path

from desk.mail.parse import header_text, parse_mail
from desk.tickets import MAX_EXTERNAL_ID, DuplicateTicketError, InputError, NewTicket, TicketStore, clean_text
from desk.translatable import N_
from kb.strict_json import strict_loads

SHOWN_VALUE = 40  # characters of a refused value in an error: enough to find it in the line


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.created} tickets imported, {self.skipped} already present, {len(self.errors)} rejected"


# A created time from which no due time can be counted (its business hours end past 9999-12-31).
PAST_DUE_COUNT = N_("%(value)s is too late to count a due time from")
# The times a ticket can be imported with: from 1970 to a day from now (an export's zone may run ahead of UTC). Before
# were placeholders for a missing time (.NET's 0001-01-01, SQL Server's 1900-01-01: the first was refused as "too
# late to count a due time from", the second imported, and each business-hours automation walked every day since)
# and after one a clock's or a typist's slip (a ticket from 9000 topped the inbox, a mail dated 9999 was not imported).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
LANG_LIMIT = 35  # characters of a declared language: RFC 5646's longest tag a reader must take


def _parse_time(value: object, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}created", N_("%(value)s is not an ISO 8601 time"), value=repr(value)) from None
    try:  # in UTC here: 9999-12-31T23:59-14:00 is a valid ISO time past what a datetime holds in UTC
        parsed = parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed
    except OverflowError:  # valid ISO 8601: saying it is not would send the writer looking for a typo
        message = N_("%(value)s is past the last time the desk can store")
        raise InputError(f"{where}created", message, value=repr(value)) from None
    if not _plausible(parsed):
        message = N_("%(value)s is before 1970") if parsed.replace(tzinfo=UTC) < EARLIEST else N_(
            "%(value)s is in the future")
        raise InputError(f"{where}created", message, value=repr(value))
    return parsed


def _plausible(moment: datetime) -> bool:
    """Whether `moment` (UTC when naive) is a time a ticket can have been created at (EARLIEST, AHEAD)."""
    return EARLIEST <= moment.replace(tzinfo=moment.tzinfo or UTC) <= datetime.now(UTC) + AHEAD


def _message_text(message: object, index: int, key: str, default: str) -> str:
    """One message's author or body as text: a body of {"a": 1} was imported as its Python repr, and a message that
    was not an object was dropped without a word; both are the line's error, naming the message and its field."""
    if not isinstance(message, dict):
        raise InputError(f"messages[{index}]", N_("must be an object with author and body"))
    value = message.get(key, default)
    if not isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        shown = shown if len(shown) <= SHOWN_VALUE else shown[:SHOWN_VALUE] + "…"
        raise InputError(f"messages[{index}].{key}", N_("must be text, not %(value)s"), value=shown)
    return value


def _declared_lang(row: dict) -> str | None:
    """The record's `lang`: text of at most LANG_LIMIT characters, or none. A number, a list or an object was kept in
    the ticket's context without a word (as was a 10,000-character one); each is now the line's error."""
    declared = row.get("lang")
    return None if declared is None else clean_text("lang", declared, LANG_LIMIT, required=False) or None


def ticket_from_json(row: dict, languages: tuple[str, ...] = ("en", "ar")) -> NewTicket:
    """A ticket from one exported record. A language the help center does not ship ("fr", "ar-EG")
    is not a reason to lose the ticket: its language is detected from the text instead, and the
    declared one is kept in the ticket's context for the agent."""
    declared = _declared_lang(row)
    customer = row.get("customer") or {}
    if not isinstance(customer, dict):
        raise InputError("customer", N_("must be an object with name and email"))
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InputError("messages", N_("must be a non-empty list of {author, body}"))
    (author, body), *replies = [
        (_message_text(m, i, "author", "customer"), _message_text(m, i, "body", "")) for i, m in enumerate(messages)
    ]
    if author != "customer":
        raise InputError("messages[0]", N_("the first message must be the customer's"))
    return NewTicket(
        email=customer.get("email", ""),
        name=customer.get("name", ""),
        country=customer.get("country"),
        subject=row.get("subject", ""),
        body=body,
        lang=declared if declared in languages else None,
        context={"declared_lang": declared} if declared and declared not in languages else None,
        channel=row.get("channel", "email"),
        priority=row.get("priority", "normal"),
        external_id=row.get("external_id"),
        created=_parse_time(row.get("created"), ""),
        replies=tuple(replies),
        category=row.get("category"),  # the help-center category, which routing rules may match on
        notify=False,  # an import replays history: its customers were answered long ago
        auto_assign=False,  # and its tickets are history: nobody is handed them
    )


def _insert(store: TicketStore, new: NewTicket, where: str, report: ImportReport) -> None:
    try:
        store.create(new)
    except DuplicateTicketError:
        report.skipped += 1
    except InputError as error:
        report.errors.append(f"{where}: {error}")
    except OverflowError:  # its due time falls past the calendar's end (9999-12-31): the line's error, not the file's
        shown = repr(new.created.isoformat()) if new.created is not None else "its time"
        report.errors.append(f"{where}: {InputError('created', PAST_DUE_COUNT, value=shown)}")
    else:
        report.created += 1


def import_jsonl(store: TicketStore, path: Path) -> ImportReport:
    """Each line on its own: a line that is not UTF-8, not JSON, or JSON no database takes (kb.strict_json: a
    lone surrogate, NUL, a key twice) is that line's error; before, the first one ended the whole import."""
    report = ImportReport()
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte order mark: PowerShell's `>` writes it
        try:  # every line was "not UTF-8" (and split inside its characters); read as the mark says, lines kept
            data = data.decode("utf-16").encode("utf-8", "surrogatepass")
        except UnicodeDecodeError as error:
            report.errors.append(f"{path}: not UTF-16 at byte {error.start:,}, as its byte order mark says; "
                                 "save it as UTF-8")
            return report
    for number, raw in enumerate(data.splitlines(), 1):
        if number == 1:  # a byte order mark (Windows tools write one) refused the first ticket as "not JSON"
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = strict_loads(raw.decode("utf-8"))
            if not isinstance(row, dict):
                raise InputError("line", N_("must be a JSON object"))
            new = ticket_from_json(row, store.languages)
        except UnicodeDecodeError as error:
            report.errors.append(f"{where}: not UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1})")
            continue
        except json.JSONDecodeError as error:
            report.errors.append(f"{where}: not JSON ({error.msg} at column {error.colno})")
            continue
        except (InputError, ValueError) as error:  # StrictJSONError names the field; "nested too deeply"
            report.errors.append(f"{where}: {error}")
            continue
        _insert(store, new, where, report)
    return report


def ticket_from_email(raw: bytes) -> NewTicket:
    """One mail of an mbox, read by the same reader as live mail (desk.mail.parse.parse_mail): the sender, the
    subject, and the customer's own words with a forwarded message quoted below them, as a mailed-in ticket shows
    them. Before, the import had its own reader (compat32 and a header helper) and dropped forwarded messages."""
    mail = parse_mail(raw)
    date = BytesHeaderParser(policy=compat32).parsebytes(raw).get("Date")
    try:  # in UTC here, as a JSON line's (_parse_time); a date no datetime holds in UTC is no date, as a broken one
        created = parsedate_to_datetime(header_text(date)) if date else None
        created = created.astimezone(UTC) if created is not None and created.tzinfo is not None else created
    except (TypeError, ValueError, OverflowError):
        created = None
    if created is not None and not _plausible(created):  # a sender's clock's (or a spammer's): the mail is kept, dated
        created = None  # now, as with no Date; before, one dated 9999-12-31 was refused and so not imported
    return NewTicket(
        email=mail.from_address,
        name=mail.from_name,
        subject=mail.subject or "(no subject)",
        body=mail.text,
        channel="email",
        external_id=_mail_key(mail.message_id),
        created=created,
        notify=False,
        auto_assign=False,  # history, as a JSON import's
    )


def _mail_key(message_id: str | None) -> str | None:
    """A mail's external id: its Message-ID, or one longer than an external id holds (RFC 5322 sets no limit) as its
    SHA-256, so re-importing still skips it. Before, such a mail was refused ("external_id: ... the limit is 200")
    and so not imported."""
    if message_id is None or len(message_id) <= MAX_EXTERNAL_ID:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()


def import_mbox(store: TicketStore, path: Path) -> ImportReport:
    report = ImportReport()
    box = mailbox.mbox(path, create=False)
    for number, key in enumerate(box.iterkeys(), 1):
        where = f"{path}: message {number}"
        try:
            new = ticket_from_email(box.get_bytes(key))
        except (InputError, LookupError, ValueError) as error:  # UnparseableMail is a ValueError
            report.errors.append(f"{where}: {error}")
            continue
        _insert(store, new, where, report)
    return report


def import_file(store: TicketStore, path: Path) -> ImportReport:
    """JSON lines unless the file looks like an mbox ("From " on its first line)."""
    with path.open("rb") as handle:
        head = handle.read(5)
    return import_mbox(store, path) if head == b"From " else import_jsonl(store, path)
