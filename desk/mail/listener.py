"""`kb mail serve`: an SMTP (or LMTP) listener a relay delivers to, on aiosmtpd.

Each message goes through the one receiving path; the answer tells the relay what happened:
250 stored, 554 permanent (unparseable: bounce it), 451 temporary (storage failed: keep it and
retry). The blocking database work runs in a worker thread so the listener keeps answering.
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from desk.mail.receive import MAX_MAIL_BYTES, MailReceiver, StorageError, UnparseableMail

log = logging.getLogger(__name__)


class ReceivingHandler:
    def __init__(self, receiver: MailReceiver, transport: str = "smtp") -> None:
        self.receiver = receiver
        self.transport = transport

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes) else b"")
        recipients = [str(r) for r in envelope.rcpt_tos]
        loop = asyncio.get_running_loop()
        try:
            received = await loop.run_in_executor(None, self.receiver.receive, raw, self.transport, recipients)
        except UnparseableMail as error:
            return f"554 5.6.0 {error}"
        except StorageError as error:
            log.error("mail not stored, asking the relay to retry: %s", error)
            return "451 4.3.0 could not store the message, try again later"
        except Exception:  # never drop a mail on an unexpected error: the relay keeps it and retries
            log.exception("mail not stored, asking the relay to retry")
            return "451 4.3.0 could not store the message, try again later"
        return f"250 2.0.0 {received.outcome}"


class _LmtpController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def start_listener(receiver: MailReceiver, host: str, port: int, lmtp: bool = False) -> Controller:
    """Start listening in a background thread; `.stop()` ends it."""
    handler = ReceivingHandler(receiver, "lmtp" if lmtp else "smtp")
    cls = _LmtpController if lmtp else Controller
    controller = cls(handler, hostname=host, port=port, data_size_limit=MAX_MAIL_BYTES, decode_data=False)
    controller.start()
    return controller
