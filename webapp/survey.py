"""The customer's satisfaction survey: `/<lang>/survey/<token>`.

The one-click links in the solved mail open this page with the rating chosen; a GET never writes
(mail scanners open links too), so the page records it with a POST, which a tiny script sends on
its own when the page was opened from a rating link. The comment is optional; the answer can be
changed for a week (desk.surveys).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from desk.surveys import SurveyError, answerable
from webapp import state
from webapp.desk_errors import desk_error
from webapp.help import page
from webapp.security import FEEDBACK_LIMIT, limiter

bp = Blueprint("survey", __name__)


def _lang(lang: str) -> None:
    if lang not in state.settings().languages:
        abort(404)


@bp.get("/<lang>/survey/<token>")
def survey(lang: str, token: str) -> str:
    _lang(lang)
    found = state.desk().surveys.by_token(token)
    if found is None:
        abort(404)
    chosen = request.args.get("rating", type=int)
    if chosen not in range(1, 6):
        chosen = found.rating
    # Auto-submit only a fresh rating from a mail link, never over an answer already given.
    auto = bool(request.args.get("rating")) and found.rating is None and chosen is not None
    return page("survey.html", lang, survey=found, chosen=chosen, open=answerable(found), autosubmit=auto)


@bp.post("/<lang>/survey/<token>")
@limiter.limit(FEEDBACK_LIMIT)
def answer(lang: str, token: str):
    _lang(lang)
    rating = request.form.get("rating", type=int)
    try:
        state.desk().surveys.answer(token, rating, request.form.get("comment", ""))
    except SurveyError as error:
        if error.field == "token":
            abort(404)
        flash(_("Your answer could not be saved: %(reason)s", reason=desk_error(error)), "error")
        return redirect(url_for(".survey", lang=lang, token=token))
    flash(_("Thank you: your rating is saved. You can add or change a comment below."), "ok")
    return redirect(url_for(".survey", lang=lang, token=token))
