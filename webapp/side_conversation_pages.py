"""The ticket page's side conversations (desk.side_conversations): start one (To, subject, body, the ticket's files to
forward), reply (forwarding files too), add or remove participants, close or reopen it, mark a third party's reply
read (a POST: the page's GET never writes), and download a file a third party mailed. Agents
only: routes on the agent blueprint, every post through CSRF; a refused post comes back (400) with what was typed and
the field named. Nothing here is on a customer's page."""

from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext
from flask_login import login_required
from werkzeug.wrappers import Response

from desk.mail.attachments import served_type
from desk.tickets import MAX_ROW_ID, InputError
from webapp import state
from webapp.agent import _refused as refused
from webapp.agent import acting, bp
from webapp.attachments import content_disposition
from webapp.roles import works_tickets_required


def _refused(ticket_id: int, error: InputError, **kept: str) -> Response | tuple[str, int]:
    """The ticket page's answer to a refusal (webapp.agent's `_refused`), what was typed kept; the ticket or the side
    conversation gone meanwhile: 404."""
    return refused(ticket_id, error, again=True, missing=("ticket", "side_conversation"), **kept)


def _forwarded() -> list[int]:
    """The ticket's files ticked to forward (their ids); anything else is named by the desk as not the ticket's."""
    chosen = []
    for value in request.form.getlist("forward")[:100]:
        chosen.append(int(value) if value.isdecimal() and len(value) < 12 else -1)
    return chosen


@bp.post("/tickets/<int:ticket_id>/side-conversations")
@works_tickets_required
def start_side_conversation(ticket_id: int) -> Response | tuple[str, int]:
    form = request.form
    to, subject, body = form.get("to", ""), form.get("subject", ""), form.get("body", "")
    try:
        side = state.desk().side_conversations.start(ticket_id, to, subject, body, acting(), _forwarded())
    except InputError as error:
        return _refused(ticket_id, error, kept_side_to=to, kept_side_subject=subject, kept_side_body=body)
    flash(gettext("Side conversation started: the mail goes to %(to)s.", to=", ".join(side.participants)), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id, _anchor=f"side-{side.id}"))


@bp.post("/tickets/<int:ticket_id>/side-conversations/<int:side_id>/reply")
@works_tickets_required
def reply_side_conversation(ticket_id: int, side_id: int) -> Response | tuple[str, int]:
    body = request.form.get("body", "")
    desk = state.desk()
    try:
        desk.side_conversations.reply(ticket_id, side_id, body, acting(), _forwarded())
    except InputError as error:
        return _refused(ticket_id, error, kept_side_reply=body, kept_side_reply_to=str(side_id))
    desk.side_conversations.mark_read(ticket_id)
    flash(gettext("Side conversation reply sent."), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id, _anchor=f"side-{side_id}"))


@bp.post("/tickets/<int:ticket_id>/side-conversations/<int:side_id>/participants")
@works_tickets_required
def side_conversation_participants(ticket_id: int, side_id: int) -> Response | tuple[str, int]:
    """Add the typed addresses and remove the ticked ones."""
    add = request.form.get("add", "")[:10_000]
    remove = request.form.getlist("remove")[:100]
    try:
        side = state.desk().side_conversations.change_participants(ticket_id, side_id, add, remove, acting())
    except InputError as error:
        return _refused(ticket_id, error, kept_side_add=add, kept_side_add_to=str(side_id))
    flash(gettext("Side conversation is now with %(who)s.", who=", ".join(side.participants)), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id, _anchor=f"side-{side_id}"))


@bp.post("/tickets/<int:ticket_id>/side-conversations/<int:side_id>/status")
@works_tickets_required
def side_conversation_status(ticket_id: int, side_id: int) -> Response | tuple[str, int]:
    desk = state.desk()
    try:
        if request.form.get("read"):
            desk.side_conversations.mark_read(ticket_id)
        else:
            desk.side_conversations.set_status(ticket_id, side_id, request.form.get("status", ""), acting())
    except InputError as error:
        return _refused(ticket_id, error)
    return redirect(url_for(".ticket", ticket_id=ticket_id, _anchor=f"side-{side_id}"))


@bp.get("/tickets/<int:ticket_id>/side-conversations/<int:side_id>/files/<int:message_id>/<int:number>")
@login_required
def side_conversation_file(ticket_id: int, side_id: int, message_id: int, number: int):  # type: ignore[no-untyped-def]
    """A file a third party mailed into the side conversation (its kept copy), as a download."""
    if not (0 < side_id <= MAX_ROW_ID and 0 < number <= 1000):
        abort(404)
    desk = state.desk()
    found = next((s for s in desk.side_conversations.for_ticket(ticket_id) if s.id == side_id), None)
    message = next((m for m in found.messages if m.id == message_id), None) if found else None
    if message is None or number > len(message.files) or not message.files[number - 1].path:
        abort(404)
    kept = message.files[number - 1]
    path = state.settings().data_dir / str(kept.path)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=served_type(kept.content_type), as_attachment=True,
                         download_name=kept.filename)
    response.headers["Content-Disposition"] = content_disposition(kept.filename)
    return response
