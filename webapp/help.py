"""The customers' help center: home per language, search results, article pages, media."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_from_directory, url_for

from copilot.retrieval import QueryError
from kb.render import render_markdown
from webapp import state

bp = Blueprint("help", __name__)

TEXT = {
    "en": {
        "site": "Manzil Help Center",
        "search_placeholder": "Search the help center",
        "search": "Search",
        "results_for": "Results for",
        "no_results": "No article matches your search.",
        "categories": "Browse by topic",
        "contents": "On this page",
        "other_language": "اقرأ بالعربية",
        "updated": "Updated",
        "home": "Help Center",
    },
    "ar": {
        "site": "مركز مساعدة منزل",
        "search_placeholder": "ابحث في مركز المساعدة",
        "search": "بحث",
        "results_for": "نتائج البحث عن",
        "no_results": "لا توجد مقالة تطابق بحثك.",
        "categories": "تصفح حسب الموضوع",
        "contents": "في هذه الصفحة",
        "other_language": "Read in English",
        "updated": "آخر تحديث",
        "home": "مركز المساعدة",
    },
}
FALLBACK_LABEL = {"en": "Available in English", "ar": "متاح بالعربية"}
DIRECTION = {"ar": "rtl"}


def _check_lang(lang: str) -> None:
    if lang not in state.settings().languages:
        abort(404)


def _page(template: str, lang: str, **context: object) -> str:
    other = next((lg for lg in state.settings().languages if lg != lang), lang)
    return render_template(
        template,
        lang=lang,
        dir=DIRECTION.get(lang, "ltr"),
        t=TEXT.get(lang, TEXT["en"]),
        other_lang=other,
        fallback_label=FALLBACK_LABEL,
        **context,
    )


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
    return _page("home.html", lang, groups=groups, query="")


@bp.get("/<lang>/search")
def search(lang: str) -> str:
    _check_lang(lang)
    query = request.args.get("q", "")
    result, error = None, None
    if query.strip():
        try:
            result = state.engine().retriever.search(query, lang=lang, limit=20, audience="public")
        except QueryError as exc:
            error = str(exc)
    return _page("search.html", lang, query=query, result=result, error=error)


@bp.get("/<lang>/articles/<article_id>")
def article(lang: str, article_id: str) -> str:
    _check_lang(lang)
    catalog = state.catalog()
    found = catalog.get(lang, article_id, audience="public")
    if found is None:
        abort(404)
    rendered = render_markdown(
        catalog.source(found),
        found.path,
        url_for_article=url_for("help.article", lang="LANG", article_id="ID")
        .replace("LANG", "{lang}")
        .replace("ID", "{id}"),
        media_url=url_for("help.media", filename="").rstrip("/"),
    )
    return _page(
        "article.html",
        lang,
        article=found,
        rendered=rendered,
        translations=catalog.translations(found),
        category_name=catalog.category_name(found.category, lang),
        query="",
    )


@bp.get("/media/<path:filename>")
def media(filename: str):
    return send_from_directory(state.settings().content_dir.resolve() / "_media", filename, max_age=3600)
