"""A customer's visit: a random id and their recent searches and articles, kept in the signed
session cookie. It is what a ticket from the contact form carries, and nothing personal: no IP,
no user agent, only what the customer typed and opened on this site.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import session

KEEP = 10


def visit_id() -> str:
    if "visit" not in session:
        session["visit"] = secrets.token_urlsafe(12)
    return session["visit"]


def current_visit_id() -> str | None:
    """The visit id only when one exists: reading it must not start a session."""
    return session.get("visit")


def remember_search(query: str, lang: str, result_count: int) -> None:
    _push("searches", {"q": query[:200], "lang": lang, "results": result_count})


def remember_article(key: str, title: str) -> None:
    _push("viewed", {"key": key, "title": title[:200]})


def remember_category(slug: str) -> None:
    """The help-center category page the customer last opened: the contact form's default topic."""
    visit_id()
    session["category"] = slug[:100]


def last_category() -> str | None:
    return session.get("category")


def _push(kind: str, item: dict[str, Any]) -> None:
    visit_id()
    items = [i for i in session.get(kind, []) if i != item]
    session[kind] = [*items, item][-KEEP:]


def last_search(lang: str) -> str:
    for item in reversed(session.get("searches", [])):
        if item.get("lang") == lang:
            return str(item.get("q", ""))
    return ""


def context() -> dict[str, list[dict[str, Any]]]:
    return {"searches": list(session.get("searches", [])), "viewed": list(session.get("viewed", []))}
