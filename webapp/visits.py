"""A customer's visit: a random id and their recent searches and articles, kept in the signed
session cookie. It is what a ticket from the contact form carries, and nothing personal: no IP,
no user agent, only what the customer typed and opened on this site.

In the help widget (webapp.widget) the page is in another site's frame, where the browser may not send the session
cookie: the visit is then the one the widget's signed token carries (`g.widget_visit`), the session is never read
nor written, and the recent searches and articles are not kept (the widget's links carry the last search).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import g, session

KEEP = 10


def in_widget() -> bool:
    return g.get("widget_visit") is not None


def visit_id() -> str:
    if in_widget():
        return str(g.widget_visit)
    if "visit" not in session:
        session["visit"] = secrets.token_urlsafe(12)
    return session["visit"]


def current_visit_id() -> str | None:
    """The visit id only when one exists: reading it must not start a session."""
    if in_widget():
        return str(g.widget_visit)
    return session.get("visit")


def remember_search(query: str, lang: str, result_count: int) -> None:
    _push("searches", {"q": query[:200], "lang": lang, "results": result_count})


def remember_article(key: str, title: str) -> None:
    _push("viewed", {"key": key, "title": title[:200]})


def remember_category(slug: str) -> None:
    """The help-center category page the customer last opened: the contact form's default topic."""
    if in_widget():
        return
    visit_id()
    session["category"] = slug[:100]


def last_category() -> str | None:
    return None if in_widget() else session.get("category")


def _push(kind: str, item: dict[str, Any]) -> None:
    if in_widget():
        return
    visit_id()
    items = [i for i in session.get(kind, []) if i != item]
    session[kind] = [*items, item][-KEEP:]


def last_search(lang: str) -> str:
    if in_widget():
        return ""
    for item in reversed(session.get("searches", [])):
        if item.get("lang") == lang:
            return str(item.get("q", ""))
    return ""


def context() -> dict[str, list[dict[str, Any]]]:
    return {"searches": list(session.get("searches", [])), "viewed": list(session.get("viewed", []))}
