"""Hostile MIME through the one receiving path (session 25): broken and repeated headers, wrong and unknown
charsets, encoded-words in charsets no codec has, nested multiparts with and without boundaries, broken
transfer encodings, empty and odd attachments, no Message-ID or the same one twice.

Whatever arrives, `MailReceiver.receive` answers one of its outcomes or raises `UnparseableMail` (a permanent
refusal the transports answer as such), never anything else; the original is kept on disk and recorded in
`mail_inbound` with what became of it; and a customer's mail that was taken is on a ticket, never dropped.
CI runs KB_FUZZ_EXAMPLES (default 40); the campaign ran 20x on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from desk.desk import Desk
from desk.mail.parse import parse_mail
from desk.mail.receive import UnparseableMail
from desk.models import InboundMail, Message
from desk.tickets import plain_text
from kb.settings import Settings
from tests.conftest import database_url_for_tests

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
OUTCOMES = {"created", "continued", "follow_up", "automatic", "loop", "duplicate", "rejected"}

FROM = st.sampled_from([
    b"From: lina@example.com", b"From: =?utf-8?q?L=C3=AFna?= <lina@example.com>",
    b"From: =?x-klingon?q?Lina?= <lina@example.com>",
    b"From: =?utf-8?b?!!!?= <lina@example.com>", b"From: \"Lina\\\" <lina@example.com", b"From: <>", b"From: a@b@c.de",
    b"From: lina@example.com, sam@example.com", b"From: \xd9\x84\xd9\x8a\xd9\x86\xd8\xa7 <lina@example.com>",
    b"From: lina\x00@example.com", b"From: " + b"x" * 5000 + b" <lina@example.com>", b"From:", b"",
    b"From: Lina <lina@example.com>\nFrom: Sam <sam@example.com>", b"From: mailer-daemon@example.com",
])  # fmt: skip
HEADERS = st.sampled_from([
    b"Subject: =?utf-8?q?broken=ZZ?=", b"Subject: =?windows-1256?b?x+Hs?=", b"Subject: =?no-such?q?x?=",
    b"Subject: =?utf-8?b?" + b"A" * 3 + b"?=", b"Subject: \xff\xfe raw bytes", b"Subject: a\x00b", b"Subject:",
    b"Subject: Re: [#mz-aaaaaaa] hello", b"Message-ID: <same@example.com>", b"Message-ID: <same@example.com>",
    b"Message-ID:", b"Message-ID: " + b"<" * 400, b"Message-ID: <a\x00b@example.com>", b"In-Reply-To: <x@y>",
    b"References: " + b"<r@x> " * 300, b"To: support@example.com", b"To: +token@@", b"Auto-Submitted: auto-replied",
    b"Precedence: bulk", b"X-Manzil-Loop: yes", b"Date: Feb 30 2026 99:99", b"Content-Type: text/plain; charset=utf-16",
    b"Content-Type: text/plain; charset=x-unknown", b"Content-Type: text/plain; charset=\"utf-8", b"Content-Type:",
    b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: quoted-printable",
    b"Content-Transfer-Encoding: x-uuencode", b"MIME-Version: 1.0", b"Broken header line without colon",
    b"\tcontinuation at the start",
])  # fmt: skip
TEXT = st.sampled_from([
    b"Where is my parcel?", b"\xd8\xa3\xd9\x8a\xd9\x86 \xd8\xb7\xd9\x84\xd8\xa8\xd9\x8a\xd8\x9f",
    b"\xc7\xe1\xd3\xe1\xc7\xe3",
    b"=E2=80=AE=ZZ", b"!!!not base64!!!", b"\x00\x01\x02", b"", b"\r\n\r\n", b"<html><body><p>Hi<script>x</script>",
    b"\xff\xfe\x00h\x00i", b"begin 644 x\n`\nend",
]) | st.binary(max_size=80)  # fmt: skip
PART_TYPES = st.sampled_from([
    b"text/plain; charset=utf-8", b"text/plain; charset=windows-1256", b"text/plain; charset=no-such",
    b"text/html; charset=utf-8", b"application/pdf; name=\"../../etc/passwd\"", b"image/png; name*=x-bad''%ff%fe.png",
    b"application/octet-stream", b"message/rfc822", b"multipart/mixed", b"multipart/alternative; boundary=\"\"",
    b"text/plain; charset=utf-16",
])  # fmt: skip
DISPOSITIONS = st.sampled_from([b"", b"Content-Disposition: attachment", b"Content-Disposition: attachment; filename=",
                                b"Content-Disposition: attachment; filename=\"" + b"a" * 600 + b".pdf\"",
                                b"Content-Disposition: inline; filename*=utf-8''%D8%A7.txt",
                                b"Content-Disposition: attachment; filename=\"\x00.pdf\""])
ENCODINGS = st.sampled_from([b"", b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: quoted-printable",
                             b"Content-Transfer-Encoding: 8bit", b"Content-Transfer-Encoding: x-made-up"])


@st.composite
def _part(draw: st.DrawFn, depth: int = 0) -> bytes:
    kind = draw(PART_TYPES)
    if kind.startswith(b"multipart") and depth < 3:
        boundary = draw(st.sampled_from([b"b" + str(depth).encode(), b"", b"same"]))
        children = draw(st.lists(_part(depth + 1), max_size=3))
        closed = draw(st.booleans())
        body = b"".join(b"--" + boundary + b"\n" + child + b"\n" for child in children)
        body += b"--" + boundary + b"--\n" if closed else b""
        return b"Content-Type: " + kind.split(b";")[0] + b"; boundary=\"" + boundary + b"\"\n\n" + body
    headers = [b"Content-Type: " + kind, draw(DISPOSITIONS), draw(ENCODINGS)]
    return b"\n".join(h for h in headers if h) + b"\n\n" + draw(TEXT)


@st.composite
def hostile_mail(draw: st.DrawFn) -> bytes:
    lines = [draw(FROM), *draw(st.lists(HEADERS, max_size=8))]
    head = b"\n".join(line for line in lines if line)
    if draw(st.booleans()):
        return head + b"\n\n" + draw(TEXT)
    return head + b"\nMIME-Version: 1.0\n" + draw(_part())


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    yield opened
    opened.close()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=hostile_mail())
def test_hostile_mail_is_kept_recorded_and_never_a_crash(desk: Desk, raw: bytes) -> None:
    try:
        received = desk.mail_in.receive(raw)
    except UnparseableMail as error:
        assert str(error)  # the refusal says why
        with desk.db.session() as session:
            row = session.scalars(select(InboundMail).order_by(InboundMail.id.desc())).first()
        assert row is not None and row.outcome == "rejected" and row.reason
        assert (desk.settings.data_dir / row.raw_path).read_bytes() == raw  # kept, byte for byte
        return
    assert received.outcome in OUTCOMES, received
    with desk.db.session() as session:
        row = session.get(InboundMail, received.inbound_id)
        assert row is not None and (desk.settings.data_dir / row.raw_path).is_file()
        if received.outcome in ("created", "continued", "follow_up"):
            assert row.message_id is not None
            message = session.get(Message, row.message_id)
            assert message is not None and message.ticket_id == received.ticket_id
            # A mail with no text is stored as its files, or marked empty (bits28): never a text the mail lacked,
            # never a mail's text dropped.
            assert bool(message.body.strip()) == bool(plain_text(parse_mail(raw).text).strip())
        if received.outcome == "rejected":
            assert row.reason


# The SMTP envelope's recipients (RCPT TO, session 26's envelope_recipients) as aiosmtpd hands them over: UTF-8 read
# with surrogateescape, so bytes that are no UTF-8 arrive as lone surrogates; NUL, bidi controls, huge and many.
RECIPIENTS = st.lists(st.sampled_from([
    "support@manzil.example", "support+mz-aaaaaaa@manzil.example", "a\x00b@manzil.example", "\udcff\udcfe@x.example",
    "support@manzil.example\udce9", "\u202eelpmaxe.lizanam@troppus", "دعم@منزل.مثال", "x" * 1000 + "@x.example", "",
    " ", "<>", "@@", "\r\nX-Injected: yes",
]) | st.text(st.characters() | st.characters(categories=["Cs"]), max_size=20), max_size=120)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(recipients=RECIPIENTS, held=st.booleans())
def test_hostile_envelope_recipients_are_kept_readable_or_the_mail_refused(desk: Desk, recipients: list[str],
                                                                           held: bool) -> None:
    """Whatever the envelope names, the mail is received (or refused as unparseable), never a storage error or a
    crash; the row keeps at most MAX_ENVELOPE_RECIPIENTS of them, each text a database takes (a held mail's recovery
    reads them back)."""
    raw = (b"From: support@manzil.example\nSubject: loop\n\ncopy\n" if held
           else b"From: lina@example.com\nSubject: Where is my parcel?\n\nStill not here.\n")
    received = desk.mail_in.receive(raw, transport="smtp", recipients=recipients)
    assert received.outcome in OUTCOMES
    with desk.db.session() as session:
        row = session.get(InboundMail, received.inbound_id)
        assert row is not None
        kept = row.envelope_recipients or []
    assert len(kept) <= 100 and all(isinstance(r, str) and len(r) <= 320 for r in kept)
    if held:
        assert desk.held_mail.get(received.inbound_id) is not None
