"""The customers in the workspace: the list of every customer (Zendesk's "Customers", Chatwoot's "Contacts"), searched
and sorted, and each customer's profile page (Zendesk's user profile, Chatwoot's contact page): who they are, their
counts and every ticket of theirs, and the form for the display name, email, country and the agents' notes about
them. Any signed-in agent (any role) may read them; agents and leads edit them (a light agent reads only); the notes
are internal, every edit is in the audit log (desk.customers). The customer fields (kb.customer_fields: plan, account
id, VIP) are their own form on the profile, saved all or nothing as the ticket page's fields are, and listed read
only on the ticket page's customer card. The form carries the version it was read at: a save from an older one
(another agent saved meanwhile) is refused naming the fields that changed, with what the agent typed kept.

Admins merge a duplicate customer into the one kept (Zendesk's "merge users"), from the duplicate's profile: pick the
kept one by name or email, read what will move on a confirmation page, confirm. A merged customer's profile URL
redirects to the kept one's, which says so.

Admins erase a customer's personal data when they ask to be forgotten (desk.erasure; the GDPR's right to erasure):
a confirmation page says what goes and what stays, the admin types the customer's email, and the profile URL then
answers 410 Gone with a page saying when and by whom (a merged duplicate of theirs redirects there). Routes on the
agent blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import get_locale, gettext, ngettext
from flask_login import login_required
from werkzeug.wrappers import Response

from desk import customer_fields
from desk.customers import COUNTRIES, MAX_NOTES, MAX_QUERY, SORTS, CustomerProfile, StaleEditError, notes_digest
from desk.field_values import FieldsRefused
from desk.models import Customer
from desk.tickets import MAX_NAME, MAX_ROW_ID, InputError
from desk.translatable import N_
from webapp import state
from webapp.agent import PAGE_SIZE, _admin_required, _page, acting, bp, interface_lang
from webapp.desk_errors import FIELDS, desk_error
from webapp.formatting import isolate_in_rtl
from webapp.paging import paged
from webapp.roles import works_tickets_required
from webapp.security import form_number
from webapp.ticket_field_pages import form_values, refused_fields
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
    merged_from = request.args.get("merged_from", type=int)  # the redirect from a merged duplicate's old URL
    if merged_from is not None and 0 < merged_from <= MAX_ROW_ID:
        old = state.desk().customers.get(merged_from)
        if old is not None and old.merged_into_id == c.id:
            extra.setdefault("merged_from", old)
    extra.setdefault("kept", {"name": c.name, "notes": c.notes or "", "email": c.email, "country": c.country or ""})
    extra.setdefault("errors", {})
    seen = {"name": c.name or "", "email": c.email, "country": c.country or "", "notes": notes_digest(c.notes)}
    desk = state.desk()
    extra.setdefault("kept_fields", {})
    extra.setdefault("field_errors", {})
    return _page("agent/customer.html", profile=found, paging=paging, labels=ViewLabels(), max_name=MAX_NAME,
                 max_notes=MAX_NOTES, countries=country_names(), seen=seen,
                 organization=desk.organizations.summary(c.id), organizations=desk.organizations.choices(),
                 customer_fields=desk.customer_fields, customer_values=customer_fields.values_of(desk.db, c.id),
                 field_changes=customer_fields.changes_of(desk.db, c.id),
                 agent_names={a.id: a.name or a.email for a in desk.accounts.everyone()}, **extra), status


def gone_page(found: Customer | None) -> Response | tuple[str, int] | None:
    """What a customer's page answers when the customer is not there to act on: a 404 for no such customer, the kept
    customer's profile for one merged away, the 410 for one erased; None when they are there. One rule for the
    profile, its save, and the erase and merge pages."""
    if found is None:
        abort(404)
    if found.merged_into_id is not None:
        return merged_redirect(found)
    if found.erased_at is not None:
        return erased_page(found)
    return None


def merged_redirect(customer: Customer) -> Response:
    """A merged duplicate's URL: the kept customer's profile, which names the duplicate (nothing is written)."""
    return redirect(url_for(".customer", customer_id=customer.merged_into_id, merged_from=customer.id))


def country_names() -> list[tuple[str, str]]:
    """Every code `customers.country` may hold with its name in the interface's language, in that language's order
    of names."""
    names = get_locale().territories if get_locale() is not None else {}
    return sorted(((code, names.get(code, code)) for code in COUNTRIES), key=lambda pair: pair[1].casefold())


@bp.get("/customers/<int:customer_id>")
@login_required
def customer(customer_id: int):
    """The profile; reads only. A merged duplicate's redirects to the kept customer's."""
    if (gone := gone_page(state.desk().customers.get(customer_id))) is not None:
        return gone
    return _profile_page(customer_id)


def erased_page(customer: Customer) -> tuple[str, int]:
    """An erased customer's profile URL: a 410 saying when and by whom (nothing else of theirs is left)."""
    return _page("agent/customer_erased.html", customer=customer,
                 erased=state.desk().erasure.erased_by(customer.id)), 410


@bp.get("/customers/<int:customer_id>/erase")
@login_required
def erase_customer(customer_id: int):
    """Admins: the confirmation page of an erase, saying what goes and what stays. Reads only."""
    _admin_required()
    return _erase_page(customer_id)


def _erase_page(customer_id: int, error: str | None = None, typed: str = "", status: int = 200):
    desk = state.desk()
    if (gone := gone_page(desk.customers.get(customer_id))) is not None:
        return gone
    return _page("agent/customer_erase.html", summary=desk.erasure.summary(customer_id), error=error,
                 typed=typed), status


@bp.post("/customers/<int:customer_id>/erase")
@login_required
def erase_customer_post(customer_id: int):
    """Admins: erase the customer's personal data (CSRF, as every form; one `customer_erased` audit event by the
    signed-in agent) once the typed `email` is theirs, then their profile URL, which says it was. A wrong email
    shows the confirmation again naming the field, nothing written."""
    _admin_required()
    desk = state.desk()
    typed = request.form.get("email", "")[:320]
    try:
        desk.erasure.erase(customer_id, typed, by=acting())
    except InputError as error:
        if error.field != "email":  # gone, merged or erased meanwhile: the page as it is now
            return _erase_page(customer_id)
        return _erase_page(customer_id, desk_error(error), typed, 400)
    flash(gettext("The customer's personal data was erased."), "ok")
    return redirect(url_for(".customer", customer_id=customer_id))


@bp.post("/customers/<int:customer_id>")
@works_tickets_required
def edit_customer(customer_id: int):
    """Save the display name, email, country and notes (CSRF, as every form; an audit event by the signed-in agent);
    a refusal, an email another customer has among them, shows the page again with the error under its field and
    what the agent typed, nothing written. A form without the email or country field leaves it as it is.

    The form's `version` (and `seen_*`, the values it was read with): a save from an older version is a 409 naming
    the fields another agent changed since, with the agent's text kept and the page at the current version, so
    saving again (after a look) overwrites knowingly. A form without `version` (a script) is not checked."""
    form = request.form
    name, notes = form.get("name", ""), form.get("notes", "")
    email, country = form.get("email"), form.get("country")
    if (gone := gone_page(state.desk().customers.get(customer_id))) is not None:
        return gone  # an erased customer's save: the 410 page, not their emptied profile with a refusal
    version_text = form.get("version")
    version = form_number(version_text) if version_text is not None else None
    seen = {field: form.get(f"seen_{field}", "") for field in ("name", "email", "country", "notes")
            if f"seen_{field}" in form}
    typed = {"name": name, "notes": notes, "email": email or "", "country": country or ""}
    try:
        if version_text is not None and version is None:
            raise InputError("version", N_("must be a whole number"))
        state.desk().customers.edit(customer_id, name, notes, email=email, country=country, by=acting(),
                                    version=version, seen=seen)
    except StaleEditError as stale:
        return _profile_page(customer_id, 409, errors={"version": stale_message(stale)}, kept=typed)
    except InputError as error:
        return _profile_page(customer_id, 400, errors={error.field: desk_error(error)}, kept=typed)
    flash(gettext("Customer saved."), "ok")
    return redirect(url_for(".customer", customer_id=customer_id))


@bp.post("/customers/<int:customer_id>/fields")
@works_tickets_required
def customer_fields_post(customer_id: int) -> Response | tuple[str, int]:
    """Save the customer fields (kb.customer_fields; CSRF, as every form) all or nothing, in one transaction, audited
    ("customer_fields_changed", by the signed-in agent). A bad value: the profile again (400) with each refusal under
    its field (its label named) and what the agent typed, nothing written. Light agents read them only."""
    desk = state.desk()
    if (gone := gone_page(desk.customers.get(customer_id))) is not None:
        return gone
    raw = form_values(desk.customer_fields)
    try:
        changes = customer_fields.set_values(desk.db, desk.customer_fields, customer_id, raw, interface_lang(),
                                             acting())
    except FieldsRefused as refused:
        return _profile_page(customer_id, 400, **refused_fields(refused, raw))
    except InputError:  # merged or erased meanwhile: the page as it is now
        return redirect(url_for(".customer", customer_id=customer_id))
    flash(gettext("Fields saved.") if changes else gettext("No field changed."), "ok")
    return redirect(url_for(".customer", customer_id=customer_id))


def stale_message(stale: StaleEditError) -> str:
    """The refusal of a stale save in the reader's language, the changed fields named in it too."""
    if not stale.fields:
        return gettext("Another agent saved this customer since you opened the page; your text is kept: check it "
                       "and save again.")
    return gettext("Another agent saved this customer since you opened the page: %(fields)s changed. Your text is "
                   "kept below: check it against theirs and save again.",
                   fields=gettext(", ").join(str(FIELDS[field]) for field in stale.fields))


@bp.get("/customers/<int:customer_id>/merge")
@login_required
def merge_customer(customer_id: int):
    """Admins: merge this (duplicate) customer into another. Without `into`: a search (?q=, by name or email, as the
    list's) for the customer to keep; with `into`: the confirmation, saying what will move. Reads only."""
    _admin_required()
    desk = state.desk()
    duplicate = desk.customers.get(customer_id)
    if (gone := gone_page(duplicate)) is not None:
        return gone
    assert duplicate is not None  # gone_page answered for None
    q = (request.args.get("q") or "")[:MAX_QUERY]
    # As the form's post reads it (form_number): int() also took " 2", "+2" and "1_0" (customer #10) to confirm.
    into = form_number(request.args["into"]) if "into" in request.args else None
    if into is None:
        found = [row for row in desk.customers.page(q, "name", 25).rows if row.id != customer_id] if q else []
        return _page("agent/customer_merge.html", duplicate=duplicate, q=q, found=found, kept=None, error=None)
    return merge_confirmation(duplicate, into)


def merge_confirmation(duplicate: Customer, into: int, error: str | None = None, status: int = 200):
    desk = state.desk()
    kept = desk.customers.profile(into, limit=0) if 0 < into <= MAX_ROW_ID else None
    moving = desk.customers.profile(duplicate.id, limit=0)
    if kept is None or kept.customer.id == duplicate.id:
        error = error or gettext("Choose another customer to keep: #%(id)s cannot be.", id=into)
        return _page("agent/customer_merge.html", duplicate=duplicate, q="", found=[], kept=None, error=error), 400
    return _page("agent/customer_merge.html", duplicate=duplicate, q="", found=[], kept=kept,
                 moving=moving, error=error), status


@bp.post("/customers/<int:customer_id>/merge")
@login_required
def merge_customer_post(customer_id: int):
    """Admins: merge this customer into `into` (CSRF, as every form; one audit event by the signed-in agent), then
    the kept customer's profile, saying so. A refusal (itself, one merged away, no such customer, notes together too
    long) shows the confirmation again naming why, nothing written."""
    _admin_required()
    desk = state.desk()
    duplicate = desk.customers.get(customer_id)
    if duplicate is None:
        abort(404)
    into = form_number(request.form.get("into", ""))
    if into is None or not 0 < into <= MAX_ROW_ID:
        return merge_confirmation(duplicate, 0, gettext("Choose the customer to keep."), 400)
    try:
        result = desk.customers.merge(customer_id, into, by=acting(),
                                      heading=gettext("Notes merged from customer #%(id)s (%(name)s, %(email)s):"))
    except InputError as error:
        now = desk.customers.get(customer_id)
        if now is not None and now.merged_into_id is not None and error.field == "customer":
            return merged_redirect(now)  # merged meanwhile (another admin, a second tab): where it went
        return merge_confirmation(duplicate, into, desk_error(error), 400)
    flash(ngettext("%(name)s was merged into this customer: %(num)d ticket moved.",
                   "%(name)s was merged into this customer: %(num)d tickets moved.", result.tickets,
                   name=isolate_in_rtl(duplicate.name or duplicate.email)), "ok")
    return redirect(url_for(".customer", customer_id=result.kept.id))
