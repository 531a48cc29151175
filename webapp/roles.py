"""Who may open what in the workspace, decided in one place.

Leads see reports and the dashboard but do not manage agents; admins do both. Every view for leads
carries `@lead_required`, so the rule cannot drift between pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

LEAD_ROLES = ("lead", "admin")


def lead_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Logged in (else the login page) and a lead or an admin (else 403)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if getattr(current_user, "role", None) not in LEAD_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return login_required(guarded)
