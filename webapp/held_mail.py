"""The workspace's "Held mail" page: mail the desk could not take (desk.mail.held), listed newest first with the
reason, a plain-text preview, and the two ways out: recover (a ticket, or a message on the thread it answers) or
delete. Every agent sees it (leads and admins too): a held mail is a customer's message nobody else will see.

Why a mail was held is stored as a code and its values (desk.mail.reasons) and said here in the agent's language
(webapp.desk_errors.mail_reason, the confirmation a recovery asks for included); a row from before codes shows its
English sentence. GETs only read; recover and delete are CSRF-protected POSTs. A loop or an auto-reply was refused
on purpose, so its recover form has a confirmation box the desk checks (`confirm`); a mail that names no usable
sender asks for the customer's address.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from desk.mail.held import PER_PAGE
from desk.tickets import InputError
from webapp import state
from webapp.agent import _page, interface_language
from webapp.desk_errors import desk_error, mail_reason
from webapp.paging import paged
from webapp.roles import works_tickets_required

bp = Blueprint("held", __name__, url_prefix="/agent/held")
bp.before_request(interface_language)  # the agent's own language and time zone, as on every workspace page

# What became of the mail when it arrived, in the reader's language (`mail_reason` says why).
OUTCOMES = {
    "rejected": lazy_gettext("Refused"),
    "loop": lazy_gettext("Our own mail came back (a loop)"),
    "automatic": lazy_gettext("Sent by a machine (auto-reply, bounce or list)"),
}


# Why a mail was held, in the reader's language (one way for the pages and the desk's errors that name it).
bp.add_app_template_filter(mail_reason, "held_reason")


@bp.get("/")
@works_tickets_required
def index() -> str:
    found, paging = paged(state.desk().held_mail.page, PER_PAGE)
    return _page("agent/held.html", rows=found.rows, total=found.total, outcomes=OUTCOMES, paging=paging)


@bp.get("/<int:inbound_id>")
@works_tickets_required
def mail(inbound_id: int) -> str:
    held_mail = state.desk().held_mail
    found = held_mail.get(inbound_id)
    if found is None:
        abort(404)
    return _page("agent/held_mail.html", mail=found, outcomes=OUTCOMES, preview=held_mail.preview(inbound_id),
                 needs_sender="@" not in found.from_address)


@bp.post("/<int:inbound_id>/recover")
@works_tickets_required
def recover(inbound_id: int):
    try:
        received = state.desk().held_mail.recover(
            inbound_id, current_user.id, confirm=request.form.get("confirm") == "yes",
            sender=request.form.get("sender", "")[:320],
        )
    except InputError as error:
        flash(desk_error(error), "error")
        return redirect(url_for(".mail", inbound_id=inbound_id) if error.field != "mail" else url_for(".index"))
    if received.ticket_id is None:  # it failed again: still held, with the new reason
        reason = mail_reason(received.why) if received.why is not None else ""
        flash(gettext("The mail could not be recovered: %(reason)s", reason=reason), "error")
        return redirect(url_for(".mail", inbound_id=inbound_id))
    flash(gettext("Mail recovered."), "ok")
    return redirect(url_for("agent.ticket", ticket_id=received.ticket_id))


@bp.post("/<int:inbound_id>/delete")
@works_tickets_required
def delete(inbound_id: int):
    try:
        state.desk().held_mail.delete(inbound_id, current_user.id)
    except InputError as error:
        flash(desk_error(error), "error")
    else:
        flash(gettext("Mail deleted."), "ok")
    return redirect(url_for(".index"))
