"""Time tracking on tickets (Zendesk's Time Tracking app, Freshdesk's timesheets): how long each agent worked on a
ticket, not only how long the customer waited.

An entry is whole seconds, 1 to a day (MAX_SECONDS), by one agent on one ticket, of a kind: recorded with the agent's
reply, internal note or ticket update (`record_with`, in that write's own transaction: the reply and its time are
written together or not at all), or by hand (`TimeEntries.add`, the ticket page's form and the API). The ticket page's
timer counts while the page is open and visible and the agent is active, and its value goes with the next post; without
JavaScript the forms have a "Time spent (minutes)" field (`form_seconds` reads either).

A post carries the page's `form_key` (one per page drawn): the same post again (a double click, a resend, the reply
path's own resend) records nothing more, by a unique (agent, form_key) and a look before the insert, under the ticket's
row lock that every agent-side write takes first (`desk.tickets.changeable`).

Who may change an entry: its agent, a lead or an admin (an API token as an admin, its token named in the audit log).
Every edit and deletion is a row of the ticket's history (`TimeEntryChange`) and an audit event (`time_entry_edited`,
`time_entry_deleted`), with the seconds before and after and of the note only whether it changed; adding time is the
agents' ordinary work, as a reply is, and is neither. A closed ticket is final (`ClosedTicketError`): its time stays as
it was. The note is the only personal text: an erasure empties the notes on the customer's tickets (desk.erasure).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desk.audit import Actor, record
from desk.database import Database
from desk.models import TIME_ENTRY_KINDS, Agent, Ticket, TimeEntry, TimeEntryChange, as_utc, utcnow
from desk.tickets import Answer, InputError, answered, changeable, clean_text, row_by_id
from desk.translatable import N_
from kb.arabic import typed_digits

MAX_SECONDS = 86_400  # a day: an entry longer than that is a timer left running, not work (Zendesk's app caps it too)
MAX_NOTE = 500  # characters: a line about what the time went on, not a second thread
MAX_FORM_KEY = 64
KEEP: Any = object()  # an edit that leaves this part as it is
# Minutes as typed in the forms' "Time spent" field: a whole number or a decimal (with "." or the Arabic decimal
# separator), Arabic-Indic and full-width digits read as ASCII (as the sign-in code's field reads them).
MINUTES = re.compile(r"(\d{1,6})(?:[.\u066b](\d{1,3}))?")


class NotYourEntry(InputError):
    """An agent changing a colleague's time entry: only its agent, a lead or an admin may."""

    def __init__(self) -> None:
        super().__init__("entry", N_("only the agent who recorded this time, a lead or an admin may change it"))


@dataclass(frozen=True)
class EntryView:
    id: int
    ticket_id: int
    agent_id: int
    agent: str  # the agent's name (else email)
    seconds: int
    note: str
    kind: str
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class TicketTime:
    """A ticket's time: the total, each agent's (most first) and the entries (oldest first)."""

    total: int
    by_agent: list[tuple[int, str, int]]
    entries: list[EntryView]


def clean_seconds(value: object, field: str = "seconds") -> int:
    """Whole seconds from 1 to MAX_SECONDS, else an InputError naming `field` (a bool, a float, text refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SECONDS:
        raise InputError(field, N_("must be a whole number of seconds from 1 to %(max)s (a day)"),
                         max=f"{MAX_SECONDS:,}")
    return value


def clean_note(value: object) -> str | None:
    """The entry's note: optional text of at most MAX_NOTE characters (control characters dropped); None when empty."""
    if value is None:
        return None
    return clean_text("note", value, MAX_NOTE, required=False) or None


def _typed(value: str) -> str:
    return typed_digits(value[:40]).strip()


def minutes_as_seconds(value: str, field: str = "time_spent") -> int | None:
    """The forms' "Time spent (minutes)": None when left empty; else minutes (whole or decimal, Arabic-Indic digits
    read) as whole seconds, refused naming `field` when it is not a number of minutes or is outside 1 second to a
    day."""
    typed = _typed(value)
    if not typed:
        return None
    found = MINUTES.fullmatch(typed)
    if found is None:
        raise InputError(field, N_("%(value)s is not a number of minutes"), value=repr(value[:20]))
    whole, part = found.groups()
    seconds = int(whole) * 60 + (round(int(part) * 60 / 10 ** len(part)) if part else 0)
    if not 1 <= seconds <= MAX_SECONDS:
        raise InputError(field, N_("must be from 1 second to %(max)s minutes (a day)"), max=f"{MAX_SECONDS // 60:,}")
    return seconds


def form_seconds(seconds: str, minutes: str, field: str = "time_spent") -> int | None:
    """What a ticket page's post says the agent spent: the timer's whole seconds (`seconds`, set by the page's
    script) when given, else the typed minutes; None for neither (nothing recorded)."""
    typed = _typed(seconds)
    if typed:
        if not typed.isdecimal() or len(typed) > 6:
            raise InputError(field, N_("%(value)s is not a number of seconds"), value=repr(seconds[:20]))
        return clean_seconds(int(typed), field)
    return minutes_as_seconds(minutes, field)


def new_form_key() -> str:
    """A ticket page's key for its posts (drawn per page: the same post twice records its time once)."""
    return secrets.token_urlsafe(18)


def clean_form_key(value: str | None) -> str | None:
    key = (value or "").strip()
    return key if key and len(key) <= MAX_FORM_KEY and key.isascii() and key.isprintable() else None


def _posted_already(session: Session, agent_id: int, key: str | None) -> TimeEntry | None:
    """The entry this page's post (`key`, per agent) made already: the same form sent twice records its time once."""
    if key is None:
        return None
    return session.scalar(select(TimeEntry).where(TimeEntry.agent_id == agent_id, TimeEntry.form_key == key))


def record_with(session: Session, ticket: Ticket, agent_id: int, seconds: int | None, kind: str,
                form_key: str | None = None) -> TimeEntry | None:
    """The agent's time with a reply, a note or an update, in that write's transaction (the ticket already held by
    `changeable`); nothing without seconds, or when this page's post (`form_key`) recorded its time already."""
    if not seconds:
        return None
    if kind not in TIME_ENTRY_KINDS:
        raise ValueError(f"not a time entry kind: {kind}")  # a bug, not input
    key = clean_form_key(form_key)
    if _posted_already(session, agent_id, key) is not None:
        return None
    entry = TimeEntry(ticket_id=ticket.id, agent_id=agent_id, seconds=clean_seconds(seconds), kind=kind,
                      created_at=utcnow(), form_key=key)
    session.add(entry)
    return entry


def time_spent_of_many(session: Session, ticket_ids: Iterable[int]) -> dict[int, int]:
    """Ticket id -> its total seconds (tickets without entries absent): one grouped query, on the (ticket_id,
    seconds) index."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    rows = session.execute(select(TimeEntry.ticket_id, func.sum(TimeEntry.seconds))
                           .where(TimeEntry.ticket_id.in_(ids)).group_by(TimeEntry.ticket_id))
    return {ticket_id: int(total or 0) for ticket_id, total in rows}


def _view(entry: TimeEntry, names: dict[int, str]) -> EntryView:
    return EntryView(entry.id, entry.ticket_id, entry.agent_id, names.get(entry.agent_id, str(entry.agent_id)),
                     entry.seconds, entry.note or "", entry.kind, entry.created_at, entry.updated_at)


def entry_json(entry: EntryView) -> dict[str, object]:
    """A time entry as the token API gives it, and the webhooks' `time_entry.*` events (desk.webhooks) carry it."""
    return {"id": entry.id, "ticket_id": entry.ticket_id, "agent": entry.agent_id, "agent_name": entry.agent,
            "seconds": entry.seconds, "note": entry.note, "kind": entry.kind,
            "created_at": as_utc(entry.created_at).isoformat(),
            "updated_at": as_utc(entry.updated_at).isoformat() if entry.updated_at is not None else None}


def agent_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The agents' names (else emails) by id, as an entry shows its agent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {i: name or email for i, name, email in
            session.execute(select(Agent.id, Agent.name, Agent.email).where(Agent.id.in_(wanted)))}


class TimeEntries:
    def __init__(self, db: Database) -> None:
        self.db = db

    def of_ticket(self, ticket_id: int) -> TicketTime:
        with self.db.session() as session:
            rows = list(session.scalars(select(TimeEntry).where(TimeEntry.ticket_id == ticket_id)
                                        .order_by(TimeEntry.created_at, TimeEntry.id)))
            names = agent_names(session, (r.agent_id for r in rows))
            entries = [_view(r, names) for r in rows]
        per_agent: dict[int, int] = {}
        for entry in entries:
            per_agent[entry.agent_id] = per_agent.get(entry.agent_id, 0) + entry.seconds
        by_agent = sorted(((a, names.get(a, str(a)), s) for a, s in per_agent.items()), key=lambda r: (-r[2], r[1]))
        return TicketTime(sum(per_agent.values()), by_agent, entries)

    def get(self, ticket_id: int, entry_id: int) -> EntryView | None:
        with self.db.session() as session:
            entry = row_by_id(session, TimeEntry, entry_id)
            if entry is None or entry.ticket_id != ticket_id:
                return None
            return _view(entry, agent_names(session, [entry.agent_id]))

    def add(self, ticket_id: int, agent_id: object, seconds: object, note: object, by: Actor,
            form_key: str | None = None, answer: Answer[EntryView] | None = None) -> EntryView:
        """A manual entry of `agent_id`'s time (an agent adds their own; a lead, an admin or an API token anyone's).
        Every field checked first, each refusal naming it; nothing written on any. `answer`: an API request's answer,
        stored in this transaction (its Idempotency-Key)."""
        if isinstance(agent_id, bool) or not isinstance(agent_id, int):
            raise InputError("agent", N_("must be an agent's id (a whole number)"))
        clean = clean_seconds(seconds)
        text = clean_note(note)

        def write(session: Session) -> EntryView:
            ticket = changeable(session, ticket_id)  # a closed ticket is final
            agent = row_by_id(session, Agent, agent_id)
            if agent is None:
                raise InputError("agent", N_("no agent %(agent)s"), agent=agent_id)
            self._may_change(session, by, agent_id)
            key = clean_form_key(form_key)
            done = _posted_already(session, agent_id, key)
            if done is not None:  # this page's form sent again: the entry it made
                return _view(done, agent_names(session, [agent_id]))
            entry = TimeEntry(ticket_id=ticket.id, agent_id=agent_id, seconds=clean, note=text, kind="manual",
                              created_at=utcnow(), form_key=key)
            session.add(entry)
            session.flush()
            return answered(session, _view(entry, agent_names(session, [agent_id])), answer)

        return self.db.write(write)  # again while the database is busy

    @staticmethod
    def _may_change(session: Session, by: Actor, owner: int) -> None:
        """An agent's change of `owner`'s time: their own, or they lead or administer. API tokens, the CLI and the
        system pass (an API token's change names the token in the audit log)."""
        if by.kind != "agent" or by.agent_id == owner:
            return
        actor = row_by_id(session, Agent, by.agent_id or 0)
        if actor is None or not actor.is_lead:  # a lead or an admin may change anyone's entry
            raise NotYourEntry()

    def _entry(self, session: Session, ticket_id: int, entry_id: int) -> TimeEntry:
        changeable(session, ticket_id)  # the ticket held (and a closed one refused) before the entry is read
        entry = row_by_id(session, TimeEntry, entry_id)
        if entry is None or entry.ticket_id != ticket_id:
            raise InputError("entry", N_("no time entry %(entry)s on ticket #%(ticket)s"), entry=entry_id,
                             ticket=ticket_id)
        return entry

    def edit(self, ticket_id: int, entry_id: int, by: Actor, seconds: object = KEEP,
             note: object = KEEP) -> EntryView:
        """Change an entry's seconds or note (what is given); in the ticket's history and the audit log, unless it
        changes nothing."""
        clean = clean_seconds(seconds) if seconds is not KEEP else None
        text = clean_note(note) if note is not KEEP else None

        def write(session: Session) -> EntryView:
            entry = self._entry(session, ticket_id, entry_id)
            self._may_change(session, by, entry.agent_id)
            old_seconds, old_note = entry.seconds, entry.note
            new_seconds = old_seconds if clean is None else clean
            new_note = old_note if note is KEEP else text
            if (new_seconds, new_note) != (old_seconds, old_note):
                now = utcnow()
                entry.seconds, entry.note, entry.updated_at = new_seconds, new_note, now
                note_change = None if new_note == old_note else (
                    "added" if old_note is None else "cleared" if new_note is None else "changed")
                session.add(TimeEntryChange(ticket_id=ticket_id, entry_id=entry.id, entry_agent_id=entry.agent_id,
                                            agent_id=by.agent_id, actor=by.kind, kind="edited",
                                            old_seconds=old_seconds, new_seconds=new_seconds,
                                            note_changed=note_change is not None, created_at=now))
                before: dict[str, Any] = {"entry": entry.id, "agent": entry.agent_id}
                after: dict[str, Any] = {"entry": entry.id}
                if new_seconds != old_seconds:
                    before["seconds"], after["seconds"] = old_seconds, new_seconds
                if note_change is not None:
                    after["note"] = note_change  # never the note's text
                record(session, by, "time_entry_edited", "ticket", ticket_id, before=before, after=after)
            session.flush()
            return _view(entry, agent_names(session, [entry.agent_id]))

        return self.db.write(write)  # again while the database is busy

    def delete(self, ticket_id: int, entry_id: int, by: Actor) -> EntryView:
        """Delete an entry; in the ticket's history and the audit log (its seconds, agent and kind)."""

        def write(session: Session) -> EntryView:
            entry = self._entry(session, ticket_id, entry_id)
            self._may_change(session, by, entry.agent_id)
            gone = _view(entry, agent_names(session, [entry.agent_id]))
            session.add(TimeEntryChange(ticket_id=ticket_id, entry_id=entry.id, entry_agent_id=entry.agent_id,
                                        agent_id=by.agent_id, actor=by.kind, kind="deleted",
                                        old_seconds=entry.seconds, new_seconds=None, note_changed=False,
                                        created_at=utcnow()))
            record(session, by, "time_entry_deleted", "ticket", ticket_id,
                   before={"entry": entry.id, "agent": entry.agent_id, "seconds": entry.seconds, "kind": entry.kind})
            session.delete(entry)
            return gone

        return self.db.write(write)  # again while the database is busy
