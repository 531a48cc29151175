"""Custom ticket fields' values (kb.ticket_fields defines the fields): read, checked, written all or nothing.

A value is stored as kb.ticket_fields normalises it (`ticket_field_values`, one row per ticket and key; a blank
value is no row). Checking, storing and auditing are desk.field_values's (shared with the customer fields; its
functions are named here for the ticket callers): each value is checked first (the first bad one refused naming
`fields.<key>` and the field's label: "Order number: not a number"), then the rows change and the change is audited
("ticket_fields_changed", before and after). A key the file no longer
has keeps its rows (shown as "key (not in the fields file)"); it can be cleared, never set. A field with
`required_to_solve` blocks solving (`missing_to_solve`, checked by TicketStore._update: the page, the API and the
inbox's bulk solve), and a solved ticket's cannot be cleared (`still_missing`, checked by the ticket page and PATCH).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session, object_session

from desk.audit import Actor
from desk.database import Database
from desk.field_values import (
    REASONS,
    FieldChange,
    FieldsRefused,
    checked_values,
    clean_values,
    field_changes,
    field_error,
    fill_blanks,
    values_in,
    values_of_many,
    write_values,
)
from desk.models import Ticket, utcnow
from desk.tickets import InputError, TicketStore, changeable
from desk.translatable import N_
from kb.ticket_fields import TicketField, TicketFields

# desk.field_values's, named here too: the ticket callers import them from this module.
__all__ = ["REASONS", "FieldChange", "FieldsRefused", "checked_values", "clean_values", "field_changes", "field_error",
           "fill_blanks", "missing_to_solve", "set_fields", "still_missing", "unsolvable", "values_in", "values_of",
           "values_of_many", "write_values"]


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
