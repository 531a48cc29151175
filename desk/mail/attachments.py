"""The files on a ticket: those that came with customers' mail and those agents attach to a reply or a
note. One way to store them (`add_attachment`, under the data directory) and to read them: listed for
agents, downloadable, and shown to the customer on their own ticket page (checked against the ticket's
reference, never an internal note's)."""

from __future__ import annotations

import errno
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.database import Database, StorageUnavailableError
from desk.models import Attachment, Message, Ticket
from kb.settings import Settings

T = TypeVar("T")

# The types a file may have to be kept (from mail) or accepted (from an agent), and served with.
ALLOWED_TYPES = re.compile(
    r"^(image/(png|jpeg|gif|webp|heic)|application/pdf|text/(plain|csv)"
    r"|application/(zip|vnd\.openxmlformats-officedocument\.[\w.]+|msword|vnd\.ms-excel))$"
)
# An agent's upload is typed by its name's extension, never by what the browser declares: one table,
# the same on every machine (mimetypes reads the system's /etc/mime.types, which differ), each an ALLOWED_TYPE.
UPLOAD_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".heic": "image/heic", ".pdf": "application/pdf", ".txt": "text/plain", ".csv": "text/csv",
    ".zip": "application/zip", ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ATTACHMENT_FOLDER = "mail/attachments"
# A file write that fails for want of space (or quota) or on a failing disk: the storage is unavailable, not a bug.
FULL_DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO)
MAX_FILENAME = 120
# ... and at most this many bytes in UTF-8: the file on disk is "<message>-<n>-<name>.part" and a file system's name
# holds 255 bytes (NAME_MAX), which 120 CJK (3 bytes) or mathematical (4 bytes) letters overran: ENAMETOOLONG, a 500
# on every form and API post with files, and on mail received with such a file.
MAX_FILENAME_BYTES = 200
# Names Windows keeps for devices whatever their extension ("CON.pdf", "nul.txt"): a download saved under one is lost
# or refused there, so such a name is kept with "_" before it.
_WINDOWS_DEVICE = re.compile(r"^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\.|$)", flags=re.IGNORECASE)
# Letters and digits of any script (Arabic included), their combining marks (Arabic vowel signs), "." "-" "_"
# and spaces stay; anything else (slashes, quotes, controls, bidi overrides) becomes "_".
_UNSAFE = re.compile(r"[^\w\u0300-\u036f\u064b-\u065f\u0670.\- ]+", flags=re.UNICODE)


def safe_filename(name: str) -> str:
    """The name to keep and show: its last path part only (a browser or mail client may send
    "C:\\Users\\sam\\فاتورة.pdf"), in NFC (macOS sends "é" decomposed: one name, one spelling), unsafe characters
    replaced, at most MAX_FILENAME characters and MAX_FILENAME_BYTES bytes with the extension kept, a Windows device
    name prefixed with "_"; "attachment" when nothing is left."""
    base = PurePosixPath(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if len(cleaned) > MAX_FILENAME or len(cleaned.encode()) > MAX_FILENAME_BYTES:
        suffix = PurePosixPath(cleaned).suffix
        suffix = suffix if len(suffix) <= 10 else ""
        # Cut in characters, then in bytes: a letter cut in half is dropped whole ("ignore").
        stem = cleaned[: MAX_FILENAME - len(suffix)].encode()[: MAX_FILENAME_BYTES - len(suffix.encode())]
        cleaned = stem.decode("utf-8", "ignore").rstrip(" .") + suffix
    if _WINDOWS_DEVICE.match(cleaned):
        cleaned = "_" + cleaned
    return cleaned or "attachment"


def upload_type(filename: str) -> str | None:
    """The content type an agent's file is stored and served with, by its extension; None when not accepted."""
    return UPLOAD_TYPES.get(PurePosixPath(filename).suffix.lower())


def served_type(content_type: str) -> str:
    """What a download is labelled: its type when accepted, else bytes (never text/html or an SVG)."""
    return content_type if ALLOWED_TYPES.match(content_type) else "application/octet-stream"


def size_parts(size: int) -> tuple[float, str]:
    """A size as people read it: the figure to one decimal (a whole one when the decimal is 0) and its unit, CLDR's
    name ("digital-megabyte", "digital-kilobyte", "digital-byte"), for `human_size` and a page's localised text."""
    if size >= 1024 * 1024:
        value, unit = round(size / (1024 * 1024), 1), "digital-megabyte"
    elif size >= 1024:
        value, unit = round(size / 1024, 1), "digital-kilobyte"
    else:
        return size, "digital-byte"
    return (int(value) if value.is_integer() else value), unit


def human_size(size: int) -> str:
    """"12.3 MB", "10 MB", "19.5 KB", "80 bytes": sizes in the desk's error messages (English; a page shows them in
    its own language with webapp.formatting's `size` filter)."""
    value, unit = size_parts(size)
    return f"{value} " + {"digital-megabyte": "MB", "digital-kilobyte": "KB", "digital-byte": "bytes"}[unit]


@dataclass(frozen=True)
class Size:
    """A size in bytes as an error's value: English in the error's text ("12.3 MB", `human_size`; to the byte,
    "10,485,761 bytes", when `exact`), said in the reader's language where a page shows the error
    (webapp.desk_errors), as the `size` filter says a size."""

    bytes: int
    exact: bool = False

    def __str__(self) -> str:
        return f"{self.bytes:,} bytes" if self.exact else human_size(self.bytes)


@dataclass(frozen=True)
class Upload:
    """A file posted (by an agent, a customer's form, an API client): its name as sent, and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class FileLimits:
    """How much may be attached to one post (`Settings`): an agent's reply or note, or an API client's ticket or
    message (`from_settings`); a customer's form on the web (`for_customers`)."""

    max_bytes: int  # per file (KB_MAIL_MAX_ATTACHMENT_BYTES, the inbound limit too)
    max_count: int
    max_total: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FileLimits:
        return cls(settings.mail_max_attachment_bytes, settings.reply_max_attachments,
                   settings.reply_max_attachments_bytes)

    @classmethod
    def for_customers(cls, settings: Settings) -> FileLimits:
        """What a customer may attach on the web (the contact form, a reply on their ticket's page): their own
        count and total, since anyone can post there; per file the inbound limit their mail is held to."""
        return cls(settings.mail_max_attachment_bytes, settings.customer_max_attachments,
                   settings.customer_max_attachments_bytes)


def add_attachment(
    session: Session, data_dir: Path, message: Message, number: int, filename: str, content_type: str,
    data: bytes, written: list[Path], skipped_reason: str | None = None,
) -> Attachment:
    """Store one file of `message` (its id and ticket's set) in the caller's transaction: the bytes under
    `data_dir`, written whole (a `.part` renamed), and its row; with `skipped_reason` only the row (a file
    from mail that was not kept). The file's path is added to `written` (`file_writes`), deleted when the
    transaction fails: a file without its row is never listed or served, and none is left behind."""
    path = None
    if skipped_reason is None:
        path = f"{ATTACHMENT_FOLDER}/{message.ticket_id}/{message.id}-{number}-{filename}"
        target = data_dir / path
        partial = target.with_name(target.name + ".part")
        written.append(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(data)
            partial.replace(target)
        except OSError as error:
            # A full disk is a full disk, under the database or beside it: the same "try again" (a 503 that keeps
            # what was typed, SMTP 451), not a 500, and the transaction and its files are undone either way.
            if error.errno in FULL_DISK_ERRNOS:
                raise StorageUnavailableError("full", f"a file could not be written ({error.strerror})",
                                              store="files") from error
            raise
    row = Attachment(
        ticket_id=message.ticket_id, message_id=message.id, filename=filename, content_type=content_type[:120],
        size=len(data), path=path, skipped_reason=skipped_reason,
    )
    session.add(row)
    return row


@contextmanager
def file_writes() -> Iterator[list[Path]]:
    """The files a transaction writes (`add_attachment` adds them to the list), deleted if it fails. Opened around
    the transaction, `with file_writes() as written, db.session() as session:`, so a failed commit deletes them too."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        remove_files(written)
        raise


def write_with_files(db: Database, work: Callable[[Session, list[Path]], T]) -> T:
    """`work` (a transaction that writes files, `add_attachment` adding them to the list it is given) run by
    `Database.write`: again while the database is busy, the files of a try that was rolled back deleted before the
    next, and all of them if it fails. `work` must be safe to run again."""
    def attempt(session: Session) -> T:
        remove_files(written)  # an earlier try's, rolled back while the database was busy
        return work(session, written)

    with file_writes() as written:
        return db.write(attempt)


def remove_files(written: list[Path]) -> None:
    """Delete the files of a transaction that did not commit (and their `.part`s), and forget them: on failure
    (`file_writes`), and when a busy database's write is tried again (`Database.write`), before the new try."""
    for target in written:
        target.with_name(target.name + ".part").unlink(missing_ok=True)
        target.unlink(missing_ok=True)
    written.clear()


def attachment_file(data_dir: Path, attachment: Attachment) -> Path:
    return data_dir / (attachment.path or "")


def message_files(session: Session, message_id: int) -> list[Attachment]:
    """The kept files of one message, in the order they were attached (what its reply mail carries)."""
    return list(session.scalars(select(Attachment).where(Attachment.message_id == message_id,
                                                         Attachment.path.is_not(None)).order_by(Attachment.id)))


class Attachments:
    def __init__(self, db: Database, data_dir: Path) -> None:
        self.db = db
        self.data_dir = data_dir

    def for_ticket(self, ticket_id: int, public: bool = False) -> list[Attachment]:
        """The ticket's files (by the message they came with, so a merged ticket shows its duplicate's);
        `public`: only what the customer may see (no internal note's)."""
        query = select(Attachment).join(Message, Message.id == Attachment.message_id).where(
            Message.ticket_id == ticket_id)
        if public:
            query = query.where(Message.internal.is_(False))
        with self.db.session() as session:
            return list(session.scalars(query.order_by(Attachment.id)))

    def by_message(self, ticket_id: int, public: bool = False) -> dict[int, list[Attachment]]:
        found: dict[int, list[Attachment]] = {}
        for attachment in self.for_ticket(ticket_id, public):
            found.setdefault(attachment.message_id, []).append(attachment)
        return found

    def get(self, attachment_id: int, reference: str | None = None) -> Attachment | None:
        """The kept file, or None; with `reference`, only if it belongs to that ticket and not to an internal note.
        Its message's ticket read through the desk's rule (desk.models' `_live_tickets_only`): a deleted ticket's
        file is nobody's to download, as its page is nobody's to read (desk.trash)."""
        with self.db.session() as session:
            query = (select(Attachment).join(Message, Message.id == Attachment.message_id)
                     .join(Ticket, Ticket.id == Message.ticket_id)
                     .where(Attachment.id == attachment_id, Attachment.path.is_not(None)))
            if reference is not None:
                query = query.where(Ticket.reference == reference, Message.internal.is_(False))
            return session.scalar(query)

    def file(self, attachment: Attachment) -> Path:
        return attachment_file(self.data_dir, attachment)
