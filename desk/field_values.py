"""Custom fields' values, whatever they are on (a ticket: desk.ticket_fields; a customer: desk.customer_fields):
checked, stored and audited by one set of functions over a `ValueTable` (which rows, whose id, which audit action).

A value is stored as kb.ticket_fields normalises it (one row per owner and key; a blank value is no row). Every
write goes through `write_values` in the caller's transaction: each value is checked first (`checked_values`: the
first bad one refused naming `fields.<key>` and the field's label: "Order number: not a number"), then the rows
change and the change is audited (the table's action, before and after). A key the file no longer has keeps its rows;
it can be cleared, never set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desk.audit import SYSTEM, Actor, record
from desk.database import Database
from desk.models import AuditEvent, CustomerFieldValue, TicketFieldValue, as_utc
from desk.tickets import InputError
from desk.translatable import N_
from kb.bidi_text import INVISIBLE
from kb.ticket_fields import FieldSet, FieldValueError, TicketField

# kb's reasons (English) -> the translatable messages the desk shows for them.
REASONS = {
    "not a number": N_("%(label)s: not a number"),
    "not a date (YYYY-MM-DD)": N_("%(label)s: not a date (YYYY-MM-DD)"),
    "not true or false": N_("%(label)s: not true or false"),
    "too long or holds control characters": N_("%(label)s: too long or holds control characters"),
}


@dataclass(frozen=True)
class ValueTable:
    """Where one kind of owner's values live: the rows' model, its owner column's name, the audit action and the
    audit subject type of a change, and the refusal of a key the fields file does not have."""

    model: Any  # TicketFieldValue or CustomerFieldValue: (id, <owner>, key, value)
    owner: str
    action: str
    subject: str
    unknown: str

    def column(self) -> Any:
        return getattr(self.model, self.owner)


TICKET_VALUES = ValueTable(TicketFieldValue, "ticket_id", "ticket_fields_changed", "ticket",
                           N_("no ticket field %(key)s; the fields are %(keys)s"))
CUSTOMER_VALUES = ValueTable(CustomerFieldValue, "customer_id", "customer_fields_changed", "customer",
                             N_("no customer field %(key)s; the fields are %(keys)s"))


def field_error(field: TicketField, error: FieldValueError, lang: str) -> InputError:
    """A refused value named by the field's label in `lang` (and `fields.<key>` for the API)."""
    label = field.label(lang)
    if error.reason.startswith("not one of"):
        return InputError(f"fields.{field.key}", N_("%(label)s: not one of %(options)s"), label=label,
                          options=", ".join(option.label(lang) for option in field.options))
    return InputError(f"fields.{field.key}", REASONS.get(error.reason, N_("%(label)s: not a valid value")),
                      label=label)


def clean_values(fields: FieldSet, raw: Mapping[str, object], lang: str = "en", stored: Iterable[str] = (),
                 table: ValueTable = TICKET_VALUES) -> dict[str, str | None]:
    """`raw` (key -> value; None or blank: clear it) checked and normalised, or the first refusal (InputError naming
    `fields.<key>`). A key not in the file may only be cleared, and only when `stored` holds it."""
    cleaned, refused = checked_values(fields, raw, lang, stored, table)
    if refused:
        raise next(iter(refused.values()))
    return cleaned


def checked_values(fields: FieldSet, raw: Mapping[str, object], lang: str = "en", stored: Iterable[str] = (),
                   table: ValueTable = TICKET_VALUES) -> tuple[dict[str, str | None], dict[str, InputError]]:
    """`clean_values` keeping every refusal (a page names each bad value): (cleaned, key -> refusal)."""
    kept = set(stored)
    cleaned: dict[str, str | None] = {}
    refused: dict[str, InputError] = {}
    for key, value in raw.items():
        field = fields.get(key)
        if field is None:
            if key in kept and (value is None or (isinstance(value, str) and not value.strip())):
                cleaned[key] = None
                continue
            refused[key] = InputError(f"fields.{shown_key(key)}", table.unknown, key=repr(key[:40]),
                                      keys=", ".join(fields.keys) or "-")
            continue
        try:
            cleaned[key] = field.normalise(value)
        except FieldValueError as error:
            refused[key] = field_error(field, error, lang)
    return cleaned, refused


def shown_key(key: str) -> str:
    """An unknown key as the refusal's field names it: its first 40 characters, escaped ("plan\\u202e") when it holds
    a control or invisible one (a U+202E in the field's name reversed the error after it in an integration's log)."""
    cut = key[:40]
    return cut if cut.isprintable() and not INVISIBLE.intersection(cut) else ascii(cut)[1:-1]


class FieldsRefused(Exception):
    """A page's form had bad values: nothing was written; `errors` key -> refusal, each naming its label."""

    def __init__(self, errors: dict[str, InputError]) -> None:
        super().__init__("; ".join(str(error) for error in errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class FieldChange:
    """One field's change in a page's history (from its audit event)."""

    created_at: datetime
    actor: str  # an audit actor: "agent" (agent_id), "api", "cli", "system"
    agent_id: int | None
    key: str
    before: str | None
    after: str | None


def field_changes(db: Database, owner_id: int, table: ValueTable = TICKET_VALUES) -> list[FieldChange]:
    """The owner's field changes, oldest first, read from their audit events."""
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == table.action, AuditEvent.subject_type == table.subject,
            AuditEvent.subject == str(owner_id)).order_by(AuditEvent.created_at, AuditEvent.id))
        return [FieldChange(as_utc(event.created_at), event.actor, event.actor_id, key, (event.before or {}).get(key),
                            after)
                for event in events for key, after in sorted((event.after or {}).items())]


def values_in(session: Session, owner_id: int, table: ValueTable = TICKET_VALUES) -> dict[str, str]:
    """The owner's stored values, key -> text, as the caller's transaction sees them."""
    rows = session.execute(select(table.model.key, table.model.value).where(table.column() == owner_id))
    return {key: value for key, value in rows}


def values_of_many(session: Session, owner_ids: Iterable[int], table: ValueTable = TICKET_VALUES
                   ) -> dict[int, dict[str, str]]:
    """Each owner's values (an API list page): owner id -> key -> text; owners with none are absent."""
    ids = list(owner_ids)
    found: dict[int, dict[str, str]] = {}
    if not ids:
        return found
    rows = session.execute(select(table.column(), table.model.key, table.model.value)
                           .where(table.column().in_(ids)))
    for owner_id, key, value in rows:
        found.setdefault(owner_id, {})[key] = value
    return found


def write_values(session: Session, owner_id: int, cleaned: Mapping[str, str | None], by: Actor = SYSTEM,
                 table: ValueTable = TICKET_VALUES) -> dict[str, tuple[str | None, str | None]]:
    """Store `cleaned` (from `clean_values`) on the owner in the caller's transaction; the changes (key -> (before,
    after)), audited as one event (the table's action) when there are any."""
    have = values_in(session, owner_id, table)
    changes = {key: (have.get(key), value) for key, value in cleaned.items() if have.get(key) != value}
    model, column = table.model, table.column()
    for key, (before, after) in sorted(changes.items()):
        if after is None:
            session.execute(delete(model).where(column == owner_id, model.key == key))
        elif before is None:
            session.add(model(**{table.owner: owner_id, "key": key, "value": after}))
        else:
            row = session.scalar(select(model).where(column == owner_id, model.key == key))
            if row is not None:
                row.value = after
    if changes:
        session.flush()
        record(session, by, table.action, table.subject, owner_id,
               before={key: before for key, (before, _) in sorted(changes.items())},
               after={key: after for key, (_, after) in sorted(changes.items())})
    return changes


def fill_blanks(session: Session, source_id: int, target_id: int, by: Actor = SYSTEM,
                table: ValueTable = TICKET_VALUES) -> dict[str, tuple[str | None, str | None]]:
    """A merge: the target keeps every value it has and takes the source's for the fields it has none of (audited on
    the target as any change is); the source keeps its own."""
    have = values_in(session, target_id, table)
    taken = {key: value for key, value in values_in(session, source_id, table).items() if key not in have}
    return write_values(session, target_id, taken, by, table) if taken else {}
