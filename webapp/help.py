"""The customers' help center: home, search, articles, feedback, contact form and ticket pages."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, url_for

from copilot.retrieval import QueryError
from desk.tickets import InputError, NewTicket
from kb.articles import Article
from kb.render import RenderedArticle, render_markdown
from webapp import state, visits
from webapp.audience import requester_audience
from webapp.forms import ContactForm, FeedbackForm, ReplyForm
from webapp.security import CONTACT_LIMIT, FEEDBACK_LIMIT, limiter
from webapp.texts import DIRECTION, labels, text

bp = Blueprint("help", __name__)
log = logging.getLogger(__name__)

PAGE_SIZE = 10
T = TypeVar("T")
MAX_RESULTS = 50


def record(action: Callable[..., T], *args: object, **kwargs: object) -> T | None:
    """Analytics must never fail the page a customer asked for."""
    try:
        return action(*args, **kwargs)
    except Exception:
        log.exception("could not record %s", getattr(action, "__name__", action))
        return None


def render_article(article: Article, endpoint: str) -> RenderedArticle:
    """The article as safe HTML, its links to other articles pointing at `endpoint`'s pages."""
    template = url_for(endpoint, lang="LANG", article_id="ID").replace("LANG", "{lang}").replace("ID", "{id}")
    return render_markdown(
        state.catalog().source(article), article.path, url_for_article=template,
        media_url=url_for("help.media", filename="").rstrip("/"),
    )


def _check_lang(lang: str) -> None:
    if lang not in state.settings().languages:
        abort(404)


def page(template: str, lang: str, **context: object) -> str:
    other = next((lg for lg in state.settings().languages if lg != lang), lang)
    context.setdefault("query", "")
    return render_template(template, lang=lang, dir=DIRECTION.get(lang, "ltr"), t=labels(lang), other_lang=other,
                           **context)


@bp.get("/")
def root():
    lang = request.accept_languages.best_match(state.settings().languages) or state.settings().languages[0]
    return redirect(url_for("help.home", lang=lang))


@bp.get("/<lang>/")
def home(lang: str) -> str:
    _check_lang(lang)
    catalog = state.catalog()
    groups = [
        (name, catalog.category_name(name, lang), articles) for name, articles in catalog.by_category(lang).items()
    ]
    keys = record(state.desk().events.most_viewed, lang) or []
    viewed = [key.partition("/") for key in keys]
    popular = [a for key_lang, _, article_id in viewed if (a := catalog.get(key_lang, article_id)) is not None]
    return page("home.html", lang, groups=groups, popular=popular)


@bp.get("/<lang>/search")
def search(lang: str) -> str:
    _check_lang(lang)
    query = request.args.get("q", "")
    category = request.args.get("category", "")
    raw_page = request.args.get("page", "1")
    page_number = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
    catalog = state.catalog()
    categories = [(name, catalog.category_name(name, lang)) for name in catalog.by_category(lang)]
    result, error, hits, search_id = None, None, [], None
    if query.strip():
        try:
            result = state.engine().retriever.search(
                query, lang=lang, limit=MAX_RESULTS, audience=requester_audience(),
                categories=[category] if category else None,
            )
        except QueryError as exc:
            error = str(exc)
    if result is not None:
        hits = [] if result.abstained else list(result.results)
        if page_number == 1:
            search_id = record(
                state.desk().events.search, result.query, result.lang, len(hits), result.abstained,
                fallback=any(h.locale_fallback for h in hits), visit_id=visits.visit_id(), source="page",
            )
            visits.remember_search(result.query, result.lang, len(hits))
        else:
            search_id = request.args.get("s", type=int)
    pages = max(1, math.ceil(len(hits) / PAGE_SIZE))
    page_number = min(page_number, pages)
    first = (page_number - 1) * PAGE_SIZE
    return page(
        "search.html", lang, query=query, result=result, error=error, hits=hits[first : first + PAGE_SIZE],
        first=first, page_number=page_number, pages=pages, total=len(hits), category=category,
        categories=categories, search_id=search_id,
    )


@bp.get("/<lang>/articles/<article_id>")
def article(lang: str, article_id: str) -> str:
    _check_lang(lang)
    catalog = state.catalog()
    audience = requester_audience()
    found = catalog.get(lang, article_id, audience)
    if found is None:
        abort(404)
    events = state.desk().events
    visit = visits.visit_id()
    search_id, position = request.args.get("s", type=int), request.args.get("p", type=int)
    if search_id and position:
        record(events.click, search_id, found.key, position, visit)
    if request.args.get("from") == "contact":
        record(events.deflection, visit, found.key)
    record(events.view, found.key, visit)
    visits.remember_article(found.key, found.title)
    rendered = render_article(found, "help.article")
    related = record(state.engine().related, found) or []
    return page(
        "article.html", lang, article=found, rendered=rendered, translations=catalog.translations(found, audience),
        category_name=catalog.category_name(found.category, lang), related=related, feedback=FeedbackForm(lang),
        stale=catalog.stale_source(found, audience),
    )


@bp.post("/<lang>/articles/<article_id>/feedback")
@limiter.limit(FEEDBACK_LIMIT)
def feedback(lang: str, article_id: str):
    _check_lang(lang)
    found = state.catalog().get(lang, article_id, requester_audience())
    if found is None:
        abort(404)
    form = FeedbackForm(lang)
    if not form.validate_on_submit() or form.helpful.data not in ("yes", "no"):
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("help.article", lang=lang, article_id=article_id, _anchor="feedback"))
    state.desk().events.feedback(found.key, form.helpful.data == "yes", form.comment.data, visits.visit_id())
    flash(text(lang, "thanks_feedback"), "feedback")
    return redirect(url_for("help.article", lang=lang, article_id=article_id, _anchor="feedback"))


@bp.route("/<lang>/contact", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def contact(lang: str):
    _check_lang(lang)
    form = ContactForm(lang)
    if request.method == "GET":
        last = request.args.get("q") or visits.last_search(lang)
        form.search.data = last
        if not form.subject.data:
            form.subject.data = last[:200]
    if form.validate_on_submit():
        try:
            ticket = state.desk().tickets.create(
                NewTicket(
                    email=form.email.data,
                    name=form.name.data,
                    subject=form.subject.data,
                    body=form.message.data,
                    lang=lang,
                    channel="web",
                    context=visits.context(),
                    visit_id=visits.visit_id(),
                )
            )
        except InputError as error:
            getattr(form, error.field, form.message).errors = [str(error)]
        else:
            flash(text(lang, "ticket_created").format(reference=ticket.reference), "created")
            return redirect(url_for("help.ticket", lang=lang, reference=ticket.reference))
    return page("contact.html", lang, form=form), (400 if form.errors else 200)


@bp.route("/<lang>/tickets/<reference>", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def ticket(lang: str, reference: str):
    """The customer's own ticket, reachable only by its unguessable reference."""
    _check_lang(lang)
    tickets = state.desk().tickets
    found = tickets.by_reference(reference)
    if found is None:
        abort(404)
    form = ReplyForm(lang)
    if form.validate_on_submit():
        tickets.customer_reply(reference, form.message.data)
        return redirect(url_for("help.ticket", lang=lang, reference=reference))
    return page("ticket.html", lang, ticket=found, form=form)


@bp.get("/media/<path:filename>")
def media(filename: str):
    return send_from_directory(state.settings().content_dir.resolve() / "_media", filename, max_age=3600)
