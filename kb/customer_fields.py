"""Customer fields (Zendesk's user fields, Chatwoot's contact custom attributes, Intercom's people data attributes):
a team's own facts about a customer (plan, account id, VIP), shown beside every ticket of theirs.

`content/_customer_fields.yml` (optional) is a list of fields as kb.ticket_fields reads them (key, type, label per
shipped language, options for a dropdown; the same types and the same normalising), without the ticket fields' flags:
a customer field is never on the contact form nor needed to solve. A wrong file is refused whole with the file, line
and field named (`TicketFieldsError`): the desk does not start with it, a running desk keeps its last good fields,
and `kb lint` reports it (rule `customer-fields`). Storing values is desk.customer_fields's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kb.ticket_fields import FieldSet

CUSTOMER_FIELDS_FILE = "_customer_fields.yml"


@dataclass(frozen=True)
class CustomerFields(FieldSet):
    """content/_customer_fields.yml's fields."""

    FILE: ClassVar[str] = CUSTOMER_FIELDS_FILE
    FLAGS: ClassVar[tuple[str, ...]] = ()
