"""The files on tickets, on the web: posted with a form (an agent's reply or note, a customer's contact form or
reply: `request_files`, their limits shown by `shown_limits` and enforced by the desk) and downloaded (mailed in
by customers, attached by agents or customers): agents (signed in) any, a customer only their own ticket's (by its
unguessable reference) and never an internal note's. Always as a download with an accepted type (else bytes),
never rendered by the browser."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from flask import Blueprint, abort, request, send_file
from flask_login import login_required

from desk.mail.attachments import UPLOAD_TYPES, FileLimits, Upload, served_type
from desk.models import Attachment
from webapp import state
from webapp.formatting import size_filter
from webapp.security import is_multipart

bp = Blueprint("attachments", __name__)

# The posts that may carry files, by whose limits they are held to (the desk's `TicketStore.limits_for`).
CUSTOMER_FORMS = ("help.contact", "help.ticket", "widget.contact")
AGENT_FORMS = ("agent.reply", "agent.follow_up", "agent.note")
API_POSTS = ("api.create_ticket", "api.add_message")  # as multipart/form-data; a JSON one keeps the app's 1 MiB


def shown_limits(limits: FileLimits) -> dict[str, object]:
    """What a form's file input (`_file_input.html`) says, and files.js checks, about files: the desk's limits, the
    sizes in the page's language (`size_filter`)."""
    return {"max_count": limits.max_count, "max_bytes": limits.max_bytes, "max_total": limits.max_total,
            "size_text": size_filter(limits.max_bytes), "total_text": size_filter(limits.max_total),
            "accept": ",".join(UPLOAD_TYPES)}


def request_files() -> list[Upload]:
    """The files posted with a form ("files"); an empty part (no file picked) is none."""
    return [Upload(part.filename or "", part.read()) for part in request.files.getlist("files") if part.filename]


def upload_limit(limits: FileLimits) -> int:
    """The largest post with files taken (request.max_content_length), above the desk's limits so that a file
    over them is refused by the desk, by name, with the typed text kept (not a bare 413 that loses it)."""
    return 2 * max(limits.max_total, limits.max_bytes) + 1024 * 1024


def posted_limits() -> FileLimits | None:
    """The limits of this request's files, when it is a post that may carry some; None otherwise."""
    if request.method != "POST":
        return None
    if request.endpoint in CUSTOMER_FORMS:
        return state.desk().tickets.limits_for("web")
    if request.endpoint in AGENT_FORMS or (request.endpoint in API_POSTS and is_multipart()):
        return state.desk().tickets.limits_for("api")
    return None  # every other post (a vote, a login): no desk opened for it


def allow_uploads() -> None:
    """Before CSRF reads the form (app.py registers it first): a post that may carry files is read up to
    `upload_limit` of its limits; every other request keeps the app's 1 MiB."""
    limits = posted_limits()
    if limits is not None:
        request.max_content_length = upload_limit(limits)


def _send(found: Attachment | None):  # type: ignore[no-untyped-def]
    if found is None:
        abort(404)
    path = state.desk().attachments.file(found)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=served_type(found.content_type), as_attachment=True,
                         download_name=found.filename)
    response.headers["Content-Disposition"] = content_disposition(found.filename)
    return response


_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._ -]+")


def content_disposition(filename: str) -> str:
    """A download's Content-Disposition (RFC 6266): the name as kept in `filename*` (RFC 5987, UTF-8), and for a
    client that reads only `filename` its ASCII letters; "attachment" and the extension when none are left.
    werkzeug's own fallback kept what NFKD left in ASCII, so an Arabic or Chinese name ("فاتورة الطلب.pdf") was
    `filename=" .pdf"`: a hidden file, or no name, where `filename*` is not read."""
    suffix = PurePosixPath(filename).suffix
    suffix = suffix if suffix.isascii() else ""
    stem = unicodedata.normalize("NFKD", filename.removesuffix(suffix)).encode("ascii", "ignore").decode()
    plain = (_NOT_PLAIN.sub("_", stem).strip(" .") or "attachment") + suffix
    if plain == filename:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/agent/attachments/<int:attachment_id>")
@login_required
def for_agent(attachment_id: int):
    return _send(state.desk().attachments.get(attachment_id))


@bp.get("/<lang>/tickets/<reference>/attachments/<int:attachment_id>")
def for_customer(lang: str, reference: str, attachment_id: int):
    if lang not in state.settings().languages:
        abort(404)
    return _send(state.desk().attachments.get(attachment_id, reference=reference))
