"""Downloading the files on tickets (mailed in by customers, attached by agents): agents (signed in) any, a
customer only their own ticket's (by its unguessable reference) and never an internal note's. Always as a
download with an accepted type (else bytes), never rendered by the browser."""

from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import login_required

from desk.mail.attachments import served_type
from desk.models import Attachment
from webapp import state

bp = Blueprint("attachments", __name__)


def _send(found: Attachment | None):  # type: ignore[no-untyped-def]
    if found is None:
        abort(404)
    path = state.desk().attachments.file(found)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=served_type(found.content_type), as_attachment=True, download_name=found.filename)


@bp.get("/agent/attachments/<int:attachment_id>")
@login_required
def for_agent(attachment_id: int):
    return _send(state.desk().attachments.get(attachment_id))


@bp.get("/<lang>/tickets/<reference>/attachments/<int:attachment_id>")
def for_customer(lang: str, reference: str, attachment_id: int):
    if lang not in state.settings().languages:
        abort(404)
    return _send(state.desk().attachments.get(attachment_id, reference=reference))
