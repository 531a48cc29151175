"""Custom ticket fields' values (kb.ticket_fields defines the fields): read, checked, written all or nothing.

A value is stored as kb.ticket_fields normalises it (`ticket_field_values`, one row per ticket and key; a blank
value is no row). Every write goes through `write_values` in the caller's transaction: each value is checked
first (the first bad one refused naming `fields.<key>` and the field's label: "Order number: not a number"), then
the rows change and the change is audited ("ticket_fields_changed", before and after). A key the file no longer
has keeps its rows (shown as "key (not in the fields file)"); it can be cleared, never set. A field with
`required_to_solve` blocks solving (`missing_to_solve`, checked by TicketStore._update: the page, the API and the
inbox's bulk solve), and a solved ticket's cannot be cleared (`still_missing`, checked by the ticket page and PATCH).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from desk.audit import SYSTEM, Actor, record
from desk.database import Database
from desk.models import AuditEvent, Ticket, TicketFieldValue, as_utc, utcnow
from desk.tickets import InputError, TicketStore, changeable
from desk.translatable import N_
from kb.ticket_fields import FieldValueError, TicketField, TicketFields

# kb's reasons (English) -> the translatable messages the desk shows for them.
REASONS = {
    "not a number": N_("%(label)s: not a number"),
    "not a date (YYYY-MM-DD)": N_("%(label)s: not a date (YYYY-MM-DD)"),
    "not true or false": N_("%(label)s: not true or false"),
    "too long or holds control characters": N_("%(label)s: too long or holds control characters"),
}


def field_error(field: TicketField, error: FieldValueError, lang: str) -> InputError:
    """A refused value named by the field's label in `lang` (and `fields.<key>` for the API)."""
    label = field.label(lang)
    if error.reason.startswith("not one of"):
        return InputError(f"fields.{field.key}", N_("%(label)s: not one of %(options)s"), label=label,
                          options=", ".join(option.label(lang) for option in field.options))
    return InputError(f"fields.{field.key}", REASONS.get(error.reason, N_("%(label)s: not a valid value")),
                      label=label)


def clean_values(fields: TicketFields, raw: Mapping[str, object], lang: str = "en",
                 stored: Iterable[str] = ()) -> dict[str, str | None]:
    """`raw` (key -> value; None or blank: clear it) checked and normalised, or the first refusal (InputError naming
    `fields.<key>`). A key not in the file may only be cleared, and only when `stored` holds it."""
    cleaned, refused = checked_values(fields, raw, lang, stored)
    if refused:
        raise next(iter(refused.values()))
    return cleaned


def checked_values(fields: TicketFields, raw: Mapping[str, object], lang: str = "en", stored: Iterable[str] = ()
                   ) -> tuple[dict[str, str | None], dict[str, InputError]]:
    """`clean_values` keeping every refusal (the ticket page names each bad value): (cleaned, key -> refusal)."""
    kept = set(stored)
    cleaned: dict[str, str | None] = {}
    refused: dict[str, InputError] = {}
    for key, value in raw.items():
        field = fields.get(key)
        if field is None:
            if key in kept and (value is None or (isinstance(value, str) and not value.strip())):
                cleaned[key] = None
                continue
            refused[key] = InputError(f"fields.{key[:40]}", N_("no ticket field %(key)s; the fields are %(keys)s"),
                                      key=repr(key[:40]), keys=", ".join(fields.keys) or "-")
            continue
        try:
            cleaned[key] = field.normalise(value)
        except FieldValueError as error:
            refused[key] = field_error(field, error, lang)
    return cleaned, refused


class FieldsRefused(Exception):
    """The ticket page's form had bad values: nothing was written; `errors` key -> refusal, each naming its label."""

    def __init__(self, errors: dict[str, InputError]) -> None:
        super().__init__("; ".join(str(error) for error in errors.values()))
        self.errors = errors


def set_fields(store: TicketStore, ticket_id: int, raw: Mapping[str, object], lang: str, by: Actor
               ) -> dict[str, tuple[str | None, str | None]]:
    """The ticket page's form: every value checked (FieldsRefused naming each bad one, in `lang`) before any is
    written, all in one transaction; a closed ticket refused (ClosedTicketError). The changes (see `write_values`)."""
    with store.db.session() as session:
        ticket = changeable(session, ticket_id)
        cleaned, refused = checked_values(store.fields, raw, lang, stored=values_in(session, ticket.id))
        if refused:
            raise FieldsRefused(refused)
        changes = write_values(session, ticket.id, cleaned, by)
        emptied = {field.key: unsolvable([field], ticket.id) for field in still_missing(session, store.fields, ticket)}
        if emptied:
            raise FieldsRefused(emptied)
        if changes:
            ticket.updated_at = utcnow()
        return changes


@dataclass(frozen=True)
class FieldChange:
    """One field's change in the ticket page's history (from its audit event)."""

    created_at: datetime
    actor: str  # an audit actor: "agent" (agent_id), "api", "cli", "system"
    agent_id: int | None
    key: str
    before: str | None
    after: str | None


def field_changes(db: Database, ticket_id: int) -> list[FieldChange]:
    """The ticket's field changes, oldest first, read from their "ticket_fields_changed" audit events."""
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "ticket_fields_changed", AuditEvent.subject_type == "ticket",
            AuditEvent.subject == str(ticket_id)).order_by(AuditEvent.created_at, AuditEvent.id))
        return [FieldChange(as_utc(event.created_at), event.actor, event.actor_id, key, (event.before or {}).get(key),
                            after)
                for event in events for key, after in sorted((event.after or {}).items())]


def values_in(session: Session, ticket_id: int) -> dict[str, str]:
    """The ticket's stored values, key -> text, as the caller's transaction sees them."""
    rows = session.execute(select(TicketFieldValue.key, TicketFieldValue.value)
                           .where(TicketFieldValue.ticket_id == ticket_id))
    return {key: value for key, value in rows}


def values_of_many(session: Session, ticket_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each ticket's values (an API list page): ticket id -> key -> text; tickets with none are absent."""
    ids = list(ticket_ids)
    found: dict[int, dict[str, str]] = {}
    if not ids:
        return found
    rows = session.execute(select(TicketFieldValue.ticket_id, TicketFieldValue.key, TicketFieldValue.value)
                           .where(TicketFieldValue.ticket_id.in_(ids)))
    for ticket_id, key, value in rows:
        found.setdefault(ticket_id, {})[key] = value
    return found


def write_values(session: Session, ticket_id: int, cleaned: Mapping[str, str | None], by: Actor = SYSTEM
                 ) -> dict[str, tuple[str | None, str | None]]:
    """Store `cleaned` (from `clean_values`) on the ticket in the caller's transaction; the changes (key -> (before,
    after)), audited as one "ticket_fields_changed" event when there are any."""
    have = values_in(session, ticket_id)
    changes = {key: (have.get(key), value) for key, value in cleaned.items() if have.get(key) != value}
    for key, (before, after) in sorted(changes.items()):
        if after is None:
            session.execute(delete(TicketFieldValue).where(TicketFieldValue.ticket_id == ticket_id,
                                                           TicketFieldValue.key == key))
        elif before is None:
            session.add(TicketFieldValue(ticket_id=ticket_id, key=key, value=after))
        else:
            row = session.scalar(select(TicketFieldValue).where(TicketFieldValue.ticket_id == ticket_id,
                                                                TicketFieldValue.key == key))
            if row is not None:
                row.value = after
    if changes:
        session.flush()
        record(session, by, "ticket_fields_changed", "ticket", ticket_id,
               before={key: before for key, (before, _) in sorted(changes.items())},
               after={key: after for key, (_, after) in sorted(changes.items())})
    return changes


def fill_blanks(session: Session, source_id: int, target_id: int, by: Actor = SYSTEM
                ) -> dict[str, tuple[str | None, str | None]]:
    """A merge (TicketStore.merge): the target keeps every value it has and takes the source's for the fields it has
    none of (audited on the target as any change is); the source keeps its own."""
    have = values_in(session, target_id)
    taken = {key: value for key, value in values_in(session, source_id).items() if key not in have}
    return write_values(session, target_id, taken, by) if taken else {}


def missing_to_solve(session: Session, fields: TicketFields, ticket_id: int) -> list[TicketField]:
    """The `required_to_solve` fields the ticket has no value for."""
    required = fields.required_to_solve()
    if not required:
        return []
    have = values_in(session, ticket_id)
    return [field for field in required if field.key not in have]


def still_missing(session: Session, fields: TicketFields, ticket: Ticket) -> list[TicketField]:
    """A solved ticket's `required_to_solve` fields without a value after a write (none unless solved): clearing one
    on a solved ticket is refused as solving without it is (hostile33: a clear and a solve at once, or a clear after
    the solve, left a solved ticket without its order number)."""
    return missing_to_solve(session, fields, ticket.id) if ticket.status == "solved" else []


def unsolvable(fields: list[TicketField], ticket_id: int) -> InputError:
    """The refusal of a solve: each missing field named in every shipped language (the desk knows no viewer)."""
    names = "; ".join(" / ".join(dict.fromkeys(field.labels.values())) for field in fields)
    return InputError(f"fields.{fields[0].key}", N_("#%(ticket)s cannot be solved before %(fields)s is set"),
                      ticket=ticket_id, fields=names)


def values_of(db: Database, ticket: Ticket) -> dict[str, str]:
    """The ticket's stored values in its own transaction when it has one (an answer built inside the write), else
    read now."""
    session = object_session(ticket)
    if session is not None:
        return values_in(session, ticket.id)
    with db.session() as fresh:
        return values_in(fresh, ticket.id)
