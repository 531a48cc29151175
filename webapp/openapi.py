"""The OpenAPI 3 description of /api/v1, kept next to the routes (webapp/api.py, webapp/hooks.py).

Hand-written on purpose: it is the contract partners build against, so a change to it is a
decision, and `tests/webapp/test_openapi.py` runs schemathesis against the live app to hold the
routes to it (no 500, every answer matching its schema). Responses list only what a client
relies on; objects allow more fields so additions do not break clients. Request bodies do not: a field
the route does not know (a typo like "prioity") is a 400 naming it, never silently dropped, and the route
takes its allowed fields from here (`request_fields`), so the document and the check cannot drift apart.
"""

from __future__ import annotations

import copy
from typing import Any

from desk.customers import SORTS
from desk.models import MAX_SKILL, PRIORITIES, ROLES, TICKET_STATUSES
from desk.tickets import MAX_BODY, MAX_NAME, MAX_SUBJECT

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "what is wrong, naming the field"},
        "limit_bytes": {"type": "integer", "description": "a 413's: the limit the body (or one form field) broke"},
    },
}


def _error(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


TOKEN_ERRORS = {
    "400": _error("bad input: the message names the field (or the Idempotency-Key header)"),
    "401": _error("no valid API token"),
    "413": _error("body larger than 1 MiB"),
    "429": _error("rate limited: per token and per IP"),
    "503": _error("the database cannot take the write now; send it again after Retry-After seconds"),
}

# webapp.security.refuse_long_request_lines: a request line past gunicorn's default length.
TOO_LONG = _error("the request line is too long: the message names the longest parameter")

SEARCH_HIT = {
    "type": "object",
    "required": ["id", "lang", "title", "url", "score", "locale_fallback"],
    "properties": {
        "id": {"type": "string"}, "lang": {"type": "string"}, "title": {"type": "string"},
        "section": {"type": "string", "nullable": True}, "anchor": {"type": "string", "nullable": True},
        "snippet": {"type": "string"}, "url": {"type": "string"}, "score": {"type": "number"},
        "locale_fallback": {"type": "boolean"},
    },
}

ANSWER_CARD = {
    "type": "object",
    "required": ["title", "text", "url", "lang", "article", "anchor", "generated_by"],
    "properties": {
        "title": {"type": "string"}, "section": {"type": "string"},
        "text": {"type": "string",
                 "description": "the section's lines; steps numbered, whole; a table's rows as list lines"},
        "steps": {"type": "array", "items": {"type": "string"}, "description": "present when the answer is steps"},
        "url": {"type": "string", "description": "absolute link to the section"},
        "lang": {"type": "string", "description": "the section's language"},
        "article": {"type": "string"}, "anchor": {"type": "string"},
        "other_language": {"type": "boolean", "description": "the answer is the other language's article"},
        "generated_by": {"type": "string", "description": "extractive, or the model that wrote it"},
        "blocks": {"type": "array", "items": {"type": "object"}},
    },
}

# Text the desk stores must keep a character once controls are dropped and the ends stripped (desk.tickets.plain_text):
# a blank subject or body is a 400. Saying so here lets clients (and the fuzzer's valid cases) send what is accepted.
NOT_BLANK = r"[^\s\x00-\x1f\x7f-\x9f]"


def _text(limit: int) -> dict[str, Any]:
    """A required text field: at least one visible character, at most `limit` characters."""
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": NOT_BLANK}


# A new ticket's fields, as a JSON object or as the text fields of a multipart/form-data post; the latter adds
# the customer's files (the name Freshdesk's API uses), held to an agent's limits (desk.tickets.clean_files).
TICKET_FIELDS: dict[str, Any] = {
    "email": {"type": "string", "format": "email"}, "subject": _text(MAX_SUBJECT),
    "body": _text(MAX_BODY), "name": {"type": "string", "maxLength": MAX_NAME, "nullable": True},
    "lang": {"type": "string", "enum": ["en", "ar"], "nullable": True},
    "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"], "nullable": True},
    "external_id": {"type": "string", "maxLength": 200, "nullable": True},
    "category": {"type": "string", "nullable": True,
                 "description": "one of the help center's categories (a folder name: orders, returns...); routing "
                                "rules may match it. Another is a 400 naming the field and the categories"},
}
# A ticket's help-center category as the API answers it (null: none given).
CATEGORY = {"type": "string", "nullable": True, "description": "the ticket's help-center category, null for none"}
MULTIPART = "multipart/form-data"
FILES_FIELD = "attachments[]"
FILES = {
    "type": "array", "items": {"type": "string", "format": "binary"},
    "description": "the customer's files, each a part with its filename, typed by its extension (images, PDF, text, "
                   "CSV, Word, Excel, PowerPoint, zip); KB_MAIL_MAX_ATTACHMENT_BYTES each, KB_REPLY_MAX_ATTACHMENTS "
                   "and KB_REPLY_MAX_ATTACHMENTS_BYTES in all (10 MB, 10 files, 20 MB by default). One refused "
                   "(too big, too many, a refused type, empty) is a 400 naming it, and nothing is stored",
}
STORED_FILE = {
    "type": "object",
    "required": ["id", "filename", "size", "content_type"],
    "properties": {"id": {"type": "integer"}, "filename": {"type": "string", "description": "the name as kept"},
                   "size": {"type": "integer"}, "content_type": {"type": "string"}},
}

STORED_MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "author", "body", "created_at", "attachments"],
    "properties": {"id": {"type": "integer"}, "author": {"type": "string", "enum": ["customer", "agent"]},
                   "body": {"type": "string"},
                   "signature": {"type": "string", "nullable": True,
                                 "description": "the agent's signature the reply was sent with, shown under the body "
                                                "after a line '-- ' (null: unsigned)"},
                   "created_at": {"type": "string", "format": "date-time"},
                   "attachments": {"type": "array", "items": STORED_FILE}},
}
# webapp/idempotency.py: a retry of a POST that writes, with the first request's key, gets the first answer back.
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    "description": "a key of the client's choosing (a UUID, say; 1 to 255 printable ASCII characters) for this "
                   "request: sent again with the same key and the same request within KB_IDEMPOTENCY_KEY_HOURS (24 "
                   "by default), the first answer comes back with `Idempotent-Replayed: true` and nothing is written "
                   "again. Per API token. Answers 5xx (and 401/429) are not kept: the retry runs",
}
REPLAYED = {"Idempotent-Replayed": {"description": "`true`: the answer stored for this Idempotency-Key's first request",
                                    "schema": {"type": "string", "enum": ["true"]}}}
KEY_IN_USE = "the Idempotency-Key's first request is still running (Retry-After)"
KEY_REUSED = _error("the Idempotency-Key came first with another request (method, path or body)")


def _replayable(response: dict[str, Any]) -> dict[str, Any]:
    """A success a retry with the same Idempotency-Key gets back, marked so."""
    return {**response, "headers": REPLAYED}


SNOOZED_UNTIL = {"type": "string", "format": "date-time", "nullable": True,
                 "description": "when an agent's snooze ends (the ticket comes back open, or sooner when the customer "
                                "writes); null when it is not snoozed"}
TEAM = {"type": "string", "description": "the key of the team working the ticket (content/_business_hours.yml's "
                                       "`teams`): the one its routing rules chose, or an agent moved it to"}
TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
             "example": 1}
NO_TICKET = _error("no ticket with this id")
SIDE_CONVERSATION = {
    "type": "object",
    "required": ["id", "ticket_id", "subject", "participants", "status", "unread", "created_at", "updated_at",
                 "messages"],
    "properties": {
        "id": {"type": "integer"}, "ticket_id": {"type": "integer"}, "subject": {"type": "string"},
        "participants": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "unread": {"type": "boolean", "description": "a third party's reply not yet read on the ticket page"},
        "participant_changes": {"type": "array", "description": "participants agents added or removed, oldest first",
                                "items": {"type": "object", "required": ["created_at", "agent_id", "added", "removed"],
                                          "properties": {
                                              "created_at": {"type": "string", "format": "date-time"},
                                              "agent_id": {"type": "integer", "nullable": True},
                                              "added": {"type": "array", "items": {"type": "string"}},
                                              "removed": {"type": "array", "items": {"type": "string"}}}}},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "messages": {"type": "array", "items": {
            "type": "object", "required": ["id", "author", "agent_id", "from_address", "body", "created_at", "files"],
            "properties": {
                "id": {"type": "integer"}, "author": {"type": "string", "enum": ["agent", "third_party"]},
                "agent_id": {"type": "integer", "nullable": True}, "from_address": {"type": "string"},
                "body": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
                "files": {"type": "array", "items": {
                    "type": "object", "required": ["filename", "content_type", "size", "kept"],
                    "properties": {"filename": {"type": "string"}, "content_type": {"type": "string"},
                                   "size": {"type": "integer"}, "kept": {"type": "boolean"},
                                   "attachment_id": {"type": "integer", "nullable": True,
                                                     "description": "a ticket's file forwarded"}}}},
            }}},
    },
}
CUSTOMER_ID = {"name": "customer_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
               "example": 1}
ORGANIZATION_ID = {"name": "organization_id", "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1}, "example": 1}
ORGANIZATION_BODY: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 200, "description": "unique (compared folded)"},
        "domains": {"type": "array", "items": {"type": "string"}, "maxItems": 20,
                    "description": "email domains, such as acme.sa"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10,
                 "description": "added to every new ticket of its members, folded as ticket tags"},
        "notes": {"type": "string", "nullable": True, "maxLength": 5000,
                  "description": "the agents' internal notes about it"},
        "confirm_broad": {"type": "boolean", "default": False,
                          "description": "true to add a public mail domain (gmail.com, outlook.com, ...): without "
                                         "it one is a 400 naming `domains`, since every customer writing from it "
                                         "would join"},
    },
}
ORGANIZATION: dict[str, Any] = {
    "type": "object", "required": ["id", "name", "domains", "tags", "notes", "members"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "domains": {"type": "array", "items": {"type": "string"}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": "string", "nullable": True},
        "members": {"type": "array", "description": "its customers, by id", "items": {
            "type": "object", "required": ["id", "name", "email"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}}}},
    },
}
_TIME = {"type": "string", "format": "date-time"}
# A ticket as GET /api/v1/tickets/{ticket_id} answers it without its messages and follow-up links: the list's item.
# Zendesk's ticket `type` and `problem_id` (desk.problems): a problem ticket, an incident of one, or neither.
KIND = {"type": "string", "enum": ["problem", "incident"], "nullable": True,
        "description": "problem: worked on behalf of its incidents (GET .../incidents); incident: linked to the "
                       "problem `problem_id`; null: a plain ticket"}
PROBLEM_ID = {"type": "integer", "nullable": True, "description": "the problem ticket this one is an incident of"}
TICKET_ITEM: dict[str, Any] = {
    "type": "object",
    "required": ["id", "reference", "subject", "lang", "status", "priority", "channel", "team", "category",
                 "created_at", "updated_at", "due_at", "assignee", "customer", "organization", "tags",
                 "merged_into"],
    "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string"}, "subject": {"type": "string"},
        "lang": {"type": "string"}, "status": {"type": "string", "enum": list(TICKET_STATUSES)},
        "priority": {"type": "string", "enum": list(PRIORITIES)}, "channel": {"type": "string"}, "team": TEAM,
        "category": CATEGORY, "created_at": _TIME,
        "updated_at": {**_TIME, "description": "the last change (the ETag's time)"},
        "due_at": {**_TIME, "nullable": True, "description": "when the next agent reply is due; null: nothing due"},
        "assignee": {"type": "integer", "nullable": True, "description": "the agent's id, null when unassigned"},
        "customer": {"type": "integer", "description": "the customer's id (a merged customer's tickets are the kept "
                                                       "one's)"},
        "organization": {"type": "integer", "nullable": True,
                         "description": "the customer's organization's id (GET /api/v1/organizations/{organization_id})"
                                        ", null when they have none"},
        "tags": {"type": "array", "items": {"type": "string"}, "description": "folded, in name order"},
        "snoozed_until": SNOOZED_UNTIL,
        "merged_into": {"type": "integer", "nullable": True,
                        "description": "the ticket its messages moved to, when merged"},
        "kind": KIND, "problem_id": PROBLEM_ID,
        "ccs": {"type": "array", "description": "the people copied on its mail, in the order they were added",
                "items": {"type": "object", "required": ["email", "name"],
                          "properties": {"email": {"type": "string"}, "name": {"type": "string"}}}},
        "fields": {"type": "object", "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "boolean"}]},
                   "description": "custom ticket fields (content/_ticket_fields.yml) by key: text, a number as a "
                                  "decimal string, a date as YYYY-MM-DD, a dropdown's option key, a checkbox as "
                                  "true/false; a field with no value is absent"},
        "time_spent_seconds": {"type": "integer", "minimum": 0,
                               "description": "the agents' time on the ticket, its time entries' seconds in all "
                                              "(GET /api/v1/tickets/{ticket_id}/time_entries)"},
        "skills": {"type": "array", "items": {"type": "string"},
                   "description": "the skills the ticket requires (an admin defines them on /agent/admin), in name "
                                  "order: automatic assignment hands it only to an available member having all of "
                                  "them, until KB_ROUTING_LANGUAGE_FALLBACK_MINUTES"},
    },
}
# A ticket's customer's field values (`include=customer_fields` on the list), as GET /customers/{id} gives `fields`.
CUSTOMER_FIELD_VALUES = {
    "type": "object", "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "boolean"}]},
    "description": "with `include=customer_fields`: the ticket's customer's fields (content/_customer_fields.yml) "
                   "by key, as GET /api/v1/customers/{customer_id} gives its `fields`; a field with no value absent"}
INCLUDE = {"name": "include", "in": "query", "schema": {"type": "string", "enum": ["customer_fields"]},
           "description": "customer_fields: the ticket carries its customer's `customer_fields` (Zendesk's "
                          "sideloading); another value is a 400"}
TIME_ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
                 "description": "a time entry's id (on this ticket)"}
SECONDS = {"type": "integer", "minimum": 1, "maximum": 86400, "description": "whole seconds, 1 to a day"}
TIME_NOTE = {"type": "string", "maxLength": 500, "nullable": True,
             "description": "what the time went on (internal; an erasure of the customer empties it); null or empty "
                            "for none"}
# A time entry as the API answers it (desk.time_tracking).
TIME_ENTRY = {
    "type": "object",
    "required": ["id", "ticket_id", "agent", "agent_name", "seconds", "note", "kind", "created_at", "updated_at"],
    "properties": {
        "id": {"type": "integer"}, "ticket_id": {"type": "integer"},
        "agent": {"type": "integer", "description": "the agent whose time it is"},
        "agent_name": {"type": "string"}, "seconds": SECONDS,
        "note": {"type": "string", "description": "empty for none"},
        "kind": {"type": "string", "enum": ["reply", "note", "update", "manual"],
                 "description": "recorded with the agent's reply, internal note or ticket update, or by hand"},
        "created_at": _TIME, "updated_at": {**_TIME, "nullable": True, "description": "the last edit, null for none"},
    },
}
# Customer fields as answered (desk.customer_fields): as a ticket's.
CUSTOMER_FIELD_JSON = {"type": "object", "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "boolean"}]},
                       "description": "customer fields (content/_customer_fields.yml) by key, as a ticket's `fields`; "
                                      "a field with no value is absent"}
# Custom ticket fields in a request: key -> value (null or "" clears it); an unknown key or bad value is a 400
# naming `fields.<key>`.
FIELD_VALUES = {"type": "object", "maxProperties": 50,
                "additionalProperties": {"nullable": True, "oneOf": [{"type": "string", "maxLength": 1000},
                                                                     {"type": "number"}, {"type": "boolean"}]},
                "description": "custom ticket fields by key (content/_ticket_fields.yml): text, a number, a date "
                              "(YYYY-MM-DD), a dropdown's option key, true/false; null or \"\" clears one"}
ETAG = {"ETag": {"description": "the ticket's version: send it as If-Match on a PATCH", "schema": {"type": "string"}},
        "Last-Modified": {"description": "its updated time (to the second): If-Unmodified-Since on a PATCH",
                          "schema": {"type": "string"}}}
TAG_LIST = {"type": "array", "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 100}}
CC_LIST = {"type": "array", "maxItems": 50, "items": {"type": "string", "format": "email", "maxLength": 320}}
PATCH_FIELDS: dict[str, Any] = {
    "status": {"type": "string", "enum": list(TICKET_STATUSES)},
    "priority": {"type": "string", "enum": list(PRIORITIES)},
    "assignee": {"type": "integer", "minimum": 1, "nullable": True, "description": "an agent's id; null unassigns"},
    "team": {**TEAM, "description": "a team key of content/_business_hours.yml: the due time is counted in its hours "
                                    "(unless set by hand) and an assignee not in it is unassigned"},
    "due_at": {**_TIME, "nullable": True, "description": "ISO 8601 with its UTC offset; null: back to the "
                                                         "business-hours due time"},
    "tags": {**TAG_LIST, "description": "the whole set (replaces the ticket's tags); not with add_tags/remove_tags"},
    "add_tags": TAG_LIST,
    "remove_tags": TAG_LIST,
    "ccs": {**CC_LIST, "description": "the whole CC list (replaces it); not with add_ccs/remove_ccs"},
    "add_ccs": CC_LIST,
    "remove_ccs": CC_LIST,
    "fields": FIELD_VALUES,
    "kind": {"type": "string", "enum": ["problem"], "nullable": True,
             "description": "\"problem\" marks it a problem (refused for an incident: unlink it first); null: a plain "
                            "ticket again (refused while incidents are linked)"},
    "problem_id": {"type": "integer", "minimum": 1, "nullable": True,
                   "description": "link it as an incident of this problem ticket (refused when that is no problem, "
                                  "is this ticket, is closed or merged, or this ticket is a problem with incidents); "
                                  "null unlinks"},
    "skills": {"type": "array", "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": MAX_SKILL},
               "description": "the whole set of skills the ticket requires, by name (case does not matter); [] "
                              "requires none; a name that is no skill is refused naming skills[N]"},
}
PATCH_EXAMPLE = {"status": "pending", "assignee": None, "add_tags": ["refund"]}
# A customer's message on an existing ticket: its text, and as multipart/form-data the customer's files too.
MESSAGE_FIELDS: dict[str, Any] = {"body": _text(MAX_BODY)}
# The documented requests: what a partner copies first, and what tests/webapp/test_openapi.py sends before fuzzing.
NEW_TICKET_EXAMPLE = {"email": "omar@example.com", "name": "Omar", "subject": "Where is my refund?",
                      "body": "I returned my order two weeks ago and the refund has not arrived.", "lang": "en"}
MESSAGE_EXAMPLE = {"body": "Here is the receipt you asked for."}
MULTIPART_413 = _error("a JSON body over 1 MiB, or a multipart one over twice the files' limit in all plus 1 MiB "
                       "(a file over the limits is a 400 naming it)")


def _multipart(fields: dict[str, Any], required: list[str],
               encoding: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON body's fields as a multipart/form-data form with the customer's files (FILES_FIELD). Files alone are a
    message, so the form needs `body` or at least one file, never neither (a 400). `encoding`: the parts that are
    not plain text (an object field is a JSON part)."""
    return {"schema": {
        "type": "object",
        **({"required": required} if required else {}),  # JSON Schema's `required` may not be empty
        "anyOf": [{"required": ["body"]}, {"required": [FILES_FIELD], "properties": {FILES_FIELD: {"minItems": 1}}}],
        "additionalProperties": False,
        # A form has no null: an empty field is "not given", as null is in JSON.
        "properties": {
            **{name: {key: value for key, value in field.items() if key != "nullable"}
               for name, field in fields.items()},
            FILES_FIELD: FILES,
        },
    }, "encoding": {FILES_FIELD: {"contentType": "application/octet-stream"}, **(encoding or {})}}


# /search's and /answer's: a query typed with the wrong keyboard layout is searched as the other layout's reading.
VERBATIM = {"name": "verbatim", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]},
            "description": "1: search the query as typed, never as the other keyboard layout's reading"}
TYPED_QUERY = {
    "type": "string", "nullable": True,
    "description": "the query as typed, when it was read as typed with the wrong keyboard layout and `query` (the "
    "other layout's reading) was searched instead; null when the query was searched as typed",
}


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Manzil Help Center API",
        "version": "1",
        "description": "Search the bilingual help center, file tickets and get grounded reply drafts.",
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "kb tokens create NAME [--scope SCOPE ...] (or the admin page). Each operation's `x-scopes` "
                           "names the scope its token needs; one without it is a 403 (`insufficient_scope`), an "
                           "expired token a 401 (`invalid_token`)."}},
        "schemas": {"Error": ERROR, "SearchHit": SEARCH_HIT, "AnswerCard": ANSWER_CARD},
    },
    "paths": {
        "/api/v1/search": {
            "get": {
                "summary": "Search public articles",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["en", "ar"]}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
                    {"name": "category", "in": "query", "schema": {"type": "string"}},
                    {"name": "src", "in": "query", "schema": {"type": "string", "enum": ["instant", "contact"]}},
                    {"name": "complete", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]},
                     "description": "as-you-type: complete the last, half-typed word (answered as completed_query)"},
                    VERBATIM,
                ],
                "responses": {
                    "200": _json("results, best first", {
                        "type": "object",
                        "required": ["query", "lang", "mode", "results", "abstained"],
                        "properties": {
                            "query": {"type": "string", "description": "the query searched"},
                            "typed_query": TYPED_QUERY,
                            "completed_query": {"type": "string"},
                            "lang": {"type": "string"}, "mode": {"type": "string"},
                            "took_ms": {"type": "number"}, "truncated": {"type": "boolean"},
                            "degraded": {"type": "boolean"}, "abstained": {"type": "boolean"},
                            "fallback_reason": {"type": "string", "nullable": True},
                            "search_id": {"type": "string"},
                            "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
                        },
                    }),
                    "400": _error("bad query or parameter: the message names it"),
                    "414": TOO_LONG,
                    "429": _error("rate limited"),
                },
            }
        },
        "/api/v1/answer": {
            "get": {
                "summary": "The answer card for a question: the public section that clearly answers it, or why none",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["en", "ar"]}},
                    VERBATIM,
                ],
                "responses": {
                    "200": _json("the card, or null with the reason", {
                        "type": "object",
                        "required": ["answer", "reason"],
                        "properties": {
                            "answer": {"allOf": [{"$ref": "#/components/schemas/AnswerCard"}], "nullable": True},
                            "typed_query": TYPED_QUERY,
                            "reason": {"type": "string", "enum": [
                                "answered", "no_results", "abstained", "internal", "not_a_question", "split",
                                "not_covered", "split_sections", "model_abstained", "amount_not_stated",
                                "part_of_procedure",
                            ]},
                        },
                    }),
                    "400": _error("bad query or parameter: the message names it"),
                    "414": TOO_LONG,
                    "429": _error("rate limited"),
                },
            }
        },
        "/api/v1/tickets": {
            "get": {
                "summary": "Tickets, filtered as the inbox filters them, newest change first, a page at a time",
                "description": "Filters combine (all must hold). Paging is by cursor: `next_cursor` (null on the "
                               "last page) is sent back as `cursor` with the same filters and order, or follow "
                               "`next_url` (the `Link: <...>; rel=\"next\"` header too); a ticket added "
                               "or changed meanwhile never makes a page repeat or skip one (the cursor is the last "
                               "ticket's sort key and id, not an offset). A ticket changed while you page may move "
                               "past the cursor: page again with `updated_since` to catch up. `total` counts every "
                               "page's tickets. Reads only.",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(TICKET_STATUSES)}},
                    {"name": "team", "in": "query", "schema": {"type": "string", "maxLength": 40},
                     "description": "a team key (the default team's holds tickets with none stored)"},
                    {"name": "assignee", "in": "query", "schema": {"type": "string", "pattern": "^(none|[0-9]{1,9})$"},
                     "description": "an agent's id, or `none`: unassigned"},
                    {"name": "tag", "in": "query", "schema": {"type": "string", "maxLength": 200},
                     "description": "folded as tags are (\"VIP\" finds \"vip\")"},
                    {"name": "lang", "in": "query", "schema": {"type": "string"}},
                    {"name": "customer", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"},
                     "description": "a customer's id (a merged one's: the kept customer's tickets)"},
                    {"name": "organization", "in": "query",
                     "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"},
                     "description": "an organization's id: its members' tickets"},
                    {"name": "skill", "in": "query", "schema": {"type": "string", "maxLength": MAX_SKILL},
                     "description": "a skill's name (as a ticket's `skills`; case does not matter): the tickets "
                                    "requiring it; one that is no skill is a 400"},
                    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200},
                     "description": "the inbox's full-text search"},
                    {"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"},
                     "description": "ISO 8601 with a UTC offset (a time without one is a 400)"},
                    {"name": "sort", "in": "query",
                     "schema": {"type": "string", "pattern": "^(updated|created|(field|customer)\\.[a-z][a-z0-9_]*)$"},
                     "description": "updated (the default), created, `field.<key>` (a custom ticket field's value) "
                                    "or `customer.<key>` (the ticket's customer's field's): a number field as a "
                                    "number, tickets without a value last either way; a key that is no field is a "
                                    "400"},
                    {"name": "direction", "in": "query", "schema": {"type": "string", "enum": ["desc", "asc"]},
                     "description": "desc (a time sort's default) or asc (a field sort's)"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                     "description": "tickets a page, 25 by default"},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"},
                     "description": "the previous page's `next_cursor`"},
                    {"name": "field.order_number", "in": "query", "schema": {"type": "string"},
                     "description": "`field.<key>=<value>`, for any custom ticket field: the tickets whose field "
                                    "holds the value (as stored: a dropdown's option key, true/false, a number or "
                                    "date normalised); an unknown key or bad value is a 400"},
                    {"name": "customer.plan", "in": "query", "schema": {"type": "string"},
                     "description": "`customer.<key>=<value>`, for any customer field (content/_customer_fields.yml):"
                                    " the tickets whose customer's field holds the value (as stored, as `field.`); "
                                    "an unknown key or bad value is a 400"},
                    INCLUDE,
                ],
                "responses": {
                    "200": {"headers": {"Link": {"description": "`<next_url>; rel=\"next\"` (RFC 8288), absent on "
                                                        "the last page", "schema": {"type": "string"}}},
                            **_json("one page of tickets", {
                                "type": "object", "required": ["tickets", "total", "next_cursor", "next_url"],
                                "properties": {
                                    "tickets": {"type": "array", "items": {**TICKET_ITEM, "properties": {
                                        **TICKET_ITEM["properties"], "customer_fields": CUSTOMER_FIELD_VALUES}}},
                                    "total": {"type": "integer", "minimum": 0,
                                              "description": "the tickets the filters find, on all pages"},
                                    "next_cursor": {"type": "string", "nullable": True,
                                                    "description": "the next page's `cursor`; null: no more"},
                                    "next_url": {"type": "string", "nullable": True,
                                                 "description": "the next page's address (these filters and its "
                                                                "cursor); null: no more"}},
                            })},
                    "400": _error("a bad filter, limit or cursor: the message names it and what it may be"),
                    **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
                },
            },
            "post": {
                "summary": "Create a ticket for a customer (created on first contact)",
                "security": [{"bearer": []}],
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {
                        "type": "object",
                        "required": ["email", "subject", "body"],
                        "additionalProperties": False,
                        "properties": {**TICKET_FIELDS, "fields": FIELD_VALUES},
                    }, "example": NEW_TICKET_EXAMPLE},
                    # Files alone are a message: with attachments[], `body` may be left out (neither is a 400).
                    # `fields` is a part of its own holding the JSON object (OpenAPI's default for an object).
                    MULTIPART: {**_multipart({**TICKET_FIELDS, "fields": FIELD_VALUES}, ["email", "subject"],
                                             {"fields": {"contentType": "application/json"}}),
                                "example": NEW_TICKET_EXAMPLE},
                }},
                "responses": {
                    "201": _replayable(_json("created, with the files it keeps (none from a JSON body)", {
                        "type": "object",
                        "required": ["id", "reference", "lang", "status", "team", "category", "attachments"],
                        "properties": {"id": {"type": "integer"}, "reference": {"type": "string"},
                                       "lang": {"type": "string"}, "status": {"type": "string"}, "team": TEAM,
                                       "category": CATEGORY,
                                       "snoozed_until": SNOOZED_UNTIL,
                                       "attachments": {"type": "array", "items": STORED_FILE}},
                    })),
                    "409": _error(f"a ticket with this external_id exists, or {KEY_IN_USE}"),
                    "422": KEY_REUSED,
                    **TOKEN_ERRORS,
                    "413": MULTIPART_413,
                },
            }
        },
        "/api/v1/tickets/{ticket_id}": {
            "get": {
                "summary": "A ticket as its customer sees it: status and the public thread (no internal notes), each "
                           "message with its kept files",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, INCLUDE],
                "responses": {
                    "200": {"headers": ETAG, **_json("the ticket", {
                        "type": "object",
                        "required": ["id", "reference", "subject", "lang", "status", "priority", "channel", "team",
                                     "category", "created_at", "messages"],
                        "properties": {
                            "id": {"type": "integer"}, "reference": {"type": "string"}, "subject": {"type": "string"},
                            "lang": {"type": "string"}, "status": {"type": "string"},
                            "priority": {"type": "string"}, "channel": {"type": "string"}, "team": TEAM,
                            "category": CATEGORY,
                            "created_at": {"type": "string", "format": "date-time"},
                            "snoozed_until": SNOOZED_UNTIL,
                            "merged_into": {"type": "integer", "nullable": True,
                                            "description": "the ticket its messages moved to, when merged"},
                            "kind": KIND, "problem_id": PROBLEM_ID,
                            "follow_up_of": {"type": "integer", "nullable": True,
                                             "description": "the closed ticket this one continues (a customer "
                                                            "wrote to it again), else null"},
                            "follow_ups": {"type": "array", "items": {"type": "integer"},
                                           "description": "the tickets that continue this closed one, oldest "
                                                          "first"},
                            "messages": {"type": "array", "items": STORED_MESSAGE, "description": "oldest first"},
                            "time_spent_seconds": TICKET_ITEM["properties"]["time_spent_seconds"],
                            "customer_fields": CUSTOMER_FIELD_VALUES,
                        },
                    })},
                    "400": _error("a bad `include`: the message names it"),
                    "404": NO_TICKET,
                    **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
                },
            },
            "patch": {
                "summary": "Change a ticket's status, priority, assignee, team, due time or tags, all or nothing",
                "description": "Each field as the ticket page changes it (its history rows; a team move counts the "
                               "due time again and unassigns an assignee outside the team). One bad field refuses "
                               "them all (a 400 naming it). A closed ticket is final: a 409 (create a follow-up). "
                               "With If-Match (the GET's ETag) or If-Unmodified-Since, a ticket changed meanwhile is "
                               "a 412 and nothing is written; without, the last write wins.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, IDEMPOTENCY_KEY,
                               {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}},
                               {"name": "If-Unmodified-Since", "in": "header", "required": False,
                                "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "properties": PATCH_FIELDS,
                }, "example": PATCH_EXAMPLE}}},
                "responses": {
                    "200": {**_replayable(_json("the ticket as changed", TICKET_ITEM)), "headers": {**REPLAYED,
                                                                                                 **ETAG}},
                    "404": NO_TICKET,
                    "409": _error(f"the ticket is closed (final: create a follow-up), or {KEY_IN_USE}"),
                    "412": _error("the ticket changed after the If-Match / If-Unmodified-Since given"),
                    "422": KEY_REUSED,
                    **TOKEN_ERRORS,
                },
            },
        },
        "/api/v1/tickets/{ticket_id}/incidents": {
            "get": {
                "summary": "A problem ticket's incidents (desk.problems), oldest first; none for a ticket that is no "
                           "problem",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID],
                "responses": {
                    "200": _json("the incidents", {
                        "type": "object", "required": ["problem", "kind", "incidents"],
                        "properties": {
                            "problem": {"type": "integer"}, "kind": KIND,
                            "incidents": {"type": "array", "items": {
                                "type": "object", "required": ["id", "subject", "lang", "status", "customer"],
                                "properties": {"id": {"type": "integer"}, "subject": {"type": "string"},
                                               "lang": {"type": "string"},
                                               "status": {"type": "string", "enum": list(TICKET_STATUSES)},
                                               "customer": {"type": "string", "description": "name, else email"},
                                               "merged": {"type": "boolean"}}}},
                        },
                    }),
                    "404": NO_TICKET,
                    **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
                },
            }
        },
        "/api/v1/customers": {
            "get": {
                "summary": "Every customer as the agents' list shows them, 25 a page: searched by name or email, "
                           "sorted by last contact (newest first, the default), name or ticket count",
                "description": "`query` matches customers whose name or email holds every word of it, folded as the "
                               "inbox search folds (case, and Arabic's hamza, alef maqsura, ta marbuta, diacritics "
                               "and tatweel). A `page` past the last answers the last page (`page` says which).",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "query", "in": "query", "schema": {"type": "string"},
                     "description": "words of the name or email (its first 200 characters); empty or absent: "
                                    "every customer",
                     "example": "omar"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
                     "description": "the page, from 1 (digits only; anything else is a 400 naming `page`)",
                     "example": 1},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS)},
                     "description": "last_contact (default), name or tickets", "example": "last_contact"},
                ],
                "responses": {
                    "200": _json("one page of customers", {
                        "type": "object", "required": ["customers", "total", "page", "pages"],
                        "properties": {
                            "customers": {"type": "array", "items": {
                                "type": "object",
                                "required": ["id", "name", "email", "country", "languages", "counts", "last_contact"],
                                "properties": {
                                    "id": {"type": "integer"}, "name": {"type": "string"},
                                    "email": {"type": "string"}, "country": {"type": "string", "nullable": True},
                                    "languages": {"type": "array", "items": {"type": "string"},
                                                  "description": "their tickets' languages, most tickets first"},
                                    "counts": {"type": "object", "required": ["open", "all"], "properties": {
                                        "open": {"type": "integer"}, "all": {"type": "integer"}}},
                                    "last_contact": {"type": "string", "format": "date-time"},
                                }}},
                            "total": {"type": "integer", "description": "customers the query finds in all"},
                            "page": {"type": "integer", "description": "the page answered"},
                            "pages": {"type": "integer", "description": "pages the list fills (at least 1)"},
                        },
                    }),
                    "400": _error("`page` is not a whole number from 1, or `sort` is not one of the orders"),
                    **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
                },
            }
        },
        "/api/v1/deleted_tickets": {
            "get": {
                "summary": "The deleted tickets and spam (the leads' Deleted tickets page), newest deletion first, "
                           "25 a page",
                "description": "Every other route answers a deleted ticket as none (404) and leaves it out of its "
                               "lists. A `page` past the last answers the last page (`page` says which).",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
                     "description": "the page, from 1 (digits only; anything else is a 400 naming `page`)",
                     "example": 1},
                ],
                "responses": {
                    "200": _json("one page of deleted tickets", {
                        "type": "object", "required": ["deleted_tickets", "total", "page", "pages"],
                        "properties": {
                            "deleted_tickets": {"type": "array", "items": {
                                "type": "object",
                                "required": ["id", "subject", "requester", "status", "reason", "deleted_at",
                                             "deleted_by"],
                                "properties": {
                                    "id": {"type": "integer"}, "subject": {"type": "string"},
                                    "requester": {"type": "string", "description": "the requester's email"},
                                    "status": {"type": "string", "enum": list(TICKET_STATUSES),
                                               "description": "as it was: a restore puts it back so"},
                                    "reason": {"type": "string", "enum": ["deleted", "spam"]},
                                    "deleted_at": {"type": "string", "format": "date-time"},
                                    "deleted_by": {"type": "integer", "nullable": True,
                                                   "description": "the agent's id; null: the desk (a blocked "
                                                                  "sender's form ticket)"},
                                }}},
                            "total": {"type": "integer", "description": "deleted tickets in all"},
                            "page": {"type": "integer", "description": "the page answered"},
                            "pages": {"type": "integer", "description": "pages the list fills (at least 1)"},
                        },
                    }),
                    "400": _error("`page` is not a whole number from 1"),
                    **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
                },
            }
        },
        "/api/v1/customers/{customer_id}": {
            "get": {
                "summary": "A customer as the agents' profile shows them: name, email, country, the agents' internal "
                           "notes, their tickets' languages, first and last contact, counts, and every ticket's id "
                           "and reference (newest first)",
                "description": "`notes` is the team's internal text about the customer (never shown to the "
                               "customer): an API token is an operator's, so it is included; null without notes.",
                "security": [{"bearer": []}],
                "parameters": [CUSTOMER_ID],
                "responses": {
                    "200": _json("the customer", {
                        "type": "object",
                        "required": ["id", "name", "email", "country", "notes", "organization", "languages",
                                     "first_contact", "last_contact", "counts", "tickets", "fields"],
                        "properties": {
                            "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
                            "country": {"type": "string", "nullable": True},
                            "notes": {"type": "string", "nullable": True},
                            "organization": {"type": "integer", "nullable": True,
                                             "description": "their organization's id, null without one"},
                            "languages": {"type": "array", "items": {"type": "string"},
                                          "description": "their tickets' languages, most tickets first"},
                            "first_contact": {"type": "string", "format": "date-time"},
                            "last_contact": {"type": "string", "format": "date-time"},
                            "counts": {"type": "object", "required": ["open", "solved", "all"], "properties": {
                                "open": {"type": "integer"}, "solved": {"type": "integer"},
                                "all": {"type": "integer"}}},
                            "tickets": {"type": "array", "description": "newest first", "items": {
                                "type": "object", "required": ["id", "reference"],
                                "properties": {"id": {"type": "integer"}, "reference": {"type": "string"}}}},
                            "fields": CUSTOMER_FIELD_JSON,
                        },
                    }),
                    "404": _error("no customer with this id; one merged into another: `merged_into` names the "
                                  "customer kept"),
                    **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
                },
            },
            "patch": {
                "summary": "Set a customer's fields (content/_customer_fields.yml: a plan, an account id, VIP)",
                "description": "`fields` by key, as a ticket's: text, a number, a date (YYYY-MM-DD), a dropdown's "
                               "option key, true/false; null or \"\" clears one; a key not sent stays. Every value "
                               "is checked first: the first bad one (or a key the file has not) is a 400 naming "
                               "`fields.<key>`, nothing written. One `customer_fields_changed` audit event names the "
                               "token. Answers the customer as GET does.",
                "security": [{"bearer": []}],
                "parameters": [CUSTOMER_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["fields"], "additionalProperties": False,
                    "properties": {"fields": {**FIELD_VALUES, "description": "customer fields by key "
                                              "(content/_customer_fields.yml); null or \"\" clears one"}},
                }, "example": {"fields": {"plan": "business", "vip": True}}}}},
                "responses": {
                    "200": _json("the customer as changed", {"type": "object", "required": ["id", "fields"],
                                                              "properties": {"id": {"type": "integer"},
                                                                             "fields": CUSTOMER_FIELD_JSON}}),
                    "404": _error("no customer with this id"),
                    "409": _error("the customer was merged into another (`merged_into` names it) or erased"),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            },
        },
        "/api/v1/organizations": {
            "get": {
                "summary": "Every organization by name, 25 a page, with its domains, tags and member and open ticket "
                           "counts",
                "description": "`query` keeps the organizations whose name or a domain holds every word of it.",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "query", "in": "query", "schema": {"type": "string"},
                     "description": "words of the name or a domain; empty or absent: every organization"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
                     "description": "the page, from 1"},
                ],
                "responses": {
                    "200": _json("one page of organizations", {
                        "type": "object", "required": ["organizations", "total", "page", "pages"],
                        "properties": {
                            "organizations": {"type": "array", "items": {
                                "type": "object", "required": ["id", "name", "domains", "tags", "counts"],
                                "properties": {
                                    "id": {"type": "integer"}, "name": {"type": "string"},
                                    "domains": {"type": "array", "items": {"type": "string"}},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                    "counts": {"type": "object", "required": ["members", "open"], "properties": {
                                        "members": {"type": "integer"}, "open": {"type": "integer"}}},
                                }}},
                            "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
                        },
                    }),
                    "400": _error("`page` is not a whole number from 1"),
                    **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
                },
            },
            "post": {
                "summary": "Create an organization; the customers of its domains without one join it",
                "description": "A domain is matched whole against the customers' email domains (\"acme.sa\" is "
                               "not \"mail.acme.sa\") and belongs to one organization: one another has is a 400 "
                               "naming `domains`. `tags` are folded as ticket tags and added to every new ticket of "
                               "its members. One `organization_created` audit event names the token.",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": ORGANIZATION_BODY | {"required": ["name"]},
                    "example": {"name": "Acme", "domains": ["acme.sa"], "tags": ["vip"]}}}},
                "responses": {
                    "201": _json("the organization created", ORGANIZATION),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            },
        },
        "/api/v1/organizations/{organization_id}": {
            "get": {
                "summary": "An organization with its domains, tags, the agents' notes and its members",
                "description": "`notes` is the team's internal text (an API token is an operator's); null without.",
                "security": [{"bearer": []}],
                "parameters": [ORGANIZATION_ID],
                "responses": {
                    "200": _json("the organization", ORGANIZATION),
                    "404": _error("no organization with this id"),
                    **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
                },
            },
            "patch": {
                "summary": "Change an organization's name, domains, tags or notes (only the fields sent)",
                "description": "`domains` and `tags` set the whole list: a domain added brings its customers without "
                               "an organization, one taken away takes out the members it brought (a customer an "
                               "agent placed by hand stays). `notes`: null clears them. One `organization_edited` "
                               "audit event names the token.",
                "security": [{"bearer": []}],
                "parameters": [ORGANIZATION_ID],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": ORGANIZATION_BODY, "example": {"domains": ["acme.sa", "acme.example"]}}}},
                "responses": {
                    "200": _json("the organization as changed", ORGANIZATION),
                    "404": _error("no organization with this id"),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            },
        },
        "/api/v1/customers/{customer_id}/merge": {
            "post": {
                "summary": "Merge the customer in the path (a duplicate: one person who wrote from a second address) "
                           "into `into`, the customer kept",
                "description": "Every ticket of the duplicate (with its messages) moves to the kept customer; mail "
                               "and tickets from the duplicate's email land on the kept customer from then on; the "
                               "duplicate's notes are appended to the kept one's under a line naming them; the kept "
                               "one's name and country stay, an empty one takes the duplicate's. The duplicate leaves "
                               "the customer list (GET /api/v1/customers/{customer_id} answers 404 with "
                               "`merged_into`). One `customer_merged` audit event names the token. Not undone; a "
                               "second merge of the same duplicate is a 409 naming where it went.",
                "security": [{"bearer": []}],
                "parameters": [CUSTOMER_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["into"], "additionalProperties": False,
                    "properties": {"into": {"type": "integer", "minimum": 1,
                                            "description": "the id of the customer kept"}},
                }, "example": {"into": 2}}}},
                "responses": {
                    "200": _json("merged", {
                        "type": "object", "required": ["id", "merged_from", "tickets"],
                        "properties": {
                            "id": {"type": "integer", "description": "the customer kept"},
                            "merged_from": {"type": "integer", "description": "the duplicate (the path's)"},
                            "tickets": {"type": "integer", "description": "how many tickets moved"},
                        },
                    }),
                    "404": _error("no customer with the path's id"),
                    "409": _json("the duplicate, or the customer to keep, was merged into another already", {
                        "type": "object", "required": ["error", "merged_into"],
                        "properties": {"error": {"type": "string"}, "merged_into": {"type": "integer"}},
                    }),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            }
        },
        "/api/v1/customers/{customer_id}/erase": {
            "post": {
                "summary": "Erase the customer's personal data (the GDPR's right to erasure), confirmed by their email",
                "description": "What an admin's \"Erase this customer's personal data\" does (README, \"Erasing a "
                               "customer\"): their name, email, country and notes, the subject and every message "
                               "of their tickets, their files (from disk too), the mail from and to them, their "
                               "survey comments, the drafts, content gaps and visit context of their tickets, and "
                               "the customers merged into them are removed; the tickets stay as anonymous records "
                               "(status, times, team, assignee, tags, history, ratings) so past reports do not "
                               "change. The same address writing later is a new customer. One `customer_erased` "
                               "audit event names the token and counts what was removed. Not undone; a second erase "
                               "is a 409.",
                "security": [{"bearer": []}],
                "parameters": [CUSTOMER_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["email"], "additionalProperties": False,
                    "properties": {"email": {"type": "string", "maxLength": 320,
                                             "description": "the customer's email, to confirm which customer"}},
                }, "example": {"email": "lina@example.com"}}}},
                "responses": {
                    "200": _json("erased", {
                        "type": "object", "required": ["id", "erased", "files_removed"],
                        "properties": {
                            "id": {"type": "integer", "description": "the customer erased (the path's)"},
                            "erased": {"type": "object", "additionalProperties": {"type": "integer"},
                                       "description": "how many rows of each kind were emptied or removed "
                                                      "(tickets, messages, attachments, mails_in, ...)"},
                            "files_removed": {"type": "integer", "description": "files removed from disk"},
                        },
                    }),
                    "404": _error("no customer with the path's id"),
                    "409": _json("erased already, or merged into another customer (`merged_into`: erase that one)", {
                        "type": "object", "required": ["error"],
                        "properties": {"error": {"type": "string"}, "merged_into": {"type": "integer"}},
                    }),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/messages": {
            "post": {
                "summary": "Add the customer's message (and files) to their ticket, reopening it as a reply on "
                           "their own page does; a message to a closed ticket starts a follow-up ticket",
                "description": "A closed ticket is final (as a mail to it is): the message starts a new ticket for "
                               "the same customer (its language, tags and category), linked to the closed one. The "
                               "answer names the ticket the message landed on (`ticket_id`, `ticket_reference`) and, "
                               "for a follow-up, the closed ticket (`follow_up_of`). A ticket merged into another "
                               "is not where its conversation lives: the message lands on the ticket it was merged "
                               "into (following merges of merges), `merged_from` names the ticket in the path, and "
                               "if that target is closed the follow-up is the target's. As multipart/form-data, files "
                               "alone are a message (`body` may be left out); neither text nor files is a 400.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, IDEMPOTENCY_KEY],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["body"], "additionalProperties": False,
                        "properties": MESSAGE_FIELDS,
                    }, "example": MESSAGE_EXAMPLE},
                    MULTIPART: {**_multipart(MESSAGE_FIELDS, []), "example": MESSAGE_EXAMPLE},
                }},
                "responses": {
                    "201": _replayable(_json("stored (the same body and files again within two minutes: the "
                                             "message stored first, on the ticket it landed on), with the status of "
                                             "the ticket it is on", {
                        **STORED_MESSAGE,
                        "required": [*STORED_MESSAGE["required"], "ticket_status", "ticket_id", "ticket_reference",
                                     "merged_from", "follow_up_of"],
                        "properties": {
                            **STORED_MESSAGE["properties"], "ticket_status": {"type": "string"},
                            "ticket_id": {"type": "integer", "description": "the ticket the message is on: the one "
                                          "in the path (or the one it was merged into), or the follow-up it "
                                          "started when that one is closed"},
                            "ticket_reference": {"type": "string", "description": "that ticket's reference (the "
                                                 "customer's page: /{lang}/tickets/{reference})"},
                            "merged_from": {"type": "integer", "nullable": True, "description": "the ticket in "
                                            "the path when it was merged into another and the message landed "
                                            "there (or on its follow-up); null when the path's ticket was not "
                                            "merged"},
                            "follow_up_of": {"type": "integer", "nullable": True, "description": "the closed "
                                             "ticket (the one in the path, or the one it was merged into) when "
                                             "the message started (or, resent, is on) a follow-up of it; null "
                                             "when it is on that ticket"},
                        },
                    })),
                    "404": NO_TICKET,
                    "409": _error(KEY_IN_USE),
                    "422": KEY_REUSED,
                    **TOKEN_ERRORS,
                    "413": MULTIPART_413,
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/replies": {
            "post": {
                "summary": "Send an agent's public reply to the customer, as the ticket page sends one",
                "description": "Mailed to the customer (and the ticket's CCs), the first response stamped, the ticket "
                               "assigned to the agent if no one was, its status set (`pending` unless said). "
                               "`signature: true` signs it with the agent's signature in the ticket's language (set "
                               "on their profile; kept in the message's `signature`, shown under the body after a "
                               "line '-- '); left out or false, the text goes as it is. A bad field is a 400 naming "
                               "it and nothing is sent (`agent`: an active agent who is not a light agent); a closed "
                               "ticket (final) a 409.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, IDEMPOTENCY_KEY],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["agent", "body"], "additionalProperties": False,
                    "properties": {"agent": {"type": "integer", "minimum": 1, "description": "the replying agent's id"},
                                   "body": {"type": "string", "description": "the reply's text"},
                                   "status": {"type": "string", "enum": list(TICKET_STATUSES),
                                              "description": "the ticket's status after it (default pending)"},
                                   "signature": {"type": "boolean", "description": "sign it with the agent's "
                                                 "signature in the ticket's language (default false)"}},
                }, "example": {"agent": 3, "body": "Your parcel left our warehouse today.", "status": "pending",
                               "signature": True}}}},
                "responses": {
                    "201": _replayable(_json("sent", {
                        **STORED_MESSAGE,
                        "required": [*STORED_MESSAGE["required"], "ticket_id", "ticket_status"],
                        "properties": {**STORED_MESSAGE["properties"], "ticket_id": {"type": "integer"},
                                       "ticket_status": {"type": "string"}},
                    })),
                    "404": NO_TICKET,
                    "409": _error(f"the ticket is closed (final), or {KEY_IN_USE}"),
                    "422": KEY_REUSED,
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/side_conversations": {
            "get": {
                "summary": "The ticket's side conversations (internal: mail with people outside the ticket), oldest "
                           "first, each with its messages",
                "description": "What the agent's ticket page shows in its side conversation panels (README, \"Side "
                               "conversations\"). Never on the customer's pages or answers. Reads only.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID],
                "responses": {
                    "200": _json("the side conversations", {
                        "type": "object", "required": ["side_conversations"],
                        "properties": {"side_conversations": {"type": "array", "items": SIDE_CONVERSATION}},
                    }),
                    "404": NO_TICKET,
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "429", "503")},
                },
            },
            "post": {
                "summary": "Start a side conversation: mail `to` (one or more addresses) on its own thread",
                "description": "Sent through the outbox with the side conversation's own reply address, subject tag "
                               "and Message-IDs, never the ticket's thread: the third party's replies come back to "
                               "it, never to the customer. `subject` empty or left out: the ticket's. `attachments`: "
                               "ids of the ticket's files to forward. A closed ticket is a 409; a bad field a 400 "
                               "naming it (at most `KB_SIDE_CONVERSATION_MAX_RECIPIENTS` addresses).",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["to", "body"], "additionalProperties": False,
                    "properties": {
                        "to": {"type": "array", "items": {"type": "string", "maxLength": 320},
                               "description": "the addresses (plain ASCII mailboxes)"},
                        "subject": {"type": "string", "maxLength": 300, "nullable": True},
                        "body": {"type": "string", "maxLength": 100000, "description": "Markdown, as a reply"},
                        "attachments": {"type": "array", "items": {"type": "integer"},
                                        "description": "ids of the ticket's files to forward"},
                    },
                }, "example": {"to": ["desk@courier.example"], "body": "Please trace parcel 881."}}}},
                "responses": {
                    "201": _json("started; its first mail queued", SIDE_CONVERSATION),
                    "404": NO_TICKET,
                    "409": _error("the ticket is closed (final)"),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            },
        },
        "/api/v1/tickets/{ticket_id}/side_conversations/{side_id}/messages": {
            "post": {
                "summary": "Reply on a side conversation: mailed to its participants on its thread (a closed one "
                           "is reopened)",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, {"name": "side_id", "in": "path", "required": True,
                                           "schema": {"type": "integer", "minimum": 1}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["body"], "additionalProperties": False,
                    "properties": {"body": {"type": "string", "maxLength": 100000},
                                   "attachments": {"type": "array", "items": {"type": "integer"},
                                                   "description": "ids of the ticket's files to forward"}},
                }, "example": {"body": "Thank you!"}}}},
                "responses": {
                    "201": _json("sent (queued); the side conversation as it now is", SIDE_CONVERSATION),
                    "404": _error("no such ticket, or no such side conversation on it"),
                    "409": _error("the ticket is closed (final)"),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/side_conversations/{side_id}": {
            "patch": {
                "summary": "Close or reopen a side conversation, add or remove participants",
                "description": "`status` open or closed; `add_participants` and `remove_participants` address lists "
                               "(participants change on an open conversation only: a reopen in the same request "
                               "comes first, a close last). All of it or nothing: a bad field is a 400 naming it "
                               "(an address to remove that is not a participant, none left, more than "
                               "`KB_SIDE_CONVERSATION_MAX_RECIPIENTS`). Audited; a removed participant's later mail "
                               "is held as a stranger's.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, {"name": "side_id", "in": "path", "required": True,
                                           "schema": {"type": "integer", "minimum": 1}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "status": {"type": "string", "enum": ["open", "closed"]},
                        "add_participants": {"type": "array", "items": {"type": "string", "maxLength": 320}},
                        "remove_participants": {"type": "array", "items": {"type": "string", "maxLength": 320}},
                    },
                }, "example": {"add_participants": ["billing@courier.example"]}}}},
                "responses": {
                    "200": _json("the side conversation as it now is", SIDE_CONVERSATION),
                    "404": _error("no such ticket, or no such side conversation on it"),
                    "409": _error("the ticket is closed (final)"),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/time_entries": {
            "get": {
                "summary": "The agents' time on the ticket: the total, each agent's and every entry, oldest first",
                "description": "What the ticket page's time tracking shows (README, \"Time tracking\"). Reads only.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID],
                "responses": {
                    "200": _json("the ticket's time", {
                        "type": "object", "required": ["time_spent_seconds", "by_agent", "time_entries"],
                        "properties": {
                            "time_spent_seconds": {"type": "integer", "minimum": 0},
                            "by_agent": {"type": "array", "description": "each agent's total, most first",
                                         "items": {"type": "object", "required": ["agent", "agent_name", "seconds"],
                                                   "properties": {"agent": {"type": "integer"},
                                                                  "agent_name": {"type": "string"},
                                                                  "seconds": {"type": "integer"}}}},
                            "time_entries": {"type": "array", "items": TIME_ENTRY},
                        },
                    }),
                    "404": NO_TICKET,
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "429", "503")},
                },
            },
            "post": {
                "summary": "Add a time entry by hand: `agent` spent `seconds` on the ticket",
                "description": "An entry of kind `manual` (the ticket page's \"Add time\"). A bad field is a 400 "
                               "naming it and nothing is written; a closed ticket (final) a 409.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, IDEMPOTENCY_KEY],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["agent", "seconds"], "additionalProperties": False,
                    "properties": {"agent": {"type": "integer", "minimum": 1, "description": "an agent's id"},
                                   "seconds": SECONDS, "note": TIME_NOTE},
                }, "example": {"agent": 3, "seconds": 900, "note": "Called the courier"}}}},
                "responses": {
                    "201": _replayable(_json("recorded", TIME_ENTRY)),
                    "404": NO_TICKET,
                    "409": _error(f"the ticket is closed (final), or {KEY_IN_USE}"),
                    "422": KEY_REUSED,
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            },
        },
        "/api/v1/tickets/{ticket_id}/time_entries/{entry_id}": {
            "patch": {
                "summary": "Change a time entry's `seconds` or `note`",
                "description": "In the ticket's history and the audit log (`time_entry_edited`: the seconds before "
                               "and after, of the note only that it changed); a change that changes nothing records "
                               "nothing. A bad field is a 400 naming it; a closed ticket a 409.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, TIME_ENTRY_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"seconds": SECONDS, "note": TIME_NOTE},
                }, "example": {"seconds": 1200}}}},
                "responses": {
                    "200": _json("the entry as it now is", TIME_ENTRY),
                    "404": _error("no such ticket, or no such time entry on it"),
                    "409": _error("the ticket is closed (final)"),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
                },
            },
            "delete": {
                "summary": "Delete a time entry",
                "description": "In the ticket's history and the audit log (`time_entry_deleted`: its seconds, agent "
                               "and kind). A closed ticket is a 409.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID, TIME_ENTRY_ID],
                "responses": {
                    "200": _json("deleted: the entry as it was", {
                        "type": "object", "required": ["deleted"], "properties": {"deleted": TIME_ENTRY}}),
                    "404": _error("no such ticket, or no such time entry on it"),
                    "409": _error("the ticket is closed (final)"),
                    **{code: TOKEN_ERRORS[code] for code in ("400", "401", "429", "503")},
                },
            },
        },
        "/api/v1/suggest": {
            "post": {
                "summary": "Passages and a cited reply draft for a ticket's text",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["subject", "body"],
                    "additionalProperties": False,
                    "properties": {
                        "subject": {"type": "string"}, "body": {"type": "string"},
                        "lang": {"type": "string", "enum": ["en", "ar"], "nullable": True},
                        "customer_name": {"type": "string", "nullable": True},
                    },
                }}}},
                "responses": {
                    "200": _json("passages and a draft", {
                        "type": "object",
                        "required": ["lang", "passages", "draft"],
                        "properties": {
                            "lang": {"type": "string"},
                            "passages": {"type": "array", "items": {"type": "object"}},
                            "draft": {"type": "object", "required": ["text", "citations", "abstained"]},
                            "took_ms": {"type": "number"},
                        },
                    }),
                    **TOKEN_ERRORS,
                },
            }
        },
        "/api/v1/health": {
            "get": {
                "summary": "Is the index loaded",
                "responses": {"200": _json("status", {"type": "object", "required": ["status"],
                                                       "properties": {"status": {"type": "string"}}})},
            }
        },
        "/api/v1/metrics": {
            "get": {
                "summary": "The lead's dashboard figures for a period, with the previous period (an API token)",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                    {"name": "lang", "in": "query", "schema": {"type": "string"}},
                    {"name": "channel", "in": "query", "schema": {"type": "string"}},
                    {"name": "category", "in": "query", "schema": {"type": "string"}},
                    {"name": "agent", "in": "query", "schema": {"type": "string"}},
                    {"name": "tz", "in": "query", "schema": {"type": "string"},
                     "description": "IANA zone whose whole days from/to mean (default: the business hours' default "
                                    "team's zone, else UTC)"},
                ],
                "responses": {
                    "200": _json("figures", {"type": "object",
                                             "required": ["time_zone", "current", "previous", "content_gaps"],
                                             "properties": {"time_zone": {"type": "string"}}}),
                    "400": _error("a missing or bad filter, named"),
                    "414": TOO_LONG,
                    "401": _error("no valid API token"),
                    "429": _error("rate limited"),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": _json("OpenAPI 3", {"type": "object"})}}
        },
        "/api/v1/hooks/git": {
            "post": {
                "summary": "A git host's push hook (GitHub HMAC signature or GitLab token): queues a sync",
                "responses": {
                    "202": _json("queued", {"type": "object", "required": ["queued", "job"]}),
                    "200": _json("not a push event: ignored", {"type": "object", "required": ["queued"]}),
                    "401": _error("bad or missing signature"),
                    "404": _error("the hook is not enabled on this server"),
                    "413": _error("body too large"),
                },
            }
        },
        "/api/v1/hooks/git/status": {
            "get": {
                "summary": "The git sync's last run (an agent's session or an API token)",
                "security": [{"bearer": []}],
                "responses": {
                    "200": _json("status", {"type": "object", "required": ["running", "last_job"],
                                            "properties": {"running": {"type": "boolean"},
                                                           "last_job": {"type": "integer"}}}),
                    "401": _error("no valid API token and no agent session"),
                },
            }
        },
    },
}


# Agents (webapp.api_agents): Zendesk's /api/v2/users?role=agent, Chatwoot's /agents.
AGENT_ID = {"name": "agent_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
            "example": 1}
ROLE = {"type": "string", "enum": list(ROLES),
        "description": "agent (works tickets), lead (also the dashboard, reports, tags, team status), admin (also "
                       "agents, tokens, webhooks, the audit log), light (reads tickets and adds internal notes)"}
NOTIFICATIONS = {"type": "object", "additionalProperties": False,
                 "properties": {"assigned": {"type": "boolean", "description": "mail when someone else assigns them "
                                             "a ticket (a light agent's stays as it was: never assigned one)"},
                                "mentioned": {"type": "boolean", "description": "mail when a note mentions them"}}}
AGENT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "email", "role", "active", "invited", "invited_at", "available", "time_zone",
                 "locale", "languages", "teams", "skills", "two_factor", "passkeys", "notifications", "created_at",
                 "last_sign_in_at"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}, "role": ROLE,
        "active": {"type": "boolean", "description": "false: deactivated (cannot sign in; kept for the history)"},
        "invited": {"type": "boolean", "description": "invited by email and not yet accepted"},
        "invited_at": {**_TIME, "nullable": True, "description": "when the waiting invitation was sent"},
        "available": {"type": "boolean", "description": "for automatic assignment (away: false)"},
        "time_zone": {"type": "string", "nullable": True, "description": "IANA name; null: their team's"},
        "locale": {"type": "string", "nullable": True, "description": "the workspace's language; null: the browser's"},
        "languages": {"type": "array", "items": {"type": "string"},
                      "description": "the languages they answer customers in; empty: every one"},
        "teams": {"type": "array", "items": {"type": "string"}, "description": "their teams' keys"},
        "skills": {"type": "array", "items": {"type": "string"}, "description": "their skills' names"},
        "two_factor": {"type": "boolean"}, "passkeys": {"type": "integer", "minimum": 0},
        "notifications": {**NOTIFICATIONS, "required": ["assigned", "mentioned"]},
        "created_at": _TIME,
        "last_sign_in_at": {**_TIME, "nullable": True,
                            "description": "when they last completed a sign-in (any way in); null: never"},
    },
}
AGENT_PATHS: dict[str, Any] = {
    "/api/v1/agents": {
        "get": {
            "summary": "Every agent (deactivated and invited ones too) by id, 25 a page, with their role, state, "
                       "teams, skills, two-factor sign-in and email notifications",
            "description": "The next page is `next_url` (and the `Link` header's rel=\"next\"), null on the last. A "
                           "`page` past the last answers the last page (`page` says which).",
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "role", "in": "query", "schema": ROLE, "description": "one role only", "example": "agent"},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                 "description": "agents a page (25 by default)", "example": 25},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
                 "description": "the page, from 1 (digits only; anything else is a 400 naming `page`)",
                 "example": 1},
            ],
            "responses": {
                "200": {"headers": {"Link": {"description": "`<next_url>; rel=\"next\"` unless on the last page",
                                             "schema": {"type": "string"}}},
                        **_json("one page of agents", {
                            "type": "object", "required": ["agents", "total", "page", "pages", "next_url"],
                            "properties": {
                                "agents": {"type": "array", "items": AGENT},
                                "total": {"type": "integer", "description": "agents of the role (or all) in all"},
                                "page": {"type": "integer"}, "pages": {"type": "integer"},
                                "next_url": {"type": "string", "nullable": True},
                            }})},
                "400": _error("`role`, `limit` or `page` is not one of its values: the message names it"),
                **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
            },
        },
        "post": {
            "summary": "Invite an agent by email: they choose their own password through the mailed link",
            "description": "As the admin page's \"Email an invitation\": the invitation (a link that works for a week, "
                           "once) is queued with the agent, in `lang`, which is also their workspace's language. "
                           "Audited `agent_created` and `agent_invited`, the token named.",
            "security": [{"bearer": []}],
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["email"], "additionalProperties": False,
                "properties": {
                    "email": {"type": "string", "format": "email", "maxLength": 320},
                    "name": {"type": "string", "maxLength": MAX_NAME, "description": "the email's name part if empty"},
                    "role": {**ROLE, "default": "agent"},
                    "lang": {"type": "string", "description": "a site language (its first by default)"},
                }}, "example": {"email": "nadia@example.com", "name": "Nadia", "role": "agent"}}}},
            "responses": {
                "201": _replayable(_json("the agent invited", AGENT)),
                "409": _error(f"an agent with this email exists already, or {KEY_IN_USE}"),
                "422": KEY_REUSED,
                **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
            },
        },
    },
    "/api/v1/agents/{agent_id}": {
        "get": {
            "summary": "An agent as the list gives them",
            "security": [{"bearer": []}],
            "parameters": [AGENT_ID],
            "responses": {
                "200": _json("the agent", AGENT),
                "404": _error("no agent with this id"),
                **{code: TOKEN_ERRORS[code] for code in ("401", "429")},
            },
        },
        "patch": {
            "summary": "Change an agent's role, teams (the whole list), active state or email notifications (only the "
                       "fields sent)",
            "description": "As the admin page: every field is checked before anything is written (a bad one is a 400 "
                           "naming it). Made light, their open tickets are unassigned; deactivated, they are set "
                           "away. Each change is audited as the page's, the token named.",
            "security": [{"bearer": []}],
            "parameters": [AGENT_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "role": ROLE, "active": {"type": "boolean"},
                    "teams": {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 40},
                              "description": "team keys (content/_business_hours.yml); [] for none"},
                    "notifications": NOTIFICATIONS,
                }}, "example": {"role": "lead", "notifications": {"mentioned": False}}}}},
            "responses": {
                "200": _json("the agent as changed", AGENT),
                "404": _error("no agent with this id"),
                **{code: TOKEN_ERRORS[code] for code in ("400", "401", "413", "429", "503")},
            },
        },
    },
}
OPENAPI["paths"].update(AGENT_PATHS)


def _long_query_refused(document: dict[str, Any]) -> None:
    """Every operation that takes query parameters may answer 414: webapp.security refuses a request line past
    MAX_REQUEST_LINE before any view reads it, whichever parameters made it long (a 693-character `tag` beside a
    long `skill` on the ticket list, in CI's schemathesis run, was a 414 the document did not name)."""
    for operations in document["paths"].values():
        for operation in operations.values():
            if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
                operation["responses"].setdefault("414", TOO_LONG)


_long_query_refused(OPENAPI)


def with_categories(categories: list[str]) -> dict[str, Any]:
    """The document as served: a new ticket's `category` lists this help center's categories (they are its content's
    folders, not the code's), in the JSON body and the multipart form alike."""
    document = copy.deepcopy(OPENAPI)
    for media_type in ("application/json", MULTIPART):
        field = document["paths"]["/api/v1/tickets"]["post"]["requestBody"]["content"][media_type]["schema"][
            "properties"]["category"]
        field["enum"] = [*categories, None] if field.get("nullable") else categories
    return document


def with_scopes(document: dict[str, Any], scopes: dict[tuple[str, str], str]) -> dict[str, Any]:
    """`document` (changed in place) with each token operation's scope, from the routes themselves (webapp.api's
    `token_required(scope)`; keyed by OpenAPI path and lower-case method): `x-scopes`, a sentence in its description,
    and the 403 a token without it gets."""
    for (path, method), scope in scopes.items():
        operation = document["paths"].get(path, {}).get(method)
        if operation is None:
            continue
        operation["x-scopes"] = [scope]
        needs = f"Needs an API token with the scope `{scope}`."
        operation["description"] = f"{operation['description']} {needs}" if operation.get("description") else needs
        operation["responses"].setdefault("403", _error(f"the token lacks the scope {scope} (insufficient_scope)"))
    return document


def request_fields(path: str, media_type: str = "application/json", method: str = "post") -> frozenset[str]:
    """The fields the body of `method` `path` (JSON, or a multipart form) may have, as this document declares them."""
    body = OPENAPI["paths"][path][method]["requestBody"]["content"][media_type]["schema"]
    return frozenset(body["properties"])
