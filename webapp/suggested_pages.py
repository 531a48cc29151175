"""A suggested article opened from the acknowledgement mail: `/<lang>/suggested/<token>` (desk.mail_suggestions).

The article as the help center shows it, under a banner "Did this answer your question? [Yes, close my request]
[No, I still need help]". The buttons POST (a GET never writes: mail scanners open links too, and the view is not
counted as a help-center visit); the answer comes back to the same page, which then says what happened. The token
opens this article and its banner, nothing of the ticket: no reference, no messages.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from desk.mail_suggestions import SuggestionError
from kb.audience import PUBLIC
from webapp import state
from webapp.forms import FeedbackForm
from webapp.help import article_page
from webapp.security import FEEDBACK_LIMIT, limiter

bp = Blueprint("suggested", __name__)


@bp.get("/<lang>/suggested/<token>")
def suggested(lang: str, token: str) -> str:
    if lang not in state.settings().languages:
        abort(404)
    found = state.desk().mail_suggestions.by_token(token)
    # The article as the public reads it now: one made internal or removed since the mail went is not shown.
    if found is None or state.catalog().get(found.lang, found.article_id, PUBLIC) is None:
        abort(404)
    return article_page(found.lang, found.article_id, "help.article", FeedbackForm(found.lang), viewed=False,
                        suggestion=found)


@bp.post("/<lang>/suggested/<token>")
@limiter.limit(FEEDBACK_LIMIT)
def answer(lang: str, token: str):  # type: ignore[no-untyped-def]
    if lang not in state.settings().languages:
        abort(404)
    try:  # the page then says what happened: thanks, or why this link changed nothing (`suggestion_banner.html`)
        state.desk().mail_suggestions.answer(token, request.form.get("answer", ""))
    except SuggestionError as error:
        if str(error) == "token":
            abort(404)
        flash(_("Choose “Yes” or “No”."), "error")
        return redirect(url_for(".suggested", lang=lang, token=token))
    return redirect(url_for(".suggested", lang=lang, token=token, _anchor="suggestion"))
