"""Links to articles: built here, by the web layer, from the keys and anchors search returns.

Search and drafts know articles as "lang/id" plus a section anchor; which route shows an article,
under which base URL the deployment is reached, and that agents read internal articles on their
own page are the web app's business. Two kinds of link:

- `article_url`: the public address, prefixed with `Settings.base_url` (e.g. https://help.example
  or /help behind a proxy), for links that leave our pages: API answers, drafts sent to customers,
  the CLI. Works without a request.
- `hit_url`: in a request, the link a reader of that answer should follow: internal sections go to
  the agents' article view, everything else to its public address.
Pages link to articles with `url_for("help.article", ...)` directly (Flask adds the mount point).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request, url_for

from kb.settings import Settings
from webapp import state

if TYPE_CHECKING:  # links are made for hits; building one needs no search code (mail imports this)
    from copilot.retrieval import SearchHit

# The help.article route's path (webapp/help.py); tests/webapp/test_urls.py holds them together.
ARTICLE_PATH = "/{lang}/articles/{article_id}"


def article_url(settings: Settings, lang: str, article_id: str, anchor: str = "") -> str:
    """The public address of an article (section): base URL, route path, anchor."""
    path = ARTICLE_PATH.format(lang=lang, article_id=article_id)
    return settings.base_url + path + (f"#{anchor}" if anchor else "")


# What `make run` serves on: the base of absolute links made outside a request when KB_BASE_URL is unset.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def absolute_base(settings: Settings) -> str:
    """The base of links that leave our pages (drafts, mails): KB_BASE_URL; else the host that serves
    this request; else (the worker, the CLI) where `make run` serves."""
    if settings.base_url.startswith(("http://", "https://")):
        return settings.base_url
    host = request.host_url.rstrip("/") if has_request_context() else DEFAULT_BASE_URL
    return host + settings.base_url  # a path-only KB_BASE_URL (/help behind a proxy) keeps its prefix


def absolute_url(settings: Settings, endpoint: str, **values: Any) -> str:
    """In a request: the absolute address of a page (canonical links, the sitemap), on `absolute_base`. The mount
    point Flask adds is dropped when `KB_BASE_URL` is set: it already holds it (a path-only `/help` behind a proxy)."""
    path = url_for(endpoint, **values)
    if not settings.base_url:  # no KB_BASE_URL: the host that serves this request, under its mount point
        return request.host_url.rstrip("/") + path
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    return absolute_base(settings) + path


def public_link(settings: Settings) -> Callable[[SearchHit], str]:
    """The `link` drafts and API answers cite public passages with (see copilot.drafts.ArticleLink):
    always absolute, so a customer who receives the text can click it."""
    absolute = replace(settings, base_url=absolute_base(settings))

    def link(hit: SearchHit) -> str:
        return article_url(absolute, hit.lang, hit.id, hit.anchor)

    return link


def hit_url(hit: SearchHit) -> str:
    """In a request: internal sections link to the agents-only article view, others to the public page."""
    if hit.internal:
        return url_for("agent.article", lang=hit.lang, article_id=hit.id, _anchor=hit.anchor or None)
    return article_url(state.settings(), hit.lang, hit.id, hit.anchor)
