"""The customer's profile page in the workspace (Zendesk's user profile, Chatwoot's contact page): who they are, their
counts and every ticket of theirs, and the form for the display name and the agents' notes about them. Any signed-in
agent (any role) may read and edit it; the notes are internal (desk.customers). Routes on the agent blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import login_required

from desk.customers import MAX_NOTES, CustomerProfile
from desk.tickets import MAX_NAME, InputError
from webapp import state
from webapp.agent import PAGE_SIZE, _page, bp
from webapp.desk_errors import desk_error
from webapp.paging import paged
from webapp.workspace_labels import ViewLabels


def _profile_page(customer_id: int, status: int = 200, **extra: Any) -> tuple[str, int]:
    """The page at ?page=N (25 tickets, newest first; the one ?page= rule, webapp.paging); a 404 for no such
    customer."""

    def fetch(limit: int, offset: int) -> CustomerProfile:
        found = state.desk().customers.profile(customer_id, limit=limit, offset=offset)
        if found is None:
            abort(404)
        return found

    found, paging = paged(fetch, PAGE_SIZE)
    extra.setdefault("kept", {"name": found.customer.name, "notes": found.customer.notes or ""})
    extra.setdefault("errors", {})
    return _page("agent/customer.html", profile=found, paging=paging, labels=ViewLabels(), max_name=MAX_NAME,
                 max_notes=MAX_NOTES, **extra), status


@bp.get("/customers/<int:customer_id>")
@login_required
def customer(customer_id: int):
    """The profile; reads only."""
    return _profile_page(customer_id)


@bp.post("/customers/<int:customer_id>")
@login_required
def edit_customer(customer_id: int):
    """Save the display name and notes (CSRF, as every form); a refusal shows the page again with the error under
    its field and what the agent typed, nothing written."""
    name, notes = request.form.get("name", ""), request.form.get("notes", "")
    if state.desk().customers.get(customer_id) is None:
        abort(404)
    try:
        state.desk().customers.edit(customer_id, name, notes)
    except InputError as error:
        return _profile_page(customer_id, 400, kept={"name": name, "notes": notes},
                             errors={error.field: desk_error(error)})
    flash(gettext("Customer saved."), "ok")
    return redirect(url_for(".customer", customer_id=customer_id))
