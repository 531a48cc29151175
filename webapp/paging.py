"""?page=N on every paged list (the inbox, held mail, a report's page): one rule, one helper.

The rule, as GitHub's and Zendesk's APIs have it for a page number: `page` is a whole number from 1 (digits only;
absent or empty is 1). Anything else ("0", "-1", "abc", "1.5", "2e3") is a 400 naming `page`, JSON under /api/ and
the reader's page elsewhere (webapp/app.py's `http_error`): a link the site drew never carries one, so it is a typo or
a probe, and an empty page would hide that. A page past the last (a list that shrank since the link was drawn, or a
huge number) is not an error: the page shows the last page, saying which page was asked for, rather than an empty
list with a pager that points nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import urlencode

from flask import Response, request
from werkzeug.exceptions import BadRequest

from webapp import state
from webapp.urls import absolute_url

# Past this, an offset would overflow the database's integers (every engine): such a page is past any list's last.
MAX_PAGE = 1_000_000
DIGITS = re.compile(r"[0-9]+")
MAX_SHOWN_PAGE = 20  # characters of a refused or clamped value quoted back


class Counted(Protocol):
    @property
    def total(self) -> int: ...


Found = TypeVar("Found", bound=Counted)


class BadPageNumber(BadRequest):
    """`?page=` that is not a whole number from 1: a 400 naming the parameter (its description is the message)."""


@dataclass(frozen=True)
class Paging:
    number: int  # the page shown, from 1
    pages: int  # pages the list fills (at least 1, the empty list's)
    asked: str | None  # the page asked for when it was past the last (the page says so), else None


def page_count(total: int, size: int) -> int:
    """Pages of `size` rows that `total` rows fill: at least one, the empty list's."""
    return max(1, -(-total // size))


def page_arg() -> int:
    """?page= by the rule above: the number asked for (capped at MAX_PAGE + 1, past any list), or BadPageNumber."""
    raw = request.args.get("page", "")
    if raw == "":
        return 1
    number = raw.lstrip("0")
    if not DIGITS.fullmatch(raw) or not number:
        raise BadPageNumber(f"page: must be a whole number from 1, not {raw[:MAX_SHOWN_PAGE]!r}")
    return int(number) if len(number) <= len(str(MAX_PAGE)) else MAX_PAGE + 1


def paged(fetch: Callable[[int, int], Found], size: int) -> tuple[Found, Paging]:
    """The page ?page= asks for of a list `fetch(limit, offset)` reads (its answer has the list's `total`), clamped
    to the last page when past it: read again there, the asked number kept for the notice. On a POST a page number
    against the rule is the first page: every paged page a form posts to (the blocked senders, the organizations, a
    customer's profile and its fields) answers a refusal with the page again, and that page must keep what was typed
    and say why, not answer its URL's ?page= instead (a GET, which never carries a refused form, still says 400)."""
    try:
        asked = page_arg()
    except BadPageNumber:
        if request.method != "POST":
            raise
        asked = 1
    found = fetch(size, (min(asked, MAX_PAGE) - 1) * size)
    pages = page_count(found.total, size)
    if asked <= pages:
        return found, Paging(asked, pages, None)
    return fetch(size, (pages - 1) * size), Paging(pages, pages, request.args.get("page", "")[:MAX_SHOWN_PAGE])


__all__ = ["BadPageNumber", "Paging", "page_arg", "page_count", "paged"]



def next_page_url(endpoint: str, param: str, value: str | None) -> str | None:
    """An API list's next page (None: this is the last): the request's own parameters with `param` set to `value`
    (a cursor, a page number), as an absolute URL. The query's own parameters, not url_for's keywords: a client's
    `_scheme` or `_anchor` would be read as them."""
    if value is None:
        return None
    return absolute_url(state.settings(), endpoint) + "?" + urlencode(
        [*((k, v) for k, v in request.args.items(multi=True) if k != param), (param, value)])


def linked(response: Response, following: str | None) -> Response:
    """The list's answer with GitHub's `Link: <...>; rel="next"` header when there is a next page, for the clients
    that follow it rather than the body's `next_url`."""
    if following is not None:
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response
