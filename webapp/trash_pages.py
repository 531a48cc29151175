"""Deleting tickets and marking spam (desk.trash; Zendesk's "Delete" and "Mark as spam" with its "Deleted tickets"
view, Chatwoot's and Intercom's "Block contact"): the ticket page's and the inbox's actions, the Deleted tickets page
(leads and admins) with "Restore" and "Not spam", and the admin's blocked senders (addresses and whole domains).

Delete is a lead's or an admin's; "Mark as spam" any working agent's (never a light agent's: `works_tickets_required`).
GETs only read; every change is a CSRF-protected POST. Routes on the agent blueprint."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from desk.tickets import InputError
from webapp import state
from webapp.agent import _admin_required, _page, acting, bp
from webapp.desk_errors import desk_error
from webapp.paging import paged
from webapp.roles import lead_required, works_tickets_required
from webapp.workspace_labels import ViewLabels

PER_PAGE = 25


def _trashed(ticket_id: int, spam: bool) -> Response:
    """Delete the ticket (`spam`: as spam, its requester's address blocked); back to the inbox, or to the ticket with
    the refusal."""
    try:
        state.desk().trash.delete([ticket_id], acting(), spam=spam)
    except InputError as error:
        flash(desk_error(error), "error")
        # Deleted meanwhile (a double click, another agent): its page is a 404 now, the inbox is where they were.
        gone = state.desk().tickets.get(ticket_id) is None
        return redirect(url_for(".inbox") if gone else url_for(".ticket", ticket_id=ticket_id))
    flash(gettext("Ticket #%(ticket)d marked as spam; its sender is blocked.", ticket=ticket_id) if spam
          else gettext("Ticket #%(ticket)d deleted.", ticket=ticket_id), "ok")
    return redirect(url_for(".inbox"))


@bp.post("/tickets/<int:ticket_id>/delete")
@lead_required
def delete_ticket(ticket_id: int) -> Response:
    """Delete the ticket (to the Deleted tickets page, restorable until purged)."""
    return _trashed(ticket_id, spam=False)


@bp.post("/tickets/<int:ticket_id>/spam")
@works_tickets_required
def spam_ticket(ticket_id: int) -> Response:
    """Delete the ticket as spam and block its requester's address."""
    return _trashed(ticket_id, spam=True)


@bp.get("/deleted")
@lead_required
def deleted_tickets() -> str:
    found, paging = paged(state.desk().trash.deleted, PER_PAGE)
    return _page("agent/deleted.html", rows=found.rows, total=found.total, paging=paging, labels=ViewLabels(),
                 retention_days=state.settings().deleted_ticket_retention_days)


@bp.post("/deleted/<int:ticket_id>/restore")
@lead_required
def restore_ticket(ticket_id: int) -> Response:
    """Put the ticket back as it was; `not_spam` = "1": and unblock its requester's address."""
    not_spam = request.form.get("not_spam") == "1"
    try:
        state.desk().trash.restore(ticket_id, acting(), not_spam=not_spam)
    except InputError as error:
        flash(desk_error(error), "error")
        return redirect(url_for(".deleted_tickets"))
    flash(gettext("Ticket #%(ticket)d restored.", ticket=ticket_id), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/deleted/<int:ticket_id>/purge")
@lead_required
def purge_ticket(ticket_id: int) -> Response:
    """An admin's "Delete permanently": the deleted ticket, its messages and files removed for good."""
    _admin_required()
    try:
        state.desk().trash.purge_one(ticket_id, acting())
    except InputError as error:
        flash(desk_error(error), "error")
        return redirect(url_for(".deleted_tickets"))
    flash(gettext("Ticket #%(ticket)d deleted permanently.", ticket=ticket_id), "ok")
    return redirect(url_for(".deleted_tickets"))


@bp.get("/blocked")
@lead_required
def blocked_senders() -> str:
    _admin_required()
    return _blocked_page("")


def _blocked_page(typed: str, error: str | None = None) -> str:
    """The Blocked senders page (PER_PAGE a page, ?page=), the form holding `typed` and, beside it, why it was
    refused (`error`)."""
    found, paging = paged(state.desk().trash.blocked, PER_PAGE)
    return _page("agent/blocked.html", rows=found.rows, total=found.total, paging=paging, typed=typed,
                 address_error=error)


@bp.post("/blocked")
@lead_required
def block_sender() -> Response | tuple[str, int]:
    """Block an address or a whole domain ("@example.com")."""
    _admin_required()
    typed = request.form.get("address", "")
    try:
        key = state.desk().trash.block(typed, acting())
    except InputError as error:  # beside the field it names, as the profile's forms do (walk37: it was a flash)
        return _blocked_page(typed[:320], desk_error(error)), 400
    flash(gettext("%(address)s is blocked.", address=key), "ok")
    return redirect(url_for(".blocked_senders"))


@bp.post("/blocked/<int:blocked_id>/remove")
@lead_required
def unblock_sender(blocked_id: int) -> Response:
    _admin_required()
    try:
        key = state.desk().trash.unblock(blocked_id, acting())
    except InputError as error:
        flash(desk_error(error), "error")
        return redirect(url_for(".blocked_senders"))
    flash(gettext("%(address)s is no longer blocked.", address=key), "ok")
    return redirect(url_for(".blocked_senders"))
