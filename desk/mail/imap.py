"""`kb mail fetch`: poll an IMAP mailbox with imap-tools, one bounded pass.

Unseen messages are read without marking them (BODY.PEEK); each is flagged \\Seen only after the
desk stored it (or refused it for good), so a mail whose storing failed stays unseen and is taken
again on the next pass. Each is fetched by UID as the raw bytes the server holds (what the desk keeps
as the original), not re-serialized from a parsed copy, and one message that fails in any way is
logged, reported with its UID and left unseen: it never stops the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags
from imap_tools.mailbox import BaseMailBox

from desk.mail.receive import MailReceiver, Received, StorageError, UnparseableMail
from kb.settings import Settings

log = logging.getLogger(__name__)
IMAP_TIMEOUT = 30


@dataclass
class FetchReport:
    received: list[Received] = field(default_factory=list)
    rejected: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # "UID 7: why", one per message left unseen

    def summary(self) -> str:
        lines = [f"{len(self.received)} stored, {self.rejected} refused, {self.failed} left for the next pass"]
        return "\n".join(lines + self.problems)


def open_mailbox(settings: Settings) -> BaseMailBox:
    if not settings.imap_host:
        raise ValueError("KB_IMAP_HOST is not set")
    security = settings.imap_security
    if security == "ssl":
        return MailBox(settings.imap_host, settings.imap_port, timeout=IMAP_TIMEOUT)
    if security == "starttls":
        return MailBoxStartTls(settings.imap_host, settings.imap_port, timeout=IMAP_TIMEOUT)
    if security == "plain":
        return MailBoxUnencrypted(settings.imap_host, settings.imap_port, timeout=IMAP_TIMEOUT)
    raise ValueError(f"KB_IMAP_SECURITY: use ssl, starttls or plain, not {security!r}")


def raw_message(mailbox: BaseMailBox, uid: str) -> bytes:
    """The message with this UID as the server holds it, not marked seen (BODY.PEEK[])."""
    status, data = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[])")
    for item in data if status == "OK" else []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    raise OSError(f"the server sent no message for UID {uid} ({status})")


def fetch_imap(receiver: MailReceiver, settings: Settings, limit: int = 100) -> FetchReport:
    report = FetchReport()
    with open_mailbox(settings).login(settings.imap_user, settings.imap_password, settings.imap_folder) as mailbox:
        for uid in mailbox.uids(AND(seen=False))[:limit]:
            try:
                report.received.append(receiver.receive(raw_message(mailbox, uid), "imap"))
            except UnparseableMail:
                report.rejected += 1
            except Exception as error:  # StorageError or a fault with this one message: the others still go
                unexpected = not isinstance(error, StorageError)
                log.error("IMAP message UID %s left unseen: %s", uid, error, exc_info=unexpected)
                report.failed += 1
                report.problems.append(f"UID {uid}: {type(error).__name__}: {error}")
                continue
            mailbox.flag(uid, MailMessageFlags.SEEN, True)
    return report
