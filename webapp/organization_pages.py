"""The workspace's organizations (Zendesk's organizations, Intercom's and Chatwoot's companies; desk.organizations):
the list, searched by name or domain, with member and open ticket counts; each organization's page with its domains,
notes, tags, members and its members' open tickets; and the customer profile's choice of organization.

Any agent reads them (an agent answering Acme's ticket sees Acme's other tickets and notes); leads and admins create,
edit and delete them (as they manage tags; Zendesk leaves organizations to admins). Any agent sets a customer's
organization by hand on the profile, as they edit the rest of it. Every change is in the audit log (the desk records
it). Routes on the agent blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from desk.organizations import AUTO, MAX_NAME, MAX_NOTES, MAX_QUERY, BroadDomainError, tags_of
from desk.tickets import InputError
from desk.translatable import N_
from webapp import state
from webapp.agent import PAGE_SIZE, _page, acting, bp
from webapp.desk_errors import desk_error
from webapp.formatting import isolate_in_rtl
from webapp.paging import paged
from webapp.roles import LEAD_ROLES, lead_required, works_tickets_required
from webapp.security import form_number
from webapp.workspace_labels import ViewLabels


def may_manage() -> bool:
    return getattr(current_user, "role", None) in LEAD_ROLES


def _form() -> dict[str, str]:
    form = request.form
    return {name: form.get(name, "")[:limit] for name, limit in
            (("name", MAX_NAME * 2), ("domains", 6000), ("notes", MAX_NOTES * 2), ("tags", 2000))}


def _confirmed() -> bool:
    """The form's "add it anyway" box for a public mail domain (shown after one was refused)."""
    return request.form.get("confirm_broad") == "on"


def _list_page(errors: dict[str, str] | None = None, typed: dict[str, str] | None = None, status: int = 200,
               ask_broad: bool = False):
    q = (request.args.get("q") or "")[:MAX_QUERY]
    desk = state.desk()
    found, paging = paged(lambda limit, offset: desk.organizations.page(q, limit, offset), PAGE_SIZE)
    return _page("agent/organizations.html", found=found, paging=paging, q=q, may_manage=may_manage(),
                 errors=errors or {}, typed=typed or {"name": "", "domains": "", "notes": "", "tags": ""},
                 max_name=MAX_NAME, max_notes=MAX_NOTES, args={"q": q} if q else {}, ask_broad=ask_broad), status


@bp.get("/organizations")
@login_required
def organizations():
    """Every organization, 25 a page, by name; ?q= keeps those whose name or a domain holds every word. Reads only.
    Leads and admins see the form that creates one."""
    return _list_page()


@bp.post("/organizations")
@lead_required
def create_organization():
    """Leads and admins: create an organization (its domains' customers without one join it). A refusal (a name or a
    domain another organization has, a bad domain or tag) shows the list again with the error under its field and
    what was typed, nothing written. A public mail domain (gmail.com) is refused unless `confirm_broad` is on (the
    box the refusal shows)."""
    typed = _form()
    try:
        created = state.desk().organizations.create(typed["name"], typed["domains"], typed["notes"], typed["tags"],
                                                    by=acting(), confirm_broad=_confirmed())
    except InputError as error:
        return _list_page({error.field: desk_error(error)}, typed, 400, ask_broad=isinstance(error, BroadDomainError))
    flash(gettext("Organization %(name)s created.", name=isolate_in_rtl(created.name)), "ok")
    return redirect(url_for(".organization", organization_id=created.id))


def _detail_page(organization_id: int, status: int = 200, **extra: Any):
    found = state.desk().organizations.detail(organization_id)
    if found is None:
        abort(404)
    org = found.organization
    extra.setdefault("typed", {"name": org.name, "domains": "\n".join(d.domain for d in org.domains),
                               "notes": org.notes or "", "tags": " ".join(tags_of(org))})
    extra.setdefault("errors", {})
    return _page("agent/organization.html", detail=found, org=org, tags=tags_of(org), may_manage=may_manage(),
                 labels=ViewLabels(), max_name=MAX_NAME, max_notes=MAX_NOTES, **extra), status


@bp.get("/organizations/<int:organization_id>")
@login_required
def organization(organization_id: int):
    """The organization's page: domains, tags, notes, members and their open tickets; the edit form for leads and
    admins. Reads only."""
    return _detail_page(organization_id)


@bp.post("/organizations/<int:organization_id>")
@lead_required
def edit_organization(organization_id: int):
    """Leads and admins: save the name, domains, notes and tags (a domain added brings its customers, one taken away
    takes its automatic members out). A refusal shows the page again with the error under its field, nothing
    written. A public mail domain it did not have is refused unless `confirm_broad` is on."""
    typed = _form()
    try:
        state.desk().organizations.edit(organization_id, typed["name"], typed["domains"], typed["notes"],
                                        typed["tags"], by=acting(), confirm_broad=_confirmed())
    except InputError as error:
        if error.field == "organization":
            abort(404)
        return _detail_page(organization_id, 400, errors={error.field: desk_error(error)}, typed=typed,
                            ask_broad=isinstance(error, BroadDomainError))
    flash(gettext("Organization saved."), "ok")
    return redirect(url_for(".organization", organization_id=organization_id))


@bp.post("/organizations/<int:organization_id>/delete")
@lead_required
def delete_organization(organization_id: int):
    """Leads and admins: delete the organization (its members keep their tickets and have no organization)."""
    try:
        state.desk().organizations.delete(organization_id, by=acting())
    except InputError:
        abort(404)
    flash(gettext("Organization deleted."), "ok")
    return redirect(url_for(".organizations"))


@bp.post("/customers/<int:customer_id>/organization")
@works_tickets_required
def customer_organization(customer_id: int):
    """Any agent: the customer's organization by hand (`organization`: an id, "none", or "auto" for the email
    domain's), kept whatever the domains become. A refusal is flashed naming the field, nothing written."""
    raw = request.form.get("organization", "")
    choice: int | str | None = AUTO if raw == AUTO else None if raw == "none" else form_number(raw)
    try:
        if choice is None and raw != "none":
            raise InputError("organization", N_("must be an organization, none or automatic"))
        state.desk().organizations.set_customer(customer_id, choice, by=acting())
    except InputError as error:
        if error.field == "customer":
            abort(404)
        flash(desk_error(error), "error")
        return redirect(url_for(".customer", customer_id=customer_id)), 303
    flash(gettext("The customer's organization was saved."), "ok")
    return redirect(url_for(".customer", customer_id=customer_id))
