"""The ticket page's custom fields panel (kb.ticket_fields, desk.ticket_fields): one form, saved all or nothing.

Every value is checked before any is written; a bad one is named by its field's label in the agent's language
("Order number: not a number") beside its input, and the page comes back (400) with everything the agent typed.
A field the file no longer has is shown read-only as "key (not in the fields file)" with its stored value. Each
change is audited ("ticket_fields_changed") and listed in the panel's history. Routes on the agent blueprint."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from desk.ticket_fields import FieldsRefused, set_fields
from desk.tickets import ClosedTicketError, InputError
from kb.ticket_fields import FieldSet, FieldValueError, TicketField
from webapp import state
from webapp.agent import _closed_page, _page_again, acting, bp, interface_lang
from webapp.desk_errors import desk_error, desk_problem
from webapp.roles import works_tickets_required

FORM_PREFIX = "field."  # each input's name: field.<key>
SEEN_PREFIX = "seen."  # beside it, the value the page showed (`form_values`)


def form_values(fields: FieldSet) -> dict[str, object]:
    """The posted form's values of `fields` (inputs `field.<key>`), key -> text as typed; an unticked checkbox is
    "false". The ticket page's fields and the customer profile's (webapp.customer_pages) read their form here.

    The form posts every field, so a field is left out when it comes back as the page showed it (`seen.<key>`, the
    stored value the form was drawn with): another agent's change since, to a field this one did not touch, was
    written back over (a VIP unticked again, an account id undone). One the agent changed is written."""
    raw: dict[str, object] = {}
    for field in fields.fields:
        name = FORM_PREFIX + field.key
        if field.type == "checkbox":  # an unticked box sends nothing: "false", as the agent left it
            value = "true" if request.form.get(name) else "false"
        elif name in request.form:
            value = request.form.get(name, "")[:2000]
        else:
            continue
        seen = request.form.get(SEEN_PREFIX + field.key)
        if seen is None or not as_shown(field, value, seen[:2000]):
            raw[field.key] = value
    return raw


def as_shown(field: TicketField, posted: str, seen: str) -> bool:
    """Whether a field's posted value is the one its form showed (`seen`: the stored text, "" for none), read as
    stored: a box left as it was drawn (unticked shows none and "false" alike), a value typed the same."""
    if field.type == "checkbox":
        return (posted == "true") == (seen == "true")
    try:
        return (field.normalise(posted) or "") == seen
    except FieldValueError:
        return False


def refused_fields(refused: FieldsRefused, raw: dict[str, object]) -> dict[str, dict[str, str]]:
    """A refused form's page again: `field_errors` (key -> its refusal in the reader's language) and `kept_fields`
    (what was typed), with the flash saying nothing was saved."""
    flash(gettext("Nothing was saved: fix the fields marked below."), "error")
    return {"field_errors": {key: desk_problem(error) for key, error in refused.errors.items()},
            "kept_fields": {key: str(value) for key, value in raw.items()}}


@bp.post("/tickets/<int:ticket_id>/fields")
@works_tickets_required
def ticket_fields(ticket_id: int) -> Response | tuple[str, int]:
    desk = state.desk()
    raw = form_values(desk.fields)
    try:
        changes = set_fields(desk.tickets, ticket_id, raw, interface_lang(), acting())
    except ClosedTicketError as error:
        return _closed_page(ticket_id, error)
    except FieldsRefused as refused:
        return _page_again(ticket_id, **refused_fields(refused, raw)), 400
    except InputError as error:  # the ticket itself (gone meanwhile)
        flash(desk_error(error), "error")
        return redirect(url_for(".inbox"))
    flash(gettext("Fields saved.") if changes else gettext("No field changed."), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))
