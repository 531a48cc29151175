"""Customer fields' values (kb.customer_fields defines the fields; Zendesk's user fields, Chatwoot's contact custom
attributes): read, checked and written all or nothing, by desk.field_values's functions as ticket fields' are.

A value is stored as kb.ticket_fields normalises it (`customer_field_values`, one row per customer and key; a blank
value is no row). `set_values` is the profile page's form and the API's PATCH: the customer's row locked first (two
saves at once are one after the other), every value checked before any is written (`FieldsRefused` naming each bad
one, `fields.<key>` and its label), then the rows change and the change is audited ("customer_fields_changed",
before and after; the profile lists them). A customer merged away or erased is refused naming "customer". A merge
keeps the kept customer's values and fills their blanks from the duplicate's (desk.customers.merge, `fill_blanks`);
an erase deletes them (desk.erasure).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.orm import Session

from desk.audit import Actor
from desk.customers import live_customer
from desk.database import Database, lock_row
from desk.field_values import (
    CUSTOMER_VALUES,
    FieldChange,
    FieldsRefused,
    checked_values,
    field_changes,
    values_in,
    write_values,
)
from desk.field_values import values_of_many as values_of_owners
from desk.models import Customer
from kb.customer_fields import CustomerFields


def set_values(db: Database, fields: CustomerFields, customer_id: int, raw: Mapping[str, object], lang: str,
               by: Actor) -> dict[str, tuple[str | None, str | None]]:
    """Check every value of `raw` (key -> typed value; blank clears) and store them in one transaction; the changes
    (key -> (before, after)). Refused, nothing written: FieldsRefused (each bad value), InputError on "customer"."""
    def write(session: Session) -> dict[str, tuple[str | None, str | None]]:
        lock_row(session, Customer, customer_id)
        customer = live_customer(session, customer_id)
        cleaned, refused = checked_values(fields, raw, lang, values_in(session, customer.id, CUSTOMER_VALUES),
                                          CUSTOMER_VALUES)
        if refused:
            raise FieldsRefused(refused)
        return write_values(session, customer.id, cleaned, by, CUSTOMER_VALUES)

    return db.write(write)  # again while the database is busy (a ticket or a mail being stored: SQLite's one writer)


def values_of(db: Database, customer_id: int) -> dict[str, str]:
    """The customer's stored values, key -> text (reads only)."""
    with db.session() as session:
        return values_in(session, customer_id, CUSTOMER_VALUES)


def values_of_many(session: Session, customer_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each customer's stored values (an API page's customers, in one statement): id -> key -> text; none absent."""
    return values_of_owners(session, customer_ids, CUSTOMER_VALUES)


def changes_of(db: Database, customer_id: int) -> list[FieldChange]:
    """The customer's field changes, oldest first (their "customer_fields_changed" audit events)."""
    return field_changes(db, customer_id, CUSTOMER_VALUES)
