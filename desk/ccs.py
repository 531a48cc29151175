"""CCs on tickets (Zendesk's CCs; Help Scout's and Chatwoot's CC on an email conversation): people copied on a ticket
besides its customer (the requester).

Who becomes one: the addresses in `Cc:` and the other `To:` addresses of the mail that creates or continues a ticket
(`copy_from_mail`), and whoever an agent adds on the ticket page or an API client through PATCH (`add_cc`). Never our
own address (`KB_MAIL_FROM`, any plus-address of it), never the requester, one row per customer (addresses are folded
to lower case as every customer's is), at most `KB_MAX_CCS` (20; Zendesk allows 48). Each CC is a customer record,
found or created as a ticket's customer is (`desk.tickets.customer_for`), so a CC who later writes on their own is the
same person.

What a CC gets: every public agent reply in `Cc:` of the one mail to the requester (a reply-all keeps the thread);
never an internal note, never the survey (the requester's alone, as Zendesk sends it). The recipients are read when a
mail is composed, and a change of CCs drops the composed text of the ticket's mails still queued
(`recompose_queued`), so a CC removed gets nothing more, even a mail queued before the removal; a mail already handed
to the SMTP server is gone. A CC's mail on the thread is a public message of theirs (`Message.cc_customer_id`).

Every change is a history row (`TicketCcChange`, the ticket page's history) and, when a person or token made it, an
audit event (`ticket_ccs_changed` from the ticket page, `ticket_updated` through the API) naming customer ids, never
addresses. An erasure takes the customer off every list and blanks the history's address; a merge of customers moves
the rows.

CCs follow the ticket (`carry_ccs`, as Zendesk's): a ticket merge copies the duplicate's on the target (those over
the limit named in an internal note there), a follow-up of a closed ticket starts with its CCs, each a history row.
A CC's words are theirs by every way a CC writes: their mail on the thread (a follow-up's first message too, when the
ticket was closed) and the customer's ticket page posted from a browser that opened their "My tickets" link. A CC
added by address alone takes the display name of a later mail (`fill_name`), never overwriting one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from desk.audit import Actor, record
from desk.database import Database
from desk.models import Customer, OutboxMail, Ticket, TicketCc, TicketCcChange, utcnow
from desk.ticket_search import customer_search_text
from desk.tickets import InputError, changeable, clean_email, customer_for
from desk.translatable import N_


@dataclass(frozen=True)
class CcPerson:
    """A CC as pages and the API show one."""

    customer_id: int
    email: str
    name: str


# RFC 5322's dot-atom and a domain's labels, in ASCII: what a Cc line carries as it is stored, and what any SMTP
# server takes (a non-ASCII address needs the server's SMTPUTF8, which many lack).
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$")


def is_plain_mailbox(address: str) -> bool:
    """An address a Cc header carries as it is stored and every SMTP server takes: the local part an ASCII dot-atom
    and not an encoded word, the domain's labels ASCII letters, digits and hyphens. One with `,` `(` `"` `:` `<` `;`
    (clean_email lets each through) is read by the mail parser as another address, a comment or a group:
    "a(b@example.com" hid every later CC from the reply, "x,sam@example.net" sent it to a person never copied,
    "=?utf-8?q?x?=@example.com" reached x@example.com; and one non-ASCII CC made every reply on the ticket fail
    without SMTPUTF8, the requester's copy with it."""
    local, _, domain = address.rpartition("@")
    return (bool(_DOT_ATOM.match(local)) and "=?" not in local
            and all(_LABEL.match(label) for label in domain.split(".")))


def is_own_address(address: str, mail_from: str) -> bool:
    """Our support address or any plus-address of it (`support+TOKEN@...`, where replies come back)."""
    own_local, _, own_domain = parseaddr(mail_from)[1].lower().partition("@")
    local, _, domain = address.lower().partition("@")
    return bool(own_domain) and domain == own_domain and local.split("+", 1)[0] == own_local.split("+", 1)[0]


def mail_recipient(email: object, mail_from: str, field: str) -> str:
    """`email` as an address the desk may put on a Cc or To line (a CC, a side conversation's participant), refused
    naming `field`: not an address, one a header cannot carry as it is (`is_plain_mailbox`), or the desk's own."""
    try:
        address = clean_email(email)
    except InputError as error:
        raise InputError(field, error.message, plural=error.plural, **dict(error.params)) from None
    if not is_plain_mailbox(address):
        raise InputError(field, N_("%(email)s is not an address a Cc line can carry"), email=repr(address))
    if is_own_address(address, mail_from):
        raise InputError(field, N_("%(email)s is the help desk's own address"), email=address)
    return address


def ccs_of(session: Session, ticket_id: int) -> list[CcPerson]:
    """The ticket's CCs, in the order they were added."""
    rows = session.execute(
        select(Customer.id, Customer.email, Customer.name).join(TicketCc, TicketCc.customer_id == Customer.id)
        .where(TicketCc.ticket_id == ticket_id).order_by(TicketCc.added_at, Customer.id)
    ).all()
    return [CcPerson(row.id, row.email, row.name or "") for row in rows]


def cc_of(session: Session, ticket_id: int, address: str) -> Customer | None:
    """The CC of the ticket with this address, if there is one (a mail from them is theirs)."""
    return session.scalar(
        select(Customer).join(TicketCc, TicketCc.customer_id == Customer.id)
        .where(TicketCc.ticket_id == ticket_id, Customer.email == address.lower())
    )


def recompose_queued(session: Session, ticket_id: int) -> None:
    """Drop the composed text of the ticket's mails still queued: the next attempt composes them again with the CCs
    as they now are (`desk.mail.compose` reads them). The ticket's loaded list is read again too."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is not None:
        session.refresh(ticket, ["cc_rows"])  # loaded now: a caller answers with it after the commit
    session.execute(update(OutboxMail).where(OutboxMail.ticket_id == ticket_id, OutboxMail.status == "queued")
                    .values(raw=None))


def add_cc(session: Session, ticket: Ticket, email: object, limit: int, mail_from: str, agent_id: int | None = None,
           name: str = "", field: str = "email") -> CcPerson | None:
    """Copy `email` on the ticket; None when they already are. Refused naming `field`: not an address, our own
    address, the requester's, or the list full."""
    address = mail_recipient(email, mail_from, field)
    if address == ticket.customer.email:
        raise InputError(field, N_("%(email)s is the ticket's customer"), email=address)
    if (copied := cc_of(session, ticket.id, address)) is not None:
        fill_name(copied, name)  # an agent added them without one; a later mail's display name fills it
        return None
    count = len(session.scalars(select(TicketCc.customer_id).where(TicketCc.ticket_id == ticket.id)).all())
    if count >= limit:  # before any customer is made for them
        raise InputError(field, N_("a ticket has at most %(limit)s CCs"), limit=str(limit))
    customer = customer_for(session, address, name)  # a merged duplicate's address reaches the kept customer
    if customer.id == ticket.customer_id:
        raise InputError(field, N_("%(email)s is the ticket's customer"), email=address)
    if session.get(TicketCc, (ticket.id, customer.id)) is not None:
        return None
    now = utcnow()
    session.add(TicketCc(ticket_id=ticket.id, customer_id=customer.id, added_at=now, added_by=agent_id))
    session.add(TicketCcChange(ticket_id=ticket.id, agent_id=agent_id, customer_id=customer.id, email=customer.email,
                               kind="added", created_at=now))
    session.flush()
    recompose_queued(session, ticket.id)
    return CcPerson(customer.id, customer.email, customer.name or "")


def fill_name(customer: Customer, name: str) -> None:
    """A CC added without a name (an agent's "Add CC", the API) takes the display name a later mail carries; a name
    already there is never overwritten."""
    name = name.strip()[:200]
    if name and not customer.name:
        customer.name = name
        customer.search_text = customer_search_text(customer.name, customer.email)


def carry_ccs(session: Session, source: Ticket, target: Ticket, limit: int, agent_id: int | None = None) -> list[str]:
    """`source`'s CCs copied on `target` too (a merge's duplicate into its target, a closed ticket onto its
    follow-up, as Zendesk carries them): never the target's requester, one row per customer, at most `limit`; each
    one added is a history row on the target (by `agent_id`, None: the system). The addresses left out over the
    limit, in the order they were added to `source`."""
    present = {person.customer_id for person in ccs_of(session, target.id)}
    left_out: list[str] = []
    now = utcnow()
    for person in ccs_of(session, source.id):
        if person.customer_id in present or person.customer_id == target.customer_id:
            continue
        if len(present) >= limit:
            left_out.append(person.email)
            continue
        present.add(person.customer_id)
        session.add(TicketCc(ticket_id=target.id, customer_id=person.customer_id, added_at=now, added_by=agent_id))
        session.add(TicketCcChange(ticket_id=target.id, agent_id=agent_id, customer_id=person.customer_id,
                                   email=person.email, kind="added", created_at=now))
    session.flush()
    recompose_queued(session, target.id)
    return left_out


def remove_cc(session: Session, ticket: Ticket, email: object, agent_id: int | None = None,
              field: str = "email") -> bool:
    """Take `email` off the ticket's CCs; False when it was not on them. Refused naming `field`: not an address."""
    try:
        address = clean_email(email)
    except InputError as error:
        raise InputError(field, error.message, plural=error.plural, **dict(error.params)) from None
    customer = cc_of(session, ticket.id, address)
    if customer is None:
        return False
    row = session.get(TicketCc, (ticket.id, customer.id))
    assert row is not None
    session.delete(row)
    session.add(TicketCcChange(ticket_id=ticket.id, agent_id=agent_id, customer_id=customer.id, email=customer.email,
                               kind="removed", created_at=utcnow()))
    session.flush()
    recompose_queued(session, ticket.id)
    return True


def copy_from_mail(session: Session, ticket: Ticket, copied: Iterable[tuple[str, str]], sender: str, limit: int,
                   mail_from: str) -> int:
    """The people a mail copied (its `Cc:` and `To:` pairs of name and address) added to the ticket's CCs, skipping
    our addresses, the requester, the sender, an address the desk cannot use and any past the limit; how many were
    added. A mail never fails for its CC list."""
    added = 0
    seen: set[str] = set()
    for name, address in copied:
        address = address.strip().lower()
        if not address or address in seen or address == sender.lower() or is_own_address(address, mail_from):
            continue
        seen.add(address)
        try:
            if add_cc(session, ticket, address, limit, mail_from, name=name[:200]) is not None:
                added += 1
        except InputError:
            continue  # not an address, the requester, or the list is full: the mail is still stored
    return added


def ids(people: Iterable[CcPerson]) -> list[int]:
    """Customer ids as the audit event records a CC list (never addresses)."""
    return sorted(person.customer_id for person in people)


class TicketCcs:
    """The ticket page's "Add CC" and remove (and the CLI's): each one transaction, the ticket locked and refused when
    closed (`changeable`), the change in the history and the audit log (`ticket_ccs_changed`)."""

    def __init__(self, db: Database, limit: int, mail_from: str) -> None:
        self.db = db
        self.limit = limit
        self.mail_from = mail_from

    def of(self, ticket_id: int) -> list[CcPerson]:
        with self.db.session() as session:
            return ccs_of(session, ticket_id)

    def _change(self, ticket_id: int, email: object, by: Actor, adding: bool) -> bool:

        def write(session: Session) -> bool:
            ticket = changeable(session, ticket_id)
            before = ids(ccs_of(session, ticket.id))
            if adding:
                changed = add_cc(session, ticket, email, self.limit, self.mail_from, by.agent_id) is not None
            else:
                changed = remove_cc(session, ticket, email, by.agent_id)
            if changed:
                ticket.updated_at = utcnow()
                record(session, by, "ticket_ccs_changed", "ticket", ticket.id, before={"ccs": before},
                       after={"ccs": ids(ccs_of(session, ticket.id))})
            return changed

        return self.db.write(write)  # again while the database is busy

    def add(self, ticket_id: int, email: object, by: Actor) -> bool:
        """Copy `email` on the ticket; False when already copied."""
        return self._change(ticket_id, email, by, adding=True)

    def remove(self, ticket_id: int, email: object, by: Actor) -> bool:
        """Take `email` off; False when it was not copied."""
        return self._change(ticket_id, email, by, adding=False)


__all__ = ["CcPerson", "TicketCcs", "add_cc", "carry_ccs", "cc_of", "ccs_of", "copy_from_mail", "fill_name", "ids",
           "is_own_address", "is_plain_mailbox", "mail_recipient", "recompose_queued", "remove_cc"]
