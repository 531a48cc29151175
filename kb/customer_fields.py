"""Customer fields (Zendesk's user fields, Chatwoot's contact custom attributes, Intercom's people data attributes):
a team's own facts about a customer (plan, account id, VIP), shown beside every ticket of theirs.

`content/_customer_fields.yml` (optional) is a list of fields as kb.ticket_fields reads them (key, type, label per
shipped language, options for a dropdown; the same types and the same normalising), without the ticket fields' flags:
a customer field is never on the contact form nor needed to solve. A wrong file is refused whole with the file, line
and field named (`TicketFieldsError`): the desk does not start with it, a running desk keeps its last good fields,
and `kb lint` reports it (rule `customer-fields`). Storing values is desk.customer_fields's.

Rules name a field as `customer.<key>` (CUSTOMER_PREFIX): a macro's placeholder `{{ customer.plan }}` (kb.macros),
a trigger's or automation's condition `customer.vip: true` (kb.triggers), an inbox filter (desk.saved_views).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kb.ticket_fields import FieldSet, TicketField

CUSTOMER_FIELDS_FILE = "_customer_fields.yml"
CUSTOMER_PREFIX = "customer."  # `customer.<key>`: a customer field in a macro, a rule or an inbox filter
# A checkbox's value in a filled placeholder, in the ticket's language (a reply is plain text the desk writes, with no
# request to translate by; the web layer's "Yes"/"No" say the same on the agent's pages).
CHECKBOX_WORDS = {"en": {"true": "yes", "false": "no"}, "ar": {"true": "نعم", "false": "لا"}}


@dataclass(frozen=True)
class CustomerFields(FieldSet):
    """content/_customer_fields.yml's fields."""

    FILE: ClassVar[str] = CUSTOMER_FIELDS_FILE
    FLAGS: ClassVar[tuple[str, ...]] = ()


def file_customer_fields(content_dir: Path, languages: Sequence[str]) -> CustomerFields:
    """content/_customer_fields.yml's fields for `kb lint`'s other rules; a wrong file is none here (it is its own
    problem, rule `customer-fields`)."""
    try:
        return CustomerFields.load(content_dir, tuple(languages))
    except (ValueError, OSError):
        return CustomerFields()


def shown_value(field: TicketField, value: str | None, lang: str) -> str:
    """A stored value as a filled placeholder shows it in `lang`: a dropdown's label, a checkbox's yes or no, a
    number or date as stored, a blank value empty."""
    if value is None:
        return ""
    if field.type == "checkbox":
        words = CHECKBOX_WORDS.get(lang) or CHECKBOX_WORDS["en"]
        return words.get(value, value)
    if field.type == "dropdown":
        option = field.option(value)
        return option.label(lang) if option is not None else value
    return value


def placeholder_values(fields: FieldSet, stored: Mapping[str, str], lang: str) -> dict[str, str]:
    """Every customer field's placeholder (`customer.<key>`) filled from the customer's stored values in `lang`
    (`shown_value`; a field without a value is empty)."""
    return {CUSTOMER_PREFIX + field.key: shown_value(field, stored.get(field.key), lang) for field in fields.fields}
