"""The ticket's mail identity: reply address, subject tag and Message-IDs, made and recognised.

A reply continues a ticket only through something unguessable: the token in the plus-address or
the subject tag (80 random bits, lower-case base32 so a mail server that folds case keeps it), or a
Message-ID we generated (random too). A ticket number is never enough.
"""

from __future__ import annotations

import base64
import re
import secrets
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.models import MailThread, Ticket

TOKEN_LENGTH = 16
_TOKEN = r"[a-z2-7]{16}"
SUBJECT_TAG = re.compile(r"\[#mz-(" + _TOKEN + r")\]", re.IGNORECASE)
_PLUS = re.compile(r"\+(" + _TOKEN + r")@", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<([^<>@\s]+)@[^<>\s]+>")


def new_token() -> str:
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def thread_token(session: Session, ticket: Ticket) -> str:
    """The ticket's token, made on first use (in the caller's transaction)."""
    found = session.scalar(select(MailThread.token).where(MailThread.ticket_id == ticket.id))
    if found:
        return found
    token = new_token()
    session.add(MailThread(ticket_id=ticket.id, token=token))
    session.flush()
    return token


def subject_tag(token: str) -> str:
    return f"[#mz-{token}]"


def reply_address(mail_from: str, token: str) -> str:
    """support@example.com -> support+TOKEN@example.com (plus-addressing, RFC 5233)."""
    local, _, domain = parseaddr(mail_from)[1].partition("@")
    return f"{local.split('+', 1)[0]}+{token}@{domain}"


def mail_domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].partition("@")[2] or "localhost"


def new_message_local(kind: str) -> str:
    """The part of a Message-ID before the @: stored, so a reply's In-Reply-To finds its ticket."""
    return f"mz.{kind}.{secrets.token_hex(10)}"


def message_id(local: str, mail_from: str) -> str:
    return f"<{local}@{mail_domain(mail_from)}>"


def tokens_in_addresses(addresses: list[str]) -> list[str]:
    return [m.group(1).lower() for a in addresses if (m := _PLUS.search(a))]


def token_in_subject(subject: str) -> str | None:
    found = SUBJECT_TAG.search(subject or "")
    return found.group(1).lower() if found else None


def message_id_locals(header: str) -> list[str]:
    """The local parts of the Message-IDs in In-Reply-To or References."""
    return _MESSAGE_ID.findall(header or "")


def message_ids(header: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", header or "")
