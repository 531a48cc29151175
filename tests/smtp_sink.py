"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: the tests' mail relay."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SinkHandler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.raw: list[bytes] = []  # as received, for what the parser hides (line lengths, encoded words)
        self.smtputf8: list[bool] = []  # whether the client asked for SMTPUTF8 (RFC 6531) in MAIL FROM

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.raw.append(raw)
        self.smtputf8.append(bool(envelope.smtp_utf8))
        self.messages.append(message_from_bytes(raw, policy=default))  # type: ignore[arg-type]
        self.envelopes.append((str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos]))
        return "250 OK"


class SmtpSink:
    def __init__(self, port: int | None = None, smtputf8: bool = False) -> None:
        """`smtputf8`: the server announces SMTPUTF8 (RFC 6531), as Postfix 3 does by default."""
        self.port = port or free_port()
        self.handler = SinkHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    @property
    def raw(self) -> list[bytes]:
        return self.handler.raw

    @property
    def smtputf8(self) -> list[bool]:
        return self.handler.smtputf8

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, seconds: float = 10.0) -> list[EmailMessage]:
        """Bounded wait for mail sent by another thread or process."""
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A started sink, stopped after the test: `from tests.smtp_sink import sink` in a test module or conftest."""
    started = SmtpSink().start()
    yield started
    started.stop()
