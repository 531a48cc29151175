"""The ticket page's time tracking forms (desk.time_tracking): an agent's time added by hand (minutes, an optional note)
and an entry edited or deleted (the agent's own; a lead's or an admin's any). Plain forms that work without JavaScript;
a refusal is the ticket page again with the error on the field and what was typed kept, nothing written. The timer and
the "Time spent" fields of the reply, note and update forms are webapp.agent's (they post with those forms)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from desk.tickets import InputError
from desk.time_tracking import NotYourEntry, minutes_as_seconds
from desk.translatable import N_
from webapp import state
from webapp.agent import _refused, acting, bp
from webapp.roles import works_tickets_required


def _typed() -> dict[str, str]:
    return {"minutes": request.form.get("minutes", "")[:20], "note": request.form.get("note", "")[:600]}


@bp.post("/tickets/<int:ticket_id>/time")
@login_required
@works_tickets_required
def add_time(ticket_id: int):
    """The signed-in agent's time on the ticket, by hand: `minutes` (Arabic-Indic digits read), `note` optional."""
    desk = state.desk()
    if not state.settings().time_tracking:
        abort(404)
    if desk.tickets.get(ticket_id) is None:
        abort(404)
    try:
        seconds = minutes_as_seconds(request.form.get("minutes", "")[:40], "time_spent")
        if seconds is None:
            raise InputError("time_spent", N_("is empty"))
        desk.time_entries.add(ticket_id, current_user.id, seconds, request.form.get("note", ""), acting(),
                              form_key=request.form.get("time_key"))
    except InputError as error:
        return _refused(ticket_id, error, beside="time_error", kept_manual=_typed())
    flash(gettext("Time added."), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id) + "#time-tracking")


@bp.post("/tickets/<int:ticket_id>/time/<int:entry_id>")
@login_required
@works_tickets_required
def change_time(ticket_id: int, entry_id: int):
    """Edit (`action` edit: `minutes`, `note`) or delete (`action` delete) a time entry: the agent's own, or any for a
    lead or an admin (403 otherwise); in the ticket's history and the audit log."""
    desk = state.desk()
    if desk.tickets.get(ticket_id) is None or desk.time_entries.get(ticket_id, entry_id) is None:
        abort(404)
    action = request.form.get("action", "")
    try:
        if action == "delete":
            desk.time_entries.delete(ticket_id, entry_id, acting())
            flash(gettext("Time entry deleted."), "ok")
        elif action == "edit":
            seconds = minutes_as_seconds(request.form.get("minutes", "")[:40], "time_spent")
            if seconds is None:
                raise InputError("time_spent", N_("is empty"))
            desk.time_entries.edit(ticket_id, entry_id, acting(), seconds=seconds, note=request.form.get("note", ""))
            flash(gettext("Time entry saved."), "ok")
        else:
            raise InputError("action", N_("choose edit or delete"))
    except NotYourEntry:
        abort(403)  # a colleague's entry: only its agent, a lead or an admin
    except InputError as error:  # the entry deleted meanwhile (another tab): 404
        return _refused(ticket_id, error, beside="time_error", missing=("entry",),
                        kept_manual={**_typed(), "entry": str(entry_id)})
    return redirect(url_for(".ticket", ticket_id=ticket_id) + "#time-tracking")
