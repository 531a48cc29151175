"""JSON API v1: search for any front end (the site's own as-you-type box, other help desks).

Everything under /api/ answers JSON, errors included (400/401/404/405/409/413/422/429/500/503 as
`{"error": "..."}` naming the field when one is wrong): a client parsing JSON never meets an HTML
page. The POSTs that write take an `Idempotency-Key` (webapp/idempotency.py). The contract is
`openapi.py`, served at /api/v1/openapi.json and checked by schemathesis.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, TypeGuard

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from copilot.drafts import ReplyContext
from copilot.head_queries import head_first
from copilot.result_floor import split_at_floor
from copilot.retrieval import QueryError
from copilot.suggestions import TicketTextError
from desk import customer_fields
from desk.audit import Actor
from desk.customers import SORTS, ErasedError, MergedAwayError
from desk.database import StorageUnavailableError
from desk.field_values import FieldsRefused
from desk.inbox import InboxQuery, TicketListQuery
from desk.mail.attachments import Upload
from desk.models import PRIORITIES, TICKET_STATUSES, Attachment, Message, Organization, Ticket, as_utc, utcnow
from desk.organizations import Organizations, tags_of
from desk.problems import kind_of
from desk.side_conversations import SideView
from desk.skills import names_of_many
from desk.ticket_fields import values_of, values_of_many
from desk.ticket_json import field_values_json as values_json
from desk.ticket_json import snoozed_until
from desk.ticket_json import ticket_json as api_ticket_json
from desk.ticket_patch import KEEP, ChangedMeanwhile, TicketPatch, patch_ticket
from desk.tickets import (
    MAX_ROW_ID,
    ClosedTicketError,
    CustomerReply,
    DuplicateTicketError,
    InputError,
    NewTicket,
    SentReply,
)
from desk.time_tracking import KEEP as KEEP_TIME
from desk.time_tracking import entry_json, time_spent_of_many
from desk.token_scopes import SCOPES, parse_scopes
from desk.translatable import N_
from indexer.health import health_report
from kb.customer_fields import CUSTOMER_PREFIX
from kb.strict_json import strict_loads
from kb.tag_rule import sought_tag
from kb.ticket_fields import FieldValueError, TicketField
from webapp import state, visits
from webapp.answers import card_decision, card_json
from webapp.audience import requester_audience
from webapp.help import (
    article_tags,
    complete_query,
    record,
    record_settled,
    run_search,
    ticket_categories,
    ticket_category,
    typed_reading,
)
from webapp.idempotency import answer_in, idempotent
from webapp.openapi import FILES_FIELD, MULTIPART, request_fields, with_categories, with_scopes
from webapp.paging import linked, next_page_url, paged

if TYPE_CHECKING:
    from desk.desk import Desk
from webapp.security import (
    API_BAD_TOKEN_LIMIT,
    API_IP_LIMIT,
    API_SUGGEST_TOKEN_LIMIT,
    API_TOKEN_LIMIT,
    SEARCH_LIMIT,
    is_multipart,
    json_object,
    json_text,
    limiter,
    multipart_body,
    presented_token,
    refused,
    token_key,
)
from webapp.urls import hit_url, public_link

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_LIMIT = 50
CUSTOMER_PAGE = 25  # customers a page of GET /api/v1/customers, as the agents' list


def error(message: str, status: int = 400):  # type: ignore[no-untyped-def]
    return jsonify({"error": message}), status


def query_lang() -> tuple[str | None, str | None]:
    """`lang` when it is one of the site's languages (None: detect it), else the problem naming it."""
    lang = request.args.get("lang") or None
    languages = state.settings().languages
    if lang is not None and lang not in languages:
        return None, f"lang: unknown language {lang!r}; use one of {', '.join(languages)}"
    return lang, None


def query_verbatim() -> tuple[bool, str | None]:
    """`verbatim=1`: search the query as typed, never as the other keyboard layout's reading; else the problem."""
    verbatim = request.args.get("verbatim", "0")
    if verbatim not in ("0", "1"):
        return False, f"verbatim: must be 1 (search the query as typed) or 0, not {verbatim!r}"
    return verbatim == "1", None


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def too_large() -> tuple[str, int]:
    """A 413's message and the limit it broke, in bytes: the whole body's (`request.max_content_length`: 1 MiB, a
    multipart post with files more, webapp.attachments.upload_limit), or, within it, one multipart text field's
    (`request.max_form_memory_size`: werkzeug's parser does not say which field, so none is named)."""
    limit, length = request.max_content_length, request.content_length
    if limit is not None and (length is None or length > limit):
        sent = f"{length:,} bytes" if length is not None else "a body of no stated length"
        return f"the request body is too large: {sent}; the limit is {limit:,} bytes", limit
    part = request.max_form_memory_size or 0
    return (f"a form field is too large: the limit is {part:,} bytes for each text field (a file goes as "
            "attachments[])", part)


def path_matches(methods: Iterable[str]) -> bool:
    """Whether some route takes the request's path with one of `methods`: werkzeug's state-machine matcher answers a
    405 for a PATCH to /api/v1/tickets/<an id past MAX_URL_INT> (listing GET as allowed) where a GET of it is a 404,
    since no rule takes that path at all."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods:
        try:
            adapter.match(request.path, method=method)
        except HTTPException:
            continue
        return True
    return False


def json_http_error(exc: HTTPException) -> Response:
    """A werkzeug HTTP error as the API's JSON, keeping headers that tell the client what to do. A 413 names the
    limit, in the message and as `limit_bytes`, on every route (the API's and a script's post to a form alike)."""
    code = exc.code or 500
    extra: dict[str, object] = {}
    if isinstance(exc, MethodNotAllowed) and not path_matches(exc.valid_methods or []):
        exc = NotFound()  # werkzeug's matcher said 405 for a path no rule takes (a PATCH to /tickets/<id past any>)
        code = 404
    if code == 413:
        message, extra["limit_bytes"] = too_large()
    else:
        message = {
            404: f"not found: {request.path}",
            405: f"method {request.method} is not allowed here",
        }.get(code, exc.description or exc.name)
    response = jsonify({"error": message, **extra})
    response.status_code = code
    for name, value in exc.get_headers():
        if name.lower() in ("allow", "retry-after", "www-authenticate"):
            response.headers[name] = value
    return response


def json_unavailable(exc: StorageUnavailableError) -> Response:
    response = jsonify({"error": f"{exc}; nothing was stored, send it again later"})
    response.status_code = 503
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3 description (what partners generate clients from, and schemathesis tests), with this
    help center's categories."""
    return jsonify(with_scopes(with_categories(ticket_categories()), route_scopes()))


def route_scopes() -> dict[tuple[str, str], str]:
    """Each token route's scope (its `token_required(scope)`), keyed by its OpenAPI path and lower-case method: the
    served document's `x-scopes`, and what the URL-map walk test checks."""
    found = {}
    for rule in current_app.url_map.iter_rules():
        scope = getattr(current_app.view_functions[rule.endpoint], "token_scope", None)
        if scope is not None:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    found[(path, method.lower())] = scope
    return found


@bp.get("/search")
@limiter.limit(SEARCH_LIMIT)
def search():
    """`q` (required), `lang` (en|ar, detected when absent), `limit` (1-50, default 10), `category`.

    `complete=1` completes the query's last, half-typed word against the index's words first
    (`"refu"` searches `"refund"`) and answers it as `completed_query`.

    A query typed with the wrong keyboard layout ("hgfhs,v]") is searched as the other layout's (الباسورد):
    `query` is then what was searched and `typed_query` what was typed (null when searched as typed); with
    `complete=1` the reading is also `completed_query`. `verbatim=1` searches the query as typed.

    The site's own search box adds `src=instant` (or `src=contact`): those searches are recorded
    for the content team with the visit's random id, and the answer carries `search_id` so a click
    on a result can be tied to it.
    """
    raw_limit = request.args.get("limit", "10")
    try:
        limit = int(raw_limit)
    except ValueError:
        return error(f"limit: must be a whole number from 1 to {MAX_LIMIT}, not {raw_limit!r}")
    if not 1 <= limit <= MAX_LIMIT:
        return error(f"limit: must be a whole number from 1 to {MAX_LIMIT}")
    lang, problem = query_lang()
    if problem is not None:
        return error(problem)
    category = request.args.get("category") or None
    verbatim, problem = query_verbatim()
    if problem is not None:
        return error(problem)
    query, completed, typed = request.args.get("q", ""), None, None
    if request.args.get("complete") == "1":  # as-you-type: the other layout's reading, the half-typed word finished
        if verbatim:
            searched = complete_query(query, lang or "") or query
        else:
            searched, typed = typed_reading(query, lang or "")
        query, completed = searched, searched if searched != query else None
    try:  # as the site's pages search (KB_CLICK_FEEDBACK's clicks included)
        result = run_search(query, lang, category or "", verbatim, typed, limit)
    except QueryError as exc:
        return error(f"q: {exc}")
    body = result.as_json(hit_url)
    if request.args.get("complete") == "1":  # the site's box: the order its results page will show
        shown, more = split_at_floor(result.results)
        body["results"] = [hit.as_json(hit_url) for hit in head_first(shown, result.query, article_tags) + more]
        if completed is not None:
            body["completed_query"] = completed
    source = request.args.get("src")
    if source == "instant":  # a settled search: recorded with its shadow log, as the help center's own
        body["search_id"] = record_settled(result, [] if result.abstained else list(result.results), source)
    elif source == "contact":
        hits = [] if result.abstained else result.results
        body["search_id"] = record(
            state.desk().events.search, result.query, result.lang, len(hits), result.abstained,
            fallback=any(h.locale_fallback for h in hits), visit_id=visits.visit_id(), source=source,
            typed_query=result.typed_query,
        )
    return jsonify(body)


@bp.get("/answer")
@limiter.limit(SEARCH_LIMIT)
def answer():
    """`q` (required), `lang` (en|ar, detected when absent): the answer card for a settled question.

    `{"answer": null | {title, section, text, steps?, url, lang, article, anchor, generated_by, ...},
    "reason": ...}`: null with the reason (abstained, not_a_question, split, ...) when no section
    clearly answers. For chat widgets and apps; it records nothing (the vote is the site's POST).

    A question typed with the wrong keyboard layout is answered as the other layout's reading, as /search does:
    `typed_query` is then what was typed (null when answered as typed), and `verbatim=1` answers it as typed.
    """
    lang, problem = query_lang()
    if problem is None:
        verbatim, problem = query_verbatim()
    if problem is not None:
        return error(problem)
    try:
        result = state.engine().retriever.search(
            request.args.get("q", ""), lang=lang, limit=10, audience=requester_audience(), verbatim=verbatim
        )
    except QueryError as exc:
        return error(f"q: {exc}")
    return jsonify({**card_json(card_decision(result)), "typed_query": result.typed_query})


def _token_refusal(message: str, status: int, challenge: str, **extra: object) -> tuple[Response, int]:
    response = jsonify({"error": message, **extra})
    response.headers["WWW-Authenticate"] = challenge
    return response, status


def _guard(scope: str, view, allow_agent: bool):  # type: ignore[no-untyped-def]
    """The view behind the token check: a working token holding `scope` (or, `allow_agent`, an agent's session)."""

    @wraps(view)
    def guarded(*args, **kwargs):  # type: ignore[no-untyped-def]
        if allow_agent and current_user.is_authenticated:
            return view(*args, **kwargs)
        token = presented_token()
        found = state.desk().accounts.lookup_token(token) if token else None
        if found is None:
            return _token_refusal("a valid API token is required: Authorization: Bearer TOKEN", 401, "Bearer")
        if found.expired(utcnow()):  # RFC 6750 §3.1: invalid_token, saying why
            expired = as_utc(found.expires_at).isoformat(timespec="seconds")  # type: ignore[arg-type]
            return _token_refusal(
                f"this API token expired at {expired}; an admin creates a new one", 401,
                f'Bearer error="invalid_token", error_description="the token expired at {expired}"', expired_at=expired)
        if scope not in parse_scopes(found.scopes):  # RFC 6750 §3.1: insufficient_scope, naming the one needed
            return _token_refusal(
                f"this API token lacks the scope {scope}, which {request.method} {request.path} needs; an admin "
                "creates a token with it", 403, f'Bearer error="insufficient_scope", scope="{scope}"', scope=scope)
        g.api_token_id = found.id  # whose Idempotency-Key it is
        return view(*args, **kwargs)

    guarded.token_scope = scope  # type: ignore[attr-defined]  # the URL-map walk, the OpenAPI's x-scopes, the README
    return guarded


def token_required(scope: str):  # type: ignore[no-untyped-def]
    """Bearer-token auth for other help desks, the token holding `scope` (desk.token_scopes; one per route, named
    where the route is: a route cannot take a token without deciding which). The token's owner is not a browser, so
    no CSRF. No token, an unknown or a revoked one is a 401; an expired one a 401 saying so; one without the scope a
    403 naming it (RFC 6750 §3.1's `WWW-Authenticate` errors)."""
    if scope not in SCOPES:  # `@token_required` without its scope, or a typo: refused at import, not served open
        raise ValueError(f"token_required: {scope!r} is not a scope (desk.token_scopes.SCOPES)")
    return lambda view: _guard(scope, view, allow_agent=False)


def token_or_agent_required(scope: str):  # type: ignore[no-untyped-def]
    """For operators' read-only endpoints: a logged-in agent's browser, or an API token holding `scope`."""
    if scope not in SCOPES:
        raise ValueError(f"token_or_agent_required: {scope!r} is not a scope (desk.token_scopes.SCOPES)")
    return lambda view: _guard(scope, view, allow_agent=True)


@bp.post("/tickets")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
@idempotent
def create_ticket():
    """Create a ticket: `email`, `subject`, `body` required; `name`, `lang`, `priority`, `external_id`, `category`
    (one of the help center's categories, else refused naming it).

    As a JSON object, or as multipart/form-data with the same fields and the customer's files as
    `attachments[]` (an agent's limits and types; one refused, and nothing is stored); with files, `body` may be
    left out (files alone are a message). With an Idempotency-Key, the answer is stored with the ticket, in its
    transaction."""
    files: list[Upload] = []
    files_posted = is_multipart()
    if files_posted:
        body, files = multipart_body(request_fields("/api/v1/tickets", MULTIPART), FILES_FIELD)
    else:
        body = json_object("email, subject and body", request_fields("/api/v1/tickets"))
    text = {name: json_text(body, name) for name in ("email", "subject", "body", "name", "lang", "priority",
                                                     "external_id", "category")}
    desk = state.desk()
    raw_fields: object = body.get("fields")
    if isinstance(raw_fields, str) and files_posted:  # a multipart form's `fields` part holds the JSON object
        try:
            raw_fields = strict_loads(raw_fields) if raw_fields.strip() else None
        except ValueError as exc:
            return error(f"fields: not a JSON object ({exc})")
    if raw_fields is not None and not field_object(raw_fields):
        return error("fields: an object of field keys and values (a string, number, true/false or null)")
    try:
        ticket, attached = desk.tickets.create_with_files(
            NewTicket(
                email=text["email"] or "",
                name=text["name"] or "",
                subject=text["subject"] or "",
                body=text["body"] or "",
                lang=text["lang"] or None,  # absent, null or "": detected from the text
                priority=text["priority"] if text["priority"] is not None else "normal",
                channel="api",
                external_id=text["external_id"] or None,
                category=ticket_category(text["category"]),  # routing's `category` rules match it
                fields=raw_fields or None,  # type: ignore[arg-type]
            ),
            files,
            answer=answer_in(201, lambda created: ticket_json(*created)),
        )
    except DuplicateTicketError as exc:
        return error(str(exc), 409)
    except InputError as exc:
        return input_error(exc)
    return jsonify(ticket_json(ticket, attached)), 201


def ticket_json(ticket: Ticket, attached: list[Attachment]) -> dict[str, object]:
    return {"id": ticket.id, "reference": ticket.reference, "lang": ticket.lang, "status": ticket.status,
            "team": state.desk().hours.team_key(ticket.team), "category": ticket.category,
            "snoozed_until": snoozed_until(ticket),
            "attachments": stored_files(attached)}


# The desk's names for what the API's bodies call otherwise: its "files" are attachments[], a customer
# message's text ("message" on the ticket page's form) is `body`.
API_FIELDS = {"files": FILES_FIELD, "message": "body"}


def input_error(exc: InputError):  # type: ignore[no-untyped-def]
    """The desk's refusal as the API's 400, naming the field as the request did."""
    field = API_FIELDS.get(exc.field)
    return error(f"{field}: {exc.problem}" if field else str(exc))


def stored_files(attached: list[Attachment]) -> list[dict[str, object]]:
    """Files as the API answers them (`STORED_FILE`); only kept ones (a mailed file not kept has no bytes)."""
    return [{"id": a.id, "filename": a.filename, "size": a.size, "content_type": a.content_type}
            for a in attached if a.path]


def message_json(message: Message, attached: list[Attachment]) -> dict[str, object]:
    return {"id": message.id, "author": message.author, "body": message.body, "signature": message.signature,
            "created_at": as_utc(message.created_at).isoformat(), "attachments": stored_files(attached)}


def no_ticket(ticket_id: int):  # type: ignore[no-untyped-def]
    return error(f"ticket: no ticket {ticket_id}", 404)


def organization_of(desk: Desk, customer_id: int) -> int | None:
    """The customer's organization id now (desk.organizations), for one ticket's answer."""
    with desk.db.session() as session:
        return Organizations.of_customers(session, [customer_id]).get(customer_id)


def ticket_fields(ticket: Ticket, values: dict[str, str] | None = None, desk: Desk | None = None,
                  organization: object = KEEP, time_spent: int | None = None,
                  skills: list[str] | None = None) -> dict[str, object]:
    """A ticket as both ticket answers give it, without its messages (desk.ticket_json, which the outbound webhooks'
    `data.ticket` is too): GET /tickets/<id>'s (which adds them and its follow-up links), each item of GET /tickets,
    PATCH's answer. `ticket.tags` loaded; `values` its custom fields', `time_spent` its time entries' seconds and
    `skills` its required skills' names (read now when not given)."""
    desk = desk if desk is not None else state.desk()
    found = organization if organization is not KEEP else organization_of(desk, ticket.customer_id)
    if time_spent is None or skills is None:
        with desk.db.session() as session:
            if time_spent is None:
                time_spent = time_spent_of_many(session, [ticket.id]).get(ticket.id, 0)
            if skills is None:
                skills = names_of_many(session, [ticket.id]).get(ticket.id, [])
    return api_ticket_json(ticket, desk.hours, desk.fields, found,  # type: ignore[arg-type]
                       values if values is not None else values_of(desk.db, ticket), time_spent, skills)


def field_values_json(values: dict[str, str], desk: Desk | None = None) -> dict[str, object]:
    """Stored values as JSON (desk.ticket_json): a checkbox's as true/false, a number's as its decimal text."""
    return values_json(values, (desk if desk is not None else state.desk()).fields)


def field_filters(prefix: str = "field.") -> tuple[tuple[str, str], ...]:
    """`field.<key>=<value>` parameters (with `prefix` "customer.", the customer fields' `customer.<key>=`), each
    key a field of its file and each value normalised as stored; else a ListError naming the parameter."""
    customer = prefix == CUSTOMER_PREFIX
    fields = state.desk().customer_fields if customer else state.desk().fields
    found = []
    for name, value in request.args.items(multi=True):
        if not name.startswith(prefix):
            continue
        key = name.removeprefix(prefix)
        field = fields.get(key)
        if field is None:
            raise ListError(f"{name[:50]}: no {'customer' if customer else 'ticket'} field {key[:40]!r}; the fields "
                            f"are {', '.join(fields.keys) or '-'}")
        try:
            normal = field.normalise(value)
        except FieldValueError as exc:
            raise ListError(f"{name}: {exc.reason}, not {value[:40]!r}") from None
        if normal is None:
            raise ListError(f"{name}: a value to match")
        found.append((key, normal))
    return tuple(found)


def etag(ticket: Ticket) -> str:
    """The ticket's version for If-Match: its updated time to the microsecond (every change stamps it)."""
    moment = as_utc(ticket.updated_at)
    return f"{ticket.id}-{int(moment.timestamp())}{moment.microsecond:06d}"


def versioned(response: Response, ticket: Ticket) -> Response:
    response.set_etag(etag(ticket))
    response.last_modified = as_utc(ticket.updated_at)
    return response


@bp.get("/tickets/<int:ticket_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:read")
def get_ticket(ticket_id: int):
    """The ticket as its customer sees it: status and the public thread (never an internal note), each message
    with the ids of its kept files, and the follow-up links its page shows; its version as `ETag` and
    `Last-Modified` (a PATCH's If-Match / If-Unmodified-Since); its customer's `customer_fields` with
    `include=customer_fields`, as the list's items. Reads only."""
    try:
        include = _includes()
    except ListError as exc:
        return error(str(exc))
    desk = state.desk()
    found = desk.tickets.get(ticket_id)
    if found is None:
        return no_ticket(ticket_id)
    files = desk.attachments.by_message(ticket_id, public=True)
    links = desk.tickets.follow_up_links(found)
    extra = {"customer_fields": values_json(customer_fields.values_of(desk.db, found.customer_id),
                                            desk.customer_fields)} if "customer_fields" in include else {}
    return versioned(jsonify({
        **ticket_fields(found), **extra,
        "follow_up_of": links.of.id if links.of is not None else None, "follow_ups": [t.id for t in links.later],
        "messages": [message_json(m, files.get(m.id, [])) for m in found.messages if not m.internal],
    }), found)


@bp.get("/tickets/<int:ticket_id>/incidents")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:read")
def ticket_incidents(ticket_id: int):
    """A problem ticket's incidents (desk.problems), oldest first: empty for a ticket that is no problem. Reads only."""
    desk = state.desk()
    found = desk.tickets.get(ticket_id)
    if found is None:
        return no_ticket(ticket_id)
    return jsonify({
        "problem": found.id, "kind": kind_of(found),
        "incidents": [{"id": i.id, "subject": i.subject, "lang": i.lang, "status": i.status, "customer": i.customer,
                       "merged": i.merged} for i in desk.problems.incidents(found.id)],
    })


LIST_LIMIT = 100  # tickets a page of GET /api/v1/tickets at most (Zendesk's and GitHub's cap); 25 by default
LIST_PAGE = 25
LIST_SORTS = ("updated", "created")
FIELD_SORTS = ("field.<key>", "customer.<key>")  # by a ticket field's value, by its customer's (desk.inbox)
DIRECTIONS = ("desc", "asc")
INCLUDES = ("customer_fields",)  # what `include=` sideloads on each item (Zendesk's `include=`)


class ListError(ValueError):
    """A refused query parameter of GET /tickets, its message naming it."""


def _list_id(name: str, value: str) -> int:
    if not value.isdecimal() or not 0 < int(value) <= MAX_ROW_ID:
        raise ListError(f"{name}: must be an id (a whole number from 1), not {value[:40]!r}")
    return int(value)


def _choice(name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    value = request.args.get(name) or default
    if value is not None and value not in allowed:
        raise ListError(f"{name}: must be one of {', '.join(allowed)}, not {value[:40]!r}")
    return value


def _aware_time(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ListError(f"{name}: {value[:40]!r} is not an ISO 8601 date and time (e.g. 2026-12-05T14:30:00+00:00)"
                        ) from None
    if moment.tzinfo is None:
        raise ListError(f"{name}: {value[:40]!r} has no UTC offset (whose time is it?): add one, e.g. +00:00 or Z")
    try:
        return as_utc(moment)
    except OverflowError:
        raise ListError(f"{name}: {value[:40]!r} is out of the calendar's range") from None


def _filters_key() -> str:
    """What a cursor is bound to: the query's filters and order (not `cursor`, `limit` nor `include`, which choose
    no ticket), so a cursor sent with other filters is refused rather than answering a page of another list."""
    args = sorted((k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "limit", "include"))
    return hashlib.sha256(json.dumps(args).encode()).hexdigest()[:12]


def _sort_field(sort: str) -> TicketField | None:
    """The field a `field.<key>` / `customer.<key>` sort orders by, or a ListError naming `sort` (a key its file
    lacks); None for a time sort."""
    if sort in LIST_SORTS:
        return None
    desk = state.desk()
    for prefix, fields, noun in (("field.", desk.fields, "ticket"), (CUSTOMER_PREFIX, desk.customer_fields,
                                                                      "customer")):
        if sort.startswith(prefix):
            key = sort.removeprefix(prefix)
            found = fields.get(key)
            if found is None:
                raise ListError(f"sort: no {noun} field {key[:40]!r}; the sorts are "
                                f"{', '.join((*LIST_SORTS, *FIELD_SORTS))}")
            return found
    raise ListError(f"sort: must be one of {', '.join((*LIST_SORTS, *FIELD_SORTS))}, not {sort[:40]!r}")


def _sort() -> str:
    """`sort`: updated (the default), created, `field.<key>` or `customer.<key>` (a field of its file), else a
    ListError naming it."""
    sort = request.args.get("sort") or "updated"
    _sort_field(sort)
    return sort


def _cursor(last: tuple[datetime | str | None, int], sort: str) -> str:
    """The next page's cursor: the last ticket's sort key (its time; a field sort's stored value or null) and id,
    bound to the query's filters."""
    key, ticket_id = last
    raw = json.dumps([_filters_key(), as_utc(key).isoformat() if isinstance(key, datetime) else key, ticket_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(value: str, sort: str) -> tuple[datetime | str | None, int]:
    refused = ListError("cursor: not a cursor of this list (send back `next_cursor` with the same filters and order)")
    try:
        key, moment, last = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        when = datetime.fromisoformat(moment) if sort in LIST_SORTS else None
    except (ValueError, TypeError, RecursionError, binascii.Error, UnicodeDecodeError):
        raise refused from None
    # The id is bound like any id (a huge one overflowed the database's integer: a 500); the time must have an
    # offset and convert to UTC (year 1 at +14:00 does not); a field's value is text (NUL-free: PostgreSQL's) or null.
    if (key != _filters_key() or isinstance(last, bool) or not isinstance(last, int) or not 0 <= last <= MAX_ROW_ID
            or (when is not None and when.tzinfo is None)):
        raise refused
    if when is None:  # a field's value as stored (normalised: a number's a number, which PostgreSQL casts)
        field = _sort_field(sort)
        if moment is not None and (field is None or not isinstance(moment, str) or len(moment) > 1000
                                   or _normal(field, moment) != moment):
            raise refused
        return moment, last
    try:
        return as_utc(when), last
    except OverflowError:
        raise refused from None


def _normal(field: TicketField, value: str) -> str | None:
    """`value` as `field` stores it, None when it is none."""
    try:
        return field.normalise(value)
    except FieldValueError:
        return None


def _skill(name: str) -> int | None:
    """`skill`: a skill's name as a ticket's `skills` carry it (folded: "vip" is "VIP"), or a ListError naming it
    (a typo would otherwise read as "no ticket requires it"); blank for none."""
    if not name.strip():
        return None
    found = state.desk().skills.named(name[:200])
    if found is None:
        raise ListError(f"skill: no skill {name[:40]!r} (a skill's name, as a ticket's `skills` give it)")
    return found


def list_query() -> tuple[TicketListQuery, int]:
    """GET /tickets's parameters read, or a ListError naming the first bad one."""
    raw_limit = request.args.get("limit", str(LIST_PAGE))
    if not raw_limit.isdecimal() or not 1 <= int(raw_limit) <= LIST_LIMIT:
        raise ListError(f"limit: must be a whole number from 1 to {LIST_LIMIT}, not {raw_limit[:40]!r}")
    status = _choice("status", TICKET_STATUSES)
    lang = _choice("lang", state.settings().languages)
    sort = _sort()
    # A time newest first (a sync's latest changes), a field's value smallest first (as the inbox sorts it).
    direction = _choice("direction", DIRECTIONS, "desc" if sort in LIST_SORTS else "asc")
    assignee, unassigned = request.args.get("assignee"), False
    assignee_id = None
    if assignee == "none":
        unassigned = True
    elif assignee:
        assignee_id = _list_id("assignee", assignee)
    customer = request.args.get("customer")
    customer_id = _list_id("customer", customer) if customer else None
    if customer_id is not None:  # a merged customer's tickets moved to the one kept (desk.customers)
        found = state.desk().customers.get(customer_id)
        if found is not None and found.merged_into_id is not None:
            customer_id = found.merged_into_id
    since = request.args.get("updated_since")
    cursor = request.args.get("cursor")
    organization = request.args.get("organization")
    filters = InboxQuery(
        view="all", status=status, lang=lang, team=(request.args.get("team") or "").strip()[:40] or None,
        tag=sought_tag((request.args.get("tag") or "")[:200]) or None, q=(request.args.get("q") or "")[:200],
        fields=field_filters(), customer_fields=field_filters(CUSTOMER_PREFIX),
        organization=_list_id("organization", organization) if organization else None,
        skill=_skill(request.args.get("skill", "")),
    )
    return TicketListQuery(
        filters=filters, assignee=assignee_id, unassigned=unassigned, customer=customer_id,
        updated_since=_aware_time("updated_since", since) if since else None, sort=sort,
        descending=direction == "desc", after=_after(cursor, sort) if cursor else None,
    ), int(raw_limit)


@bp.get("/tickets")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:read")
def list_tickets():
    """Tickets filtered by the inbox's own clauses (desk.inbox: `status`, `team`, `tag`, `lang`, `q`, `organization`,
    `skill`, `field.<key>`, `customer.<key>`; view "all") and `assignee` (an id or `none`), `customer`,
    `updated_since`; sorted by `sort` (updated, the default, created, or a field's value: `field.<key>`,
    `customer.<key>`) in `direction` (desc, a time's default; asc, a field's); `limit` (1-100, 25) a page, paged by
    `cursor` (the answer's `next_cursor`, or follow `next_url` / the `Link` header: keyset, see Inbox.listing), with
    the `total` the filters find. Each ticket as GET /tickets/<id> without its messages, plus its customer's
    `customer_fields` with `include=customer_fields`. Reads only."""
    try:
        query, limit = list_query()
        include = _includes()
    except ListError as exc:
        return error(str(exc))
    desk = state.desk()
    found = desk.inbox.listing(query, limit)
    tickets = found.tickets
    with desk.db.session() as session:
        values = values_of_many(session, [t.id for t in tickets])
        organizations = Organizations.of_customers(session, [t.customer_id for t in tickets])
        spent = time_spent_of_many(session, [t.id for t in tickets])
        skills = names_of_many(session, [t.id for t in tickets])
        of_customers = customer_fields.values_of_many(session, {t.customer_id for t in tickets}) \
            if "customer_fields" in include else {}
    items = [ticket_fields(t, values.get(t.id, {}), organization=organizations.get(t.customer_id),
                           time_spent=spent.get(t.id, 0), skills=skills.get(t.id, [])) for t in tickets]
    if "customer_fields" in include:  # as GET /customers/<id>'s `fields`
        for item, t in zip(items, tickets, strict=True):
            item["customer_fields"] = values_json(of_customers.get(t.customer_id, {}), desk.customer_fields)
    cursor = _cursor(found.last, query.sort) if found.more and found.last is not None else None
    following = next_page_url("api.list_tickets", "cursor", cursor)
    return linked(jsonify({"tickets": items, "total": found.total, "next_cursor": cursor, "next_url": following}),
                  following)


def _includes() -> frozenset[str]:
    """`include`: what to sideload on each item, comma-separated (INCLUDES), else a ListError naming it."""
    wanted = frozenset(part.strip() for value in request.args.getlist("include") for part in value.split(",")
                       if part.strip())
    for part in sorted(wanted):
        if part not in INCLUDES:
            raise ListError(f"include: must be one of {', '.join(INCLUDES)}, not {part[:40]!r}")
    return wanted


PATCH_PATH = "/api/v1/tickets/{ticket_id}"


def _tag_list(body: dict[str, object], name: str) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListError(f"{name}: must be a list of tags (strings)")
    return tuple(value)


def ticket_patch(body: dict[str, object]) -> TicketPatch:
    """The PATCH body as a TicketPatch, or a ListError naming the field and what it may be."""
    for name, allowed in (("status", TICKET_STATUSES), ("priority", PRIORITIES)):
        value = body.get(name)
        if value is not None and value not in allowed:
            raise ListError(f"{name}: must be one of {', '.join(allowed)}, not {json.dumps(value)[:40]}")
    teams = tuple(state.desk().hours.teams)
    team = body.get("team")
    if team is not None and team not in teams:
        raise ListError(f"team: must be one of {', '.join(teams)}, not {json.dumps(team)[:40]}")
    assignee: object = KEEP
    if "assignee" in body:
        assignee = body["assignee"]
        if assignee is not None and (isinstance(assignee, bool) or not isinstance(assignee, int)
                                     or not 0 < assignee <= MAX_ROW_ID):
            raise ListError("assignee: an agent's id (a whole number), or null to unassign")
    due: object = KEEP
    if "due_at" in body:
        due = body["due_at"]
        if due is not None:
            if not isinstance(due, str):
                raise ListError("due_at: an ISO 8601 date and time with its UTC offset, or null to clear it")
            due = _aware_time("due_at", due)
    tags, add, remove = (_tag_list(body, name) for name in ("tags", "add_tags", "remove_tags"))
    if tags is not None and (add or remove):
        raise ListError("tags: sets the whole list; send it alone, or add_tags / remove_tags to change some")
    ccs, add_ccs, remove_ccs = (_address_list(body, name) for name in ("ccs", "add_ccs", "remove_ccs"))
    if ccs is not None and (add_ccs or remove_ccs):
        raise ListError("ccs: sets the whole list; send it alone, or add_ccs / remove_ccs to change some")
    fields = body.get("fields")
    if fields is not None and not field_object(fields):
        raise ListError("fields: an object of field keys and values (a string, number, true/false, or null to clear)")
    kind: object = KEEP
    if "kind" in body:
        kind = body["kind"]
        if kind not in ("problem", None):
            raise ListError(f"kind: \"problem\", or null for a plain ticket (an incident is a ticket with a "
                            f"problem_id), not {json.dumps(kind)[:40]}")
    problem: object = KEEP
    if "problem_id" in body:
        problem = body["problem_id"]
        if problem is not None and (isinstance(problem, bool) or not isinstance(problem, int)
                                    or not 0 < problem <= MAX_ROW_ID):
            raise ListError("problem_id: a problem ticket's id (a whole number), or null to unlink")
    if kind == "problem" and problem not in (KEEP, None):
        raise ListError("problem_id: a problem is not an incident; send kind \"problem\" or a problem_id, not both")
    skills = body.get("skills")
    if skills is not None and (not isinstance(skills, list) or not all(isinstance(v, str) for v in skills)):
        raise ListError("skills: must be a list of skill names (strings), the whole set; [] requires none")
    return TicketPatch(status=body.get("status"), priority=body.get("priority"),  # type: ignore[arg-type]
                       assignee=assignee, team=team, due=due, tags=tags,  # type: ignore[arg-type]
                       add_tags=add or (), remove_tags=remove or (), ccs=ccs, add_ccs=add_ccs or (),
                       remove_ccs=remove_ccs or (), fields=fields or None, kind=kind, problem_id=problem,
                       skills=tuple(skills) if skills is not None else None)


def _address_list(body: dict[str, object], name: str) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListError(f"{name}: must be a list of email addresses (strings)")
    return tuple(value)


def unchanged_since_read(ticket: Ticket) -> bool:
    """The request's If-Match (the GET's ETag, or *) and If-Unmodified-Since (to the second, as HTTP dates go) hold
    for the ticket as now stored; true without either (the last write wins)."""
    if request.if_match and not request.if_match.contains(etag(ticket)) and not request.if_match.star_tag:
        return False
    since = request.if_unmodified_since
    return since is None or as_utc(ticket.updated_at).replace(microsecond=0) <= since


@bp.patch("/tickets/<int:ticket_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
@idempotent
def update_ticket(ticket_id: int):
    """Change any of `status`, `priority`, `assignee`, `team`, `due_at`, `tags` (the whole set) or `add_tags` /
    `remove_tags`, `ccs` (the whole list of addresses) or `add_ccs` / `remove_ccs`, `skills` (the whole set of
    required skills, by name), all in one transaction through
    the ticket page's own helpers (desk.ticket_patch); the audit log
    names the token. A bad field is a 400 naming it (nothing written); a closed ticket a 409; If-Match /
    If-Unmodified-Since that no longer hold a 412. Answers the ticket as GET /tickets lists it, with its new ETag."""
    body = json_object("the fields to change", request_fields(PATCH_PATH, method="patch"))
    try:
        patch = ticket_patch(body)
    except ListError as exc:
        return error(str(exc))
    if state.desk().tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    try:
        ticket = patch_ticket(state.desk().tickets, ticket_id, patch, Actor.api(g.api_token_id, request.remote_addr),
                              expected=unchanged_since_read, answer=answer_in(200, ticket_fields))
    except ChangedMeanwhile as exc:
        return error(f"ticket: changed at {exc.updated_at.isoformat()}, after the version you sent (If-Match / "
                     "If-Unmodified-Since); read it again and send your change again", 412)
    except ClosedTicketError as exc:
        return error(str(exc), 409)
    except InputError as exc:
        if exc.field == "ticket":  # gone meanwhile
            return error(str(exc), 404)
        return input_error(exc)
    return versioned(jsonify(ticket_fields(ticket)), ticket)


@bp.get("/customers")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("customers:read")
def list_customers():
    """Every customer as the agents' list shows them, 25 a page (?page=, the one paging rule: webapp.paging),
    searched by name or email (?query=, folded as the inbox search folds) and sorted (?sort=: last_contact, the
    default, name or tickets). Reads only."""
    query, sort = request.args.get("query") or "", request.args.get("sort") or SORTS[0]
    desk = state.desk()
    try:
        found, paging = paged(lambda limit, offset: desk.customers.page(query, sort, limit, offset), CUSTOMER_PAGE)
    except InputError as exc:
        return input_error(exc)
    return jsonify({
        "customers": [{
            "id": c.id, "name": c.name, "email": c.email, "country": c.country, "languages": c.languages,
            "counts": {"open": c.open, "all": c.total}, "last_contact": c.last_contact.isoformat(),
        } for c in found.rows],
        "total": found.total, "page": paging.number, "pages": paging.pages,
    })


@bp.get("/deleted_tickets")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:deleted")
def list_deleted_tickets():
    """The deleted tickets (desk.trash; Zendesk's GET /api/v2/deleted_tickets), newest deletion first, 25 a page
    (?page=, the one paging rule: webapp.paging), with who deleted each (an agent's id, None: the desk) and why
    ("deleted" or "spam"). Every other route answers a deleted ticket as none (404). Reads only."""
    found, paging = paged(state.desk().trash.deleted, CUSTOMER_PAGE)
    return jsonify({
        "deleted_tickets": [{
            "id": t.id, "subject": t.subject, "requester": t.requester, "status": t.status, "reason": t.reason,
            "deleted_at": as_utc(t.deleted_at).isoformat(), "deleted_by": t.deleted_by_id,
        } for t in found.rows],
        "total": found.total, "page": paging.number, "pages": paging.pages,
    })


@bp.get("/customers/<int:customer_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("customers:read")
def get_customer(customer_id: int):
    """The customer as the agents' profile page shows them, with the agents' `notes` (an API token is an operator's,
    as Zendesk's user API carries its notes; the customer's own page and mail never show them) and their tickets'
    ids and references, newest first. Reads only."""
    return customer_answer(customer_id)


def customer_answer(customer_id: int):  # type: ignore[no-untyped-def]
    """GET's answer (and PATCH's): the customer's JSON, or the 404 (naming where a merged one went)."""
    desk = state.desk()
    found = desk.customers.profile(customer_id, limit=0)
    if found is None:
        merged = desk.customers.get(customer_id)
        if merged is not None and merged.merged_into_id is not None:  # the kept customer is where they live now
            return jsonify({"error": f"customer: customer {customer_id} was merged into customer "
                                     f"{merged.merged_into_id}", "merged_into": merged.merged_into_id}), 404
        return error(f"customer: no customer {customer_id}", 404)
    c = found.customer
    return jsonify({
        "id": c.id, "name": c.name, "email": c.email, "country": c.country, "notes": c.notes,
        "organization": c.organization_id, "languages": found.languages,
        "first_contact": found.first_contact.isoformat(), "last_contact": found.last_contact.isoformat(),
        "counts": {"open": found.open, "solved": found.solved, "all": found.total},
        "tickets": [{"id": i, "reference": r} for i, r in desk.customers.ticket_ids(customer_id)],
        "fields": values_json(customer_fields.values_of(desk.db, c.id), desk.customer_fields),
    })


@bp.patch("/customers/<int:customer_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("customers:write")
def update_customer(customer_id: int):
    """Set the customer's `fields` (content/_customer_fields.yml; null or "" clears one) as the profile's form does
    (desk.customer_fields): every value checked first, the first bad one a 400 naming `fields.<key>`, nothing
    written; one `customer_fields_changed` audit event names the token. An unknown customer a 404; one merged away
    or erased a 409. Answers the customer as GET does."""
    body = json_object("fields", request_fields(CUSTOMER_PATH, method="patch"))
    raw = body.get("fields")
    if not field_object(raw):
        return error("fields: an object of field keys and values (a string, number, true/false, or null to clear)")
    desk = state.desk()
    if desk.customers.get(customer_id) is None:
        return error(f"customer: no customer {customer_id}", 404)
    try:
        customer_fields.set_values(desk.db, desk.customer_fields, customer_id, raw, "en",
                                   Actor.api(g.api_token_id, request.remote_addr))
    except FieldsRefused as refused:
        return input_error(next(iter(refused.errors.values())))
    except MergedAwayError as exc:
        return jsonify({"error": str(exc), "merged_into": exc.into}), 409
    except InputError as exc:  # erased
        return error(str(exc), 409)
    return customer_answer(customer_id)


def field_object(raw: object) -> TypeGuard[dict[str, object]]:
    """Whether a body's `fields` is an object of keys and plain values (a string, number, true/false or null)."""
    return isinstance(raw, dict) and all(value is None or isinstance(value, str | int | float | bool)
                                         for value in raw.values())


ORGANIZATION_PATH = "/api/v1/organizations/{organization_id}"
CUSTOMER_PATH = "/api/v1/customers/{customer_id}"


def organization_json(org: Organization, members: list[tuple[int, str, str]] | None = None) -> dict[str, object]:
    """An organization as the API answers it (the agents' `notes` included: a token is an operator's), with its
    members' ids, names and emails when given."""
    out: dict[str, object] = {"id": org.id, "name": org.name, "domains": [d.domain for d in org.domains],
                              "tags": tags_of(org), "notes": org.notes}
    if members is not None:
        out["members"] = [{"id": i, "name": n, "email": e} for i, n, e in members]
    return out


@bp.get("/organizations")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("organizations:read")
def list_organizations():
    """Every organization by name, 25 a page (?page=, the one paging rule), searched by name or domain (?query=),
    with member and open ticket counts. Reads only."""
    query = request.args.get("query") or ""
    desk = state.desk()
    found, paging = paged(lambda limit, offset: desk.organizations.page(query, limit, offset), CUSTOMER_PAGE)
    return jsonify({
        "organizations": [{"id": o.id, "name": o.name, "domains": o.domains, "tags": o.tags,
                           "counts": {"members": o.members, "open": o.open}} for o in found.rows],
        "total": found.total, "page": paging.number, "pages": paging.pages,
    })


@bp.get("/organizations/<int:organization_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("organizations:read")
def get_organization(organization_id: int):
    """The organization with its domains, tags, notes and members. Reads only."""
    desk = state.desk()
    found = desk.organizations.get(organization_id)
    if found is None:
        return error(f"organization: no organization {organization_id}", 404)
    return jsonify(organization_json(found, desk.organizations.members_of(organization_id)))


def _organization_body(body: dict[str, object], partial: Organization | None = None) -> dict[str, object]:
    """The body's fields over the organization's current ones (PATCH: only those sent change)."""
    current: dict[str, object] = {"name": partial.name, "domains": [d.domain for d in partial.domains],
                                  "notes": partial.notes, "tags": tags_of(partial)} if partial is not None else {}
    return {name: body[name] if name in body else current.get(name) for name in ("name", "domains", "notes", "tags")}


def _confirm_broad(body: dict[str, object]) -> bool:
    """`confirm_broad`: true adds a public mail domain (desk.organizations.BROAD_DOMAINS); not a boolean is a 400."""
    value = body.get("confirm_broad", False)
    if not isinstance(value, bool):
        raise InputError("confirm_broad", N_("must be true or false"))
    return value


@bp.post("/organizations")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("organizations:write")
def create_organization():
    """Create an organization: `name` required, `domains`, `tags` (lists of strings), `notes`. Its domains'
    customers without an organization join it. A name or a domain another organization has, or a bad one, is a 400
    naming the field; one `organization_created` audit event names the token."""
    body = json_object("name, and domains, tags or notes", request_fields("/api/v1/organizations"))
    fields = _organization_body(body)
    try:
        created = state.desk().organizations.create(fields["name"], fields["domains"], fields["notes"],
                                                    fields["tags"], by=Actor.api(g.api_token_id, request.remote_addr),
                                                    confirm_broad=_confirm_broad(body))
    except InputError as exc:
        return input_error(exc)
    found = state.desk().organizations.get(created.id)
    assert found is not None
    return jsonify(organization_json(found, state.desk().organizations.members_of(created.id))), 201


@bp.patch("/organizations/<int:organization_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("organizations:write")
def update_organization(organization_id: int):
    """Change any of `name`, `domains` (the whole list: a domain added brings its customers, one taken away takes
    its automatic members out), `tags` (the whole list), `notes` (null clears them). A 400 names the field, nothing
    written; one `organization_edited` audit event names the token."""
    body = json_object("the fields to change", request_fields(ORGANIZATION_PATH, method="patch"))
    desk = state.desk()
    current = desk.organizations.get(organization_id)
    if current is None:
        return error(f"organization: no organization {organization_id}", 404)
    fields = _organization_body(body, current)
    try:
        desk.organizations.edit(organization_id, fields["name"], fields["domains"], fields["notes"], fields["tags"],
                                by=Actor.api(g.api_token_id, request.remote_addr), confirm_broad=_confirm_broad(body))
    except InputError as exc:
        if exc.field == "organization":  # deleted meanwhile
            return error(str(exc), 404)
        return input_error(exc)
    found = desk.organizations.get(organization_id)
    assert found is not None
    return jsonify(organization_json(found, desk.organizations.members_of(organization_id)))


@bp.post("/customers/<int:customer_id>/merge")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("customers:write")
def merge_customer(customer_id: int):
    """Merge the customer in the path (the duplicate) into `into` (the customer kept), as an admin does on the
    duplicate's profile (desk.customers.Customers.merge): their tickets move, their email maps to the kept one, their
    notes are appended; one `customer_merged` audit event by the token ("api", the token's id in it). A duplicate
    that does not exist is a 404; one already merged, or a kept one that was, a 409 naming where it went (so a retry
    after a lost answer says what the first did); into itself, an unknown kept one or notes together too long a 400
    naming the field."""
    body = json_object("into", request_fields("/api/v1/customers/{customer_id}/merge"))
    into = body.get("into")
    if isinstance(into, bool) or not isinstance(into, int):
        return error("into: the id of the customer to keep (an integer)")
    desk = state.desk()
    if desk.customers.get(customer_id) is None:
        return error(f"customer: no customer {customer_id}", 404)
    try:
        result = desk.customers.merge(customer_id, into, by=Actor.api(g.api_token_id, request.remote_addr))
    except MergedAwayError as exc:
        return jsonify({"error": str(exc), "merged_into": exc.into}), 409
    except InputError as exc:
        if exc.field == "customer":  # gone meanwhile
            return error(str(exc), 404)
        return input_error(exc)
    return jsonify({"id": result.kept.id, "merged_from": customer_id, "tickets": result.tickets})


@bp.post("/customers/<int:customer_id>/erase")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("customers:erase")
def erase_customer(customer_id: int):
    """Erase the customer's personal data (the GDPR's right to erasure), as an admin does from the profile
    (desk.erasure.Erasure.erase): `email`, the customer's, confirms it; one `customer_erased` audit event by the token
    ("api", the token's id in it). An unknown customer is a 404; one erased already, or merged into another, a 409
    (`merged_into` names the one to erase); a wrong or missing email a 400 naming "email", nothing written."""
    body = json_object("email", request_fields("/api/v1/customers/{customer_id}/erase"))
    typed = body.get("email")
    if not isinstance(typed, str):
        return error("email: the customer's email, to confirm (a string)")
    desk = state.desk()
    try:
        result = desk.erasure.erase(customer_id, typed, by=Actor.api(g.api_token_id, request.remote_addr))
    except MergedAwayError as exc:
        return jsonify({"error": str(exc), "merged_into": exc.into}), 409
    except ErasedError as exc:
        return error(str(exc), 409)
    except InputError as exc:
        if exc.field == "customer":
            return error(str(exc), 404)
        return input_error(exc)
    return jsonify({"id": customer_id, "erased": result.counts, "files_removed": result.files_removed})


@bp.post("/tickets/<int:ticket_id>/messages")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
@idempotent
def add_message(ticket_id: int):
    """Add the customer's message to their ticket: `body`, as a JSON object or as multipart/form-data with the
    customer's files as `attachments[]` (an API client's limits, as with a new ticket; one refused, nothing is
    stored; files alone are a message). Reopened and due again as a reply on the customer's own page makes it; on
    a merged ticket it lands on the ticket it was merged into, on a closed one it starts a follow-up
    (`customer_reply_with_files`), and the answer names the ticket it landed on: `ticket_id`, `ticket_reference`,
    `merged_from` (the ticket in the path when it was merged, else null) and `follow_up_of` (the closed ticket's
    id, else null)."""
    path = "/api/v1/tickets/{ticket_id}/messages"
    files: list[Upload] = []
    if is_multipart():
        body, files = multipart_body(request_fields(path, MULTIPART), FILES_FIELD)
    else:
        body = json_object("body", request_fields(path))
    text = json_text(body, "body")
    desk = state.desk()
    found = desk.tickets.get(ticket_id)
    if found is None:
        return no_ticket(ticket_id)
    try:  # the answer from the write's own transaction: a read after it could fail with the message stored
        reply = desk.tickets.customer_reply_with_files(found.reference, text or "", files=files, channel="api",
                                                       answer=answer_in(201, lambda made: reply_json(made, ticket_id)))
    except InputError as exc:
        return input_error(exc)
    return jsonify(reply_json(reply, ticket_id)), 201


REPLY_PATH = "/api/v1/tickets/{ticket_id}/replies"


@bp.post("/tickets/<int:ticket_id>/replies")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
@idempotent
def add_reply(ticket_id: int):
    """An agent's public reply to the customer, sent as the ticket page sends one (`TicketStore.send_reply`: mailed,
    the first response stamped, assigned to them if no one was, the status set): `agent` (the id of an active agent
    who works tickets), `body`, `status` (default pending). `signature`: true signs it with the agent's signature in
    the ticket's language (desk.signatures); false, the default, sends the text as it is (an integration writes its
    own). A bad field is a 400 naming it, nothing sent; a closed ticket (final) a 409. With an Idempotency-Key the
    answer is stored with the reply, so a retry sends nothing twice."""
    body = json_object("agent and body", request_fields(REPLY_PATH))
    text, status, signature = json_text(body, "body"), json_text(body, "status"), body.get("signature", False)
    if not isinstance(signature, bool):
        return error("signature: must be true or false")
    desk = state.desk()
    if desk.tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    try:
        sent = desk.tickets.send_reply(ticket_id, desk.accounts.replier(body.get("agent")), text or "",
                                       status=status or "pending", signature=signature,
                                       answer=answer_in(201, sent_json))
    except ClosedTicketError as exc:
        return error(str(exc), 409)
    except InputError as exc:
        return input_error(exc)
    return jsonify(sent_json(sent)), 201


def sent_json(sent: SentReply) -> dict[str, object]:
    """An agent's reply as stored, with its ticket's status after it (read in the write's transaction)."""
    return {**message_json(sent.message, []), "ticket_id": sent.message.ticket_id,
            "ticket_status": sent.message.ticket.status}


def reply_json(reply: CustomerReply, ticket_id: int) -> dict[str, object]:
    """The message as stored, on the ticket posted to (or the one it was merged into) or, that one closed, on the
    follow-up it started."""
    return {**message_json(reply.message, reply.files), "ticket_status": reply.ticket_status,
            "ticket_id": reply.ticket_id, "ticket_reference": reply.reference,
            "merged_from": ticket_id if reply.merged_from is not None else None,
            "follow_up_of": reply.follow_up_of_id}


def side_json(side: SideView) -> dict[str, object]:
    return {
        "id": side.id, "ticket_id": side.ticket_id, "subject": side.subject, "participants": list(side.participants),
        "status": side.status, "unread": side.unread, "created_at": as_utc(side.created_at).isoformat(),
        "updated_at": as_utc(side.updated_at).isoformat(),
        "messages": [{"id": m.id, "author": m.author, "agent_id": m.agent_id, "from_address": m.from_address,
                      "body": m.body, "created_at": as_utc(m.created_at).isoformat(),
                      "files": [{"filename": f.filename, "content_type": f.content_type, "size": f.size,
                                 "kept": bool(f.path or f.attachment_id), "attachment_id": f.attachment_id}
                                for f in m.files]}
                     for m in side.messages],
        "participant_changes": [{"created_at": as_utc(c.created_at).isoformat(), "agent_id": c.agent_id,
                                 "added": list(c.added), "removed": list(c.removed)} for c in side.changes],
    }


SIDE_PATH = "/api/v1/tickets/{ticket_id}/side_conversations"


@bp.get("/tickets/<int:ticket_id>/side_conversations")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:read")
def side_conversations(ticket_id: int):
    """The ticket's side conversations with their messages (desk.side_conversations), as the agent's page shows
    them. Reads only."""
    desk = state.desk()
    if desk.tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    return jsonify({"side_conversations": [side_json(s) for s in desk.side_conversations.for_ticket(ticket_id)]})


def _side_refusal(exc: InputError):  # type: ignore[no-untyped-def]
    if isinstance(exc, ClosedTicketError):
        return error(str(exc), 409)
    if exc.field in ("ticket", "side_conversation"):
        return error(str(exc), 404)
    return input_error(exc)


@bp.post("/tickets/<int:ticket_id>/side_conversations")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
def start_side_conversation(ticket_id: int):
    """Start a side conversation: `to` (addresses), `body`, `subject` (the ticket's when empty), `attachments` (ids
    of the ticket's files to forward). A bad field is a 400 naming it, nothing written; a closed ticket a 409."""
    body = json_object("to and body", request_fields(SIDE_PATH))
    files = _forward_ids(body)
    if files is None:
        return error("attachments: must be a list of the ticket's file ids (numbers)")
    if state.desk().tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    try:
        side = state.desk().side_conversations.start(
            ticket_id, body.get("to"), json_text(body, "subject") or "", body.get("body"),
            Actor.api(g.api_token_id, request.remote_addr), files)
    except InputError as exc:
        return _side_refusal(exc)
    return jsonify(side_json(side)), 201


@bp.post("/tickets/<int:ticket_id>/side_conversations/<int:side_id>/messages")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
def reply_side_conversation(ticket_id: int, side_id: int):
    """An agent's reply on the side conversation (`body`, `attachments`: the ticket's files to forward), mailed to
    its participants; a closed one reopens."""
    body = json_object("body", request_fields(SIDE_PATH + "/{side_id}/messages"))
    files = _forward_ids(body)
    if files is None:
        return error("attachments: must be a list of the ticket's file ids (numbers)")
    if state.desk().tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    try:
        side = state.desk().side_conversations.reply(ticket_id, side_id, body.get("body"),
                                                     Actor.api(g.api_token_id, request.remote_addr), files)
    except InputError as exc:
        return _side_refusal(exc)
    return jsonify(side_json(side)), 201


def _forward_ids(body: dict[str, object]) -> list[int] | None:
    """`attachments`: a list of file ids, else None."""
    files = body.get("attachments") or []
    if not isinstance(files, list) or not all(isinstance(f, int) and not isinstance(f, bool) for f in files):
        return None
    return files


@bp.patch("/tickets/<int:ticket_id>/side_conversations/<int:side_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
def change_side_conversation(ticket_id: int, side_id: int):
    """Close or reopen a side conversation (`status`), add (`add_participants`) or remove (`remove_participants`)
    addresses, at once: all of it or, on a bad field (a 400 naming it), nothing."""
    body = json_object("status, add_participants or remove_participants",
                       request_fields(SIDE_PATH + "/{side_id}", method="patch"))
    status = body.get("status")
    if status is not None and not isinstance(status, str):
        return error("status: must be open or closed")
    if status is None and not body.get("add_participants") and not body.get("remove_participants"):
        return error("status, add_participants or remove_participants: give at least one")
    if state.desk().tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    try:
        side = state.desk().side_conversations.change(
            ticket_id, side_id, Actor.api(g.api_token_id, request.remote_addr), status=status,
            add=body.get("add_participants"), remove=body.get("remove_participants"))
    except InputError as exc:
        return _side_refusal(exc)
    return jsonify(side_json(side))


TIME_PATH = "/api/v1/tickets/{ticket_id}/time_entries"


def _time_refusal(exc: InputError):  # type: ignore[no-untyped-def]
    if isinstance(exc, ClosedTicketError):
        return error(str(exc), 409)
    if exc.field in ("ticket", "entry"):
        return error(str(exc), 404)
    return input_error(exc)


@bp.get("/tickets/<int:ticket_id>/time_entries")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:read")
def time_entries(ticket_id: int):
    """The ticket's time (desk.time_tracking): the total, each agent's and every entry. Reads only."""
    desk = state.desk()
    if desk.tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    spent = desk.time_entries.of_ticket(ticket_id)
    return jsonify({"time_spent_seconds": spent.total,
                    "by_agent": [{"agent": a, "agent_name": name, "seconds": seconds}
                                 for a, name, seconds in spent.by_agent],
                    "time_entries": [entry_json(e) for e in spent.entries]})


@bp.post("/tickets/<int:ticket_id>/time_entries")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
@idempotent
def add_time_entry(ticket_id: int):
    """A time entry by hand: `agent` (an agent's id) spent `seconds` (1 to 86,400) on the ticket, `note` optional.
    With an Idempotency-Key the answer is stored with the entry, in its transaction."""
    body = json_object("agent and seconds", request_fields(TIME_PATH))
    note = json_text(body, "note")
    if state.desk().tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    try:
        entry = state.desk().time_entries.add(ticket_id, body.get("agent"), body.get("seconds"), note,
                                              Actor.api(g.api_token_id, request.remote_addr),
                                              answer=answer_in(201, entry_json))
    except InputError as exc:
        return _time_refusal(exc)
    return jsonify(entry_json(entry)), 201


@bp.patch("/tickets/<int:ticket_id>/time_entries/<int:entry_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
def change_time_entry(ticket_id: int, entry_id: int):
    """Change an entry's `seconds` or `note` (what is sent); audited, in the ticket's history."""
    body = json_object("seconds or note", request_fields(TIME_PATH + "/{entry_id}", method="patch"))
    if "note" in body:
        json_text(body, "note")
    if not body:
        return error("seconds or note: give at least one")
    if state.desk().tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    try:
        entry = state.desk().time_entries.edit(
            ticket_id, entry_id, Actor.api(g.api_token_id, request.remote_addr),
            seconds=body.get("seconds", KEEP_TIME), note=body.get("note", KEEP_TIME))
    except InputError as exc:
        return _time_refusal(exc)
    return jsonify(entry_json(entry))


@bp.delete("/tickets/<int:ticket_id>/time_entries/<int:entry_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("tickets:write")
def delete_time_entry(ticket_id: int, entry_id: int):
    """Delete an entry; audited, in the ticket's history. Answers the entry as it was."""
    if state.desk().tickets.get(ticket_id) is None:
        return no_ticket(ticket_id)
    try:
        gone = state.desk().time_entries.delete(ticket_id, entry_id, Actor.api(g.api_token_id, request.remote_addr))
    except InputError as exc:
        return _time_refusal(exc)
    return jsonify({"deleted": entry_json(gone)})


@bp.post("/suggest")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_SUGGEST_TOKEN_LIMIT, key_func=token_key)
@token_required("suggest")
def suggest():
    """Passages and a grounded draft for a ticket from any help desk: `subject`, `body`, `lang`?."""
    body = json_object("subject and body", request_fields("/api/v1/suggest"))
    subject, text = json_text(body, "subject") or "", json_text(body, "body") or ""
    lang, name = json_text(body, "lang") or None, json_text(body, "customer_name") or ""
    if lang is not None and lang not in state.settings().languages:
        return error(f"lang: use one of {', '.join(state.settings().languages)}")
    try:
        found = state.suggester().suggest(subject, [text], lang=lang)
    except TicketTextError as exc:
        return error(str(exc))
    link = public_link(state.settings())
    context = ReplyContext(question=found.query, customer_messages=[text])
    draft = state.engine().drafter.draft(
        found.lang, name, found.draftable(), found.abstained, link=link, context=context
    )
    return jsonify({
        "lang": found.lang,
        "passages": [
            {"id": h.id, "lang": h.lang, "title": h.title, "section": h.section, "url": hit_url(h),
             "snippet": h.snippet, "score": round(h.score, 4), "internal": h.internal}
            for h in found.passages
        ],
        "draft": {"text": draft.text, "citations": draft.citations, "abstained": draft.abstained},
        "took_ms": round(found.took_ms, 1),
    })


@bp.get("/health")
def health():
    """Index and content state (indexer.health): 200 while search can answer, 503 when it cannot."""
    report = health_report(state.settings(), state.engine().store, state.catalog().snapshot().errors)
    return jsonify(report.as_json()), 503 if report.status == "down" else 200


# Registered on `bp` by importing them: the agents' routes live in their own module.
from webapp import api_agents  # noqa: E402,F401
