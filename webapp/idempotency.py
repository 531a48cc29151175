"""The `Idempotency-Key` request header on the token API's POSTs that write (`@idempotent`): a client whose request
timed out sends it again with the same key and gets the first answer back, marked `Idempotent-Replayed: true`, with
nothing written twice. The keys and the rules are the desk's (desk/idempotency.py); here the header is read, the
request fingerprinted and the answer kept.

- The key: 1 to 255 printable ASCII characters (a UUID, say), scoped to the API token that sent it; anything else is
  a 400 naming the header.
- Another request (method, path or body) with a key already used: 422. The key's first request still running: 409.
- Kept: a 2xx, and a 4xx about the request itself (a 400 naming a field, a 404 ticket, a 409 external_id). Not kept:
  a 5xx (a 503 busy database: nothing was written and the retry may succeed), nor a 401/403/408/425/429, which
  say who or when and not what.
- A route that writes stores its answer in the write's own transaction (`answer_in`, passed to the desk's write), so
  a failure leaves neither the rows nor the answer; an answer with nothing written (a 400) is stored after it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, jsonify, request
from sqlalchemy.orm import Session

from desk.database import StorageUnavailableError
from desk.idempotency import MAX_KEY, Claim, KeyInUse, KeyReused, StoredAnswer
from webapp import state
from webapp.security import is_multipart, multipart_parts

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# Statuses that say who sent the request or when, not what it asked: never given back to a retry.
NOT_KEPT = frozenset({401, 403, 408, 425, 429})
KEY_PROBLEM = f"{HEADER}: must be 1 to {MAX_KEY} printable ASCII characters (a UUID, say)"

R = TypeVar("R")
log = logging.getLogger(__name__)


def kept(status: int) -> bool:
    return 200 <= status < 300 or (400 <= status < 500 and status not in NOT_KEPT)


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY and all(" " <= c <= "~" for c in key)


def fingerprint() -> str:
    """The request as the key remembers it: method, path and query, media type and body. A multipart body by its
    parts (text fields, each file's name and bytes' digest in order), not its bytes: a client's retry sends the same
    parts between another random boundary. Any other body by its bytes."""
    digest = hashlib.sha256()
    if is_multipart():
        form, files = multipart_parts()  # a body that cannot be read is the route's 400, before any claim
        parts: list[Any] = sorted(form.items(multi=True))
        for name, part in files.items(multi=True):
            part.stream.seek(0)
            parts.append([name, part.filename, hashlib.sha256(part.stream.read()).hexdigest()])
            part.stream.seek(0)  # the route reads it again
        digest.update(json.dumps(parts, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    else:
        digest.update(request.get_data(cache=True))
    head = [request.method, request.path, request.query_string.decode("latin-1"), request.mimetype,
            digest.hexdigest()]
    return hashlib.sha256(json.dumps(head).encode()).hexdigest()


def problem(message: str, status: int) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def idempotent(view):  # type: ignore[no-untyped-def]
    """The POST's `Idempotency-Key`: after `token_required` (the key is the token's), before the view."""

    @wraps(view)
    def guarded(*args, **kwargs):  # type: ignore[no-untyped-def]
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not valid_key(key):
            return problem(KEY_PROBLEM, 400)
        store = state.desk().idempotency
        try:
            claimed = store.claim(g.api_token_id, key, fingerprint())
        except KeyReused:
            return problem(f"{HEADER}: already used with another request (method, path or body); a new request "
                           "needs a new key", 422)
        except KeyInUse:
            response = problem(f"{HEADER}: the first request with this key is still running; send it again in a "
                               "moment for its answer", 409)
            response.headers["Retry-After"] = "1"
            return response
        if isinstance(claimed, StoredAnswer):
            response = jsonify(claimed.body)
            response.status_code = claimed.status
            response.headers[REPLAYED] = "true"
            return response
        g.idempotency_claim = claimed
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except KeyInUse:  # the claim was taken over while this ran (past ABANDONED_AFTER): its write rolled back
            return problem(f"{HEADER}: a later request took this key over; send it again for its answer", 409)
        except Exception as error:
            # An error the app answers (a 400 raised while reading the body, a 503), else a bug (500).
            try:
                response = current_app.make_response(current_app.handle_user_exception(error))
            except Exception:
                settle(claimed, None)
                raise
        settle(claimed, response)
        return response

    return guarded


def settle(claim: Claim, response: Response | None) -> None:
    """After the view: the answer kept (unless its write's transaction kept it already) or the claim let go. Never
    turns the view's answer into another: a failure here is logged, and the key is then let go or left to expire."""
    try:
        if response is not None and kept(response.status_code) and response.is_json:
            if not claim.answered:
                state.desk().idempotency.record(claim, response.status_code, response.get_json())
        else:
            state.desk().idempotency.release(claim)
    except (StorageUnavailableError, KeyInUse) as error:
        log.warning("%s: the answer's key not settled (%s)", HEADER, error)


def answer_in(status: int, build: Callable[[R], dict[str, Any]]) -> Callable[[Session, R], None] | None:
    """For the desk's write (its `answer`): the request's answer, `build(result)` with `status`, stored in the
    write's own transaction when the request came with a key; None when it did not."""
    claim: Claim | None = g.get("idempotency_claim")
    if claim is None:
        return None
    store = state.desk().idempotency
    return lambda session, result: store.record_in(session, claim, status, build(result))
