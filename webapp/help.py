"""The customers' help center: home, search, articles, feedback, contact form and ticket pages."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup, escape

from copilot.answer_card import AnswerCard
from copilot.completion import complete
from copilot.head_queries import head_first
from copilot.result_floor import split_at_floor
from copilot.retrieval import QueryError, SearchHit, SearchResult
from copilot.snippets import highlight_spans, make_snippet
from desk.database import StorageUnavailableError
from desk.mail.attachments import Upload
from desk.models import Ticket
from desk.ticket_fields import checked_values, values_of
from desk.tickets import DuplicateTicketError, InputError, NewTicket
from desk.translatable import N_
from kb.articles import Article
from kb.categories import category_info
from kb.language import detect_language
from kb.render import RenderedArticle, render_markdown
from kb.ticket_fields import TicketField
from webapp import answers, seo, state, visits
from webapp.attachments import request_files, shown_limits
from webapp.audience import requester_audience
from webapp.desk_errors import desk_error, desk_problem
from webapp.forms import ContactForm, FeedbackForm, ReplyForm
from webapp.search_feedback import with_click_feedback
from webapp.security import (
    CONTACT_LIMIT,
    FEEDBACK_LIMIT,
    SEARCH_LIMIT,
    SEARCH_PAGE_LIMIT,
    json_object,
    json_text,
    limiter,
)
from webapp.theme import current_theme

bp = Blueprint("help", __name__)
log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_RESULTS = 50
# What a customer reads for each ticket status (agents see the internal names).
STATUS_LABELS = {
    "new": lazy_gettext("Open"),
    "open": lazy_gettext("Open"),
    "pending": lazy_gettext("Answered, waiting for you"),
    "on_hold": lazy_gettext("Open"),
    "solved": lazy_gettext("Solved"),
    "closed": lazy_gettext("Closed"),
}


def record(action: Callable[..., T], *args: object, **kwargs: object) -> T | None:
    """Analytics must never fail the page a customer asked for."""
    try:
        return action(*args, **kwargs)
    except Exception:
        log.exception("could not record %s", getattr(action, "__name__", action))
        return None


def not_saved_message(error: StorageUnavailableError) -> str:
    """Why the customer's post was not stored, with their text kept: the attachment storage was full (they may send
    it without the files), or the database could not take it."""
    if error.store == "files":
        return gettext(
            "We could not save your files just now: the storage for attachments is full, so nothing was sent. Your "
            "text is still here: please send it again in a minute, or without the files."
        )
    return gettext(
        "We could not save your message just now, so nothing was sent. Your text is still here: "
        "please send it again in a minute."
    )


def render_article(article: Article, endpoint: str, **values: Any) -> RenderedArticle:
    """The article as safe HTML, its links to other articles pointing at `endpoint`'s pages (with `values` as
    the links' query, e.g. the help widget's visit token)."""
    template = (url_for(endpoint, lang="LANG", article_id="ID", **values)
                .replace("LANG", "{lang}", 1).replace("ID", "{id}", 1))
    return render_markdown(
        state.catalog().source(article), article.path, url_for_article=template,
        media_url=url_for("help.media", filename="").rstrip("/"), article_ids=state.catalog().ids_by_path(),
    )


def _check_lang(lang: str) -> None:
    if lang not in state.settings().languages:
        abort(404)


DIRECTION = {"ar": "rtl"}


def customer_form_files(files: list[Upload], field: str) -> dict[str, object]:
    """What a customer's form with a file input (the contact form, the ticket page's reply) is drawn with: the
    desk's limits for customers on the web, and, when a post with files comes back refused, that they must be
    picked again (a page cannot keep them; nothing of them was stored)."""
    return {"file_limits": shown_limits(state.desk().tickets.limits_for("web")), "file_error": bool(files),
            "file_error_field": field}


def page(template: str, lang: str, **context: object) -> str:
    other = next((lg for lg in state.settings().languages if lg != lang), lang)
    context.setdefault("query", "")
    theme = current_theme(state.settings().content_dir)
    if theme.logo and not (state.settings().content_dir / "_media" / theme.logo).is_file():
        theme = replace(theme, logo=None)  # a missing logo file shows the name alone, not a broken image
    brand = theme.name(lang)
    # canonical, hreflang, description; or noindex (the help widget's pages: webapp.widget)
    head = None if context.get("widget") else seo.page_head(template, lang, {**context, "brand": brand})
    return render_template(template, lang=lang, dir=DIRECTION.get(lang, "ltr"), other_lang=other, theme=theme,
                           brand=brand, status_label=lambda status: STATUS_LABELS.get(status, status), head=head,
                           **context)


@bp.app_template_filter("highlight")
def highlight(text: str, query: str) -> Markup:
    """Text with the query's words in <mark>, matched Arabic-aware (copilot.snippets)."""
    spans = highlight_spans(text, query)
    out, last = Markup(""), 0
    for start, end in spans:
        out += text[last:start] + Markup("<mark>{}</mark>").format(text[start:end])
        last = end
    return out + text[last:]


def article_tags(hit: SearchHit) -> tuple[str, ...]:
    found = state.catalog().get(hit.lang, hit.id)
    return found.tags if found is not None else ()


def page_hits(result: SearchResult) -> list[SearchHit]:
    """The hits as the results page shows them: plain-text snippets centred on the match."""
    return [
        replace(hit, snippet=make_snippet(hit.text or hit.snippet, result.query, lang=hit.lang).text)
        for hit in ([] if result.abstained else result.results)
    ]


@dataclass(frozen=True)
class CategoryCard:
    slug: str
    name: str
    description: str
    icon: str
    order: int
    articles: list[Article]


def category_cards(lang: str) -> list[CategoryCard]:
    """The public categories of one language, in the writers' order, each with its arranged articles."""
    infos = state.catalog().categories()
    cards = []
    for slug, articles in state.catalog().by_category(lang).items():
        info = category_info(infos, slug)
        cards.append(CategoryCard(slug, info.name(lang), info.description(lang), info.icon, info.order,
                                  info.arrange(articles)))
    return sorted(cards, key=lambda c: (c.order, c.name))


def topics(lang: str) -> list[tuple[str, str]]:
    """The contact form's "Topic" choices: the help center's categories in `lang`, as the home page orders and
    names them (slug, name). The slug is stored as the ticket's category, which `routing:` rules match."""
    return [(card.slug, card.name) for card in category_cards(lang)]


def ticket_categories() -> list[str]:
    """The categories a new ticket may name: the folders holding public articles in any of the site's languages."""
    catalog = state.catalog()
    return sorted({slug for lang in state.settings().languages for slug in catalog.by_category(lang)})


def ticket_category(value: str | None) -> str | None:
    """A category a customer (the contact form) or an API client gave a new ticket: None when none was given, else
    one of the help center's categories (a folder holding public articles, in any of the site's languages), or an
    InputError naming the field "category" and the categories there are."""
    if value is None or not value.strip():
        return None
    known = ticket_categories()
    if value.strip() not in known:
        raise InputError("category", N_("no category %(category)s; the categories are %(categories)s"),
                         category=repr(value.strip()[:40]), categories=", ".join(known))
    return value.strip()


@bp.get("/")
def root():
    lang = request.accept_languages.best_match(state.settings().languages) or state.settings().languages[0]
    return redirect(url_for("help.home", lang=lang))


@bp.get("/<lang>/")
def home(lang: str) -> str:
    _check_lang(lang)
    catalog = state.catalog()
    cards = category_cards(lang)
    keys = record(state.desk().events.most_viewed, lang) or []
    viewed = [key.partition("/") for key in keys]
    popular = [a for key_lang, _, article_id in viewed if (a := catalog.get(key_lang, article_id)) is not None]
    if not popular:  # a new help center has no views yet: the first article of each category
        popular = [card.articles[0] for card in cards[:5]]
    return page("home.html", lang, cards=cards, popular=popular)


@bp.get("/<lang>/categories/<category>")
def category(lang: str, category: str) -> str:
    _check_lang(lang)
    card = next((c for c in category_cards(lang) if c.slug == category), None)
    if card is None:
        abort(404)
    visits.remember_category(card.slug)  # the contact form's default topic (the session cookie, as articles are)
    return page("category.html", lang, card=card)


@bp.get("/<lang>/search")
@limiter.limit(SEARCH_PAGE_LIMIT)
def search(lang: str) -> str:
    _check_lang(lang)
    return search_page(lang, "page")


def search_page(lang: str, source: str, **context: object) -> str:
    """The results page for `?q=` (the help center's, or the widget's with `source` "widget" and its `context`)."""
    query = request.args.get("q", "")
    category = request.args.get("category", "")
    verbatim = request.args.get("verbatim") == "1"  # "Search instead for" the query as typed: no layout reading
    if not query.strip() and category:  # old links (`search?category=X`) open the category's page
        return redirect(url_for("help.category", lang=lang, category=category), 301)  # type: ignore[return-value]
    catalog = state.catalog()
    categories = [(name, catalog.category_name(name, lang)) for name in catalog.by_category(lang)]
    result, error, hits, search_id = None, None, [], None
    if query.strip():
        try:
            result = run_search(query, lang, category, verbatim=verbatim)
        except QueryError as exc:
            error = str(exc)
    if result is not None:
        hits = page_hits(result)
        search_id = record_settled(result, hits, source)
    shown, more = split_at_floor(hits)
    shown = head_first(shown, result.query, article_tags) if result is not None else shown
    return page(
        "search.html", lang, query=query, result=result, error=error, hits=shown, more=more, category=category,
        categories=categories, search_id=search_id, answer=answers.card_decision(result).card, verbatim=verbatim,
        **context,
    )


def run_search(
    query: str, lang: str | None, category: str = "", verbatim: bool = False, typed: str | None = None,
    limit: int = MAX_RESULTS,
) -> SearchResult:
    """A customer's search, as the site's pages and /api/v1/search run it. `verbatim`: search the query as typed,
    never as the other keyboard layout's (Retriever.search); `typed`: what was typed when `query` is already its
    reading while typed (`typed_reading`)."""
    audience = requester_audience()
    result = state.engine().retriever.search(
        query, lang=lang, limit=limit, audience=audience, categories=[category] if category else None,
        verbatim=verbatim or typed is not None,
    )
    result = replace(result, typed_query=typed) if typed is not None else result
    return with_click_feedback(result, audience)  # KB_CLICK_FEEDBACK: what customers clicked for it


def typed_reading(query: str, lang: str) -> tuple[str, str | None]:
    """What the search box searches while `query` is typed, and what was typed when that is another query.

    A query typed with the wrong keyboard layout is read as the other layout's first (Retriever.read_layout, its
    last word perhaps half typed: "hgfhs,v" is الباسور...), then its last word is completed (`complete_query`).
    The second value is the query as typed when it was read so, else None. The box's results (api.search) and
    the search it records when it settles (`settled_search`) read it the same way, so the record is what the
    customer saw."""
    swapped = state.engine().retriever.read_layout(query, typing=True) if query.strip() else None
    searched = swapped or query
    return complete_query(searched, lang) or searched, query if swapped is not None else None


def complete_query(query: str, lang: str) -> str | None:
    """The query with its last word completed, or None when there is nothing to complete."""
    retriever = state.engine().retriever
    if retriever.vocabulary is None or not query.strip():
        return None
    language = lang if lang in state.settings().languages else detect_language(query, state.settings().languages)
    completion = complete(query, language, retriever.vocabulary)
    return completion.query if completion.word else None


def record_settled(result: SearchResult, hits: list[SearchHit], source: str) -> int | None:
    """A search the customer settled on (a results page, a pause, leaving the box, a click): the
    only searches the content team's reports count; keystrokes on the way are never recorded.

    With it goes the shadow log (desk.models.SearchEvent.signals): the floors' signals, the first result as
    ranked before abstention, and which floors decided (the fingerprint of the tuning the engine started with). The
    retriever keeps an abstained search's results (only `page_hits` blanks them for the page), so
    `result.results[0]` is what the search would have shown first without the floors."""
    first = result.results[0].key if result.results else None
    search_id = record(
        state.desk().events.search, result.query, result.lang, len(hits), result.abstained,
        fallback=any(h.locale_fallback for h in hits), visit_id=visits.visit_id(), source=source,
        signals=result.signals, first_article=first, floors=state.engine().retriever.floors_fingerprint,
        typed_query=result.typed_query,
    )
    visits.remember_search(result.query, result.lang, len(hits))
    return search_id  # type: ignore[return-value]


@bp.post("/<lang>/search/settled")
@limiter.limit(SEARCH_LIMIT)
def settled_search(lang: str):
    """search.js reports the query the box settled on; answers its id, for the result links."""
    _check_lang(lang)
    query, typed = typed_reading(json_text(json_object("q"), "q") or "", lang)  # what the box showed results for
    try:
        result = run_search(query, lang, typed=typed)
    except QueryError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"search_id": record_settled(result, page_hits(result), "instant")})


@bp.get("/theme.css")
def theme_css() -> Response:
    """The theme's colours as CSS custom properties (a file: the CSP allows no inline styles)."""
    theme = current_theme(state.settings().content_dir)
    response = Response(f":root {{ {theme.css_variables()}; }}\n", mimetype="text/css")
    response.cache_control.max_age = 300
    return response


@bp.get("/<lang>/articles/<path:article_id>")  # ids may hold slashes: teams/license
def article(lang: str, article_id: str) -> str:
    _check_lang(lang)
    return article_page(lang, article_id, "help.article", FeedbackForm(lang))


def article_page(lang: str, article_id: str, endpoint: str, feedback: FeedbackForm, viewed: bool = True,
                 **context: object) -> str:
    """An article's page, recording the view (and the click, the deflection) when `viewed` (not when the widget draws
    it again after a vote); its links to other articles go to `endpoint` (the help center's, or the widget's with
    its token in `context["link_values"]`)."""
    catalog = state.catalog()
    audience = requester_audience()
    found = catalog.get(lang, article_id, audience)
    if found is None:
        abort(404)
    if viewed:
        _record_view(found)
    rendered = render_article(found, endpoint, **cast(dict[str, str], context.pop("link_values", {})))
    related = record(state.engine().related, found) or []
    return page(
        "article.html", lang, article=found, rendered=rendered, translations=catalog.translations(found, audience),
        category_name=catalog.category_name(found.category, lang), related=related, feedback=feedback,
        stale=catalog.stale_source(found, audience), vote=request.args.get("helpful"), **context,
    )


def _record_view(found: Article) -> None:
    """An article opened: its view, the search result clicked (`?s=&p=`), the contact form's suggestion followed."""
    events = state.desk().events
    visit = visits.visit_id()
    search_id, position = request.args.get("s", ""), request.args.get("p", type=int)
    if search_id and position:
        record(events.click, search_id, found.key, position, visit)
    if request.args.get("from") == "contact":
        record(events.deflection, visit, found.key)
    record(events.view, found.key, visit)
    visits.remember_article(found.key, found.title)
    visits.remember_category(found.category)


@bp.post("/<lang>/articles/<path:article_id>/feedback")
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
    helpful = form.helpful.data == "yes"
    state.desk().events.feedback(found.key, helpful, form.comment.data, visits.visit_id(),
                                 reason=form.reason.data or None)  # none kept on a "yes" (events.vote_reason)
    flash(gettext("Thank you for your feedback."), "feedback" if helpful else "feedback-no")
    return redirect(url_for("help.article", lang=lang, article_id=article_id, _anchor="feedback"))


@bp.route("/<lang>/contact", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def contact(lang: str):
    _check_lang(lang)
    form = ContactForm(lang)
    about = state.catalog().get(lang, request.values.get("article", ""), audience="public")
    if request.method == "GET":
        form.submission.data = secrets.token_urlsafe(16)
        visits.visit_id()  # the key is within the visit: start it now, or two racing sends would each start one
        last = request.args.get("q") or visits.last_search(lang)
        form.search.data = last
        if about is not None:
            form.subject.data = gettext("About “%(title)s”", title=about.title)[:200]
        elif not form.subject.data:
            form.subject.data = last[:200]
        # The topic the customer was reading about: the article's category, else the category page they came from.
        form.category.data = about.category if about is not None else visits.last_category()
    files = request_files() if request.method == "POST" else []
    fields_shown = state.desk().fields.on_form()
    kept_fields, field_errors = contact_fields(fields_shown, lang) if request.method == "POST" else ({}, {})
    if form.validate_on_submit() and not field_errors:
        try:
            ticket, created = contact_ticket(form, lang, files, kept_fields, visits.context())
        except StorageUnavailableError as error:
            # Nothing was stored; the page comes back with the customer's text in the form.
            form.message.errors = [not_saved_message(error)]
            return page("contact.html", lang, form=form, topics=topics(lang), form_fields=fields_shown,
                        kept_fields=kept_fields, field_errors=field_errors,
                        **customer_form_files(files, "contact")), 503, {
                "Retry-After": str(error.retry_after)}
        if ticket is not None:
            spam = ticket.deleted_at is not None  # the honeypot, a blocked sender: the same thank-you, no page
            if created:  # not when this page was sent before (a double click, a resend): its ticket, said once
                flash(naming_reference(gettext("We received your request. Your reference is %(reference)s."),
                                       ticket.reference), "ok" if spam else "created")
            if spam:
                return redirect(url_for("help.home", lang=lang))
            return redirect(url_for("help.ticket", lang=lang, reference=ticket.reference))
    return page("contact.html", lang, form=form, about=about, answer=contact_answer(form.search.data or "", lang),
                topics=topics(lang), form_fields=fields_shown, kept_fields=kept_fields, field_errors=field_errors,
                **customer_form_files(files, "contact")), (400 if form.errors or field_errors else 200)


def naming_reference(sentence: str, reference: str) -> Markup:
    """A translated sentence (gettext's, its `%(reference)s` not yet filled) naming a ticket's reference, for a flash:
    the reference a left-to-right isolate kept on one line (`.keep-whole`), so on an Arabic phone it neither breaks at
    a hyphen nor draws the hyphen on the wrong side ("-nMZ93D9n" above "DOfk7Rh.")."""
    isolated = Markup('<bdi class="keep-whole" dir="ltr">{}</bdi>').format(reference)
    return Markup(escape(sentence)) % {"reference": isolated}


def contact_ticket(form: ContactForm, lang: str, files: Sequence[Upload], kept_fields: dict[str, str],
                   context: dict[str, Any]) -> tuple[Ticket | None, bool]:
    """The contact form's ticket, the site's and the widget's alike, and whether this post created it: the ticket
    this page made before when it is sent again (a double click, a resend: its submission key), or None when the
    desk refused a field (named on `form`). A busy database raises StorageUnavailableError: nothing was stored."""
    key = submission_key(form.submission.data or "")
    try:
        return state.desk().tickets.create(
            NewTicket(
                email=form.email.data,
                name=form.name.data,
                subject=form.subject.data,
                body=form.message.data,
                lang=lang,
                channel="web",
                context=context,
                visit_id=visits.visit_id(),
                external_id=key,
                category=ticket_category(form.category.data),
                fields={name: value for name, value in kept_fields.items() if value.strip()} or None,
                spam=bool((form.kb_hp.data or "").strip()),
            ),
            files,
        ), True
    except DuplicateTicketError:
        first = state.desk().tickets.by_external_id(key or "", with_deleted=True)  # spam sent twice too
        if first is None:
            raise
        return first, False
    except InputError as error:
        getattr(form, error.field, form.message).errors = [desk_error(error)]
        return None, False


def contact_fields(shown: tuple[TicketField, ...], lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """The contact form's custom ticket fields as posted (`field.<key>`, kept as typed for the page to show again)
    and the refusals by key, each naming the field's label in the customer's language: a bad value, or a blank one
    the file marks `required_on_form`."""
    kept: dict[str, str] = {}
    for field in shown:
        posted = request.form.get(f"field.{field.key}", "")[:2000]
        kept[field.key] = ("true" if posted else "false") if field.type == "checkbox" else posted
    _, refused = checked_values(state.desk().fields, {k: v for k, v in kept.items() if v.strip()}, lang)
    errors = {key: desk_problem(error) for key, error in refused.items()}
    for field in shown:
        if field.required_on_form and field.type != "checkbox" and not kept[field.key].strip():
            errors.setdefault(field.key, gettext("%(label)s: required", label=field.label(lang)))
    return kept, errors


_SUBMISSION = re.compile(r"[A-Za-z0-9_-]{16,64}")


def submission_key(submission: str) -> str | None:
    """The ticket's external id for one contact page: its random key within the visit (so a key
    copied from someone else's page names nothing of theirs); None for a form without one."""
    if not _SUBMISSION.fullmatch(submission):
        return None
    return f"web:{visits.visit_id()}:{submission}"


def contact_refused(lang: str):  # type: ignore[no-untyped-def]
    """The contact form posted with a token the session does not know (the app's CSRF handler
    calls this): the same page back with everything the customer typed and a fresh token, so one
    more click sends it."""
    _check_lang(lang)
    form = ContactForm(lang)
    form.csrf_token.errors = [gettext("This page had expired. Your message is still here: please send it again.")]
    about = state.catalog().get(lang, request.values.get("article", ""), audience="public")
    return page("contact.html", lang, form=form, about=about, answer=None, topics=topics(lang),
                **customer_form_files(request_files(), "contact")), 400


def contact_answer(query: str, lang: str) -> AnswerCard | None:
    """The answer card for the search the customer came from, shown above the contact form."""
    if not query.strip():
        return None
    try:
        return answers.card_decision(run_search(query, lang)).card
    except QueryError:
        return None


@bp.route("/<lang>/tickets/<reference>", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def ticket(lang: str, reference: str):
    """The customer's own ticket, reachable only by its unguessable reference. A reply to a merged one lands on the
    ticket it was merged into, and to a closed one starts a follow-up (`customer_reply_with_files`): the customer is
    taken there, told why."""
    _check_lang(lang)
    tickets = state.desk().tickets
    found = tickets.by_reference(reference)
    if found is None:
        abort(404)
    if request.method == "GET" and found.merged_into_id is not None:
        # A merged duplicate is empty: its conversation lives on where it was merged (as mail and the API route a
        # message there), and the customer reads it there, told why. A post to it still lands there (below).
        live = tickets.live_reference(found)
        if live != found.reference:
            flash(naming_reference(gettext("Your earlier request %(reference)s was merged into this one, so "
                                           "everything is answered here."), found.reference), "created")
            return redirect(url_for("help.ticket", lang=lang, reference=live))
    form = ReplyForm(lang)
    files = request_files() if request.method == "POST" else []
    if request.method == "GET":
        form.submission.data = secrets.token_urlsafe(16)
        visits.visit_id()  # the key is within the visit (see contact)
    if form.validate_on_submit():
        try:
            from webapp.my_tickets import reader_email  # my_tickets imports this module's page
            reply = tickets.customer_reply_with_files(reference, form.message.data or "",
                                                      submission_key(form.submission.data or ""), files,
                                                      writer=reader_email())
        except InputError as error:  # as the contact form: a message of control characters only is empty once stored
            getattr(form, error.field, form.message).errors = [desk_error(error)]
        except StorageUnavailableError as error:
            form.message.errors = [not_saved_message(error)]
            return page("ticket.html", lang, ticket=found, form=form, **customer_form_files(files, "reply")), 503, {
                "Retry-After": str(error.retry_after)}
        else:
            if reply.follow_up_of is not None:  # a closed request is final: the reply started a new one
                flash(naming_reference(gettext("Your earlier request was closed, so your message started a new "
                                               "request that continues it. Its reference is %(reference)s."),
                                       reply.reference), "created")
            elif reply.merged_from is not None:  # the conversation moved: the message went there, and so do they
                flash(gettext("That request was merged into this one"), "created")
            return redirect(url_for("help.ticket", lang=lang, reference=reply.reference))
    return page("ticket.html", lang, ticket=found, form=form, links=tickets.follow_up_links(found),
                shown_fields=customer_fields(found), **customer_form_files(files, "reply")), (
        400 if form.errors else 200)


def customer_fields(ticket: Ticket) -> list[tuple[TicketField, str]]:
    """The ticket's values of the fields marked `visible_to_customer`, in the file's order (read only; a field with
    no value is left out). Every other field is the agents' alone."""
    desk = state.desk()
    shown = desk.fields.for_customers()
    if not shown:
        return []
    values = values_of(desk.db, ticket)
    return [(field, values[field.key]) for field in shown if field.key in values]


@bp.get("/media/<path:filename>")
def media(filename: str):
    return send_from_directory(state.settings().content_dir.resolve() / "_media", filename, max_age=3600)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; answer with the site's icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)
