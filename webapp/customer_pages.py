"""The customers in the workspace: the list of every customer (Zendesk's "Customers", Chatwoot's "Contacts"), searched
and sorted, and each customer's profile page (Zendesk's user profile, Chatwoot's contact page): who they are, their
counts and every ticket of theirs, and the form for the display name, email, country and the agents' notes about
them. Any signed-in agent (any role) may read and edit them; the notes are internal, every edit is in the audit log
(desk.customers). Routes on the agent blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import get_locale, gettext
from flask_login import login_required

from desk.customers import COUNTRIES, MAX_NOTES, MAX_QUERY, SORTS, CustomerProfile
from desk.tickets import MAX_NAME, InputError
from webapp import state
from webapp.agent import PAGE_SIZE, _page, acting, bp
from webapp.desk_errors import desk_error
from webapp.paging import paged
from webapp.workspace_labels import ViewLabels


@bp.get("/customers")
@login_required
def customers():
    """Every customer, 25 a page (the one ?page= rule), searched by name or email (?q=) and sorted (?sort=); reads
    only. An unknown sort is a 400 naming it, with the default order shown."""
    q, sort = (request.args.get("q") or "")[:MAX_QUERY], request.args.get("sort") or SORTS[0]
    desk = state.desk()
    error, status = None, 200
    try:
        found, paging = paged(lambda limit, offset: desk.customers.page(q, sort, limit, offset), PAGE_SIZE)
    except InputError as refused:  # the sort: named, the default order shown
        error, status, sort = desk_error(refused), 400, SORTS[0]
        found, paging = paged(lambda limit, offset: desk.customers.page(q, sort, limit, offset), PAGE_SIZE)
    args = {key: value for key, value in (("q", q), ("sort", sort)) if value and (key, value) != ("sort", SORTS[0])}
    return _page("agent/customers.html", found=found, paging=paging, q=q, sort=sort, sorts=SORTS, args=args,
                 error=error), status


def _profile_page(customer_id: int, status: int = 200, **extra: Any) -> tuple[str, int]:
    """The page at ?page=N (25 tickets, newest first; the one ?page= rule, webapp.paging); a 404 for no such
    customer."""

    def fetch(limit: int, offset: int) -> CustomerProfile:
        found = state.desk().customers.profile(customer_id, limit=limit, offset=offset)
        if found is None:
            abort(404)
        return found

    found, paging = paged(fetch, PAGE_SIZE)
    c = found.customer
    extra.setdefault("kept", {"name": c.name, "notes": c.notes or "", "email": c.email, "country": c.country or ""})
    extra.setdefault("errors", {})
    return _page("agent/customer.html", profile=found, paging=paging, labels=ViewLabels(), max_name=MAX_NAME,
                 max_notes=MAX_NOTES, countries=country_names(), **extra), status


def country_names() -> list[tuple[str, str]]:
    """Every code `customers.country` may hold with its name in the interface's language, in that language's order
    of names."""
    names = get_locale().territories if get_locale() is not None else {}
    return sorted(((code, names.get(code, code)) for code in COUNTRIES), key=lambda pair: pair[1].casefold())


@bp.get("/customers/<int:customer_id>")
@login_required
def customer(customer_id: int):
    """The profile; reads only."""
    return _profile_page(customer_id)


@bp.post("/customers/<int:customer_id>")
@login_required
def edit_customer(customer_id: int):
    """Save the display name, email, country and notes (CSRF, as every form; an audit event by the signed-in agent);
    a refusal, an email another customer has among them, shows the page again with the error under its field and
    what the agent typed, nothing written. A form without the email or country field leaves it as it is."""
    form = request.form
    name, notes = form.get("name", ""), form.get("notes", "")
    email, country = form.get("email"), form.get("country")
    if state.desk().customers.get(customer_id) is None:
        abort(404)
    try:
        state.desk().customers.edit(customer_id, name, notes, email=email, country=country, by=acting())
    except InputError as error:
        return _profile_page(customer_id, 400, errors={error.field: desk_error(error)},
                             kept={"name": name, "notes": notes, "email": email or "", "country": country or ""})
    flash(gettext("Customer saved."), "ok")
    return redirect(url_for(".customer", customer_id=customer_id))
