"""The help widget: a launcher a company puts on its own site (`<script src=".../widget.js" async>`) that opens
the help center's search, articles and contact form in a panel, without leaving that site.

`/widget.js` injects the launcher and, on click, an iframe of `/<lang>/widget` on the help center's origin: the host
page never reaches the help center's DOM or cookies. The pages in the frame are the help center's own templates
(`help.page` with `widget=True`: a compact layout), their links kept inside the frame by `widget_url`.

Framing: every other page says `frame-ancestors 'none'`; these say the origins of `KB_WIDGET_ORIGINS` (empty: the
widget is off, its routes answer 404).

No session: in another site's frame the browser may not send the help center's cookie (SameSite=Lax, third-party
cookie blocking), so the widget never reads nor writes it. A visit is a random id in a signed, dated token
(`visit_token`) that the widget's links and forms carry (`v` in links, the `csrf_token` field or `X-CSRFToken`
header in posts). Every post must carry a valid one (else 400): that stops a bare cross-site post, and since a post
here acts with no ambient authority (no session, no agent login: the widget's audience is always the public), a
forged one could do nothing its author cannot do by fetching the form themselves. The contact form's duplicate
key is within that visit, as the site's is within the session's.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from itsdangerous import BadSignature
from wtforms import HiddenField

from copilot.retrieval import QueryError
from desk.database import StorageUnavailableError
from desk.events import MAX_VOTE_COMMENT
from kb.audience import PUBLIC
from webapp import api, help, state, visits
from webapp.answers import AnswerVoteForm
from webapp.attachments import request_files
from webapp.forms import ContactForm, FeedbackForm, vote_reasons
from webapp.security import (
    CONTACT_LIMIT,
    FEEDBACK_LIMIT,
    SEARCH_LIMIT,
    SEARCH_PAGE_LIMIT,
    json_object,
    json_text,
    limiter,
    signer,
)
from webapp.theme import current_theme

bp = Blueprint("widget", __name__)

TOKEN_SALT = "kb-help-widget-visit"
TOKEN_AGE_S = 24 * 3600  # a panel left open over a day gets a fresh visit on its next page
SCRIPT_MAX_AGE_S = 24 * 3600  # widget.js: cached a day, then revalidated by its ETag (its content's hash)
SOURCE = "widget"  # SearchEvent.source and AnswerFeedback.source of what is recorded in the widget

# The help center's endpoints whose pages the widget has its own of: a link to one stays in the frame.
ENDPOINTS = {
    "help.home": "widget.home",
    "help.category": "widget.home",
    "help.search": "widget.search",
    "help.settled_search": "widget.settled",
    "help.article": "widget.article",
    "help.feedback": "widget.feedback",
    "help.contact": "widget.contact",
    "api.search": "widget.instant",
    "api.answer": "widget.answer",
    "answers.feedback": "widget.answer_feedback",
}


def enabled() -> bool:
    return bool(state.settings().widget_origins)


def frame_policy(origins: tuple[str, ...]) -> str:
    """The widget pages' Content-Security-Policy: the site's, framable by `origins` only."""
    from webapp.security import CONTENT_SECURITY_POLICY

    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(origins))


def visit_token(visit: str) -> str:
    return signer(TOKEN_SALT).dumps(visit)


def token_visit(token: str | None) -> str | None:
    """The visit a token names, or None when it is missing, forged or older than TOKEN_AGE_S."""
    if not token or len(token) > 200:
        return None
    try:
        visit = signer(TOKEN_SALT).loads(token, max_age=TOKEN_AGE_S)
    except BadSignature:  # SignatureExpired is one
        return None
    return visit if isinstance(visit, str) else None


class TokenRefused(Exception):
    """A post without a valid widget token (the widget's CSRF check)."""


@bp.before_request
def widget_request() -> None:
    """Off: 404. Else the request is the public's (never an agent's session), in the visit of its token."""
    if not enabled():
        abort(404)
    g.kb_audience = PUBLIC  # webapp.audience: internal articles never appear in the widget
    if request.endpoint == "widget.script":
        return
    if request.method == "POST":
        token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
        visit = token_visit(token)
        if visit is None:
            raise TokenRefused()
    else:
        token = request.args.get("v")
        visit = token_visit(token)
        if visit is None:
            visit = secrets.token_urlsafe(12)
            token = visit_token(visit)
    g.widget_visit, g.widget_token = visit, token


@bp.errorhandler(TokenRefused)
def token_refused(exc: TokenRefused):  # type: ignore[no-untyped-def]
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": "the widget's CSRF token (csrf_token) is missing or expired: reload the page"}), 400
    g.widget_visit = secrets.token_urlsafe(12)
    g.widget_token = visit_token(g.widget_visit)
    lang = (request.view_args or {}).get("lang", "")
    help._check_lang(lang)
    if request.endpoint == "widget.contact":  # as the site's: the form back with what was typed, a fresh token
        form = _with_token(WidgetContactForm(lang))
        form.csrf_token.errors = [gettext("This page had expired. Your message is still here: please send it again.")]
        about = state.catalog().get(lang, request.values.get("article", ""), audience=PUBLIC)
        files: dict[str, Any] = help.customer_form_files(request_files(), "contact")
        return widget_page("contact.html", lang, form=form, about=about, answer=None, topics=help.topics(lang),
                           **files), 400
    return widget_page("error.html", lang, status=400, reason="csrf"), 400


@bp.errorhandler(404)
def not_found(exc: Exception):  # type: ignore[no-untyped-def]
    """An article the panel cannot show: the error page in the widget's layout (its links stay in the frame)."""
    lang = (request.view_args or {}).get("lang", "")
    languages = state.settings().languages
    if not enabled():  # said plainly in the page's language: the admin's page names the setting, never this one
        return help.page("error.html", lang if lang in languages else languages[0], status=404,
                         reason="widget_off"), 404
    if g.get("widget_token") is None or lang not in languages:  # no such language
        return help.page("error.html", languages[0], status=404), 404
    return widget_page("error.html", lang, status=404), 404


@bp.after_request
def frame_headers(response: Response) -> Response:
    """The widget's pages may be framed by the configured origins (the app's own header is set only when none is)."""
    if enabled() and request.endpoint != "widget.script":
        response.headers["Content-Security-Policy"] = frame_policy(state.settings().widget_origins)
    return response


def widget_url(endpoint: str, **values: Any) -> str:
    """`url_for` for the pages in the frame: a help-center page the widget has is the widget's, with the visit's
    token; any other link (a ticket's page, static files) is the site's."""
    mapped = ENDPOINTS.get(endpoint)
    if mapped is None:
        return url_for(endpoint, **values)
    values.setdefault("v", g.widget_token)
    values.setdefault("lang", (request.view_args or {}).get("lang"))  # the API's routes have none: the page's
    return url_for(mapped, **values)


def _messages(shown: list[tuple[str, str]]) -> Callable[..., list[Any]]:
    def get_flashed_messages(with_categories: bool = False, category_filter: Any = ()) -> list[Any]:
        return list(shown) if with_categories else [message for _, message in shown]

    return get_flashed_messages


def widget_page(template: str, lang: str, messages: list[tuple[str, str]] | None = None, **context: object) -> str:
    """A help-center template in the widget's layout: links kept in the frame, the visit's token as the forms'
    CSRF token, `messages` as what the page flashes (there is no session to flash through)."""
    return help.page(template, lang, widget=True, url_for=widget_url, csrf_token=lambda: g.widget_token,
                     get_flashed_messages=_messages(messages or []), **context)


class WidgetForm:
    """Mixed into the site's forms: no session-bound CSRF field; `csrf_token` holds the widget's token (checked
    by `widget_request` before the view runs), so the templates draw it where they draw the site's."""

    class Meta:
        csrf = False

    csrf_token = HiddenField()


class WidgetContactForm(WidgetForm, ContactForm):
    pass


class WidgetFeedbackForm(WidgetForm, FeedbackForm):
    pass


class WidgetAnswerVoteForm(WidgetForm, AnswerVoteForm):
    pass


def _with_token(form: Any) -> Any:
    form.csrf_token.data = g.widget_token
    return form


@bp.get("/widget.js")
def script() -> Response:
    """The launcher: self-contained, the site's labels and colour written in, cached a day with an ETag."""
    settings = state.settings()
    theme = current_theme(settings.content_dir)
    labels = {}
    for lang in settings.languages:
        with_lang = help.DIRECTION.get(lang, "ltr")
        labels[lang] = {"dir": with_lang, **_script_labels(lang)}
    body = render_template("widget/widget.js", labels=labels, default_lang=settings.languages[0],
                           accent=theme.colors.get("accent", "#0b6e4f"))
    response = Response(body, mimetype="text/javascript")
    response.set_etag(hashlib.sha256(body.encode("utf-8")).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = SCRIPT_MAX_AGE_S
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # loaded by the embedding site's page
    response.make_conditional(request)  # 304 for an If-None-Match that matches
    return response


def _script_labels(lang: str) -> dict[str, str]:
    from flask_babel import force_locale

    with force_locale(lang):
        return {"open": gettext("Help"), "close": gettext("Close help"), "title": gettext("Help")}


@bp.get("/<lang>/widget")
def home(lang: str) -> str:
    """The panel's first page: the search box, the topics (or one topic's articles, `?category=`), contact."""
    help._check_lang(lang)
    cards = help.category_cards(lang)
    chosen = next((c for c in cards if c.slug == request.args.get("category")), None)
    keys = help.record(state.desk().events.most_viewed, lang) or []
    catalog = state.catalog()
    pairs = [key.partition("/") for key in keys]
    popular = [a for key_lang, _, key_id in pairs if (a := catalog.get(key_lang, key_id, PUBLIC)) is not None]
    if not popular:
        popular = [card.articles[0] for card in cards[:5]]
    return widget_page("widget/home.html", lang, cards=cards, chosen=chosen, popular=popular[:5])


@bp.get("/<lang>/widget/search")
@limiter.limit(SEARCH_PAGE_LIMIT)
def search(lang: str) -> str:
    help._check_lang(lang)
    if not request.args.get("q", "").strip() and request.args.get("category"):
        return home(lang)
    return widget_page_search(lang)


def widget_page_search(lang: str) -> str:
    return help.search_page(lang, SOURCE, widget=True, url_for=widget_url, csrf_token=lambda: g.widget_token,
                            get_flashed_messages=_messages([]))


@bp.post("/<lang>/widget/search/settled")
@limiter.limit(SEARCH_LIMIT)
def settled(lang: str):  # type: ignore[no-untyped-def]
    """As help.settled_search, recorded with source "widget"."""
    help._check_lang(lang)
    query, typed = help.typed_reading(json_text(json_object("q"), "q") or "", lang)
    try:
        result = help.run_search(query, lang, typed=typed)
    except QueryError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"search_id": help.record_settled(result, help.page_hits(result), SOURCE)})


def _article_link(body: dict[str, Any]) -> None:
    """A hit's or card's link, the widget's article page (the site's would not open in the frame)."""
    lang, article_id, anchor = body.get("lang"), body.get("id") or body.get("article"), body.get("anchor")
    if isinstance(lang, str) and isinstance(article_id, str):
        body["url"] = url_for("widget.article", lang=lang, article_id=article_id, v=g.widget_token,
                              _anchor=anchor or None)


@bp.get("/<lang>/widget/instant")
@limiter.limit(SEARCH_LIMIT)
def instant(lang: str):  # type: ignore[no-untyped-def]
    """The search box's and the contact form's as-you-type results: /api/v1/search's, as the public, linking
    to the widget's article pages."""
    help._check_lang(lang)
    response = api.search()
    body = response.get_json() if isinstance(response, Response) else None
    if not isinstance(body, dict) or "results" not in body:
        return response
    for hit in body["results"]:
        _article_link(hit)
    return jsonify(body)


@bp.get("/<lang>/widget/answer")
@limiter.limit(SEARCH_LIMIT)
def answer(lang: str):  # type: ignore[no-untyped-def]
    help._check_lang(lang)
    response = api.answer()
    body = response.get_json() if isinstance(response, Response) else None
    if isinstance(body, dict) and isinstance(body.get("answer"), dict):
        _article_link(body["answer"])
        return jsonify(body)
    return response


@bp.get("/<lang>/widget/articles/<path:article_id>")
def article(lang: str, article_id: str) -> str:
    help._check_lang(lang)
    return widget_article(lang, article_id, [])


def widget_article(lang: str, article_id: str, messages: list[tuple[str, str]]) -> str:
    """The article's page in the frame; drawn again after a vote (`messages`), not counted as a view again."""
    return help.article_page(lang, article_id, "widget.article", _with_token(WidgetFeedbackForm(lang)),
                             viewed=not messages,
                             link_values={"v": g.widget_token}, widget=True, url_for=widget_url,
                             csrf_token=lambda: g.widget_token, get_flashed_messages=_messages(messages))


@bp.post("/<lang>/widget/articles/<path:article_id>/feedback")
@limiter.limit(FEEDBACK_LIMIT)
def feedback(lang: str, article_id: str) -> tuple[str, int]:
    """An article's vote, answered with the article's page (thanked, or the problem named): no redirect, as
    nothing can be flashed without a session."""
    help._check_lang(lang)
    found = state.catalog().get(lang, article_id, audience="public")
    if found is None:
        abort(404)
    form = WidgetFeedbackForm(lang)
    if not form.validate_on_submit() or form.helpful.data not in ("yes", "no"):
        problems = [("error", message) for errors in form.errors.values() for message in errors]
        return widget_article(lang, article_id, problems or [("error", gettext("Please try again."))]), 400
    helpful = form.helpful.data == "yes"
    state.desk().events.feedback(found.key, helpful, form.comment.data, visits.visit_id(),
                                 reason=form.reason.data or None)
    thanks = gettext("Thank you for your feedback.")
    return widget_article(lang, article_id, [("feedback" if helpful else "feedback-no", thanks)]), 200


@bp.post("/<lang>/widget/answer/feedback")
@limiter.limit(FEEDBACK_LIMIT)
def answer_feedback(lang: str):  # type: ignore[no-untyped-def]
    """An answer card's vote (answer.js posts it and reads JSON), recorded with source "widget"."""
    help._check_lang(lang)
    form = WidgetAnswerVoteForm(lang)
    article_lang, _, article_id = (form.article.data or "").partition("/")
    found = state.catalog().get(article_lang, article_id, audience="public") if article_id else None
    if not form.validate_on_submit() or form.helpful.data not in ("yes", "no") or found is None:
        return jsonify({"error": gettext("Your answer could not be recorded. Please try again.")}), 400
    state.desk().events.answer_feedback(
        found.key, form.anchor.data or "", form.query.data or "", lang, form.helpful.data == "yes",
        visits.visit_id(), generated_by=form.generated_by.data or "extractive", source=SOURCE,
        reason=form.reason.data or None, comment=form.comment.data,
    )
    contact = None if form.helpful.data == "yes" else widget_url("help.contact", lang=lang,
                                                                 q=form.query.data or None)
    ask = form.helpful.data == "no" and not request.form.get("followup")  # as answers.feedback: what went wrong?
    followup = None if not ask else {
        "question": gettext("What went wrong?"), "reasons": vote_reasons(),
        "comment": gettext("Anything else? (optional)"), "limit": MAX_VOTE_COMMENT, "send": gettext("Send"),
    }
    return jsonify({"message": gettext("Thank you for telling us."), "contact": contact,
                    "contact_label": gettext("Contact support"), "followup": followup})


@bp.route("/<lang>/widget/contact", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def contact(lang: str):  # type: ignore[no-untyped-def]
    """The contact form, pre-filled with the search the panel came from (`?q=`); sent, the reference, and a link
    opening the ticket's page in a new tab (the site's page: it cannot be framed)."""
    help._check_lang(lang)
    form = _with_token(WidgetContactForm(lang))
    about = state.catalog().get(lang, request.values.get("article", ""), audience="public")
    if request.method == "GET":
        form.submission.data = secrets.token_urlsafe(16)
        last = request.args.get("q", "")
        form.search.data = last
        if about is not None:
            form.subject.data = gettext("About “%(title)s”", title=about.title)[:200]
        elif not form.subject.data:
            form.subject.data = last[:200]
        form.category.data = about.category if about is not None else request.args.get("category")
    files = request_files() if request.method == "POST" else []
    fields_shown = state.desk().fields.on_form()  # the site's contact form's custom fields, checked as it checks them
    kept_fields, field_errors = help.contact_fields(fields_shown, lang) if request.method == "POST" else ({}, {})
    extra: dict[str, Any] = {"topics": help.topics(lang), "form_fields": fields_shown, "kept_fields": kept_fields,
                             "field_errors": field_errors, **help.customer_form_files(files, "contact")}
    if form.validate_on_submit() and not field_errors:
        try:
            ticket, _ = help.contact_ticket(form, lang, files, kept_fields, _context(form.search.data or "", lang))
        except StorageUnavailableError as error:
            form.message.errors = [help.not_saved_message(error)]
            return widget_page("contact.html", lang, form=form, about=about, answer=None, **extra), 503, {
                "Retry-After": str(error.retry_after)}
        if ticket is not None:  # new, or the one this page made before
            return widget_page("widget/sent.html", lang, reference=ticket.reference)
    return widget_page("contact.html", lang, form=form, about=about,
                       answer=help.contact_answer(form.search.data or "", lang), **extra), (
        400 if form.errors or field_errors else 200)


def _context(query: str, lang: str) -> dict[str, object]:
    """What the agent sees of the visit: the search the panel came from (with its result count, as the site's
    visits keep them), and that it came through the widget."""
    searches: list[dict[str, object]] = []
    if query.strip():
        try:
            count = len(help.page_hits(help.run_search(query, lang)))
        except QueryError:
            count = 0
        searches.append({"q": query[:200], "lang": lang, "results": count})
    return {"searches": searches, "viewed": [], "via": SOURCE}
