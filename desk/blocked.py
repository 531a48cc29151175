"""Blocked senders and deleting a ticket in a transaction, for the parts of the desk below desk.trash (the ticket store
and the mail receiver, which desk.trash's purge imports through desk.erasure): which addresses are blocked, and how a
ticket is marked deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.models import BlockedSender, Ticket, TicketDeletionChange
from desk.tickets import InputError, clean_email
from desk.translatable import N_

MAX_BLOCKED = 320


def blocked_key(value: object) -> str:
    """A blocked address as stored: an address folded as a customer's (`clean_email`), or a domain as "@domain"
    (typed "@example.com" or "example.com", lower case). Anything else is an InputError on "address"."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if text.startswith("@") or ("@" not in text and "." in text):
        domain = text.lstrip("@").rstrip(".")
        if not domain or len(domain) > MAX_BLOCKED - 1 or "." not in domain or any(
                c.isspace() or c in "@,;<>()[]\\\"'" for c in domain):
            raise InputError("address", N_("%(value)s is not an address or a domain"), value=repr(text[:80]))
        return "@" + domain
    try:
        return clean_email(value)
    except InputError:
        raise InputError("address", N_("%(value)s is not an address or a domain"), value=repr(text[:80])) from None


def is_blocked(session: Session, email: str) -> bool:
    """Whether mail or a ticket from this address (as stored: `clean_email`) is from a blocked sender: the address
    itself or its domain."""
    folded = email.strip().lower()
    domain = "@" + folded.rpartition("@")[2] if "@" in folded else None
    keys = [folded, domain] if domain else [folded]
    return session.scalar(select(BlockedSender.id).where(BlockedSender.address.in_(keys)).limit(1)) is not None


def mark_deleted(session: Session, ticket: Ticket, agent_id: int | None, reason: str, now: datetime) -> None:
    """Delete `ticket` in the caller's transaction (its history row written): desk.tickets stores a blocked sender's
    form ticket this way."""
    ticket.deleted_at, ticket.deleted_by_id, ticket.deleted_reason = now, agent_id, reason
    session.add(TicketDeletionChange(ticket_id=ticket.id, agent_id=agent_id, kind=reason, created_at=now))



__all__ = ["MAX_BLOCKED", "blocked_key", "is_blocked", "mark_deleted"]
