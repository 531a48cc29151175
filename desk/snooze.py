"""Snoozing a ticket (Chatwoot's and Intercom's snooze): put it away until a time, and have it come back.

A snoozed ticket keeps its status but leaves the working views ("unsolved", "mine", ...; desk.inbox) for
"snoozed". It comes back (open, updated now, so it tops the inbox, with a history row "snooze ended") when the
time passes, by the worker's pass (`wake`: idempotent, each ticket woken once even by two workers at once), or at
once when the customer writes (`TicketStore.customer_wrote`). Solving it ends the snooze too. Snooze and unsnooze are
in the ticket's history (`TicketSnoozeChange`).

The presets are read on the agent's wall clock: "in 1 hour", "tomorrow 09:00" and "next Monday 09:00" in the
agent's zone, or a date and time typed there. Typed, a preset is its English word in any case ("hour", "tomorrow",
"monday") or the Arabic an Arabic agent types for it ("ساعة", "غدا"/"بكرة", "الاثنين"; `PRESET_WORDS`), spelled
with or without hamza, tanween or "next"/"day" around it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from desk.database import Database
from desk.models import Ticket, TicketSnoozeChange, as_utc, utcnow
from desk.tickets import InputError, TicketStore, changeable, parse_due
from desk.translatable import N_
from desk.webhooks import note_change
from kb.arabic import normalize_arabic

PRESETS = ("hour", "tomorrow", "monday")
# What an agent may type for each preset, folded as `_preset` folds the typed text (normalize_arabic: no hamza on
# alef, ta marbuta as ha, no diacritics). The Arabic bulk bar's hint names the first Arabic word of each.
PRESET_WORDS = {
    "hour": ("hour", "ساعه"),
    "tomorrow": ("tomorrow", "غدا", "بكره", "بكرا"),
    "monday": ("monday", "الاثنين", "اثنين", "الاثنين القادم", "يوم الاثنين", "يوم الاثنين القادم"),
}
_PRESET_OF = {word: preset for preset, words in PRESET_WORDS.items() for word in words}
MORNING = time(9, 0)
MAX_AHEAD = timedelta(days=366)


def snooze_time(choice: str, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """When a snooze chosen as `choice` ends, in UTC: a preset on the agent's clock (`zone`) or a typed date and
    time read in it. A time not after now, or more than a year ahead, is refused naming the field "snooze"."""
    now = as_utc(now or utcnow())
    choice = choice.strip()
    local = now.astimezone(zone)
    preset = _preset(choice)
    if preset == "hour":
        until = now + timedelta(hours=1)
    elif preset == "tomorrow":
        until = datetime.combine(local.date() + timedelta(days=1), MORNING, zone)
    elif preset == "monday":
        until = datetime.combine(local.date() + timedelta(days=7 - local.weekday()), MORNING, zone)
    else:
        if not choice:
            raise InputError("snooze", N_("is empty: choose a time or give a date and time"))
        until = parse_due(choice, zone.key, field="snooze")
    until = as_utc(until)
    if until <= now:
        raise InputError("snooze", N_("%(value)s has passed: snooze until a later time"), value=repr(choice[:40]))
    if until - now > MAX_AHEAD:
        raise InputError("snooze", N_("%(value)s is more than a year ahead"), value=repr(choice[:40]))
    return until


def _preset(typed: str) -> str | None:
    """The preset `typed` names (`PRESET_WORDS`), in either language; None for anything else (a date and time)."""
    return _PRESET_OF.get(" ".join(normalize_arabic(typed).casefold().split()))


class Snoozes:
    def __init__(self, db: Database) -> None:
        self.db = db

    def snooze(self, ticket_ids: list[int], until: datetime, agent_id: int) -> int:
        """Snooze every ticket until `until` (one transaction: all, or on a bad id or a solved ticket, none);
        snoozing again moves the time, each with its history row."""
        now = utcnow()

        def write(session: Session) -> None:
            for ticket_id in ticket_ids:
                ticket = changeable(session, ticket_id)
                if ticket.status == "solved":
                    raise InputError("snooze", N_("ticket %(ticket)s is solved or closed: nothing to snooze"),
                                     ticket=ticket_id)
                ticket.snoozed_until = as_utc(until)
                ticket.updated_at = now
                session.add(TicketSnoozeChange(ticket_id=ticket.id, agent_id=agent_id, kind="snoozed",
                                               until=ticket.snoozed_until, created_at=now))

        self.db.write(write)  # again while the database is busy
        return len(ticket_ids)

    def unsnooze(self, ticket_id: int, agent_id: int) -> bool:
        """Bring the ticket back now (an agent's choice; its status is left as it was); whether it was snoozed."""

        def write(session: Session) -> bool:
            ticket = changeable(session, ticket_id)
            return TicketStore.end_snooze(ticket, utcnow(), "agent", agent_id, kind="unsnoozed")

        return self.db.write(write)  # again while the database is busy

    def wake(self, now: datetime | None = None, limit: int = 500) -> int:
        """The worker's pass: tickets whose snooze has passed come back open and updated, with a "snooze ended"
        row (a closed one, final, only loses its stale snooze: it stays closed); how many. Each is claimed by a
        conditional update, so a second pass, or another worker at the same moment, wakes none of them again."""
        now = as_utc(now or utcnow())
        with self.db.session() as session:
            due = list(session.execute(
                select(Ticket.id, Ticket.snoozed_until).where(Ticket.snoozed_until <= now)
                .order_by(Ticket.snoozed_until, Ticket.id).limit(limit)).all())
        woken = 0

        def wake_one(ticket_id: int, until: datetime | None) -> bool:
            def write(session: Session) -> bool:
                claimed = session.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.snoozed_until == until,
                                                               Ticket.deleted_at.is_(None))  # deleted meanwhile
                                          .values(snoozed_until=None))
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    return False  # woken meanwhile (another worker, the customer, an agent)
                ticket = session.get(Ticket, ticket_id)
                assert ticket is not None
                note_change(session, ticket_id, "snoozed_until", until, None)  # in SQL: told to the outbound webhooks
                session.add(TicketSnoozeChange(ticket_id=ticket_id, kind="ended", until=until, reason="time",
                                               created_at=now))
                if ticket.status != "closed":  # a closed ticket is final: its stale snooze ends, it stays closed
                    TicketStore._set_status(ticket, "open", now)
                return True

            return self.db.write(write)  # again while the database is busy

        for ticket_id, until in due:
            woken += wake_one(ticket_id, until)
        return woken
