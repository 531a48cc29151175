"""Tickets and their threads: how they arrive (contact form, API, import) and how agents work them.

Every public method is one transaction (`Database.session`), so a rejected ticket or a failed reply
leaves nothing half-written. Input is checked here, once, for every way in, and errors name the
field that is wrong.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, object_session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from desk.agent_notices import ASSIGNED, notify_agent
from desk.auto_assign import Decision, Member, available_members, choose, unsolved_counts
from desk.business_hours import BusinessHours, BusinessHoursError, zone_named
from desk.database import MAX_ROW_ID, Database, insert_if_absent, lock_row
from desk.inbox import UNSOLVED, team_clause
from desk.mail.attachments import (
    FileLimits,
    Size,
    Upload,
    add_attachment,
    human_size,
    message_files,
    safe_filename,
    upload_type,
    write_with_files,
)
from desk.mail.outbox import queue_mail
from desk.models import (
    CHANNELS,
    PRIORITIES,
    TICKET_STATUSES,
    WITH_DELETED,
    Agent,
    AgentTeam,
    Attachment,
    CsatSurvey,
    Customer,
    DuePolicyState,
    Message,
    Organization,
    Ticket,
    TicketAssigneeChange,
    TicketCc,
    TicketCcChange,
    TicketDeletionChange,
    TicketDueChange,
    TicketFollowUpStart,
    TicketProblemChange,
    TicketSkill,
    TicketSkillChange,
    TicketSnoozeChange,
    TicketStatusChange,
    TicketTag,
    TicketTeamChange,
    TicketTriggerChange,
    TimeEntryChange,
    as_utc,
    reached_customer,
    stored_names,
    utcnow,
)
from desk.surveys import open_survey
from desk.ticket_search import customer_search_text, index_ticket
from desk.translatable import N_, Nn_, TranslatableError
from desk.triggers import Event, Triggers
from kb.arabic import typed_digits
from kb.bidi_text import INVISIBLE
from kb.language import detect_language
from kb.message_text import CONTROL_CHARACTERS
from kb.settings import Settings
from kb.ticket_fields import TicketFields

log = logging.getLogger(__name__)
MAX_SUBJECT = 300
MAX_BODY = 100_000
MAX_NAME = 200
MAX_EXTERNAL_ID = 200
# How many merges `live_ticket` follows: a chain longer than any desk makes by hand, so a bad row cannot loop it.
MAX_MERGE_HOPS = 20
MAX_CATEGORY = 80
Row = TypeVar("Row")
# Where a new ticket gets an emailed confirmation (imports and phone tickets do not).
CONFIRMED_CHANNELS = ("web", "api", "email")
# The customer's newest message sent again this soon, word for word, is a resend (a double click, a
# reload that posts again), not a second message.
RESEND_WINDOW = timedelta(minutes=2)
RECOUNT_PER_PASS = 200  # tickets whose due time one pass counts again after a policy change (recount_due)
# The context key a follow-up ticket names the closed ticket it continues by (its reference): the one link, read both
# ways (`TicketStore.follow_up_links`), whichever way the customer wrote (mail, their ticket's page, the API).
FOLLOW_UP_OF = "follow_up_of"


class InputError(TranslatableError):
    """Bad input to the desk (a ticket, an agent, a token); `field` names what to fix. English in
    `str()`, translated by the web pages from its `N_`-marked template (see `TranslatableError`)."""


class CrossedReplyError(InputError):
    """Someone wrote on the ticket after the agent opened it; the agent should read it before sending."""

    def __init__(self, messages: list[tuple[str, str]]) -> None:
        singular, plural = Nn_("%(num)d new message arrived while you were writing",
                               "%(num)d new messages arrived while you were writing")
        super().__init__("body", singular, plural=plural, num=len(messages))
        self.messages = messages  # (author, body): plain data, the transaction is rolled back


class ClosedTicketError(InputError):
    """An agent's reply to, or change of, a closed ticket: final, as in Zendesk (nothing on it changes); the agent
    writes to the customer again by creating a follow-up (`TicketStore.agent_follow_up`). `reply`: the refused write
    was a reply (the message says to write again), else a change (a note, a field, a tag, a snooze, a merge)."""

    def __init__(self, ticket_id: int, reply: bool = True) -> None:
        if reply:
            super().__init__("ticket", N_("ticket #%(ticket)s is closed: create a follow-up to write to the customer "
                                          "again"), ticket=ticket_id)
        else:
            super().__init__("ticket", N_("#%(ticket)s is closed: a closed ticket is final and nothing on it "
                                          "changes; create a follow-up to go on"), ticket=ticket_id)
        self.ticket_id = ticket_id


class DuplicateTicketError(InputError):
    """The ticket was imported or posted before (same external id)."""


@dataclass(frozen=True)
class NewTicket:
    email: str
    subject: str
    body: str
    name: str = ""
    lang: str | None = None
    channel: str = "web"
    priority: str = "normal"
    country: str | None = None
    external_id: str | None = None
    created: datetime | None = None
    context: dict[str, Any] | None = None
    visit_id: str | None = None
    # Later messages of an imported thread: (author, body), author "customer" or "agent".
    replies: tuple[tuple[str, str], ...] = ()
    # Email the customer a confirmation; off for imports and for automatic mail (never answered).
    notify: bool = True
    # A follow-up's, copied from the closed ticket it continues (`TicketStore.follow_up_in`): its team (business
    # hours), help-center category and tags. The category may also be an import's; routing rules may match on it.
    team: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    # A follow-up's required skills (desk.skills), copied by id from the closed ticket as Zendesk copies its fields: in
    # place before the triggers and automatic assignment, so it goes to a member having them.
    skills: tuple[int, ...] = ()
    # Hand it to an available agent of its team when the team's `assignment:` says so (desk.auto_assign); off for
    # imports, which are history.
    auto_assign: bool = True
    # Custom ticket fields' values by key, checked by `validate` (desk.ticket_fields.clean_values) and stored with
    # the ticket; the first bad one refused naming `fields.<key>` and the field's label.
    fields: Mapping[str, object] | None = None
    # Stored deleted as spam (desk.trash): nothing sent, no rule run, nobody assigned. Also whenever the address (or its
    # domain) is a blocked sender's and the ticket comes by a form, the widget or the API (SPAM_CHECKED).
    spam: bool = False


# The channels a blocked sender's ticket is stored deleted by (their mail is held before it is a ticket).
SPAM_CHECKED = ("web", "chat", "api")


def new_reference() -> str:
    return secrets.token_urlsafe(12)


def ticket_number(value: object, field: str) -> int:
    """A ticket's number as typed in a form ("#12", " 12 ", "١٢", "۱۲", "１２": read by kb.arabic.typed_digits, as the
    other number fields read theirs) or sent (12): refused naming `field` when it is not a whole number from 1 to
    the largest row id (a bool, a float, "1e3", "-4", text, another script's digits)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(field, N_("%(value)s is not a ticket's number"), value=repr(value)[:40])
    text = typed_digits(value[:40]).strip().lstrip("#").strip() if isinstance(value, str) else str(value)
    if not (text.isascii() and text.isdecimal()) or len(text) > 12 or not 0 < int(text) <= MAX_ROW_ID:
        raise InputError(field, N_("%(value)s is not a ticket's number"),
                         value=repr(value[:40] if isinstance(value, str) else value))
    return int(text)


def row_by_id(session: Session, model: type[Row], row_id: int) -> Row | None:
    """The row of `model` with this id, or None, also for an id no id column holds (a larger one overflows the
    driver: a 500 where a 404 or the field's error is meant)."""
    return session.get(model, row_id) if 0 < row_id <= MAX_ROW_ID else None


def agent_row(session: Session, agent_id: int, lock: bool = False) -> Agent:
    """The agent an account change is about, in the caller's transaction; `lock`: their row locked to its end first
    (`lock_row`), for a change that reads before it writes (two tabs saving at once). No such agent is an InputError
    naming the field `agent`."""
    if lock:
        lock_row(session, Agent, agent_id)
    agent = row_by_id(session, Agent, agent_id)
    if agent is None:
        raise InputError("agent", N_("no agent %(agent)s"), agent=agent_id)
    return agent


def changeable(session: Session, ticket_id: int, reply: bool = False) -> Ticket:
    """The ticket an agent's change is about, in the caller's transaction: the one check every agent-side write makes
    before it writes (a reply; a note; status, priority, assignee, team, due time; tags; snooze and unsnooze; a merge;
    alone or in bulk, where one refused ticket refuses the whole transaction). No such ticket is an InputError naming
    it; a closed one is final, as in Zendesk (`ClosedTicketError`, `reply` saying which message): the agent's way on
    is a follow-up (`agent_follow_up`). What may still touch a closed ticket does not ask it: the customer's message
    (it starts a follow-up, `follow_up_in`) and the worker's jobs.

    The row is locked (`lock_row`) and read fresh before the check, held until the caller's transaction ends: a note
    and a close at once both read "open" and the note landed on the closed ticket (hostile30); now one waits."""
    lock_row(session, Ticket, ticket_id)
    ticket = row_by_id(session, Ticket, ticket_id)  # a caller that read it before (a merge's pair) locked it first
    if ticket is None:
        raise InputError("ticket", N_("no ticket %(ticket)s"), ticket=ticket_id)
    if ticket.status == "closed":
        raise ClosedTicketError(ticket.id, reply=reply)
    if reply:
        refuse_erased(ticket)
    return ticket


def final(ticket: Ticket) -> bool:
    """A customer's message to this ticket starts a new one (`follow_up_in`): it is closed, or deleted (desk.trash)."""
    return ticket.status == "closed" or ticket.deleted_at is not None


def refuse_erased(ticket: Ticket) -> None:
    """A reply (or a follow-up) to a ticket whose customer was erased (desk.erasure): there is no one to write to, and
    their address is gone. Named on "ticket", nothing written."""
    if ticket.customer.erased_at is not None:
        raise InputError("ticket", N_("the customer of ticket #%(ticket)s was erased: there is no one to reply to"),
                         ticket=ticket.id)


def plain_text(value: str) -> str:
    """Text as stored: browsers send textarea line breaks as CRLF; one form lets edits and lengths compare."""
    return CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n")).strip()


def clean_text(field: str, value: object, limit: int, required: bool = True) -> str:
    """`value` as stored (`plain_text`), refused naming `field` when it is not text, over `limit`, or empty while
    `required` (a message with files may have no text: `required=not files`)."""
    if not isinstance(value, str):
        raise InputError(field, N_("must be text"))
    text = plain_text(value)
    if required and not text:
        raise InputError(field, N_("is empty"))
    if len(text) > limit:
        raise InputError(field, N_("is %(length)s characters long; the limit is %(limit)s"),
                         length=f"{len(text):,}", limit=f"{limit:,}")
    return text


def clean_email(value: object) -> str:
    """An email address as stored: lower case, and the domain without the root's trailing dot ("sam@example.com."
    is the mailbox "sam@example.com": kept, it was a second customer of one address). Refused: not one "@" with a
    dotted domain, an empty label in the domain, whitespace, or an invisible character (a zero-width space, a soft
    hyphen, a bidi control: an address no mail reaches that reads as another customer's)."""
    email = clean_text("email", value, 320).lower()
    local, _, domain = email.partition("@")
    domain = domain.removesuffix(".")
    # One "@" only: "sam@evil.example@example.com" is mail for evil.example to one parser, example.com to another.
    if (not local or "." not in domain or "@" in domain or "" in domain.split(".")
            or any(c.isspace() or c in INVISIBLE for c in email)):
        raise InputError("email", N_("%(email)s is not an email address"), email=repr(email))
    return f"{local}@{domain}"


@dataclass(frozen=True)
class CleanFile:
    """An agent's file that passed `clean_files`: its safe name, the type it is stored and served with."""

    filename: str
    content_type: str
    data: bytes


def clean_files(files: Sequence[Upload], limits: FileLimits) -> list[CleanFile]:
    """An agent's files (or an API client's, with a new ticket) checked against the limits before anything is
    written; the first refused one raises `InputError` naming the file and the limit (or the count or total that
    is over)."""
    if len(files) > limits.max_count:
        singular, plural = Nn_("%(num)d file; the limit is %(limit)s", "%(num)d files; the limit is %(limit)s")
        raise InputError("files", singular, plural=plural, num=len(files), limit=limits.max_count)
    clean, total = [], 0
    for upload in files:
        name = safe_filename(upload.filename)
        content_type = upload_type(name)
        if content_type is None:
            raise InputError("files", N_("%(file)s is not a file type we send (images, PDF, text, CSV, Word, Excel, "
                                         "PowerPoint or zip)"), file=name)
        if not upload.data:
            raise InputError("files", N_("%(file)s is empty"), file=name)
        if len(upload.data) > limits.max_bytes:
            size, limit = _sizes(len(upload.data), limits.max_bytes)
            raise InputError("files", N_("%(file)s is %(size)s; the limit is %(limit)s per file"), file=name,
                             size=size, limit=limit)
        total += len(upload.data)
        if total > limits.max_total:
            size, limit = _sizes(total, limits.max_total)
            raise InputError("files", N_("with %(file)s the files come to %(size)s; the limit is %(limit)s in all"),
                             file=name, size=size, limit=limit)
        clean.append(CleanFile(name, content_type, upload.data))
    return clean


def _sizes(size: int, limit: int) -> tuple[Size, Size]:
    """A size over its limit and the limit, readable; in bytes when rounding would show them equal."""
    exact = human_size(size) == human_size(limit)
    return Size(size, exact), Size(limit, exact)


def attach_files(session: Session, data_dir: Path | None, message: Message, files: list[CleanFile],
                 written: list[Path]) -> list[Attachment]:
    """Store `files` (checked by `clean_files`) with `message`, in the caller's transaction (`add_attachment`), and
    return their rows; a store made without a data directory refuses files (the transaction then writes nothing)."""
    if not files:
        return []
    if data_dir is None:
        raise RuntimeError("made without a data_dir: files cannot be stored")
    session.flush()  # the message's id names the files
    return [add_attachment(session, data_dir, message, number, file.filename, file.content_type, file.data, written)
            for number, file in enumerate(files, 1)]


def _optional_text(field: str, value: object, limit: int) -> str | None:
    if value is None or value == "":
        return None
    return clean_text(field, value, limit)


def _choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InputError(field, N_("must be one of %(allowed)s, not %(value)s"),
                         allowed=", ".join(allowed), value=repr(value))
    return value


# What a due or snooze time looks like, as the errors quote it: a value of the message, not part of its text, so the
# pages isolate it (in an Arabic sentence "2026-12-05T14:30" read "05T14:30-12-2026").
DUE_EXAMPLE = "2026-12-05T14:30"


def parse_due(value: object, zone: object, field: str = "due") -> datetime:
    """A due time typed by an agent: ISO 8601 date and time ("2026-12-05T14:30", as a browser's
    datetime-local sends it) read in `zone` (an IANA name, the team's), or with its own UTC offset.
    A time with neither has no meaning (whose 14:30?), so it is refused, as is anything unparsable. `field` names
    the form's field in the error (a snooze's time is read the same way)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InputError(field, N_("is empty: give a date and time, or clear the due time"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(field, N_("%(value)s is not a date and time (e.g. %(example)s)"), value=repr(text[:40]),
                         example=DUE_EXAMPLE) from None
    if moment.tzinfo is None:
        no_zone = InputError(field, N_("%(value)s has no time zone"), value=repr(text[:40]))
        if not isinstance(zone, str) or not zone:
            raise no_zone
        named = zone_named(zone)
        if named is None:
            raise no_zone
        moment = moment.replace(tzinfo=named)
    try:
        return as_utc(moment)
    except OverflowError:  # "9999-12-31T23:59" west of UTC, "0001-01-01T00:00" east of it: no UTC year for it
        raise InputError(field, N_("%(value)s is out of the calendar's range"), value=repr(text[:40])) from None


def add_tags(ticket: Ticket, tags: Sequence[str]) -> int:
    """Tag the ticket with each of `tags` (folded already) it lacks, in the caller's transaction; how many were
    added."""
    have = {t.tag for t in ticket.tags}
    added = [tag for tag in dict.fromkeys(tags) if tag not in have]
    ticket.tags.extend(TicketTag(tag=tag) for tag in added)
    return len(added)


R = TypeVar("R")
# What a write's caller stores in the write's own transaction once its rows are in place (flushed: ids given), from
# what the write returns: the token API's answer under its Idempotency-Key (desk.idempotency), so that the answer
# and the rows it describes commit together or not at all. Raising rolls the write back.
Answer = Callable[[Session, R], None]


# What the worker's pass found nobody to take: a ticket's language, its required skills and whether it waited out the
# routing fallback (`TicketStore.hand_out`).
Kind = tuple[str, frozenset[int], bool]
# A row of a ticket's history (`TicketStore.changes`).
Change = (TicketStatusChange | TicketDueChange | TicketTeamChange | TicketAssigneeChange | TicketSnoozeChange
          | TicketTriggerChange | TicketCcChange | TicketProblemChange | TimeEntryChange | TicketDeletionChange
          | TicketSkillChange | TicketFollowUpStart)


class Fallback(NamedTuple):
    """An automatic assignment made after the routing fallback (desk.auto_assign): the ticket's language the agent
    does not answer (None: they do), the required skills they lack by name (None: none), the minutes waited."""

    lang: str | None
    skills: str | None
    minutes: int


def in_team_since() -> ColumnElement[datetime]:
    """When a ticket came to its current team, in SQL: its last move (a TicketTeamChange, by an agent or a trigger),
    or its arrival when never moved. The language fallback counts from it (Zendesk's skills timeout starts when the
    ticket enters the queue)."""
    moved = (select(func.max(TicketTeamChange.created_at)).where(TicketTeamChange.ticket_id == Ticket.id)
             .correlate(Ticket).scalar_subquery())
    return func.coalesce(moved, Ticket.created_at)


def record_assignee(session: Session, ticket: Ticket, assignee_id: int | None, agent_id: int | None,
                    now: datetime | None = None, auto_rule: str | None = None, trigger: str | None = None,
                    fallback: Fallback | None = None) -> bool:
    """The one place a ticket's assignee changes (None: unassigned): the change is a row of its history (who, when,
    from, to), whatever made it: an agent by hand or in bulk, a reply taking an unassigned ticket, a move to a team
    the assignee is not in, the demo's seed, the team's automatic assignment (`auto_rule`, the rule named with the
    ticket's team: "Assigned automatically (balanced, KSA support)"; `fallback`: made without the ticket's language
    or required skills, which nobody available had for that many minutes). `agent_id` is who did it (None: the desk
    itself). Returns whether it changed (the same assignee again writes nothing)."""
    if assignee_id == ticket.assignee_id:
        return False
    if assignee_id is not None:
        agent = assignable(session, assignee_id)
        if agent is not None and not agent.works_tickets:  # made light since the caller chose them (`assignable`)
            raise InputError("assignee", N_("agent %(agent)s is a light agent, who cannot be assigned tickets"),
                             agent=assignee_id)
    session.add(TicketAssigneeChange(ticket_id=ticket.id, agent_id=agent_id, old_assignee_id=ticket.assignee_id,
                                     new_assignee_id=assignee_id, created_at=now or utcnow(), auto_rule=auto_rule,
                                     auto_team=ticket.team if auto_rule else None, trigger_name=trigger,
                                     auto_without_lang=fallback.lang if fallback else None,
                                     auto_without_skills=fallback.skills if fallback else None,
                                     auto_waited_minutes=fallback.minutes if fallback else None))
    ticket.assignee_id = assignee_id
    if assignee_id is not None:  # the new assignee is mailed, unless they did it themselves (desk.agent_notices)
        notify_agent(session, ASSIGNED, ticket, assignee_id, agent_id, trigger=trigger, rule=auto_rule)
    return True


def _signature(session: Session, agent_id: int, lang: str, text: str) -> str | None:
    """What an agent's reply in `lang` is signed with (desk.signatures.to_sign), read in the reply's transaction."""
    from desk.signatures import signature_in, to_sign  # it builds on desk.customers, which imports this module

    agent = session.get(Agent, agent_id)
    return to_sign(text, signature_in(agent.signatures if agent is not None else None, lang))


def assignable(session: Session, agent_id: int) -> Agent | None:
    """The agent a ticket is about to be assigned to, their row locked (`lock_row`) until the transaction ends and
    read fresh (None: no such agent). Made a light agent (desk.accounts' `_light`), an agent's row is locked first and
    their tickets unassigned under it: an assignment checking the role on a row it did not hold (by hand, in bulk,
    the API, a trigger, a reply taking the ticket) committed beside the downgrade, and a light agent kept a ticket.
    An assignment of several tickets holds the agent before its tickets (`hold_assignee`): the downgrade holds the
    agent, then their tickets, so one order is kept and one waits rather than deadlocks."""
    lock_row(session, Agent, agent_id)
    agent = row_by_id(session, Agent, agent_id)
    if agent is not None:
        session.refresh(agent)  # read before the lock, in this session (an identity map keeps what it read)
    return agent


def replier(session: Session, agent_id: object) -> Agent:
    """The agent a public reply goes out as (the ticket page's, a follow-up, a problem's batch, the token API's), their
    row held (`assignable`) and read fresh in the reply's transaction: refused naming "agent" unless an active agent
    who works tickets. A page or the token API's check read them earlier: made light or deactivated since, the reply
    went out under their name (a light agent never replies to customers)."""
    if isinstance(agent_id, bool) or not isinstance(agent_id, int):
        raise InputError("agent", N_("must be an agent's id (a whole number)"))
    agent = assignable(session, agent_id)
    if agent is None or not agent.active:
        raise InputError("agent", N_("no agent %(agent)s"), agent=agent_id)
    if not agent.works_tickets:
        raise InputError("agent", N_("a light agent does not reply to customers"))
    return agent


def hold_assignee(session: Session, assignee_id: object) -> None:
    """An agent's assignment's first lock, before its tickets' (`assignable`): an agent's id; anything else (None,
    -1, KEEP) holds nothing."""
    if isinstance(assignee_id, int) and not isinstance(assignee_id, bool) and assignee_id > 0:
        lock_row(session, Agent, assignee_id)


def answered(session: Session, result: R, answer: Answer[R] | None) -> R:
    if answer is not None:
        session.flush()
        answer(session, result)
    return result


@dataclass(frozen=True)
class SentReply:
    """An agent's reply, and whether it was already sent by an earlier post of the same page (a double
    click, a resend): then nothing new was written or mailed."""

    message: Message
    resent: bool


@dataclass(frozen=True)
class CustomerReply:
    """A customer's message as stored, with its kept files and the ticket's status after it, all read in the write's
    own transaction: an answer built from them needs no second one, which could fail after the message was stored
    and have the client send it again."""

    message: Message
    files: list[Attachment]
    ticket_status: str
    # The ticket the message is on: the one addressed, the one it was merged into (`live_ticket`), or the follow-up
    # a message to a closed one started.
    ticket_id: int
    reference: str
    # The closed ticket's reference when the message landed on a follow-up of it (None: on the live ticket).
    follow_up_of: str | None = None
    # The addressed ticket's reference when it was merged and the message went where its conversation now lives.
    merged_from: str | None = None
    # The id of the ticket `follow_up_of` names (an API answer names tickets by id, read in the write's transaction).
    follow_up_of_id: int | None = None


@dataclass(frozen=True)
class FollowUpLinks:
    """A ticket's place in a chain of follow-ups: the closed ticket it continues, and the tickets that continue it
    (oldest first). Read from the follow-ups' context (FOLLOW_UP_OF), the one link every channel stores."""

    of: Ticket | None
    later: list[Ticket]


def customer_for(session: Session, email: str, name: str = "", country: str | None = None) -> Customer:
    """Insert-or-get by email, race-free (`insert_if_absent`): two first tickets from one new address at once
    both land on one customer."""
    def reached() -> Customer:
        insert_if_absent(session, Customer,
                         {"email": email, "name": name, "country": country, "created_at": utcnow(),
                          "search_text": customer_search_text(name, email)},
                         ["email"])
        found = reached_customer(session, email)
        assert found is not None  # inserted above when absent
        return found

    customer = reached()
    # Held to the commit and read again: a merge of this customer at this moment (desk.customers, which locks
    # both rows) moved their tickets before this one was written, which stayed on the merged-away row, on no
    # profile (PostgreSQL; hostile31). Now the merge waits for this ticket, or this ticket for the merge and
    # then follows it to the kept customer. The same for an erase: the ticket (with the customer's words) landed
    # on the erased skeleton (hostile31b); now the address, free again, reaches a new customer.
    for _ in range(3):  # one hop (a merge re-points earlier duplicates), a few for merges meanwhile
        lock_row(session, Customer, customer.id)
        session.refresh(customer)
        if customer.erased_at is not None:  # erased meanwhile (desk.erasure): the address is a new customer's
            customer = reached()
            continue
        kept = session.get(Customer, customer.merged_into_id) if customer.merged_into_id is not None else None
        if kept is None:
            break
        customer = kept
    if name and not customer.name:
        customer.name = name
    customer.search_text = customer_search_text(customer.name, customer.email)  # unchanged: no UPDATE
    from desk.organizations import join_by_domain  # here: desk.organizations builds on this module

    join_by_domain(session, customer)  # a new customer (or one older than their domain's organization) joins it
    return customer


def queue_reply_mail(session: Session, ticket: Ticket, message: Message, survey: CsatSurvey | None) -> None:
    """A reply's mail, queued in the reply's transaction (an agent's, or a rule's macro). The reply that solves the
    ticket carries the survey: one mail, not two. With CCs the reply goes to them too (desk.ccs) and the survey is
    the requester's alone (as Zendesk's): then it is a "solved" mail of its own."""
    if survey is not None and session.scalar(select(TicketCc.customer_id).where(TicketCc.ticket_id == ticket.id)
                                             .limit(1)) is not None:
        queue_mail(session, "reply", ticket, ticket.customer.email, ticket.lang, message)
        queue_mail(session, "solved", ticket, ticket.customer.email, ticket.lang, survey=survey)
    else:
        queue_mail(session, "reply", ticket, ticket.customer.email, ticket.lang, message, survey)


class TicketStore:
    def __init__(
        self, db: Database, languages: tuple[str, ...] = ("en", "ar"), hours: BusinessHours | None = None,
        data_dir: Path | None = None, file_limits: FileLimits | None = None,
        customer_file_limits: FileLimits | None = None, triggers: Triggers | None = None,
        fields: TicketFields | None = None,
    ) -> None:
        self.db = db
        # The custom ticket fields (content/_ticket_fields.yml): a `required_to_solve` one blocks solving.
        self.fields = fields or TicketFields()
        self.languages = languages
        # Where posted files are stored (a post without files needs neither).
        self.data_dir = data_dir
        # An agent's and an API client's limits; a customer's on the web (the contact form, their ticket's page).
        self.file_limits = file_limits or FileLimits.from_settings(Settings())
        self.customer_file_limits = customer_file_limits or FileLimits.for_customers(Settings())
        # Due times count in business hours; without a configuration, around the clock.
        self.hours = hours or BusinessHours.from_mapping({})
        # content/_triggers.yml's rules (desk.triggers), run on a new ticket and a customer's message.
        self.triggers = triggers
        # A PATCH's CCs (desk.ccs): at most this many, never our own address (the Desk sets them from Settings).
        self.max_ccs, self.mail_from = Settings().max_ccs, Settings().mail_from
        # Automatic assignment may drop a ticket's language after it waited this many minutes (0: never; the Desk
        # sets it from KB_ROUTING_LANGUAGE_FALLBACK_MINUTES).
        self.language_fallback_minutes = Settings().routing_language_fallback_minutes

    def limits_for(self, channel: str) -> FileLimits:
        """The limits a post's files are held to, by the way it came: a customer's web form has its own
        (`KB_CUSTOMER_MAX_ATTACHMENTS*`), an API client (and an agent) an agent's."""
        return self.customer_file_limits if channel == "web" else self.file_limits

    def _due(self, ticket: Ticket, since: datetime) -> datetime:
        """When the next agent reply is due for a customer message at `since` (business hours, by priority)."""
        return self.hours.due_at(since, ticket.priority, ticket.team)

    def computed_due(self, ticket: Ticket) -> datetime | None:
        """The business-hours due time: from the first customer message no agent has answered since."""
        if ticket.status in ("solved", "closed"):
            return None
        waiting: datetime | None = None  # the first customer message since the last agent reply
        for message in ticket.messages:
            if not message.internal:
                waiting = (waiting or message.created_at) if message.author == "customer" else None
        return self._due(ticket, waiting) if waiting is not None else None

    def set_due(self, ticket_id: int, due: datetime | None, agent_id: int | None) -> datetime | None:
        """Set the due time by hand (`due`), or clear it (None) back to the business-hours one; recorded
        in the ticket's history. A hand-set time wins until cleared: a priority change or a reply keeps it.
        Returns the due time now in force (after a clear, the computed one or None)."""

        def write(session: Session) -> datetime | None:
            return self._set_due(session, ticket_id, due, agent_id)

        return self.db.write(write)  # again while the database is busy

    def bulk_set_due(self, ticket_ids: list[int], due: datetime | None, agent_id: int | None) -> int:
        """`set_due` for many tickets in one transaction: all change or, on any bad id, solved or closed ticket,
        none."""

        def write(session: Session) -> None:
            for ticket_id in ticket_ids:
                self._set_due(session, ticket_id, due, agent_id)

        self.db.write(write)  # again while the database is busy
        return len(ticket_ids)

    def _set_due(self, session: Session, ticket_id: int, due: datetime | None, agent_id: int | None) -> datetime | None:
        ticket = changeable(session, ticket_id)
        if due is not None and ticket.status == "solved":
            raise InputError("due", N_("a solved or closed ticket has nothing due: reopen it first"))
        old = ticket.due_at
        ticket.due_at = as_utc(due) if due is not None else self.computed_due(ticket)
        ticket.due_by_hand = due is not None
        change = TicketDueChange(ticket_id=ticket.id, agent_id=agent_id, old_due_at=old, new_due_at=ticket.due_at,
                                 by_hand=due is not None, created_at=utcnow())
        session.add(change)
        ticket.updated_at = change.created_at
        return ticket.due_at

    def claim_due_recount(self, fingerprint: str, limit: int = RECOUNT_PER_PASS) -> list[int] | None:
        """The next page of the due times' recount under the due policy `fingerprint` (the one in force,
        BusinessHours.due_fingerprint), claimed in one transaction under the stored state's row lock
        (desk.models.DuePolicyState), so two workers never take the same page: the ids of up to `limit` unsolved
        tickets with a computed due time past the stored progress, the progress moved past them. A policy other than
        the stored one starts the recount over (the business hours changed, whether this worker ran then or not).
        None: nothing to recount (the stored policy is this one and its recount done; the first pass after the
        upgrade records the policy in force, without recounting)."""

        def write(session: Session) -> list[int] | None:
            insert_if_absent(session, DuePolicyState, {"id": 1}, ["id"])  # the first pass after the upgrade adds it
            lock_row(session, DuePolicyState, 1)
            state = session.get(DuePolicyState, 1)
            assert state is not None
            if state.fingerprint is None:  # recorded: the due times were counted under the policy the desk ran on
                state.fingerprint, state.changed_at = fingerprint, utcnow()
                return None
            if state.fingerprint != fingerprint:
                state.fingerprint, state.recount_after, state.changed_at = fingerprint, 0, utcnow()
            if state.recount_after is None:
                return None
            ids = list(session.scalars(select(Ticket.id).where(
                Ticket.id > state.recount_after, Ticket.status.in_(UNSOLVED), Ticket.due_by_hand.is_(False),
                Ticket.due_at.is_not(None)).order_by(Ticket.id).limit(limit)))
            state.recount_after = ids[-1] if len(ids) == limit else None
            return ids

        return self.db.write(write)

    def recount_due(self, ids: Sequence[int]) -> int:
        """After the business hours or due hours changed (a page `claim_due_recount` gave): count the due time of
        these unsolved tickets again (`computed_due`) under the policy now in force. A hand-set due time is never
        touched. Each ticket changed in its own transaction, its row held and read fresh (a reply or a hand-set time
        meanwhile wins), with a "policy" line in its history; its updated_at kept (no one worked on it). How many
        changed."""
        return sum(self._recount_one(ticket_id) for ticket_id in ids)

    def _recount_one(self, ticket_id: int) -> bool:
        """`_recount_due` for one ticket, again while the database is busy. A ticket whose due time cannot be counted
        (a time at the calendar's end, imported before imports refused one) keeps its due time and is logged: it
        raised out of the pass, so the job stopped there at every pass and no ticket after it was counted again."""
        try:
            return self.db.write(partial(self._recount_due, ticket_id=ticket_id))
        except (OverflowError, BusinessHoursError) as error:
            log.error("ticket %s: its due time was not counted again: %s", ticket_id, error)
            return False

    def _recount_due(self, session: Session, ticket_id: int) -> bool:
        lock_row(session, Ticket, ticket_id)
        ticket = row_by_id(session, Ticket, ticket_id)
        if ticket is None or ticket.due_by_hand or ticket.status not in UNSOLVED or ticket.due_at is None:
            return False
        old, due = as_utc(ticket.due_at), self.computed_due(ticket)
        if due == old:
            return False
        session.add(TicketDueChange(ticket_id=ticket.id, agent_id=None, old_due_at=old, new_due_at=due, by_hand=False,
                                    reason="policy", created_at=utcnow()))
        ticket.due_at = due
        flag_modified(ticket, "updated_at")  # written as it is: the column's onupdate would stamp now
        return True

    def move_to_team(self, ticket_id: int, team: str, agent_id: int | None) -> bool:
        """Move the ticket to `team` (a key of the business-hours file), recorded in its history. The due time is
        counted again in the new team's hours unless an agent set it by hand, and an assignee who is not in the
        new team is unassigned (the team's own agents pick it up, as Zendesk does). Returns whether it was."""

        def write(session: Session) -> bool:
            return self._move_to_team(session, ticket_id, team, agent_id)

        return self.db.write(write)  # again while the database is busy

    def bulk_move_to_team(self, ticket_ids: list[int], team: str, agent_id: int | None) -> int:
        """`move_to_team` for many tickets in one transaction: all move or, on any bad id or team, none."""

        def write(session: Session) -> None:
            for ticket_id in ticket_ids:
                self._move_to_team(session, ticket_id, team, agent_id)

        self.db.write(write)  # again while the database is busy
        return len(ticket_ids)

    def _move_to_team(self, session: Session, ticket_id: int, team: str, agent_id: int | None) -> bool:
        team = _choice("team", team, tuple(self.hours.teams))
        ticket = changeable(session, ticket_id)
        if team == self.hours.team_key(ticket.team):
            return False  # there already (no team stored is the default team)
        now = utcnow()
        session.add(TicketTeamChange(ticket_id=ticket.id, agent_id=agent_id, old_team=ticket.team, new_team=team,
                                     created_at=now))
        ticket.team = team
        if not ticket.due_by_hand:
            ticket.due_at = self.computed_due(ticket)
        unassigned = ticket.assignee_id is not None and session.scalar(
            select(AgentTeam.id).where(AgentTeam.agent_id == ticket.assignee_id, AgentTeam.team == team)) is None
        if unassigned:
            record_assignee(session, ticket, None, agent_id, now)
        if ticket.assignee_id is None and ticket.status in UNSOLVED:  # the new team's rule, if it has one
            self.auto_assign(session, ticket, now)
        ticket.updated_at = now
        return unassigned

    def auto_assign(self, session: Session, ticket: Ticket, now: datetime | None = None) -> bool:
        """Hand the unassigned ticket to an available agent of its team by the team's `assignment:` rule
        (desk.auto_assign.choose, which locks the team's agents), in the caller's transaction; recorded in its history
        as the desk's, naming the rule. Whether someone was found (no rule, nobody available, nobody answering in its
        language, everyone at max_open: it stays unassigned, and the worker's `hand_out` tries again)."""
        decision = self._auto_assign(session, ticket, now or utcnow())
        return decision is not None and decision.chosen is not None

    def _may_drop_language(self, since: datetime, now: datetime) -> bool:
        """Whether a ticket that came to its team at `since` (`in_team_since`) has waited out the language fallback by
        `now`."""
        minutes = self.language_fallback_minutes
        return minutes > 0 and as_utc(since) <= now - timedelta(minutes=minutes)

    def _auto_assign(self, session: Session, ticket: Ticket, now: datetime) -> Decision | None:
        """`auto_assign`'s decision (None: the team has no rule), the assignment written when someone was chosen."""
        from desk.skills import names_of, ticket_skill_ids  # it builds on this module

        team = self.hours.teams.get(self.hours.team_key(ticket.team))
        if team is None or team.assignment is None:
            return None  # no rule: not even the ticket's skills read
        skills = ticket_skill_ids(session, [ticket.id]).get(ticket.id, frozenset())
        since = session.scalar(select(in_team_since()).where(Ticket.id == ticket.id)) if ticket.id else None
        decision = choose(session, self.hours, self.hours.team_key(ticket.team), now, ticket.lang,
                          self._may_drop_language(since or ticket.created_at, now), skills)
        if decision is not None and decision.chosen is not None:
            fallback = None
            if decision.without_language or decision.without_skills:
                fallback = Fallback(ticket.lang if decision.without_language else None,
                                    ", ".join(names_of(session, decision.without_skills))[:1000] or None,
                                    self.language_fallback_minutes)
            record_assignee(session, ticket, decision.chosen, None, now, auto_rule=decision.rule, fallback=fallback)
        return decision

    def hand_out(self, limit: int = 100, now: datetime | None = None) -> int:
        """The worker's `auto-assign` pass: the oldest unassigned unsolved tickets of each team with an `assignment:`
        rule go to its members, as a new ticket would, until nobody is left under max_open (an agent came back, or
        solved a ticket, or joined the team since the ticket arrived), and a ticket in a language nobody available
        answers (or requiring skills nobody available has, desk.skills) goes to anyone once it waited out
        KB_ROUTING_LANGUAGE_FALLBACK_MINUTES. One transaction per team; each ticket is locked and read again first, so
        a ticket an agent took meanwhile keeps its assignee; a language and skills (before or after the fallback)
        nobody could take is not tried again in the pass. How many were assigned.

        It reads only what it can assign: pages, oldest first, of as many waiting tickets as the team's members can
        still take (`_capacity`), the next page after the last ticket read and without the languages found stuck, so
        a team of thousands waiting reads a few rows while its members are full (it read them all)."""
        now = now or utcnow()
        assigned = 0
        for key, team in self.hours.teams.items():
            if team.assignment is None or assigned >= limit:
                continue
            with self.db.session() as session:
                members = available_members(session, key)
                if not members:
                    continue  # nobody to hand to: no lock, no write (the worker asks every 15 s)
                room = min(limit - assigned, self._capacity(session, members, team.assignment.max_open))
                stuck: set[Kind] = set()  # (language, skills, past its fallback) nobody could take
                after: tuple[datetime, int] | None = None  # the last ticket read: the next page starts past it
                while room > 0:
                    page = list(session.execute(
                        select(Ticket.id, Ticket.lang, in_team_since(), Ticket.created_at)
                        .where(team_clause(self.hours, key), Ticket.status.in_(UNSOLVED), Ticket.assignee_id.is_(None),
                               *self._waiting_past(after), *self._not_stuck(stuck, now))
                        .order_by(Ticket.created_at, Ticket.id).limit(room)))
                    taken, done = self._hand_page(session, page, stuck, now)
                    assigned, room = assigned + taken, room - taken
                    if done or len(page) < room + taken:
                        break  # nobody can take more, or no ticket is left
                    after = (page[-1].created_at, page[-1].id)
        return assigned

    @staticmethod
    def _capacity(session: Session, members: list[Member], max_open: int | None) -> int:
        """How many tickets the available members can still take: under max_open, each up to it; without one, any."""
        if max_open is None:
            return MAX_ROW_ID
        counts = unsolved_counts(session, [member.agent_id for member in members])
        return sum(max(0, max_open - counts.get(member.agent_id, 0)) for member in members)

    @staticmethod
    def _waiting_past(after: tuple[datetime, int] | None) -> list[ColumnElement[bool]]:
        """The waiting tickets after the one last read, in the pass's order (arrival, then id)."""
        if after is None:
            return []
        created, ticket_id = after
        return [or_(Ticket.created_at > created, and_(Ticket.created_at == created, Ticket.id > ticket_id))]

    def _not_stuck(self, stuck: set[Kind], now: datetime) -> list[ColumnElement[bool]]:
        """Leave out the tickets of a language (before or after its fallback) and requiring skills (desk.skills)
        nobody could take in this pass, and those requiring more skills besides (fewer members have them all): a
        correlated count of the ticket's skills among those, on the unique (ticket_id, skill_id) index."""
        minutes = self.language_fallback_minutes
        cutoff = now - timedelta(minutes=minutes)
        clauses: list[ColumnElement[bool]] = []
        for lang, skills, past in stuck:
            same = [Ticket.lang == lang]
            if minutes > 0:
                since = in_team_since()
                same.append(since <= cutoff if past else since > cutoff)
            if skills:
                same.append(select(func.count()).where(TicketSkill.ticket_id == Ticket.id,
                                                       TicketSkill.skill_id.in_(sorted(skills)))
                            .scalar_subquery() == len(skills))
            clauses.append(~and_(*same))
        return clauses

    def _hand_page(self, session: Session, page: Sequence[Any], stuck: set[Kind],
                   now: datetime) -> tuple[int, bool]:
        """One page of waiting tickets handed out in order: how many were assigned, and whether nobody can take more
        (no available member, or every one at max_open)."""
        from desk.skills import ticket_skill_ids  # it builds on this module

        taken = 0
        required = ticket_skill_ids(session, [row[0] for row in page])  # one query a page
        for ticket_id, lang, since, _ in page:
            kind = (lang, required.get(ticket_id, frozenset()), self._may_drop_language(since, now))
            if any(lang == was and kind[2] == past and skills <= kind[1] for was, skills, past in stuck):
                continue
            lock_row(session, Ticket, ticket_id)
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                continue
            session.refresh(ticket)
            if ticket.assignee_id is not None or ticket.status not in UNSOLVED:
                continue
            decision = self._auto_assign(session, ticket, now)
            if decision is None or decision.blocked == "nobody_available":
                return taken, True
            if decision.chosen is None:
                if decision.blocked == "all_at_max_open" and kind[2]:
                    return taken, True  # every available member is at max_open
                stuck.add(kind)
                continue
            taken += 1
        return taken, False

    def changes(self, ticket_id: int) -> list[Change]:
        """The ticket's history: status changes, due times set by hand, moves between teams, assignee changes and
        snoozes, CCs added and removed, problem marks and links (desk.problems), time entries edited and deleted,
        deletions and restores (desk.trash), required skills (desk.skills), what a follow-up started with from the
        closed ticket (`follow_up_in`: first, it is as old as the ticket), oldest first (a move that unassigns lists
        the move, then the unassignment)."""
        with self.db.session() as session:
            rows: list[Change] = [
                *session.scalars(select(TicketStatusChange).where(TicketStatusChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketDueChange).where(TicketDueChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketTeamChange).where(TicketTeamChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketAssigneeChange).where(TicketAssigneeChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketSnoozeChange).where(TicketSnoozeChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketTriggerChange).where(TicketTriggerChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketCcChange).where(TicketCcChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketProblemChange).where(TicketProblemChange.ticket_id == ticket_id)),
                *session.scalars(select(TimeEntryChange).where(TimeEntryChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketDeletionChange).where(TicketDeletionChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketSkillChange).where(TicketSkillChange.ticket_id == ticket_id)),
                *session.scalars(select(TicketFollowUpStart).where(TicketFollowUpStart.ticket_id == ticket_id)),
            ]
        kinds = {TicketFollowUpStart: -1, TicketStatusChange: 0, TicketDueChange: 1, TicketTeamChange: 2,
                 TicketAssigneeChange: 3, TicketSnoozeChange: 4, TicketTriggerChange: 5, TicketCcChange: 6,
                 TicketProblemChange: 7, TimeEntryChange: 8, TicketDeletionChange: 9, TicketSkillChange: 10}
        return sorted(rows, key=lambda row: (as_utc(row.created_at), kinds[type(row)], row.id))

    def validate(self, new: NewTicket, with_files: bool = False) -> NewTicket:
        """`new` checked and cleaned, every error naming its field; the body may be empty when the first message
        carries files (`with_files`: a screenshot is a message)."""
        subject = clean_text("subject", new.subject, MAX_SUBJECT)
        body = clean_text("body", new.body, MAX_BODY, required=not with_files)
        lang = new.lang or detect_language(f"{subject}\n{body}", self.languages)
        lang = _choice("lang", lang, self.languages)
        return NewTicket(
            email=clean_email(new.email),
            subject=subject,
            body=body,
            name=clean_text("name", new.name or "", MAX_NAME, required=False),
            lang=lang,
            channel=_choice("channel", new.channel, CHANNELS),
            priority=_choice("priority", new.priority, PRIORITIES),
            country=_optional_text("country", new.country, 2),
            external_id=_optional_text("external_id", new.external_id, MAX_EXTERNAL_ID),
            created=new.created,
            context=new.context or {},
            visit_id=new.visit_id,
            # Numbered as in an export's "messages" (the first is the body): the same checks as the first's.
            replies=tuple((_choice(f"messages[{i}].author", a, ("customer", "agent")),
                           clean_text(f"messages[{i}].body", b, MAX_BODY)) for i, (a, b) in enumerate(new.replies, 1)),
            notify=new.notify,
            # Copied from a stored ticket (a follow-up's), never typed: as they were checked when stored.
            team=new.team,
            category=_optional_text("category", new.category, MAX_CATEGORY),
            tags=new.tags,
            skills=new.skills,
            auto_assign=new.auto_assign,
            # Named by their labels in the customer's language (the contact form), an API client's in the first.
            fields=self._clean_fields(new.fields, self.languages[0] if new.channel == "api" else lang),
            spam=new.spam,
        )

    def _clean_fields(self, raw: Mapping[str, object] | None, lang: str) -> dict[str, str | None] | None:
        if not raw:
            return None
        from desk.ticket_fields import clean_values  # it imports this module's InputError
        return clean_values(self.fields, raw, lang)

    def create(self, new: NewTicket, files: Sequence[Upload] = ()) -> Ticket:
        """Store a new ticket, its customer created on first contact; retried while the database is busy.

        `files` (the contact form's or an API client's attachments) go with its first message: all are checked
        first (`clean_files`, with the limits of the ticket's channel: `limits_for`), and the ticket and its files are
        written together or, on any failure, neither."""
        return self.create_with_files(new, files)[0]

    def create_with_files(self, new: NewTicket, files: Sequence[Upload] = (),
                          answer: Answer[tuple[Ticket, list[Attachment]]] | None = None,
                          ) -> tuple[Ticket, list[Attachment]]:
        """`create`, also returning the rows of the files as stored: an answer that lists them needs no second
        transaction, which could fail after the ticket was stored and have the client send it again. `answer`: see
        `Answer`."""
        new = self.validate(new, with_files=bool(files))
        attached = clean_files(files, self.limits_for(new.channel))

        def insert(session: Session, written: list[Path]) -> tuple[Ticket, list[Attachment]]:
            ticket = self.create_in(session, new)
            return answered(session, (ticket, attach_files(session, self.data_dir, ticket.messages[0], attached,
                                                           written)), answer)

        try:
            return write_with_files(self.db, insert)
        except IntegrityError:
            if new.external_id and self.exists(new.external_id):
                raise DuplicateTicketError("external_id", f"a ticket {new.external_id!r} exists already") from None
            raise

    def create_in(self, session: Session, new: NewTicket) -> Ticket:
        """Insert a validated ticket in the caller's transaction, with its confirmation mail queued."""
        ticket = self._insert(session, new)
        if new.notify and new.channel in CONFIRMED_CHANNELS and new.created is None and ticket.deleted_at is None:
            queue_mail(session, "confirmation", ticket, ticket.customer.email, ticket.lang, ticket.messages[0])
        return ticket

    @staticmethod
    def live_ticket(session: Session, ticket: Ticket) -> Ticket:
        """The ticket a customer's message to `ticket` belongs on: a merged duplicate is empty and closed, its
        conversation moved to the ticket it was merged into (`merge`), so a message to it goes there, as Freshdesk,
        Help Scout and Chatwoot send it. Follows chains of merges; at most MAX_MERGE_HOPS, and a cycle (A into B,
        then B into A) stops before a ticket seen twice. Every customer channel asks it: mail, the ticket page, the
        API; the agents' side does not."""
        seen = {ticket.id}
        for _ in range(MAX_MERGE_HOPS):
            if ticket.merged_into_id is None:
                return ticket
            target = session.get(Ticket, ticket.merged_into_id)
            if target is None or target.id in seen:
                return ticket
            seen.add(target.id)
            ticket = target
        return ticket

    def live_reference(self, ticket: Ticket) -> str:
        """The reference of the ticket `ticket`'s conversation lives on (`live_ticket`): its own unless merged. A walk
        that ends on a ticket merged itself (a cycle from before merges refused them) answers `ticket`'s own, so a
        page that sends the reader there cannot send them round in circles."""
        with self.db.session() as session:
            row = session.get(Ticket, ticket.id)
            live = self.live_ticket(session, row) if row is not None else None
            return live.reference if live is not None and live.merged_into_id is None else ticket.reference

    def follow_up_in(self, session: Session, closed: Ticket, body: str, channel: str, with_files: bool = False,
                     subject: str | None = None, agent_id: int | None = None) -> Ticket:
        """A closed ticket is final (as in Zendesk): the customer's message to it, by any channel (mail, their
        ticket's page, the API), starts a new ticket in the caller's transaction, its first message `body`, and
        returns it. The follow-up is the closed ticket's customer's, in its language, with its team, category,
        tags and required skills (desk.skills: before it is routed), linked by its reference (context FOLLOW_UP_OF:
        the workspace shows both ends); `subject` (a mail's) or the closed ticket's. The closed ticket's CCs are
        copied on it (`desk.ccs.carry_ccs`, history rows by `agent_id` or the system). Its confirmation is queued
        as for any new ticket; the caller stores the files.

        `agent_id`: an agent starts it (the closed ticket's page, `agent_follow_up`): the first message is theirs,
        nothing is due and no confirmation is queued (their message is mailed as a reply, by the caller)."""
        from desk.skills import held, ticket_skill_ids  # it builds on this module

        lang = closed.lang if closed.lang in self.languages else None  # a language since removed: detected
        new = self.validate(NewTicket(
            email=closed.customer.email, name=closed.customer.name, subject=subject or closed.subject, body=body,
            lang=lang, channel=channel, context={FOLLOW_UP_OF: closed.reference}, team=closed.team,
            category=closed.category, tags=tuple(t.tag for t in closed.tags), notify=agent_id is None,
            # Held (desk.skills.held): one another request deleted since they were read is left out, not refused
            # by the database with the customer's message.
            skills=tuple(sorted(held(session, ticket_skill_ids(session, [closed.id]).get(closed.id, ())))),
        ), with_files)
        ticket = self.create_in(session, new)
        session.flush()  # the follow-up's id, for its CC rows and its history
        if new.skills or new.tags:  # why it starts with them (its page's history): what it carried, from where
            from desk.skills import names_of  # it builds on this module
            session.add(TicketFollowUpStart(
                ticket_id=ticket.id, from_ticket_id=closed.id, agent_id=agent_id,
                skills=stored_names(names_of(session, new.skills)),
                tags=", ".join(sorted(new.tags))[:1000] or None, created_at=ticket.created_at))
        from desk.ccs import carry_ccs  # imports this module's customer_for
        carry_ccs(session, closed, ticket, self.max_ccs, agent_id)  # Zendesk copies the CCs to a follow-up
        if agent_id is not None:
            first = ticket.messages[0]
            first.author, first.agent_id, first.channel = "agent", agent_id, "email"  # as `send_reply` writes one
            ticket.due_at = None  # the thread ends with the agent: waiting on the customer
            session.flush()  # the ticket's id, for the status change its caller records
        return ticket

    def agent_follow_up(
        self, closed_id: int, agent_id: int, body: str, status: str = "pending", files: Sequence[Upload] = (),
        tags: Sequence[str] = (), signature: bool = False,
    ) -> SentReply:
        """The agent's reply to a closed ticket, as a follow-up (Zendesk's "create a follow-up"): a new ticket
        linked to the closed one by `follow_up_in` (same customer, language, team, category and tags), the reply its
        first message, mailed to the customer as any reply (`_sent`); the closed ticket is untouched. The checks are
        `send_reply`'s. The same page posted again (a double click) within RESEND_WINDOW gives back the follow-up
        this agent started with these words, never a second one. A ticket that is not closed is answered on itself:
        an error naming "ticket". `signature`: signed as `send_reply` signs."""
        text, attached = self._reply_input(body, status, files)

        def follow_up(session: Session, written: list[Path]) -> SentReply:
            # Held before its follow-ups are read: the same reply posted from two tabs at once both found none and
            # started two follow-ups.
            lock_row(session, Ticket, closed_id)
            closed = row_by_id(session, Ticket, closed_id)
            if closed is None:
                raise InputError("ticket", N_("no ticket %(ticket)s"), ticket=closed_id)
            if closed.status != "closed":
                raise InputError("ticket", N_("ticket #%(ticket)s is not closed: reply on it"), ticket=closed_id)
            refuse_erased(closed)
            now = utcnow()
            for later in self._follow_ups(session, closed):
                first = later.messages[0] if later.messages else None
                if (first is not None and first.agent_id == agent_id and first.body == text
                        and now - as_utc(first.created_at) < RESEND_WINDOW):
                    return SentReply(first, resent=True)
            ticket = self.follow_up_in(session, closed, text, closed.channel, with_files=bool(attached),
                                       agent_id=agent_id)
            add_tags(ticket, tags)
            message = ticket.messages[0]
            if signature:
                message.signature = _signature(session, agent_id, ticket.lang, text)
            self._sent(session, ticket, message, agent_id, status, attached, written)
            return SentReply(message, resent=False)

        return write_with_files(self.db, follow_up)  # again while the database is busy

    def _reply_input(self, body: str, status: str, files: Sequence[Upload]) -> tuple[str, list[CleanFile]]:
        """An agent's reply's checks, before anything is written (`send_reply`'s and a follow-up's): text or files
        ("body" names it), a known status, the files within the limits. The text and the checked files."""
        text = clean_text("body", body, MAX_BODY, required=not files)
        _choice("status", status, TICKET_STATUSES)
        return text, clean_files(files, self.file_limits)

    def _sent(self, session: Session, ticket: Ticket, message: Message, agent_id: int, status: str,
              attached: list[CleanFile], written: list[Path]) -> None:
        """What an agent's reply does to its ticket (`send_reply`'s, a follow-up's first): its agent checked again on
        their held row (`replier`), the first response stamped, nothing due (unless set by hand), assigned to them if
        no one was, the status set, the files stored and the reply mailed (with the survey when it solves)."""
        now = as_utc(message.created_at)
        ticket.first_response_at = ticket.first_response_at or now
        if not ticket.due_by_hand:  # a due time an agent set stays until they clear it
            ticket.due_at = None  # answered: nothing is due until the customer writes again
        replier(session, agent_id)  # made light or deactivated since the page was read: nothing is sent
        if ticket.assignee_id is None:
            record_assignee(session, ticket, agent_id, agent_id, now)
        survey = self._set_status(ticket, status, now, agent_id)
        attach_files(session, self.data_dir, message, attached, written)
        queue_reply_mail(session, ticket, message, survey)
        index_ticket(session, ticket)

    @staticmethod
    def _follow_ups(session: Session, ticket: Ticket) -> list[Ticket]:
        """The tickets that continue `ticket` (oldest first): its customer's, naming its reference (JSON read in SQL
        on SQLite and PostgreSQL alike; the customer's index keeps it to their few tickets)."""
        return list(session.scalars(
            select(Ticket).where(Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id,
                                 Ticket.context[FOLLOW_UP_OF].as_string() == ticket.reference)
            .order_by(Ticket.created_at, Ticket.id)
        ))

    def follow_up_links(self, ticket: Ticket) -> FollowUpLinks:
        """The closed ticket `ticket` continues and the follow-ups that continue it: "follow-up of #N" and
        "follow-up: #M" on the agent's page, the links between them on the customer's. Reads only."""
        earlier = ticket.context.get(FOLLOW_UP_OF) if isinstance(ticket.context, dict) else None
        with self.db.session() as session:
            of = None
            if isinstance(earlier, str):
                of = session.scalar(select(Ticket).where(Ticket.reference == earlier,
                                                         Ticket.customer_id == ticket.customer_id))
            return FollowUpLinks(of, self._follow_ups(session, ticket))

    def _customer(self, session: Session, new: NewTicket) -> Customer:
        return customer_for(session, new.email, new.name, new.country)

    def _insert(self, session: Session, new: NewTicket) -> Ticket:
        customer = self._customer(session, new)
        # The company's tags (desk.organizations): its tier routes and prioritises the ticket as any tag does.
        company_tags = (session.scalar(select(Organization.tags).where(Organization.id == customer.organization_id))
                        or "").split() if customer.organization_id is not None else []
        created = new.created or utcnow()
        lang = new.lang or self.languages[0]
        from desk.blocked import is_blocked, mark_deleted  # imports this module
        spam = new.spam or (new.channel in SPAM_CHECKED and new.created is None and is_blocked(session, customer.email))
        ticket = Ticket(
            reference=new_reference(),
            external_id=new.external_id,
            customer=customer,
            subject=new.subject,
            lang=lang,
            channel=new.channel,
            priority=new.priority,
            context=new.context or {},
            visit_id=new.visit_id,
            category=new.category,
            # Every way in (the contact form, the API, mail, an import) is routed here, by the same rules; a
            # follow-up stays with the closed ticket's team.
            team=new.team or self.hours.route(lang, new.channel, new.category, new.email),
            created_at=created,
            updated_at=created,
        )
        add_tags(ticket, new.tags)
        add_tags(ticket, company_tags)
        if spam:  # deleted before its first flush: no webhook sees it created (desk.webhooks)
            ticket.deleted_at, ticket.deleted_reason = created, "spam"
        ticket.messages.append(Message(author="customer", body=new.body, created_at=created, channel=new.channel))
        for author, body in new.replies:
            ticket.messages.append(Message(author=author, body=body, created_at=created))
        # Waiting on an agent when the thread ends with the customer (an imported thread may not).
        if ticket.messages[-1].author == "customer":
            ticket.due_at = self._due(ticket, created)
        session.add(ticket)
        if new.fields:  # before the triggers: a rule on a field sees what the contact form or the API set
            from desk.ticket_fields import write_values  # it imports this module's InputError
            session.flush()
            write_values(session, ticket.id, {key: value if value is None else str(value)
                                              for key, value in new.fields.items()})
        if new.skills:  # before the triggers (a rule's `require_skills` adds to them) and automatic assignment
            session.flush()
            session.add_all(TicketSkill(ticket_id=ticket.id, skill_id=skill_id) for skill_id in new.skills)
        if spam:  # stored whole, in the Deleted tickets page: no trigger or assignment acts on it
            session.flush()
            mark_deleted(session, ticket, None, "spam", created)
            index_ticket(session, ticket)
            return ticket
        if new.auto_assign and self.triggers:  # before automatic assignment: a trigger's team and assignee win
            self.triggers.run(session, self, ticket, Event("created", new.body, created))
        index_ticket(session, ticket)
        rule = self.hours.teams.get(self.hours.team_key(ticket.team))
        if (new.auto_assign and ticket.assignee_id is None and rule is not None
                and rule.assignment is not None):  # else nothing changes: no flush
            session.flush()  # the history row names the ticket's id
            self.auto_assign(session, ticket)
        return ticket

    def exists(self, external_id: str) -> bool:
        with self.db.session() as session:
            return session.scalar(select(Ticket.id).where(Ticket.external_id == external_id)
                                  .execution_options(**{WITH_DELETED: True})) is not None  # the key's owner

    def get(self, ticket_id: int) -> Ticket | None:
        if not 0 < ticket_id <= MAX_ROW_ID:
            return None
        with self.db.session() as session:
            return session.scalar(self._full().where(Ticket.id == ticket_id))

    def by_external_id(self, external_id: str, with_deleted: bool = False) -> Ticket | None:
        """The ticket a source (a mail's Message-ID, a partner's id, one contact page) created before; `with_deleted`:
        a deleted one too (a contact page that made spam, sent again, is still the same ticket)."""
        with self.db.session() as session:
            return session.scalar(self._full().where(Ticket.external_id == external_id)
                                  .execution_options(**{WITH_DELETED: with_deleted}))

    def by_reference(self, reference: str) -> Ticket | None:
        if not reference or len(reference) > 40:
            return None
        with self.db.session() as session:
            return session.scalar(self._full().where(Ticket.reference == reference))

    @staticmethod
    def _full():  # type: ignore[no-untyped-def]
        return select(Ticket).options(
            joinedload(Ticket.customer),
            joinedload(Ticket.assignee),
            selectinload(Ticket.messages).joinedload(Message.agent),
            selectinload(Ticket.tags),
        )

    def inbox(
        self,
        status: str | None = None,
        lang: str | None = None,
        assignee_id: int | None = None,
        unassigned: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Ticket], int]:
        limit, offset = max(0, min(limit, 1000)), max(0, min(offset, MAX_ROW_ID))
        query = select(Ticket)
        if status:
            query = query.where(Ticket.status == status)
        if lang:
            query = query.where(Ticket.lang == lang)
        if unassigned:
            query = query.where(Ticket.assignee_id.is_(None))
        elif assignee_id is not None:
            query = query.where(Ticket.assignee_id == assignee_id)
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.options(joinedload(Ticket.customer), joinedload(Ticket.assignee))
                .order_by(Ticket.created_at.desc(), Ticket.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return list(rows), total

    def history(self, customer_id: int, exclude: int | None = None) -> list[Ticket]:
        """The customer's other tickets, newest first: an agent's first question is "is this a repeat?"."""
        with self.db.session() as session:
            query = select(Ticket).where(Ticket.customer_id == customer_id)
            if exclude is not None:
                query = query.where(Ticket.id != exclude)
            return list(session.scalars(query.order_by(Ticket.created_at.desc()).limit(20)))

    def by_customer_email(self, email: str) -> list[Ticket]:
        """Every ticket of the customer with this address, and those they are copied on (desk.ccs: they get its mail
        already), newest first ("My tickets"); a merged duplicate's address reads the kept customer's (their tickets
        moved there, desk.customers)."""
        with self.db.session() as session:
            found = reached_customer(session, email.strip().lower())
            if found is None:
                return []
            copied = select(TicketCc.ticket_id).where(TicketCc.customer_id == found.id)
            return list(session.scalars(
                select(Ticket).where(or_(Ticket.customer_id == found.id, Ticket.id.in_(copied)))
                .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            ))

    def reply(
        self, ticket_id: int, agent_id: int, body: str, status: str = "pending", seen_message_id: int | None = None,
        files: Sequence[Upload] = (),
    ) -> Message:
        """Send an agent's reply; the first one stamps the ticket's first-response time.

        `seen_message_id` is the last message the agent had on screen: if the customer or another agent
        wrote since, nothing is sent and `CrossedReplyError` lists what is new (checked in the same
        transaction as the write, so two agents cannot both miss each other).
        """
        return self.send_reply(ticket_id, agent_id, body, status, seen_message_id, files).message

    def send_reply(
        self, ticket_id: int, agent_id: int, body: str, status: str = "pending", seen_message_id: int | None = None,
        files: Sequence[Upload] = (), tags: Sequence[str] = (), fields: Mapping[str, object] | None = None,
        seconds: int | None = None, form_key: str | None = None, signature: bool = False,
        answer: Answer[SentReply] | None = None,
    ) -> SentReply:
        """`reply`, also telling whether this call sent it or found the same page's reply already sent
        (the caller records what the agent did once per reply, not once per click).

        `files` go with the reply (stored with it, attached to its mail): all are checked first (`clean_files`),
        and the reply, its files and its mail are written together or, on any failure, none of them. So are `tags`
        (folded by `desk.tags.clean_tag`), added to the ticket with it: in a transaction of their own, a failure
        after the reply went out answered "nothing was changed" for a reply that was sent. A reply may be files
        alone (no text); one with neither is refused, naming "body". A closed ticket is final: `ClosedTicketError`
        (its page offers `agent_follow_up` instead), where the reply used to reopen it. `fields` (a macro's
        set_fields: key -> value) are checked first and set with the reply, audited as the agent's change; a refused
        one (an InputError naming `fields.<key>`) sends nothing. `seconds`: the agent's time on the ticket, recorded
        with the reply (desk.time_tracking; `form_key` the page's post, recorded once), not for a resend. `signature`:
        the agent's signature in the ticket's language goes with it (desk.signatures: kept beside the text, so a
        resend is still found by its words; none when the text ends with it already). `answer`: the token API's
        answer, stored with the reply (`answered`)."""
        from desk.time_tracking import clean_seconds, record_with  # it imports this module's InputError

        if seconds is not None:
            clean_seconds(seconds, "time_spent")
        text, attached = self._reply_input(body, status, files)
        if fields:
            from desk.ticket_fields import clean_values  # it imports this module's InputError
            cleaned = clean_values(self.fields, fields)
        def send(session: Session, written: list[Path]) -> SentReply:
            hold_assignee(session, agent_id)  # the replier takes an unassigned ticket: held before it (`assignable`)
            ticket = changeable(session, ticket_id, reply=True)  # final: the page offers a follow-up
            add_tags(ticket, tags)  # a crossed reply adds none (rolled back); a resend keeps them, as the first post
            if fields:
                from desk.audit import Actor
                from desk.ticket_fields import write_values
                write_values(session, ticket.id, cleaned, Actor.agent(agent_id))
            if seen_message_id is not None:
                crossed = [m for m in ticket.messages if m.id > seen_message_id and m.agent_id != agent_id]
                if crossed:
                    raise CrossedReplyError([(m.author, m.body) for m in crossed])
                # The same page's reply sent again (a second click while the first was on its way): the
                # reply it already sent, not a second copy and a second mail to the customer.
                mine = [m for m in ticket.messages if m.id > seen_message_id and m.agent_id == agent_id]
                for sent in mine:
                    if not sent.internal and sent.body == text:
                        return SentReply(sent, resent=True)
            message = Message(author="agent", agent_id=agent_id, body=text, created_at=utcnow(), channel="email",
                              signature=_signature(session, agent_id, ticket.lang, text) if signature else None)
            ticket.messages.append(message)
            self._sent(session, ticket, message, agent_id, status, attached, written)
            record_with(session, ticket, agent_id, seconds, "reply", form_key)
            return answered(session, SentReply(message, resent=False), answer)

        return write_with_files(self.db, send)  # again while the database is busy (SQLite's one writer)

    def customer_reply(self, reference: str, body: str, submission: str | None = None, files: Sequence[Upload] = (),
                       channel: str = "web") -> Message:
        """`customer_reply_with_files`' message: what the ticket page needs."""
        return self.customer_reply_with_files(reference, body, submission, files, channel).message

    def customer_reply_with_files(self, reference: str, body: str, submission: str | None = None,
                                  files: Sequence[Upload] = (), channel: str = "web",
                                  answer: Answer[CustomerReply] | None = None,
                                  writer: str | None = None) -> CustomerReply:
        """Add the customer's message to their ticket (reopened, due again; a solved one too). A ticket merged into
        another is not where the conversation lives: the message goes to the ticket it was merged into
        (`live_ticket`; `merged_from` in the answer). A closed ticket is final, as a mail to it is
        (desk.mail.receive): the message starts a follow-up ticket (`follow_up_in`; of the merge target, when that
        is the closed one), and the answer names the ticket it landed on. The same words posted again within
        RESEND_WINDOW, or the same page (`submission`, its key within the visit) posted again, give back the message
        already stored, on the (live) ticket or on the follow-up the first post started, never a second one. The key
        is unique in the database, so two posts of one page at the same instant store one message on every engine:
        the second insert waits for the first and fails, and finds it (the contact form's external id does the same
        for tickets).

        A message may be files alone (no text); one with neither is refused, naming "message". `files` go with the
        message, checked first (`clean_files`, the limits of `channel`: the ticket page's form is "web", an API
        client "api"); the message (its follow-up ticket too) and its files are written together or none of them.
        A post given back as already stored stores none of its files (they came with the first), and the same
        words with other files are a new message, not a resend. `answer`: see `Answer` (a message given back as
        already stored is answered too).

        `writer`: the address the page's reader proved they read mail of ("My tickets"' signed link): when it is a CC
        of the (live) ticket, the message is theirs (`Message.cc_customer_id`, as a CC's mail is), on a follow-up too
        (whose requester stays the closed ticket's); anyone else's words are the requester's, as before."""
        text = clean_text("message", body, MAX_BODY, required=not files)
        key = _optional_text("external_id", submission, MAX_EXTERNAL_ID)
        channel = _choice("channel", channel, CHANNELS)
        attached = clean_files(files, self.limits_for(channel))
        sent_files = sorted((f.filename, len(f.data)) for f in attached)

        def landed(ticket: Ticket, message: Message, addressed: Ticket, live: Ticket,
                   kept: list[Attachment]) -> CustomerReply:
            """The message on `ticket`: the live one, or a follow-up of it (then `follow_up_of` names the live one);
            `merged_from` names the addressed ticket when that was merged."""
            on_follow_up = ticket.id != live.id
            return CustomerReply(message, kept, ticket.status, ticket.id, ticket.reference,
                                 live.reference if on_follow_up else None,
                                 addressed.reference if live.id != addressed.id else None,
                                 live.id if on_follow_up else None)

        def addressed_and_live(session: Session) -> tuple[Ticket, Ticket]:
            # A deleted ticket's page is gone, but a message sent from it is never lost: as a closed one's, it starts
            # a new ticket (`follow_up_in`; Zendesk opens a new ticket for a reply to a deleted one).
            owner = session.scalar(select(Ticket.customer_id).where(Ticket.reference == reference)
                                   .execution_options(**{WITH_DELETED: True}))
            if owner is not None:
                # Their row held first, as an erase holds it (desk.erasure): an erase at this moment emptied the
                # ticket and gave it a new reference, and this message landed on the skeleton with the customer's
                # words (hostile31b); now it waits, and then finds no such ticket.
                lock_row(session, Customer, owner)
            ticket = session.scalar(select(Ticket).where(Ticket.reference == reference)
                                    .execution_options(populate_existing=True, **{WITH_DELETED: True}))
            if ticket is None:
                raise InputError("reference", N_("no such ticket"))
            return ticket, self.live_ticket(session, ticket)

        def resent(session: Session, ticket: Ticket, now: datetime) -> Message | None:
            """The ticket's last public message when it is this post's words and files, sent within RESEND_WINDOW."""
            thread = [m for m in ticket.messages if not m.internal]
            last = thread[-1] if thread else None
            if last is None or last.author != "customer" or last.body != text:
                return None
            if now - as_utc(last.created_at) >= RESEND_WINDOW:
                return None
            return last if sent_files == sorted((a.filename, a.size) for a in message_files(session, last.id)) else None

        def copied_writer(session: Session, ticket: Ticket) -> int | None:
            """The customer id of `writer` when they are a CC of `ticket` and not its requester."""
            if writer is None or writer.lower() == ticket.customer.email:
                return None
            from desk.ccs import cc_of  # imports this module's customer_for
            cc = cc_of(session, ticket.id, writer)
            return cc.id if cc is not None and cc.id != ticket.customer_id else None

        def add(session: Session, written: list[Path]) -> CustomerReply:
            return answered(session, stored_or_added(session, written), answer)

        def places_of(session: Session, live: Ticket) -> list[Ticket]:
            """Where this post's message may already be: on the live ticket, or (closed) on a follow-up an earlier
            post of it started."""
            return [live, *(self._follow_ups(session, live) if final(live) else ())]

        def stored_or_added(session: Session, written: list[Path]) -> CustomerReply:
            addressed, live = addressed_and_live(session)
            places = places_of(session, live)
            if key is not None:
                stored = session.scalar(select(Message).where(Message.external_id == key))
                if stored is not None and stored.ticket_id in {t.id for t in places}:
                    return landed(stored.ticket, stored, addressed, live, message_files(session, stored.id))
            now = utcnow()
            for place in reversed(places):
                again = resent(session, place, now)
                if again is not None:
                    return landed(again.ticket, again, addressed, live, message_files(session, again.id))
            ticket = live
            if final(ticket):
                cc = copied_writer(session, ticket)
                ticket = self.follow_up_in(session, ticket, text, channel, with_files=bool(attached))
                message = ticket.messages[0]
                message.external_id = key
                message.cc_customer_id = cc
            else:
                message = Message(author="customer", body=text, channel=channel, created_at=now, external_id=key,
                                  cc_customer_id=copied_writer(session, ticket))
                ticket.messages.append(message)
                # An earlier unanswered message keeps its (earlier) due time.
                ticket.due_at = ticket.due_at or self._due(ticket, now)
                self.customer_replied(session, ticket, text, now)
            kept = attach_files(session, self.data_dir, message, attached, written)
            index_ticket(session, ticket)
            return landed(ticket, message, addressed, live, kept)

        try:
            return write_with_files(self.db, add)
        except IntegrityError:
            if key is None:
                raise
            with self.db.session() as session:  # the same page's post that won the race
                stored = session.scalar(select(Message).where(Message.external_id == key))
                addressed, live = addressed_and_live(session)
                if stored is None or stored.ticket_id not in {t.id for t in places_of(session, live)}:
                    raise
                return landed(stored.ticket, stored, addressed, live, message_files(session, stored.id))

    def update(
        self,
        ticket_id: int,
        status: str | None = None,
        priority: str | None = None,
        assignee_id: int | None = -1,
        agent_id: int | None = None,
        seconds: int | None = None,
        form_key: str | None = None,
    ) -> bool:
        """Change status, priority or assignee (`assignee_id=None` unassigns; -1 leaves it); `agent_id`
        is who did it (the history's author). Returns whether the assignee changed. `seconds`: the agent's time on the
        ticket, recorded with the update (desk.time_tracking; `form_key` the page's post, recorded once)."""
        from desk.time_tracking import clean_seconds, record_with  # it imports this module's InputError

        if seconds is not None:
            clean_seconds(seconds, "time_spent")
        def change(session: Session) -> bool:
            hold_assignee(session, assignee_id)
            changed = self._update(session, ticket_id, status, priority, assignee_id, agent_id)
            if seconds is not None and agent_id is not None:
                ticket = row_by_id(session, Ticket, ticket_id)
                assert ticket is not None  # held by `_update`'s changeable
                record_with(session, ticket, agent_id, seconds, "update", form_key)
            return changed

        return self.db.write(change)  # again while the database is busy (SQLite's one writer)

    def bulk_update(
        self,
        ticket_ids: list[int],
        status: str | None = None,
        priority: str | None = None,
        assignee_id: int | None = -1,
        agent_id: int | None = None,
    ) -> int:
        """`update` for many tickets in one transaction: all change or, on any bad id, none."""
        def change(session: Session) -> None:
            hold_assignee(session, assignee_id)  # before the tickets, as a downgrade holds them (`assignable`)
            for ticket_id in ticket_ids:
                self._update(session, ticket_id, status, priority, assignee_id, agent_id)

        self.db.write(change)  # again while the database is busy
        return len(ticket_ids)

    def _update(
        self, session: Session, ticket_id: int, status: str | None, priority: str | None, assignee_id: int | None,
        agent_id: int | None,
    ) -> bool:
        ticket = changeable(session, ticket_id)
        if status == "solved" and ticket.status != "solved":
            from desk.ticket_fields import missing_to_solve, unsolvable  # it imports this module's InputError
            missing = missing_to_solve(session, self.fields, ticket.id)
            if missing:
                raise unsolvable(missing, ticket.id)
        if status:
            survey = self._set_status(ticket, _choice("status", status, TICKET_STATUSES), utcnow(), agent_id)
            if survey is not None:
                queue_mail(session, "solved", ticket, ticket.customer.email, ticket.lang, survey=survey)
        if priority and priority != ticket.priority:
            ticket.priority = _choice("priority", priority, PRIORITIES)
            if not ticket.due_by_hand:  # re-counted from the message that is waiting; a hand-set time stays
                ticket.due_at = self.computed_due(ticket)
        if assignee_id != -1:
            if assignee_id == ticket.assignee_id:
                return False  # theirs already: nothing to check, nothing held
            if assignee_id is not None:
                assignee = assignable(session, assignee_id)
                if assignee is None:
                    raise InputError("assignee", N_("no agent %(agent)s"), agent=assignee_id)
                if not assignee.active:
                    # A deactivated agent cannot sign in to see it (the page's picker leaves them out; the API did not).
                    raise InputError("assignee", N_("agent %(agent)s is deactivated"), agent=assignee_id)
            # A light agent (Zendesk's: they see tickets and add notes, never assigned one) is refused by
            # `record_assignee`, the one place every assignment passes.
            return record_assignee(session, ticket, assignee_id, agent_id)
        return False

    def customer_replied(self, session: Session, ticket: Ticket, text: str, now: datetime) -> None:
        """A customer's message `text` added to the (not closed) ticket, by any channel: `customer_wrote`, then the
        `customer_reply` triggers, in the caller's transaction."""
        self.customer_wrote(ticket, now)
        if self.triggers:
            self.triggers.run(session, self, ticket, Event("customer_reply", text, now))

    @staticmethod
    def customer_wrote(ticket: Ticket, now: datetime) -> None:
        """A customer's message on the ticket (their page, the API, mail): it is open again, and a snooze ends at
        once (Chatwoot and Intercom wake a snoozed conversation when the customer writes)."""
        TicketStore.end_snooze(ticket, now, "customer")
        TicketStore._set_status(ticket, "open", now)

    @staticmethod
    def end_snooze(ticket: Ticket, now: datetime, reason: str, agent_id: int | None = None,
                   kind: str = "ended") -> bool:
        """End the ticket's snooze, if it has one, with its history row (`kind` "ended" with why, or "unsnoozed" by
        an agent), in the caller's transaction; whether it was snoozed."""
        if ticket.snoozed_until is None:
            return False
        session = object_session(ticket)
        if session is not None:
            session.add(TicketSnoozeChange(ticket_id=ticket.id, agent_id=agent_id, kind=kind,
                                           until=ticket.snoozed_until, reason=reason, created_at=now))
        ticket.snoozed_until = None
        ticket.updated_at = now
        return True

    @staticmethod
    def set_status(ticket: Ticket, status: str, now: datetime, trigger: str | None = None) -> None:
        """A trigger's status change (never solved: no survey), its history row naming the trigger."""
        TicketStore._set_status(ticket, status, now, None, trigger)

    @staticmethod
    def _set_status(ticket: Ticket, status: str, now: datetime, agent_id: int | None = None,
                    trigger: str | None = None, survey: bool = True) -> CsatSurvey | None:
        """The one place a status changes: stamps the times and records the change for the metrics.

        Each solve opens a satisfaction survey, returned for the caller to mail; none for a customer who was erased
        (desk.erasure): there is no one to ask, and no address to mail (an agent's solve, a rule's, a batch's); none
        when `survey` is False (the customer's own solve through a suggested article: no agent worked it)."""
        opened = None
        if status != ticket.status:
            session = object_session(ticket)
            change = TicketStatusChange(old_status=ticket.status, new_status=status, agent_id=agent_id, created_at=now,
                                        trigger_name=trigger)
            change.ticket_id = ticket.id
            if session is not None:
                session.add(change)
                if status == "solved" and survey and ticket.customer.erased_at is None:
                    opened = open_survey(session, ticket, agent_id, now)
        ticket.status = status
        if status in ("solved", "closed"):
            ticket.due_at, ticket.due_by_hand = None, False  # nothing is due on a solved ticket
            TicketStore.end_snooze(ticket, now, "solved", agent_id)  # nor anything to wake for
        ticket.resolved_at = now if status == "solved" else (ticket.resolved_at if status == "closed" else None)
        ticket.updated_at = now
        return opened

    def close_solved(self, older_than: timedelta, limit: int = 500, now: datetime | None = None) -> int:
        """Close tickets solved more than `older_than` ago (one bounded pass of the worker); returns how many.

        A closed ticket is final: a later customer message starts a follow-up instead of reopening it.
        """
        now = now or utcnow()
        with self.db.session() as session:
            tickets = session.scalars(
                select(Ticket)
                .where(Ticket.status == "solved", Ticket.resolved_at <= now - older_than)
                .order_by(Ticket.resolved_at)
                .limit(limit)
            ).all()
            for ticket in tickets:
                self._set_status(ticket, "closed", now)
        return len(tickets)

    def merge(self, source_id: int, target_id: int, agent_id: int, notice: str,
              over_cap: str = "CCs of #%(source)s not copied here (a ticket has at most %(limit)s): %(emails)s",
              ) -> Ticket:
        """Merge a duplicate into another ticket of the same customer: its messages move to the target
        (shown in the order they were written, by id), the duplicate is closed and points to the target, and the
        customer is told once with `notice` (one agent message on the target, in its language).

        Refused, nothing written: a ticket into itself; a duplicate merged already (it is empty and closed); a closed
        ticket (final: `ClosedTicketError`); into a merged duplicate (named, with the ticket it now lives in: merge
        there) or into a closed ticket (its follow-up or another open ticket takes the merge). Since a target is never
        itself merged away, no merge closes a loop (A into B, then B into A is refused: A is a duplicate by then), and
        a chain of merges only grows at its live end (`live_ticket`). The target keeps its custom fields' values and
        takes the duplicate's for those it has none of (desk.ticket_fields.fill_blanks); the duplicate keeps its own.
        The duplicate's CCs are copied on the target too (`desk.ccs.carry_ccs`: never its requester, each a history
        row by the merging agent, at most `max_ccs`); those over the limit are named in an internal note on the
        target, `over_cap` (filled with the duplicate's id, the limit and the addresses; the caller's language). The
        duplicate's required skills join the target's (desk.skills.require_in: a history row names those added)."""
        if source_id == target_id:
            raise InputError("target", N_("a ticket cannot be merged into itself"))
        notice = clean_text("notice", notice, MAX_BODY)

        def write(session: Session) -> Ticket:
            for locked in sorted((source_id, target_id)):  # both held before either is read (a close of the target
                lock_row(session, Ticket, locked)  # at once merged into a closed ticket), in one order: no deadlock
            source, target = row_by_id(session, Ticket, source_id), row_by_id(session, Ticket, target_id)
            if source is None or target is None:
                raise InputError("target" if source else "ticket", N_("no ticket %(ticket)s"),
                                 ticket=target_id if source else source_id)
            if source.merged_into_id is not None:
                raise InputError("ticket", N_("ticket %(ticket)s was already merged into %(target)s"),
                                 ticket=source_id, target=source.merged_into_id)
            changeable(session, source.id)  # a closed ticket is final: merged away, it would change
            if target.merged_into_id is not None:
                live = self.live_ticket(session, target)
                raise InputError("target", N_("#%(target)s was merged into #%(live)s: merge into #%(live)s "
                                              "instead"), target=target.id, live=live.id)
            if target.status == "closed":
                raise InputError("target", N_("#%(target)s is closed and final: merge into its follow-up or "
                                              "another open ticket"), target=target.id)
            if source.customer_id != target.customer_id:
                # Moving one customer's messages into another's thread would show them to the wrong person.
                raise InputError("target", N_("tickets of different customers cannot be merged"))
            now = utcnow()
            # Moved in SQL: through the relationship, delete-orphan would delete them from the source.
            session.execute(update(Message).where(Message.ticket_id == source.id).values(ticket_id=target.id))
            session.expire(source, ["messages"])
            session.expire(target, ["messages"])
            target.messages.append(Message(author="agent", agent_id=agent_id, body=notice, created_at=now))
            add_tags(target, [tag.tag for tag in source.tags])
            from desk.skills import held, require_in, ticket_skill_ids  # they build on this module
            # The duplicate's required skills join the target's (a history row names those added, by the agent),
            # held: one deleted by another request since they were read is left out, not the merge's failure.
            require_in(session, target, held(session, ticket_skill_ids(session, [source.id]).get(source.id, ())),
                       agent_id, add_only=True, now=now)
            from desk.ccs import carry_ccs  # imports this module's customer_for
            left_out = carry_ccs(session, source, target, self.max_ccs, agent_id)
            if left_out:
                target.messages.append(Message(
                    author="agent", agent_id=agent_id, internal=True, created_at=now,
                    body=over_cap % {"source": source.id, "limit": self.max_ccs, "emails": ", ".join(left_out)}))
            from desk.audit import SYSTEM, Actor  # both import this module's InputError
            from desk.ticket_fields import fill_blanks
            fill_blanks(session, source.id, target.id, Actor.agent(agent_id) if agent_id else SYSTEM)
            from desk.side_conversations import move_to  # imports this module
            move_to(session, source.id, target.id)
            from desk.problems import carry_on_merge  # imports this module
            carry_on_merge(session, source, target, agent_id)
            source.merged_into_id = target.id
            self._set_status(source, "closed", now, agent_id)
            if target.status in ("solved", "new"):
                self._set_status(target, "open", now, agent_id)
            target.updated_at = now
            index_ticket(session, source)
            index_ticket(session, target)
            return target

        return self.db.write(write)  # again while the database is busy
