"""`kb mail fetch`: poll an IMAP mailbox with imap-tools, one bounded pass.

Unseen messages are read without marking them (BODY.PEEK); each is flagged \\Seen only after the
desk stored it (or refused it for good), so a mail whose storing failed stays unseen and is taken
again on the next pass.
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

    def summary(self) -> str:
        return f"{len(self.received)} stored, {self.rejected} refused, {self.failed} left for the next pass"


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


def fetch_imap(receiver: MailReceiver, settings: Settings, limit: int = 100) -> FetchReport:
    report = FetchReport()
    with open_mailbox(settings).login(settings.imap_user, settings.imap_password, settings.imap_folder) as mailbox:
        for message in mailbox.fetch(AND(seen=False), mark_seen=False, limit=limit, bulk=False):
            try:
                report.received.append(receiver.receive(message.obj.as_bytes(), "imap"))
            except UnparseableMail:
                report.rejected += 1
            except StorageError as error:
                log.error("IMAP message %s left unseen: %s", message.uid, error)
                report.failed += 1
                continue
            if message.uid:
                mailbox.flag(message.uid, MailMessageFlags.SEEN, True)
    return report
