"""Who is asking, as an `Audience`: the one place a request's access to internal articles is decided.

An agent is whoever holds a logged-in agent session (the workspace's cookie) or sends a working API
token with the `search` scope (`Authorization: Bearer ...`, other help desks acting for their agents; a token
without it, a reporting tool's, searches as the public: desk.token_scopes). Everyone else is the
public, and so is any request this code cannot place: the decision fails closed. Blueprints ask
`requester_audience()` instead of writing "public" or "agent" per route, so a page cannot forget
to check, nor be copied into the wrong blueprint with the wrong literal.
"""

from __future__ import annotations

from flask import g
from flask_login import current_user

from desk.token_scopes import parse_scopes
from kb.audience import AGENT, PUBLIC, Audience
from webapp import state
from webapp.security import presented_token

SEARCH_SCOPE = "search"  # the public routes' scope: what lifts a token's search to the agents' articles


def bearer_token() -> str | None:
    """The request's API token, when it sends one as `Authorization: Bearer TOKEN`."""
    return presented_token() or None


def requester_audience() -> Audience:
    """AGENT for a logged-in agent or a working API token holding `search`, else PUBLIC; decided once per request."""
    cached = g.get("kb_audience")
    if cached is not None:
        return cached
    audience: Audience = PUBLIC
    if getattr(current_user, "is_authenticated", False):
        audience = AGENT
    else:
        token = bearer_token()
        found = state.desk().accounts.verify_token(token) if token is not None else None
        if found is not None and SEARCH_SCOPE in parse_scopes(found.scopes):
            audience = AGENT
    g.kb_audience = audience
    return audience
