"""Custom ticket fields' values (kb.ticket_fields defines the fields): read, checked, written all or nothing.

A value is stored as kb.ticket_fields normalises it (`ticket_field_values`, one row per ticket and key; a blank
value is no row). Every write goes through `write_values` in the caller's transaction: each value is checked
first (the first bad one refused naming `fields.<key>` and the field's label: "Order number: not a number"), then
the rows change and the change is audited ("ticket_fields_changed", before and after). A key the file no longer
has keeps its rows (shown as "key (not in the fields file)"); it can be cleared, never set. A field with
`required_to_solve` blocks solving (`missing_to_solve`, checked by TicketStore._update: the page, the API and the
inbox's bulk solve).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from desk.audit import SYSTEM, Actor, record
from desk.database import Database
from desk.models import Ticket, TicketFieldValue
from desk.tickets import InputError
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
    kept = set(stored)
    cleaned: dict[str, str | None] = {}
    for key, value in raw.items():
        field = fields.get(key)
        if field is None:
            if key in kept and (value is None or (isinstance(value, str) and not value.strip())):
                cleaned[key] = None
                continue
            raise InputError(f"fields.{key[:40]}", N_("no ticket field %(key)s; the fields are %(keys)s"),
                             key=repr(key[:40]), keys=", ".join(fields.keys) or "-")
        try:
            cleaned[key] = field.normalise(value)
        except FieldValueError as error:
            raise field_error(field, error, lang) from None
    return cleaned


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


def missing_to_solve(session: Session, fields: TicketFields, ticket_id: int) -> list[TicketField]:
    """The `required_to_solve` fields the ticket has no value for."""
    required = fields.required_to_solve()
    if not required:
        return []
    have = values_in(session, ticket_id)
    return [field for field in required if field.key not in have]


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
