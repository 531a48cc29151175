"""Blocked senders and deleting a ticket in a transaction, for the parts of the desk below desk.trash (the ticket store
and the mail receiver, which desk.trash's purge imports through desk.erasure): which addresses are blocked, and how a
ticket is marked deleted."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import idna
from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.models import BlockedSender, Ticket, TicketDeletionChange
from desk.tickets import InputError, clean_email
from desk.translatable import N_
from kb.bidi_text import INVISIBLE

MAX_BLOCKED = 320


def _folded(domain: str) -> str:
    """A typed domain's characters as a domain means them: full-width forms as their plain ones (NFKC), lower case,
    and the ideographic full stop a label separator (as IDNA reads it)."""
    return unicodedata.normalize("NFKC", domain).lower().replace("\u3002", ".")


def _ascii_domain(domain: str) -> str:
    """A domain as mail's DNS names it: an international one ("bücher.example") in its ASCII form
    ("xn--bcher-kva.example"), so a block typed either way holds mail sent either way. Each label that is not ASCII
    through the `idna` package (IDNA 2008, UTS 46 mapping): Python's own "idna" codec is IDNA 2003's, which made "ß"
    "ss" and "ς" "σ", so a block of "@straße.example" held "strasse.example", another domain, and let the mail of
    "straße.example" (xn--strae-oqa) through. Not encodable: as typed."""
    try:
        return ".".join(label if label.isascii() else idna.encode(label, uts46=True).decode("ascii")
                        for label in _folded(domain).split("."))
    except UnicodeError:  # idna.IDNAError is one
        return domain


def blocked_key(value: object) -> str:
    """A blocked address as stored: an address folded as a customer's (`clean_email`), or a domain as "@domain"
    (typed "@example.com" or "example.com", lower case); an international domain in its ASCII form (`_ascii_domain`).
    Anything else (an empty label: "@a..b") is an InputError on "address"."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if text.startswith("@") or ("@" not in text and "." in text):
        domain = _folded(text.lstrip("@")).rstrip(".")
        # A control or invisible character (NUL: PostgreSQL's 500; a bidi override: a list that reads backwards; a
        # zero-width space: a domain no mail comes from that reads as another) is refused, as an address's is.
        if not domain or len(domain) > MAX_BLOCKED - 1 or "" in domain.split(".") or any(
                c.isspace() or not c.isprintable() or c in INVISIBLE or c in "@,;<>()[]\\\"'" for c in domain):
            raise InputError("address", N_("%(value)s is not an address or a domain"), value=repr(text[:80]))
        return "@" + _ascii_domain(domain)
    try:
        local, _, domain = clean_email(value).partition("@")
    except InputError:
        raise InputError("address", N_("%(value)s is not an address or a domain"), value=repr(text[:80])) from None
    return f"{local}@{_ascii_domain(domain)}"


def sender_keys(email: str) -> list[str]:
    """The blocked keys that hold mail or a ticket from this address: the address itself, without its
    plus-address tag (RFC 5233 subaddressing, which nearly every provider delivers to the same mailbox: a block of
    "sam@example.com" holds "sam+promo@example.com" too, a block of "sam+promo@example.com" only that one), and its
    domain; folded as `blocked_key` folds (case, a trailing dot, an international domain)."""
    folded = email.strip().lower()
    if "@" not in folded:
        return [folded]
    local, _, domain = folded.rpartition("@")
    domain = _ascii_domain(domain.removesuffix("."))
    base = local.split("+", 1)[0]
    return list(dict.fromkeys([f"{local}@{domain}", *([f"{base}@{domain}"] if base else []), "@" + domain]))


def is_blocked(session: Session, email: str) -> bool:
    """Whether mail or a ticket from this address is from a blocked sender: the address itself (or without its
    plus-address tag) or its domain (`sender_keys`)."""
    return session.scalar(select(BlockedSender.id).where(BlockedSender.address.in_(sender_keys(email))).limit(1)
                          ) is not None


def mark_deleted(session: Session, ticket: Ticket, agent_id: int | None, reason: str, now: datetime) -> None:
    """Delete `ticket` in the caller's transaction (its history row written): desk.tickets stores a blocked sender's
    form ticket this way."""
    ticket.deleted_at, ticket.deleted_by_id, ticket.deleted_reason = now, agent_id, reason
    session.add(TicketDeletionChange(ticket_id=ticket.id, agent_id=agent_id, kind=reason, created_at=now))


__all__ = ["MAX_BLOCKED", "blocked_key", "is_blocked", "mark_deleted", "sender_keys"]
