"""Who may open what in the workspace, decided in one place.

Leads see reports and the dashboard but do not manage agents; admins do both. Every view for leads
carries `@lead_required`, so the rule cannot drift between pages. Light agents (Zendesk's light agents, Freshdesk's
collaborators) read tickets and add internal notes: every view that answers a customer or changes a ticket, a
customer or the desk carries `@works_tickets_required` (a light agent's 403), and the templates draw those controls
only for `agent.works_tickets` (desk.models.WORKING_ROLES).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from desk.models import WORKING_ROLES

LEAD_ROLES = ("lead", "admin")


def lead_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Logged in (else the login page) and a lead or an admin (else 403)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if getattr(current_user, "role", None) not in LEAD_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return login_required(guarded)


def works_tickets_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Logged in (else the login page) and an agent who works tickets, every role but light (else 403): replying,
    changing a ticket, a customer or held mail, starting or answering a side conversation."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if getattr(current_user, "role", None) not in WORKING_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return login_required(guarded)
