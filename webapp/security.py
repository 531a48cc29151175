"""The web app's guards, created once and bound to the app in `create_app`: CSRF on every form
(flask-wtf), rate limits (flask-limiter), agent sessions (flask-login), and the secret they share;
plus the checks every request path relies on: same-site redirects only, ids within what a
database can hold, cookies marked Secure on https.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Collection
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from flask import Flask, Response, abort, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import BadRequest, RequestURITooLarge
from werkzeug.routing import IntegerConverter

from desk.mail.attachments import Upload
from desk.tickets import MAX_ROW_ID
from kb.arabic import typed_digits
from kb.settings import stored_secret as stored_secret  # kept here for its importers: KB_SECRET_KEY's default
from kb.strict_json import StrictJSONError, shown_key, strict_fields, strict_loads

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
login_manager = LoginManager()

SEARCH_LIMIT = "120 per minute"  # as-you-type sends one request per pause in typing
# The results page runs a 50-result search per request; a person reads, pages and refines.
SEARCH_PAGE_LIMIT = "30 per minute"
CONTACT_LIMIT = "5 per minute; 30 per hour"
FEEDBACK_LIMIT = "30 per minute"
LOGIN_LIMIT = "10 per minute"
# The token API: per token (a partner help desk's traffic) and per IP (every attempt, any token).
API_TOKEN_LIMIT = "60 per minute"
API_SUGGEST_TOKEN_LIMIT = "30 per minute"  # each one runs the models and drafts an answer
API_IP_LIMIT = "120 per minute"
API_BAD_TOKEN_LIMIT = "10 per minute"  # counted only for answers 401: guessing tokens is slow work

# A remembered agent stays logged in this long without logging in again (flask-login's default is a year).
REMEMBER_FOR = timedelta(days=14)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# The largest integer any route's <int:...> accepts: the largest row id the desk's databases hold.
# Larger ones answer 404 like any id that names nothing, instead of overflowing in the driver.
MAX_URL_INT = MAX_ROW_ID


# The longest request line (method, URL, version) the app serves. gunicorn refuses a longer line than its
# limit_request_line itself, with a bare HTML 414 written before any app code runs (gunicorn's
# util.write_error: no setting or hook changes it), so an API client got HTML where every other error is
# JSON. `kb serve` raises gunicorn's limit to its ceiling (GUNICORN_REQUEST_LINE) and the app refuses at
# gunicorn's default, the length refused until now, naming the parameter to shorten (JSON under /api/).
# Only a line past the ceiling still meets gunicorn's own page.
MAX_REQUEST_LINE = 4094
GUNICORN_REQUEST_LINE = 8190


def refuse_long_request_lines() -> None:
    """before_request: a 414 that names the longest query parameter, before any view parses the URL."""
    environ = request.environ
    query = environ.get("QUERY_STRING", "")
    # The URL as sent (gunicorn's RAW_URI), or rebuilt from the WSGI path (latin-1 text of the raw bytes).
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1", "replace")
    rebuilt = len(quote(path, safe="/;:@&=+$,!~*'()")) + (len(query) + 1 if query else 0)
    sent = len(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    length = len(request.method) + max(sent, rebuilt) + len(" HTTP/1.1") + 1
    if length <= MAX_REQUEST_LINE:
        return
    longest = max(request.args.items(multi=True), key=lambda item: len(item[1]), default=None)
    what = f"parameter {longest[0]!r} has {len(longest[1])} characters" if longest else "the path is too long"
    raise RequestURITooLarge(f"the request line is {length} bytes, at most {MAX_REQUEST_LINE}: {what}; send less")


def refuse_nul_in_urls() -> None:
    """before_request: PostgreSQL refuses NUL in text, so a `%00` reaching a query was a 500 there. No page
    has a use for one: in the path it names nothing (404); in a parameter it is a 400 naming it."""
    if "\x00" in request.path:
        abort(404)
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise BadRequest(f"{name.replace(chr(0), '')}: contains a NUL character (%00)")


def form_number(value: str) -> int | None:
    """A row id posted or asked for as text (a ticket, an agent, a skill, a message seen), or None when it is none:
    not decimal digits, or past MAX_URL_INT. Arabic-Indic, Persian and full-width digits read as ASCII
    (kb.arabic.typed_digits: "١٢" is 12, as every ticket-number field reads them); other scripts' digits are none.
    `str.isdigit` also passed "²", and more digits than `int()` reads (4300): `int()` of either was a 500; and an id
    past a PostgreSQL INTEGER was one in the query."""
    value = typed_digits(value[:40])
    if not (value.isascii() and value.isdecimal()) or len(value) > len(str(MAX_URL_INT)):
        return None
    number = int(value)
    return number if number <= MAX_URL_INT else None


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route, capped at MAX_URL_INT unless the route sets its own max."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_URL_INT)
        super().__init__(map, *args, **kwargs)


class SessionCookieSecureOnHttps(SecureCookieSessionInterface):
    """The session cookie gets Secure whenever the request came over https (it is written after
    every after_request hook, so `secure_cookies_on_https` cannot reach it)."""

    def get_cookie_secure(self, app: Flask) -> bool:  # type: ignore[override]
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def cookie_settings(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.session_interface = SessionCookieSecureOnHttps()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=REMEMBER_FOR,
        # A form's CSRF token lasts as long as its session, not flask-wtf's default hour: a customer who
        # writes a long message, or an agent whose ticket page stays open all morning, must still send.
        # The token is still bound to the session's own random value, which is what stops a forged post.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.after_request(secure_cookies_on_https)


def secure_cookies_on_https(response: Response) -> Response:
    """Every cookie set over https gets Secure, so it is never sent back over plain http.

    Decided per request, not in configuration: the same app answers http on a laptop and https
    behind a proxy (which must pass X-Forwarded-Proto through ProxyFix for `is_secure` to know)."""
    if request.is_secure:
        cookies = response.headers.getlist("Set-Cookie")
        if cookies and any("; secure" not in c.lower() for c in cookies):
            response.headers.remove("Set-Cookie")
            for cookie in cookies:
                response.headers.add("Set-Cookie", cookie if "; secure" in cookie.lower() else cookie + "; Secure")
    return response


def safe_next(target: object) -> str | None:
    """`target` when it is a path on this site, else None: the login page's `next` must not be an
    open redirect. Browsers drop tabs and newlines, read `\\` as `/` and `//host` as another site,
    so anything with those (raw or percent-encoded, once or twice) is refused, as is any scheme. Not text (a JSON
    body's `"next": {}` at the passkey sign-in) is None too: it was a 500 after the agent was signed in."""
    if not isinstance(target, str) or not target or len(target) > 2000:
        return None
    for candidate in (target, unquote(target), unquote(unquote(target))):
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        if "\\" in candidate or any(unicodedata.category(c)[0] in "CZ" for c in candidate):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target


def presented_token() -> str:
    """The bearer token a request carries ("" when none), as given: checked by `token_required`."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_key() -> str:
    """Rate-limit key per presented token (hashed: limiter storage may be a shared Redis)."""
    token = presented_token()
    return "token:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32] if token else (
        "ip:" + (get_remote_address() or "")
    )


def refused(response: Response) -> bool:
    return response.status_code == 401


class SafeJSONProvider(DefaultJSONProvider):
    """JSON too deeply nested for the parser (`[[[[...`) is a ValueError like any other bad JSON,
    so `get_json` callers see "not JSON" (a 400), not a RecursionError (a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", s if isinstance(s, str) else "", 0) from None


class JSONBodyError(BadRequest):
    """A JSON body that is not the object a route takes; the description names the field. Answered as
    JSON wherever it is raised (the API, the pages' scripts), never as an HTML page."""


def json_object(expected: str, allowed: Collection[str] | None = None) -> dict[str, Any]:
    """The request's body as a JSON object, or a JSONBodyError (400) naming what is wrong.

    The one parser for every JSON post (the token API, the pages' scripts): a body that is not UTF-8 JSON
    or not an object, what kb.strict_json refuses (a duplicate key, a lone surrogate, NUL, NaN), too deep a
    nesting, or (with `allowed`) a field the route does not know. `expected` completes "send a JSON
    object with ..." for the client."""
    try:
        body = strict_loads(request.get_data(cache=True).decode("utf-8"))
    except StrictJSONError as exc:  # a duplicate key, a lone surrogate, NUL, NaN: named
        raise JSONBodyError(str(exc)) from None
    except ValueError:  # not UTF-8, not JSON, nested too deeply
        body = None
    if not isinstance(body, dict):
        raise JSONBodyError(f"send a JSON object with {expected}")
    if allowed is not None:
        _refuse_unknown(body, allowed)
    return body


def _refuse_unknown(names: Collection[str], allowed: Collection[str]) -> None:
    unknown = sorted(shown_key(name) for name in names if name not in allowed)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise JSONBodyError(f"{', '.join(unknown)}: unknown field{plural}; use {', '.join(sorted(allowed))}")


def is_multipart() -> bool:
    return request.mimetype == "multipart/form-data"


def multipart_parts() -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    """The multipart/form-data body's text fields and file parts as werkzeug's own parser reads them (not silent: a
    body that is not the multipart its header says is a JSONBodyError), once per request: the stream is read once,
    and both the route (`multipart_body`) and the Idempotency-Key's fingerprint read the parts."""
    parsed = g.get("multipart_parts")
    if parsed is None:
        parser = request.make_form_data_parser()
        parser.silent = False
        try:
            _, form, files = parser.parse(request.stream, request.mimetype, request.content_length,
                                          request.mimetype_params)
        except ValueError as exc:  # no boundary, cut short, not multipart at all
            raise JSONBodyError(f"the multipart/form-data body cannot be read: {exc}") from None
        parsed = g.multipart_parts = (form, files)
    return parsed


def multipart_body(allowed: Collection[str], files_field: str) -> tuple[dict[str, str], list[Upload]]:
    """A multipart/form-data post's text fields and its files (those sent as `files_field`, in order), or a
    JSONBodyError (400) naming what is wrong: a body that is not the multipart its header says (werkzeug's
    own parser, not silent), a field not in `allowed`, a text field given twice or holding a NUL (as
    `json_object` refuses them) or bytes that are not UTF-8, text sent as `files_field`, a file under another
    name or one without a filename (its type is read from the name's extension). The files' limits are the
    desk's (`clean_files`)."""
    form, files = multipart_parts()
    if None in form or None in files:  # werkzeug keys a part without a name as None: it was a 500 below
        raise JSONBodyError("a part has no name; send each as Content-Disposition: form-data; name=\"...\"")
    _refuse_unknown({*form, *files}, allowed)
    if files_field in form:
        raise JSONBodyError(f"{files_field}: send each file as a file part (with a filename), not as text")
    if misplaced := sorted(shown_key(name) for name in files if name != files_field):
        raise JSONBodyError(f"{', '.join(misplaced)}: a file; send files as {files_field} and this field as text")
    uploads = []
    for number, part in enumerate(files.getlist(files_field), 1):
        if not part.filename:
            raise JSONBodyError(f"{files_field}: file {number} has no filename (its type is read from the name)")
        uploads.append(Upload(part.filename, part.read()))
    try:
        fields = strict_fields(list(form.items(multi=True)))
    except StrictJSONError as exc:
        raise JSONBodyError(str(exc)) from None
    # werkzeug decodes a field's bytes that are not UTF-8 as U+FFFD: refused, never stored as "���".
    if undecoded := sorted(shown_key(name) for name, value in fields.items() if "\ufffd" in value):
        raise JSONBodyError(f"{', '.join(undecoded)}: not UTF-8 text; send the text fields in UTF-8")
    return fields, uploads


_JSON_TYPES = {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "an array", dict: "an object"}


def json_text(body: dict[str, Any], name: str) -> str | None:
    """`body[name]` when it is text, None when absent or null; any other type (0, false, [] included) is a
    JSONBodyError naming the field, never read as "not given"."""
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise JSONBodyError(f"{name}: must be text, not {_JSON_TYPES.get(type(value), type(value).__name__)}")


def signer(salt: str) -> URLSafeTimedSerializer:
    """The app's signer of links and tokens it hands out and reads back (the "My tickets" links, the widget's visit
    token, an agent's password link): the secret key, one `salt` per purpose so one kind is never read as another."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)
